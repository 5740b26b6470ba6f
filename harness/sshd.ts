/**
 * A real OpenSSH server for the SSH transport tests: Debian's `/usr/sbin/sshd`, run as root on
 * a free port of 127.0.0.1 with its own host key and configuration (`UsePAM no`, public-key
 * login for one user whose `authorized_keys` it writes, optionally password login), plus the
 * client-side pieces a test needs: key pairs made with `ssh-keygen`, a `known_hosts` line for
 * the server, and an `ssh` wrapper that keeps the client away from root's own `~/.ssh`.
 *
 * Nothing outside the server's private dir is changed, except: `/run/sshd` is created (sshd's
 * privilege-separation dir), and when the login user's password field is `!` (a locked account,
 * which sshd refuses without PAM) it is set to `*` (no password, not locked); with
 * `password` the user's password is set.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chownToTestUser, freePort, HarnessError, lookupUser, run, TEST_USER } from './daemon.js';

/** The OpenSSH server binary. */
export const SSHD = '/usr/sbin/sshd';
/** The OpenSSH client binary. */
export const SSH = '/usr/bin/ssh';
/** ssh-keygen. */
export const SSH_KEYGEN = '/usr/bin/ssh-keygen';

/** A key pair made by {@link generateKeyPair}. */
export interface KeyPair {
  /** Private key file (mode 0600, owned by the caller). */
  readonly privatePath: string;
  /** Public key file. */
  readonly publicPath: string;
  /** The public key line (`ssh-ed25519 AAAA... comment`). */
  readonly publicLine: string;
}

/** Makes a key pair `dir/name` (+ `.pub`) with ssh-keygen, encrypted with `passphrase` when given. */
export async function generateKeyPair(dir: string, name: string, type: 'ed25519' | 'rsa' | 'ecdsa' = 'ed25519', passphrase = ''): Promise<KeyPair> {
  fs.mkdirSync(dir, { recursive: true });
  const privatePath = path.join(dir, name);
  fs.rmSync(privatePath, { force: true });
  fs.rmSync(`${privatePath}.pub`, { force: true });
  const r = await run(SSH_KEYGEN, ['-q', '-t', type, '-N', passphrase, '-C', `libvirt-rpc-${name}`, '-f', privatePath], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new HarnessError('HARNESS_SETUP', `ssh-keygen for ${privatePath} failed (code ${r.code}): ${r.stderr.trim()}`);
  return { privatePath, publicPath: `${privatePath}.pub`, publicLine: fs.readFileSync(`${privatePath}.pub`, 'utf8').trim() };
}

/** Options of {@link startSshd}. */
export interface SshdOptions {
  /** The login user (default lvtest). */
  user?: string;
  /** Public key lines to authorize for the user (default: a fresh ed25519 pair, see {@link Sshd.clientKey}). */
  authorizedKeys?: string[];
  /** Also allow password login, with this password (set for the user with chpasswd). */
  password?: string;
  /**
   * Allow keyboard-interactive login (through PAM: `UsePAM yes`, so PAM's "Password:" prompt);
   * the user's password is `password` (which must then be given).
   */
  kbdInteractive?: boolean;
  /** Allow public-key login (default true). */
  pubkey?: boolean;
  /** The host key's type (default ed25519). */
  hostKeyType?: 'ed25519' | 'rsa' | 'ecdsa';
  /** More sshd_config lines. */
  extraConfig?: string[];
  /** Bounded wait for the server to answer with its banner, in ms (default 10 000). */
  startTimeoutMs?: number;
  /** Parent of the server's private dir (default `os.tmpdir()`). */
  baseDir?: string;
  /**
   * Environment for the login sessions (sshd's `SetEnv`): e.g. `XDG_RUNTIME_DIR` of a private
   * daemon, so `virt-ssh-helper qemu:///session` on the far side finds that daemon's socket.
   */
  setEnv?: Record<string, string>;
}

/** A running sshd. */
export interface Sshd {
  /** Private dir: config, host key, authorized_keys, log. */
  readonly dir: string;
  /** `127.0.0.1`. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** The listening sshd's pid. */
  readonly pid: number;
  /** The login user. */
  readonly user: string;
  /** The server's host key pair. */
  readonly hostKey: KeyPair;
  /** The host key as it appears in a known_hosts line: `type base64`. */
  readonly hostKeyText: string;
  /** A client key pair authorized for {@link Sshd.user} (made unless `authorizedKeys` was given; then null). */
  readonly clientKey: KeyPair | null;
  /** The `known_hosts` line for this server: `[127.0.0.1]:PORT <host public key>`. */
  knownHostsLine(): string;
  /** Writes a known_hosts file holding {@link Sshd.knownHostsLine} (or `lines`) and returns its path. */
  writeKnownHosts(file: string, lines?: string[]): string;
  /**
   * Writes an executable `ssh` wrapper (`exec /usr/bin/ssh -F <config> "$@"`) whose config uses
   * `knownHostsFile` as the only known-hosts file, no agent and only the keys given with `-i`, so
   * tests never read or write root's `~/.ssh`. Pass its path as `command=` in `+ssh` URIs.
   */
  sshWrapper(name: string, knownHostsFile: string): string;
  /** Kills the listening sshd and every sshd session process below it (a dropped server). */
  killAll(signal?: NodeJS.Signals): number;
  /** Stops the server and its sessions (SIGTERM, SIGKILL after 5 s) and removes the dir. Idempotent. */
  stop(): Promise<void>;
  /** The last lines of sshd's log. */
  logTail(lines?: number): string;
}

/** Pids of every descendant of `pid` (from /proc). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function killPids(pids: number[], signal: NodeJS.Signals): number {
  let n = 0;
  for (const p of pids) {
    try {
      process.kill(p, signal);
      n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

/** Makes sure sshd (without PAM) lets `user` log in: a locked (`!`) password field becomes `*`; sets `password` when given. */
async function allowLogin(user: string, password: string | undefined): Promise<void> {
  const shadow = fs.readFileSync('/etc/shadow', 'utf8');
  const line = shadow.split('\n').find((l) => l.startsWith(`${user}:`));
  if (line === undefined) throw new HarnessError('HARNESS_SETUP', `user ${user} is not in /etc/shadow`);
  const field = line.split(':')[1] ?? '';
  if (password !== undefined) {
    const r = await run('/usr/sbin/chpasswd', [], { timeoutMs: 10_000, input: `${user}:${password}\n` });
    if (r.code !== 0) throw new HarnessError('HARNESS_SETUP', `chpasswd for ${user} failed: ${r.stderr.trim()}`);
  } else if (field.startsWith('!')) {
    const r = await run('/usr/sbin/usermod', ['-p', '*', user], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new HarnessError('HARNESS_SETUP', `usermod -p '*' ${user} failed: ${r.stderr.trim()}`);
  }
}

/** Resolves true once `host:port` sends an SSH banner, false after `ms`. */
function sshBanner(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, host);
    let buf = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on('error', () => {});
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.startsWith('SSH-')) done(true);
    });
    sock.once('error', () => done(false));
    sock.once('close', () => done(false));
  });
}

