/**
 * Transports that run a program and speak the protocol over its stdin and
 * stdout: `+ssh` (the `ssh` program, when there is one; see
 * ./ssh/dial.ts for the in-process client) and `+ext` (`command=`).
 *
 * What libvirt does (src/rpc/virnetsocket.c, virNetSocketNewConnectCommand,
 * virNetSocketNewConnectSSH, virNetSocketNewConnectExternal; read for the
 * facts, nothing copied), and what is done here:
 *
 * - the child's stdin and stdout are the connection (libvirt hands it one end
 *   of a socketpair; Node's child stdio pipes are socketpairs as well), its
 *   stderr is collected and becomes part of the error when the connection
 *   ends: libvirt reports "End of file while reading data: <stderr>";
 * - the child's environment is not the caller's: `LC_ALL=C` and only `PATH`,
 *   `HOME`, `USER`, `LOGNAME`, `TMPDIR`, `LD_PRELOAD`, `LD_LIBRARY_PATH` pass
 *   (virCommandAddEnvPassCommon); for ssh also `XDG_RUNTIME_DIR`,
 *   `KRB5CCNAME`, `SSH_AUTH_SOCK`, `SSH_ASKPASS`, `OPENSSL_CONF`, `DISPLAY`,
 *   `XAUTHORITY`;
 * - ssh's argv is exactly the one libvirt builds (computed by
 *   `planRemoteConnection`: `ssh [-p port] [-l user] [-i keyfile] -T -e none
 *   [-o BatchMode=yes] [-o StrictHostKeyChecking=no] -- host '<sh -c ...>'`);
 *   ext runs `command=` with no arguments;
 * - when the connection is closed the child is sent SIGTERM, then SIGKILL if it
 *   is still there after a grace period (libvirt's virProcessAbort).
 *
 * Like libvirt, the dial succeeds as soon as the program runs: the protocol
 * has the client speak first, so an SSH login that fails shows up as the
 * first call failing, with ssh's own words (`Permission denied (publickey)`,
 * `Host key verification failed.`) and a plain-language hint in the error.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { CommandTransportError, type CommandFailure } from './command-error.js';
import { bounded } from '../util/deadline.js';
import type { RemotePlan } from './remote-plan.js';
import type { DialOptions } from './unix.js';

export { CommandTransportError, type CommandFailure } from './command-error.js';

/** Variables libvirt passes to every child it runs (virCommandAddEnvPassCommon), besides `LC_ALL=C`. */
export const COMMON_ENV_PASS: readonly string[] = ['LD_PRELOAD', 'LD_LIBRARY_PATH', 'PATH', 'HOME', 'USER', 'LOGNAME', 'TMPDIR'];
/** The extra variables libvirt passes to `ssh`. */
export const SSH_ENV_PASS: readonly string[] = ['XDG_RUNTIME_DIR', 'KRB5CCNAME', 'SSH_AUTH_SOCK', 'SSH_ASKPASS', 'OPENSSL_CONF', 'DISPLAY', 'XAUTHORITY'];

/** The environment libvirt gives a child: `LC_ALL=C` plus the named variables that are set in `source`. */
export function commandEnv(source: Readonly<Record<string, string | undefined>>, extra: readonly string[] = []): Record<string, string> {
  const env: Record<string, string> = { LC_ALL: 'C' };
  for (const name of [...COMMON_ENV_PASS, ...extra]) {
    const v = source[name];
    if (v !== undefined) env[name] = v;
  }
  return env;
}

/** What {@link describeCommandExit} needs to know about a child that ended. */
export interface CommandExit {
  /** How the command is named in the message (`ssh to lvtest@127.0.0.1 port 2222`). */
  readonly label: string;
  /** Exit status, or null when killed by a signal. */
  readonly exitCode: number | null;
  /** The signal that killed it, or null. */
  readonly signal: string | null;
  /** What it wrote on stderr. */
  readonly stderr: string;
  /** For SSH tunnels: the daemon socket on the far side (named in the hint when it cannot be reached). */
  readonly remoteSocket?: string | null;
}

/**
 * Turns a child's exit into a message and a {@link CommandFailure}: the exit
 * status, stderr (trimmed, as libvirt does) and, when stderr says something
 * ssh, netcat, virt-ssh-helper or the shell are known to say, a hint in plain
 * words. Pure.
 */
