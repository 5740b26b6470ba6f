/**
 * What the parts of the daemon harness share: the programs it runs, its error, the daemon's
 * options and handle types, and small process and socket helpers (also used by tests).
 *
 * @module
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';

/** Name of the unprivileged user the daemons run as (created by harness/install.sh). */
export const TEST_USER = 'lvtest';

/** Path of the libvirtd binary (Debian puts it in /usr/sbin). */
export const LIBVIRTD = '/usr/sbin/libvirtd';

/** The virsh binary used for the readiness check. */
export const VIRSH = '/usr/bin/virsh';

/** Debian's Python (not a pyenv one from PATH): runs the reaper and the python3-libvirt oracle. */
export const PYTHON = '/usr/bin/python3';

/** Transports the harness daemons listen on. */
export type DaemonTransport = 'unix' | 'tcp';

/** Options for {@link startPrivateDaemon}. */
export interface PrivateDaemonOptions {
  /** Bounded wait for the daemon to come up, in ms (default 20 000). */
  startTimeoutMs?: number;
  /** Bounded wait for the daemon to exit after SIGTERM before SIGKILL, in ms (default 10 000). */
  stopTimeoutMs?: number;
  /**
   * Extra libvirtd.conf lines appended after the harness's own. They must not repeat a key the
   * harness sets: use {@link PrivateDaemonOptions.confOverrides} to replace one of those.
   */
  extraConf?: string[];
  /**
   * Values that replace the harness's own libvirtd.conf settings, key → raw conf value (already
   * quoted for strings: `{ auth_unix_rw: '"sasl"' }`). A key the harness does not set is added.
   */
  confOverrides?: Record<string, string>;
  /** Extra lines for the session QEMU driver's qemu.conf (`$XDG_CONFIG_HOME/libvirt/qemu.conf`). */
  extraQemuConf?: string[];
  /** Extra environment for the daemon (e.g. `SASL_CONF_PATH`). */
  env?: Record<string, string>;
  /** Listen for TLS too (`listen_tls = 1`). The caller must provide the `tls_port`, `ca_file`,
   * `cert_file`, `key_file` settings via {@link PrivateDaemonOptions.confOverrides}; the harness picks no TLS port. */
  listenTls?: boolean;
  /** Also open a QEMU session connection during start-up, so the (slow, ~3 s) QEMU capability
   * probe happens now rather than in the first test that uses QEMU. Default false. */
  warmQemu?: boolean;
  /** libvirt log level for the daemon's log file (1 debug … 4 error; default 3, or
   * `LIBVIRT_TEST_LOG_LEVEL`). */
  logLevel?: 1 | 2 | 3 | 4;
  /** libvirt `log_filters` value (default none, or `LIBVIRT_TEST_LOG_FILTERS`). */
  logFilters?: string;
  /** Keep the dir (and so the log) after {@link PrivateDaemon.stop} (default: env
   * `LIBVIRT_TEST_KEEP_DIR=1`). */
  keepDir?: boolean;
  /** Parent dir of the daemon's private dir (default `LIBVIRT_TEST_TMPDIR`, else `os.tmpdir()`,
   * else `/tmp` when that is too long for a unix socket path or not reachable by lvtest). */
  baseDir?: string;
  /** A short label put in the dir name, for humans reading `ps`/`ls`. */
  label?: string;
}

/** The URIs of a private daemon. */
export interface DaemonUris {
  /** `qemu+unix:///session?socket=…` */
  qemuSessionUnix: string;
  /** `qemu+tcp://127.0.0.1:PORT/session` */
  qemuSessionTcp: string;
  /** `test+unix:///default?socket=…` (state shared by every connection to this daemon) */
  testDefaultUnix: string;
  /** `test+tcp://127.0.0.1:PORT/default` */
  testDefaultTcp: string;
}