const live = new Set<() => void>();
let exitHook = false;

/**
 * Starts sshd on a free port of 127.0.0.1 and waits (bounded) until it sends its banner.
 *
 * @throws HarnessError `HARNESS_START` with sshd's log when it does not come up.
 */
export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  if (process.getuid?.() !== 0) throw new HarnessError('HARNESS_SETUP', 'startSshd needs root (sshd is run as root)');
  const user = options.user ?? TEST_USER;
  lookupUser(user);
  await allowLogin(user, options.password);
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const dir = fs.mkdtempSync(path.join(options.baseDir ?? os.tmpdir(), 'lvrpc-sshd-'));
  fs.chmodSync(dir, 0o755);
  const hostKeyType = options.hostKeyType ?? 'ed25519';
  const hostKey = await generateKeyPair(dir, `ssh_host_${hostKeyType}_key`, hostKeyType);
  const clientKey = options.authorizedKeys ? null : await generateKeyPair(path.join(dir, 'client'), 'id_ed25519');
  const authDir = path.join(dir, 'authorized_keys');
  fs.mkdirSync(authDir, { mode: 0o755 });
  const authFile = path.join(authDir, user);
  fs.writeFileSync(authFile, [...(options.authorizedKeys ?? []), ...(clientKey ? [clientKey.publicLine] : [])].join('\n') + '\n', { mode: 0o644 });
  chownToTestUser(authFile);

  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const logPath = path.join(dir, 'sshd.log');
  const confPath = path.join(dir, 'sshd_config');
  let lastErr = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    fs.writeFileSync(
      confPath,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey.privatePath}`,
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        `UsePAM ${options.kbdInteractive ? 'yes' : 'no'}`,
        `PasswordAuthentication ${options.password !== undefined && !options.kbdInteractive ? 'yes' : 'no'}`,
        `KbdInteractiveAuthentication ${options.kbdInteractive ? 'yes' : 'no'}`,
        `PubkeyAuthentication ${options.pubkey === false ? 'no' : 'yes'}`,
        `AuthorizedKeysFile ${path.join(authDir, '%u')}`,
        'StrictModes no', // the files live under /tmp, which StrictModes would reject
        `AllowUsers ${user}`,
        'PermitRootLogin no',
        'UseDNS no',
        'PrintMotd no',
        'LogLevel VERBOSE',
        'MaxStartups 50',
        ...(options.extraConfig ?? []),
        ...(options.setEnv && Object.keys(options.setEnv).length
          ? [
              `SetEnv ${Object.entries(options.setEnv)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ')}`,
            ]
          : []),
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const logFd = fs.openSync(logPath, 'a', 0o644);
    let child: ChildProcess;
    try {
      child = spawn(SSHD, ['-D', '-e', '-f', confPath], { stdio: ['ignore', logFd, logFd], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' } });
    } finally {
      fs.closeSync(logFd);
    }
    let exited = false;
    const exitedP = new Promise<void>((resolve) => {
      child.once('exit', () => {
        exited = true;
        resolve();
      });
      child.once('error', () => {
        exited = true;
        resolve();
      });
    });
    const pid = child.pid ?? -1;
    const killAll = (signal: NodeJS.Signals = 'SIGKILL'): number => killPids([...descendants(pid), pid], signal);
    const emergency = (): void => void killAll('SIGKILL');
    live.add(emergency);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const f of live) f();
      });
    }
    const deadline = Date.now() + startTimeoutMs;
    let up = false;
    while (!exited && Date.now() < deadline) {
      if (await sshBanner('127.0.0.1', port, 500)) {
        up = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const logTail = (lines = 40): string => {
      try {
        return fs.readFileSync(logPath, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    };
    if (!up) {
      killAll('SIGKILL');
      live.delete(emergency);
      lastErr = logTail();
      if (/Address already in use/i.test(lastErr)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      throw new HarnessError(
        'HARNESS_START',
        `sshd on 127.0.0.1:${port} did not come up within ${startTimeoutMs} ms (${exited ? 'it exited' : 'no banner'})\n--- ${logPath} ---\n${lastErr}`,
      );
    }
    let stopping: Promise<void> | undefined;
    const hostPub = hostKey.publicLine.split(' ').slice(0, 2).join(' ');
    return {
      dir,
      host: '127.0.0.1',
      port,
      pid,
      user,
      hostKey,
      hostKeyText: hostPub,
      clientKey,
      knownHostsLine: () => `[127.0.0.1]:${port} ${hostPub}`,
      writeKnownHosts(file, lines) {
        fs.writeFileSync(file, (lines ?? [`[127.0.0.1]:${port} ${hostPub}`]).join('\n') + '\n', { mode: 0o644 });
        return file;
      },
      sshWrapper(name, knownHostsFile) {
        const cfg = path.join(dir, `${name}.ssh_config`);
        fs.writeFileSync(
          cfg,
          [
            'Host *',
            `  UserKnownHostsFile ${knownHostsFile}`,
            '  GlobalKnownHostsFile /dev/null',
            '  IdentitiesOnly yes',
            '  IdentityAgent none',
            '  ConnectTimeout 10',
            '  LogLevel ERROR',
            '',
          ].join('\n'),
          { mode: 0o644 },
        );
        const script = path.join(dir, name);
        fs.writeFileSync(script, `#!/bin/sh\nexec ${SSH} -F ${cfg} "$@"\n`, { mode: 0o755 });
        return script;
      },
      killAll,
      stop() {
        stopping ??= (async () => {
          killAll('SIGTERM');
          const timer = new Promise<boolean>((r) => setTimeout(() => r(false), 5000));
          const ok = await Promise.race([exitedP.then(() => true), timer]);
          if (!ok) killAll('SIGKILL');
          killPids(descendants(pid), 'SIGKILL');
          live.delete(emergency);
          fs.rmSync(dir, { recursive: true, force: true });
        })();
        return stopping;
      },
      logTail,
    };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw new HarnessError('HARNESS_START', `sshd could not get a free port after 3 attempts\n${lastErr}`);
}

/** A running `ssh-agent` of a test's own. */
export interface SshAgent {
  /** Its socket (`SSH_AUTH_SOCK`). */
  readonly socket: string;
  /** Adds a private key with `ssh-add` (an encrypted key needs its passphrase through SSH_ASKPASS: not supported). */
  add(privateKeyPath: string): Promise<void>;
  /** Stops the agent. Idempotent. */
  stop(): Promise<void>;
}

/** Starts OpenSSH's `ssh-agent -D -a <dir>/agent.sock` and waits (bounded) for its socket. */
export async function startSshAgent(dir: string): Promise<SshAgent> {
  fs.mkdirSync(dir, { recursive: true });
  const socket = path.join(dir, 'agent.sock');
  fs.rmSync(socket, { force: true });
  const child = spawn('/usr/bin/ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  const emergency = (): void => void child.kill('SIGKILL');
  live.add(emergency);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const f of live) f();
    });
  }
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(socket)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new HarnessError('HARNESS_START', `ssh-agent did not create ${socket} within 10 s`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  let stopped: Promise<void> | undefined;
  return {
    socket,
    async add(key) {
      const r = await run('/usr/bin/ssh-add', ['-q', key], { timeoutMs: 10_000, env: { PATH: '/usr/bin:/bin', SSH_AUTH_SOCK: socket } });
      if (r.code !== 0) throw new HarnessError('HARNESS_SETUP', `ssh-add ${key} failed (code ${r.code}): ${r.stderr.trim()}`);
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        live.delete(emergency);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
}