export function describeCommandExit(exit: CommandExit): { message: string; failure: CommandFailure } {
  const err = exit.stderr.replace(/\s+$/, '');
  const status = exit.signal !== null ? `killed by ${exit.signal}` : `exit status ${exit.exitCode}`;
  let failure: CommandFailure = 'other';
  let hint = '';
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No (?:ED25519|RSA|ECDSA|\w+) host key is known/i.test(err)) {
    failure = 'host-key';
    hint = 'the SSH host key of the server is unknown or has changed: add it to known_hosts, or use no_verify=1 to accept an unknown key';
  } else if (/Permission denied|Too many authentication failures|no more authentication methods/i.test(err)) {
    failure = 'auth';
    hint = "SSH authentication failed: check the user, keyfile= and the server's authorized_keys";
  } else if (
    /Connection refused|Could not resolve hostname|No route to host|Connection timed out|Network is unreachable|Name or service not known/i.test(err) &&
    !/unix connect|\.sock|libvirt-sock/i.test(err)
  ) {
    failure = 'unreachable';
    hint = 'ssh could not reach the server';
  } else if (/closed by remote host|Connection reset|Broken pipe|connection closed|Connection to .* closed/i.test(err)) {
    failure = 'disconnected';
    hint = 'the SSH connection was closed';
  } else if (exit.exitCode === 127 || /command not found|: not found|No such file or directory.*virt-ssh-helper|virt-ssh-helper.*not found/i.test(err)) {
    failure = 'command-missing';
    hint = 'a command is missing (locally, or on the far side: nc or virt-ssh-helper)';
  } else if (/unix connect failed|cannot connect to|Failed to connect socket|No such file or directory|Connection refused/i.test(err)) {
    failure = 'daemon-socket';
    hint = `the far side could not connect to the libvirt daemon socket${exit.remoteSocket ? ` ${exit.remoteSocket}` : ''}`;
  }
  const detail = err === '' ? '' : `: ${err}`;
  return { message: `${exit.label} ended (${status})${detail}${hint ? ` [${hint}]` : ''}`, failure };
}

const STDERR_KEEP = 64 * 1024;

/** Options of {@link CommandStream} / {@link dialCommand}. */
export interface CommandDialOptions extends DialOptions {
  /** The child's environment (default: {@link commandEnv} of `process.env`). */
  readonly env?: Readonly<Record<string, string>>;
  /** How the command is named in errors (default: argv[0]). */
  readonly label?: string;
  /** Milliseconds between SIGTERM and SIGKILL when the connection is closed (default 2000). */
  readonly killGraceMs?: number;
  /** Milliseconds to wait for the exit status after stdout ends, before reporting what is known (default 3000). */
  readonly exitWaitMs?: number;
  /** For SSH tunnels: the daemon socket on the far side, named in errors. */
  readonly remoteSocket?: string | null;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

/**
 * A byte stream over a child process: writes go to its stdin, reads come from
 * its stdout. When stdout ends the stream ends normally if the child exited
 * with status 0 and wrote nothing on stderr; otherwise it is destroyed with a
 * {@link CommandTransportError} carrying the exit status and stderr.
 * Destroying the stream ends the child (SIGTERM, then SIGKILL).
 */
export class CommandStream extends Duplex {
  /** The child's pid. */
  readonly pid: number;
  /** The program run. */
  readonly command: string;
  /** Resolves when the child has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: Child;
  private readonly label: string;
  private readonly killGraceMs: number;
  private readonly exitWaitMs: number;
  private readonly remoteSocket: string | null;
  private stderrText = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private stdoutEnded = false;
  private finishing = false;

  /** @internal Use {@link dialCommand}. */
  constructor(child: Child, command: string, options: CommandDialOptions) {
    super({ allowHalfOpen: false });
    this.child = child;
    this.pid = child.pid ?? -1;
    this.command = command;
    this.label = options.label ?? command;
    this.killGraceMs = options.killGraceMs ?? 2000;
    this.exitWaitMs = options.exitWaitMs ?? 3000;
    this.remoteSocket = options.remoteSocket ?? null;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.stderrText = (this.stderrText + text).slice(-STDERR_KEEP);
    });
    child.stderr.on('error', () => {});
    child.stdin.on('error', () => {
      // EPIPE when the child is gone: the exit status and stderr tell why.
    });
    child.stdout.on('error', (err) => this.finish(err));
    child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout.pause();
    });
    child.stdout.on('end', () => {
      this.stdoutEnded = true;
      this.finish(null);
    });
    child.once('error', (err) => this.finish(err));
  }

  /** What the child wrote on stderr so far (the last 64 KiB). */
  get stderr(): string {
    return this.stderrText;
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const stdin = this.child.stdin;
    if (stdin.destroyed || stdin.writableEnded) {
      cb(); // the child is going away: finish() reports why
      return;
    }
    stdin.write(chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.child.stdin.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.child.stdout.destroy();
    this.child.stdin.destroy();
    if (this.exitInfo === null && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.child.kill('SIGTERM');
      } catch {
        /* gone */
      }
      const timer = setTimeout(() => {
        if (this.exitInfo === null) {
          try {
            this.child.kill('SIGKILL');
          } catch {
            /* gone */
          }
        }
      }, this.killGraceMs);
      timer.unref();
      void this.exited.then(() => clearTimeout(timer));
    }
    cb(err);
  }

  /** stdout ended or failed: wait (bounded) for the exit status, then end or fail the stream. */
  private finish(ioError: Error | null): void {
    if (this.finishing || this.destroyed) return;
    this.finishing = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.exitWaitMs);
      void this.exited.then(() => resolve());
    });
    void waited
      .then(() => new Promise<void>((r) => setImmediate(r))) // let the last stderr chunk arrive
      .then(() => {
        clearTimeout(timer);
        if (this.destroyed) return;
        const info = this.exitInfo;
        const stderr = this.stderrText;
        if (ioError === null && this.stdoutEnded && info !== null && info.code === 0 && stderr.trim() === '') {
          this.push(null);
          return;
        }
        const exit: CommandExit = {
          label: this.label,
          exitCode: info?.code ?? null,
          signal: info?.signal ?? null,
          stderr,
          remoteSocket: this.remoteSocket,
        };
        let { message, failure } = describeCommandExit(exit);
        if (info === null) message = `${this.label} closed its output but is still running${stderr.trim() ? `: ${stderr.trim()}` : ''}`;
        if (ioError !== null) message += ` (${ioError.message})`;
        this.destroy(
          new CommandTransportError(`End of file while reading data: ${message}`, {
            command: this.command,
            exitCode: exit.exitCode,
            signal: exit.signal,
            stderr,
            failure,
            errno: (ioError as NodeJS.ErrnoException | null)?.code ?? null,
            ...(ioError ? { cause: ioError } : {}),
          }),
        );
      });
  }
}