/** The serialisable description of a running private daemon. */
export interface PrivateDaemonInfo {
  /** The daemon's private dir (owned by lvtest). */
  dir: string;
  /** libvirtd's pid (the real daemon, not a wrapper: signals go straight to it). */
  pid: number;
  /** The read-write socket, `<dir>/run/libvirt/libvirt-sock`. */
  socketPath: string;
  /** The read-only socket if the daemon made one (a session daemon does not), else null. */
  roSocketPath: string | null;
  /** The admin socket if the daemon made one, else null. */
  adminSocketPath: string | null;
  /** TCP port on 127.0.0.1 (auth none unless overridden). */
  tcpPort: number;
  /** The daemon's log file (libvirt's log_outputs; stdout/stderr are in `<dir>/stdio.log`). */
  logPath: string;
  /** Environment a C client (virsh, python3-libvirt) needs for `qemu:///session` to reach this
   * daemon without a socket parameter: the XDG_* dirs and `LIBVIRT_AUTOSTART=0`. */
  env: Record<string, string>;
  /** The standard URIs of this daemon. */
  uris: DaemonUris;
}

/** A running private daemon. */
export interface PrivateDaemon extends PrivateDaemonInfo {
  /** A test-driver URI with private state: every connection opened to it loads `nodeXmlPath`
   * afresh (which must be an absolute path readable by lvtest; see harness/test-driver.ts). */
  testDriverUri(nodeXmlPath: string, transport: DaemonTransport): string;
  /** SIGTERM, then SIGKILL after a bounded wait; kills QEMU/helper processes the daemon left,
   * removes the dir (unless kept). Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal to libvirtd (`SIGKILL`, `SIGSTOP`, `SIGCONT`, …). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when libvirtd has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether libvirtd is still running. */
  isRunning(): boolean;
  /** The last `lines` lines of the daemon's log and stdio. */
  logTail(lines?: number): string;
  /** The serialisable part of this handle (for vitest's `provide`). */
  info(): PrivateDaemonInfo;
}

/** Thrown when a daemon does not come up or cannot be stopped. */
export class HarnessError extends Error {
  /** Stable code: `HARNESS_START`, `HARNESS_STOP`, `HARNESS_SETUP`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HarnessError';
    this.code = code;
  }
}

/** uid/gid/home of a local user, from /etc/passwd. */
export interface UserIds {
  uid: number;
  gid: number;
  home: string;
}

/** Looks up a local user in /etc/passwd (no NSS; the harness only uses a local user). */
export function lookupUser(name: string = TEST_USER): UserIds {
  const passwd = fs.readFileSync('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 7) {
      return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' };
    }
  }
  throw new HarnessError('HARNESS_SETUP', `user '${name}' does not exist: run 'bash harness/install.sh' as root first`);
}

/** Makes `p` owned by the test user when we are root (no-op otherwise). */
export function chownToTestUser(p: string): void {
  if (process.getuid?.() !== 0) return;
  const u = lookupUser();
  fs.chownSync(p, u.uid, u.gid);
}

/** Picks a free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves true when a connection to `target` is accepted within `timeoutMs`. */
export async function canConnect(target: { path: string } | { host: string; port: number }, timeoutMs = 1000): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const sock = 'path' in target ? net.connect(target.path) : net.connect(target.port, target.host);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on('error', () => {});
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Runs a program with a hard timeout; resolves with its output, never rejects. */
export async function run(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs: number; input?: string; cwd?: string },
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean; error?: Error }> {
  return await new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        env: opts.env,
        cwd: opts.cwd,
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string }) | null;
        const timedOut = Boolean(e?.killed) && e?.signal === 'SIGKILL';
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
          timedOut,
          ...(e && typeof e.code === 'string' ? { error: e } : {}),
        });
      },
    );
    // A program may exit before reading its input (virsh with nothing to read): EPIPE is no error here.
    child.stdin?.on('error', () => {});
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Environment for C clients run by the harness: the caller's, minus things that would send
 * them elsewhere (pyenv's Python variables, LIBVIRT_DEFAULT_URI), never autostarting a daemon. */
export function clientEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['PYTHONPATH', 'PYTHONHOME', 'PYENV_VERSION', 'LIBVIRT_DEFAULT_URI']) delete env[k];
  env.LIBVIRT_AUTOSTART = '0';
  env.LC_ALL = 'C.UTF-8';
  return { ...env, ...extra };
}

/** The name of signal number `n`, or null. */
export function signalName(n: number): NodeJS.Signals | null {
  for (const [name, num] of Object.entries(os.constants.signals)) {
    if (num === n) return name as NodeJS.Signals;
  }
  return null;
}

/** The last `lines` lines of `file` (or why it cannot be read). */
export function tailFile(file: string, lines: number): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${(e as Error).message})`;
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `p`'s value, or undefined if it takes longer than `ms` (the timer never outlives the call). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