/**
 * Runs `argv` and resolves with a {@link CommandStream} once the program has
 * started (or rejects when it cannot be run: `ENOENT`, `EACCES`, ...). `signal`
 * and `timeout` bound the start; a child started meanwhile is killed.
 */
export function dialCommand(argv: readonly string[], options: CommandDialOptions = {}): Promise<CommandStream> {
  const { signal, timeout } = options;
  const file = argv[0];
  if (file === undefined || file === '') return Promise.reject(new TypeError('dialCommand: empty argv'));
  const label = options.label ?? file;
  let stream: CommandStream | undefined;
  return bounded<CommandStream>(
    {
      signal,
      timeout,
      timeoutReason: `starting ${label}`,
      onFail: () => {
        stream?.on('error', () => {}); // the reason is the rejection
        stream?.destroy();
      },
    },
    (ok, fail) => {
      let child: Child;
      try {
        child = spawn(file, argv.slice(1), {
          env: options.env ?? commandEnv(process.env),
          stdio: ['pipe', 'pipe', 'pipe'],
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new CommandTransportError(`cannot run ${label}: ${e.message}`, {
          command: file,
          exitCode: null,
          signal: null,
          stderr: '',
          failure: 'command-missing',
          errno: e.code ?? null,
          cause: err,
        });
      }
      const started = new CommandStream(child, file, { ...options, label });
      stream = started;
      const onSpawn = (): void => ok(started);
      const onError = (err: NodeJS.ErrnoException): void => {
        const why = err.code === 'ENOENT' ? `${file}: command not found` : err.code === 'EACCES' ? `${file}: permission denied` : err.message;
        fail(
          new CommandTransportError(`cannot run ${label}: ${why}`, {
            command: file,
            exitCode: null,
            signal: null,
            stderr: '',
            failure: err.code === 'ENOENT' ? 'command-missing' : 'other',
            errno: err.code ?? null,
            cause: err,
          }),
        );
      };
      child.once('spawn', onSpawn);
      child.once('error', onError);
      return () => {
        child.off('spawn', onSpawn);
        child.off('error', onError);
      };
    },
  );
}

function sshLabel(plan: RemotePlan, user: string | null): string {
  return `ssh to ${user !== null ? `${user}@` : ''}${plan.host}${plan.port !== null ? ` port ${plan.port}` : ''}`;
}

/** Options of {@link dialSsh} and {@link dialExt}. */
export interface SshDialOptions extends DialOptions {
  /** Where the child's environment is taken from (default `process.env`); see {@link commandEnv}. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Runs the `ssh` program for a `+ssh` plan (libvirt's argv) and resolves
 * with the stream once ssh runs.
 */
export function dialSsh(plan: RemotePlan, options: SshDialOptions = {}): Promise<CommandStream> {
  const ssh = plan.ssh;
  if (ssh === null || ssh.argv === null) return Promise.reject(new TypeError(`dialSsh: the plan is for the ${plan.transport} transport, not +ssh`));
  const argv = [...ssh.argv];
  return dialCommand(argv, {
    signal: options.signal,
    timeout: options.timeout,
    env: commandEnv(options.env ?? process.env, SSH_ENV_PASS),
    label: sshLabel(plan, ssh.username),
    remoteSocket: ssh.socketPath,
  });
}

/** Runs `command=` of an `+ext` plan and resolves with the stream once it runs. */
export function dialExt(plan: RemotePlan, options: SshDialOptions = {}): Promise<CommandStream> {
  const ext = plan.ext;
  if (ext === null) return Promise.reject(new TypeError(`dialExt: the plan is for the ${plan.transport} transport`));
  return dialCommand(ext.argv, {
    signal: options.signal,
    timeout: options.timeout,
    env: commandEnv(options.env ?? process.env),
    label: `ext command ${ext.argv[0]}`,
  });
}
