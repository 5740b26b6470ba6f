/**
 * Private libvirtd daemons for the integration suite.
 *
 * Each daemon is an unprivileged ("session") libvirtd run as the `lvtest` user, with every piece
 * of state (config, sockets, caches, QEMU guests' files, logs) inside one private temp dir, a
 * unix socket in that dir and a TCP listener on 127.0.0.1 at a free port. Several daemons can
 * run at once. See harness/README.md.
 *
 * @module
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** Name of the unprivileged user the daemons run as (created by harness/install.sh). */
export const TEST_USER = 'lvtest';

/** Path of the libvirtd binary (Debian puts it in /usr/sbin). */
export const LIBVIRTD = '/usr/sbin/libvirtd';

/** The virsh binary used for the readiness check. */
export const VIRSH = '/usr/bin/virsh';

/** Debian's Python (not a pyenv one from PATH): runs the reaper and the python3-libvirt oracle. */
export const PYTHON = '/usr/bin/python3';

/**
 * The process libvirtd runs under: a child subreaper (prctl PR_SET_CHILD_SUBREAPER) that forks
 * libvirtd (its stdout joined to stderr), reports `pid N` and later `exit C` on its stdout,
 * reaps every orphaned descendant (QEMU guests, helpers) and exits when none is left.
 */
const REAPER_PY = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(36, 1, 0, 0, 0) != 0:
    sys.stderr.write("reaper: prctl(PR_SET_CHILD_SUBREAPER) failed\\n")
out = os.fdopen(1, "w", buffering=1)
pid = os.fork()
if pid == 0:
    try:
        os.dup2(2, 1)
        os.execv(sys.argv[1], sys.argv[1:])
    except BaseException as e:
        sys.stderr.write("reaper: exec %s failed: %s\\n" % (sys.argv[1], e))
    os._exit(127)
out.write("pid %d\\n" % pid)
while True:
    try:
        p, status = os.wait()
    except ChildProcessError:
        break
    if p == pid:
        out.write("exit %d\\n" % os.waitstatus_to_exitcode(status))
`;

function signalName(n: number): NodeJS.Signals | null {
  for (const [name, num] of Object.entries(os.constants.signals)) {
    if (num === n) return name as NodeJS.Signals;
  }
  return null;
}

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
  throw new HarnessError(
    'HARNESS_SETUP',
    `user '${name}' does not exist: run 'bash harness/install.sh' as root first`,
  );
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
export async function canConnect(
  target: { path: string } | { host: string; port: number },
  timeoutMs = 1000,
): Promise<boolean> {
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

// ---------------------------------------------------------------------------------------------
// Bookkeeping: every daemon this process started is killed when it exits, however it exits, and
// daemons left behind by crashed runs (their owner process is gone) are reaped at the next start.

const DIR_PREFIX = 'lvrpc-';
const OWNER_FILE = 'harness-owner.json';
const live = new Set<{ pid: number; reaperPid: number; dir: string; keep: boolean }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const d of live) {
      // Not the reaper: it reaps the guests killed here, then exits by itself.
      try {
        process.kill(d.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      killLeftovers(d.dir, 'SIGKILL', [d.reaperPid]);
      if (!d.keep) fs.rmSync(d.dir, { recursive: true, force: true });
    }
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Processes (other than `exceptPid`) whose command line or environment mentions `dir`: QEMU
 * guests and helpers (virtlogd, …) a daemon started. */
function processesUsing(dir: string, exceptPids: number[] = []): number[] {
  const needle = Buffer.from(dir + '/');
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid || exceptPids.includes(pid)) continue;
    for (const f of ['cmdline', 'environ']) {
      try {
        const b = fs.readFileSync(`/proc/${pid}/${f}`);
        if (b.includes(needle)) {
          out.push(pid);
          break;
        }
      } catch {
        /* gone or not ours */
      }
    }
  }
  return out;
}

function killLeftovers(dir: string, signal: NodeJS.Signals, exceptPids: number[] = []): number[] {
  const pids = processesUsing(dir, exceptPids);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** Stops daemons (and their guests) whose owning test process no longer exists, and removes
 * their dirs. Called by {@link startPrivateDaemon}; cheap when there is nothing to reap. */
export function reapStaleDaemons(baseDir: string = chooseBaseDir()): void {
  let names: string[];
  try {
    names = fs.readdirSync(baseDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(baseDir, name);
    let owner: { ownerPid?: number; keep?: boolean };
    try {
      owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8')) as typeof owner;
    } catch {
      continue;
    }
    if (typeof owner.ownerPid !== 'number' || isAlive(owner.ownerPid)) continue;
    killLeftovers(dir, 'SIGKILL');
    if (!owner.keep) fs.rmSync(dir, { recursive: true, force: true });
    else fs.rmSync(path.join(dir, OWNER_FILE), { force: true });
  }
}

// ---------------------------------------------------------------------------------------------

/** Longest unix socket path the harness accepts (sun_path is 108 bytes with the NUL). */
const MAX_SOCK_PATH = 100;

function reachableByOthers(dir: string): boolean {
  // Every ancestor must be searchable by "other" (lvtest is neither owner nor group of root dirs).
  let p = path.resolve(dir);
  for (;;) {
    try {
      if ((fs.statSync(p).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = path.dirname(p);
    if (parent === p) return true;
    p = parent;
  }
}

function chooseBaseDir(requested?: string): string {
  const candidate = requested ?? process.env.LIBVIRT_TEST_TMPDIR ?? os.tmpdir();
  if (requested) return candidate;
  // `<base>/lvrpc-<label>-XXXXXX/run/libvirt/libvirt-admin-sock` must fit in sun_path.
  const longest = path.join(candidate, `${DIR_PREFIX}xxxxxxxxxxxx-XXXXXX`, 'run/libvirt/libvirt-admin-sock');
  if (longest.length > MAX_SOCK_PATH || !reachableByOthers(candidate)) return '/tmp';
  return candidate;
}

function confString(s: string): string {
  return JSON.stringify(s); // libvirt conf strings are double-quoted with C-like escapes
}

function tailFile(file: string, lines: number): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${(e as Error).message})`;
  }
}

const SAFE_PATH = /^[A-Za-z0-9/._+-]+$/;

function assertSafePath(p: string, what: string): void {
  if (!path.isAbsolute(p) || !SAFE_PATH.test(p)) {
    throw new HarnessError('HARNESS_SETUP', `${what} must be an absolute path of [A-Za-z0-9/._+-]: ${p}`);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `p`'s value, or undefined if it takes longer than `ms` (the timer never outlives the call). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a private session libvirtd as {@link TEST_USER}, waits (bounded) until its unix socket
 * and TCP port accept connections and `virsh version` answers through it, and returns its handle.
 * Retries with another port if the picked one was taken meanwhile.
 *
 * @throws HarnessError `HARNESS_START` naming what did not come up, with the tail of its log.
 */
export async function startPrivateDaemon(options: PrivateDaemonOptions = {}): Promise<PrivateDaemon> {
  const attempts = 3;
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await startOnce(options);
    } catch (e) {
      lastErr = e;
      if (!(e instanceof HarnessError) || !/Address already in use/i.test(e.message)) throw e;
    }
  }
  throw lastErr;
}

async function startOnce(options: PrivateDaemonOptions): Promise<PrivateDaemon> {
  const user = lookupUser();
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const keep = options.keepDir ?? process.env.LIBVIRT_TEST_KEEP_DIR === '1';
  const baseDir = chooseBaseDir(options.baseDir);
  reapStaleDaemons(baseDir);

  const label = (options.label ?? 'd').replace(/[^A-Za-z0-9]/g, '').slice(0, 12) || 'd';
  const dir = fs.mkdtempSync(path.join(baseDir, `${DIR_PREFIX}${label}-`));
  assertSafePath(dir, 'daemon dir');
  fs.chmodSync(dir, 0o755);
  const xdg = {
    XDG_RUNTIME_DIR: path.join(dir, 'run'),
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_CACHE_HOME: path.join(dir, 'cache'),
    XDG_DATA_HOME: path.join(dir, 'data'),
  };
  const sockDir = path.join(xdg.XDG_RUNTIME_DIR, 'libvirt');
  const socketPath = path.join(sockDir, 'libvirt-sock');
  if (socketPath.length > MAX_SOCK_PATH) {
    throw new HarnessError('HARNESS_SETUP', `socket path too long (${socketPath.length} bytes): ${socketPath}`);
  }
  const logPath = path.join(dir, 'libvirtd.log');
  const stdioPath = path.join(dir, 'stdio.log');
  const confPath = path.join(dir, 'libvirtd.conf');
  const tcpPort = await freePort();

  const logLevel = options.logLevel ?? (Number(process.env.LIBVIRT_TEST_LOG_LEVEL) || 3);
  const logFilters = options.logFilters ?? process.env.LIBVIRT_TEST_LOG_FILTERS;
  const conf = new Map<string, string>([
    ['listen_tls', options.listenTls ? '1' : '0'],
    ['listen_tcp', '1'],
    ['listen_addr', confString('127.0.0.1')],
    ['tcp_port', confString(String(tcpPort))],
    ['auth_tcp', confString('none')],
    ['auth_unix_rw', confString('none')],
    ['auth_unix_ro', confString('none')],
    ['unix_sock_dir', confString(sockDir)],
    ['log_level', String(logLevel)],
    ['log_outputs', confString(`${logLevel}:file:${logPath}`)],
  ]);
  if (logFilters) conf.set('log_filters', confString(logFilters));
  for (const [k, v] of Object.entries(options.confOverrides ?? {})) conf.set(k, v);
  const confText =
    [...conf].map(([k, v]) => `${k} = ${v}`).join('\n') + '\n' + (options.extraConf ?? []).join('\n') + '\n';

  for (const d of [...Object.values(xdg), path.join(xdg.XDG_CONFIG_HOME, 'libvirt')]) {
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  }
  fs.writeFileSync(confPath, confText, { mode: 0o644 });
  // QEMU session driver: log guests' stdio to plain files (no virtlogd left running after us).
  const qemuConf = ['stdio_handler = "file"', ...(options.extraQemuConf ?? [])].join('\n') + '\n';
  fs.writeFileSync(path.join(xdg.XDG_CONFIG_HOME, 'libvirt', 'qemu.conf'), qemuConf, { mode: 0o644 });
  fs.writeFileSync(
    path.join(dir, OWNER_FILE),
    JSON.stringify({ ownerPid: process.pid, keep, startedAt: new Date().toISOString() }) + '\n',
  );
  // Everything in the dir belongs to lvtest.
  for (const p of [dir, confPath, path.join(dir, OWNER_FILE), ...Object.values(xdg),
    path.join(xdg.XDG_CONFIG_HOME, 'libvirt'), path.join(xdg.XDG_CONFIG_HOME, 'libvirt', 'qemu.conf')]) {
    fs.chownSync(p, user.uid, user.gid);
  }

  const daemonEnv: NodeJS.ProcessEnv = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: dir,
    USER: TEST_USER,
    LOGNAME: TEST_USER,
    LANG: 'C.UTF-8',
    ...xdg,
    ...options.env,
  };
  const reaperPath = path.join(dir, 'reaper.py');
  fs.writeFileSync(reaperPath, REAPER_PY, { mode: 0o644 });
  const stdioFd = fs.openSync(stdioPath, 'a', 0o644);
  let child: ChildProcess;
  try {
    // libvirtd runs under a tiny reaper (see REAPER_PY): QEMU guests are daemonized by libvirt
    // and would otherwise be re-parented to this machine's pid 1, which does not reap them.
    child = spawn(PYTHON, ['-I', reaperPath, LIBVIRTD, '--listen', '-f', confPath], {
      cwd: dir,
      env: daemonEnv,
      uid: user.uid,
      gid: user.gid, // libuv also drops supplementary groups (setgroups(0)) when we are root
      stdio: ['ignore', 'pipe', stdioFd],
      detached: false,
    });
  } finally {
    fs.closeSync(stdioFd);
  }
  let spawnError: Error | undefined;
  const reaperExited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (e) => {
      spawnError = e;
      resolve({ code: null, signal: null });
    });
  });
  // The reaper reports `pid N` when libvirtd is forked and `exit C` (C < 0: killed by signal -C)
  // when libvirtd ends; it itself ends once every descendant (guests, helpers) is gone.
  let resolvePid!: (pid: number) => void;
  const pidReported = new Promise<number>((r) => (resolvePid = r));
  let resolveExit!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (resolveExit = r));
  let buf = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      const m = /^(pid|exit) (-?\d+)$/.exec(line);
      if (!m) continue;
      const n = Number(m[2]);
      if (m[1] === 'pid') resolvePid(n);
      else if (n >= 0) resolveExit({ code: n, signal: null });
      else resolveExit({ code: null, signal: signalName(-n) });
    }
  });
  void reaperExited.then((r) => {
    resolvePid(-1);
    resolveExit(r); // no-op if libvirtd's own exit was reported
  });
  let running = true;
  void exited.then(() => {
    running = false;
  });
  const deadline = Date.now() + startTimeoutMs;
  const remaining = () => deadline - Date.now();
  const pid = (await within(pidReported, startTimeoutMs)) ?? -1;
  const reaperPid = child.pid ?? -1;
  const rec = { pid, reaperPid, dir, keep };
  live.add(rec);
  installExitHook();
  if (pid <= 0) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
    killLeftovers(dir, 'SIGKILL'); // a libvirtd forked just now
    live.delete(rec);
    const why = spawnError
      ? `could not spawn ${PYTHON}: ${spawnError.message}`
      : `did not come up within ${startTimeoutMs} ms: the reaper (${PYTHON}) did not report libvirtd's pid`;
    const tail = tailFile(stdioPath, 40);
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    throw new HarnessError('HARNESS_START', `private libvirtd (${dir}): ${why}\n--- stdio ---\n${tail}`);
  }

  const logTail = (lines = 40): string =>
    `--- ${logPath} (last ${lines} lines) ---\n${tailFile(logPath, lines)}\n` +
    `--- ${stdioPath} ---\n${tailFile(stdioPath, lines)}`;

  const uris: DaemonUris = {
    qemuSessionUnix: `qemu+unix:///session?socket=${socketPath}`,
    qemuSessionTcp: `qemu+tcp://127.0.0.1:${tcpPort}/session`,
    testDefaultUnix: `test+unix:///default?socket=${socketPath}`,
    testDefaultTcp: `test+tcp://127.0.0.1:${tcpPort}/default`,
  };
  const env: Record<string, string> = { ...xdg, LIBVIRT_AUTOSTART: '0' };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (running) {
        try {
          process.kill(pid, 'SIGCONT'); // a SIGSTOPped daemon cannot act on SIGTERM
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
        const termed = (await within(exited, stopTimeoutMs)) !== undefined;
        if (!termed) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          const killed = (await within(exited, 5000)) !== undefined;
          if (!killed) {
            throw new HarnessError('HARNESS_STOP', `libvirtd pid ${pid} (${dir}) survived SIGKILL for 5 s`);
          }
        }
      }
      // Guests and helpers the daemon started outlive it: end them too.
      // (Not the reaper: it must outlive them to reap them.)
      const spare = [pid, reaperPid];
      if (killLeftovers(dir, 'SIGTERM', spare).length > 0) {
        const deadline = Date.now() + 3000;
        while (processesUsing(dir, spare).length > 0 && Date.now() < deadline) await sleep(50);
        killLeftovers(dir, 'SIGKILL', spare);
      }
      // The reaper ends once every descendant is gone.
      const reaped = (await within(reaperExited, 3000)) !== undefined;
      if (!reaped) {
        try {
          process.kill(reaperPid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      live.delete(rec);
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      else fs.rmSync(path.join(dir, OWNER_FILE), { force: true });
    })();
    return stopping;
  };

  const fail = async (what: string, cause?: unknown): Promise<never> => {
    const tail = logTail();
    await stop().catch(() => {});
    throw new HarnessError(
      'HARNESS_START',
      `private libvirtd (${dir}, pid ${pid}, tcp port ${tcpPort}): ${what}\n${tail}`,
      cause === undefined ? undefined : { cause },
    );
  };

  // Bounded wait: process alive, unix socket + TCP port accept, then virsh answers.
  let unixOk = false;
  let tcpOk = false;
  while (!(unixOk && tcpOk)) {
    if (spawnError) return await fail(`could not spawn ${LIBVIRTD}: ${spawnError.message}`, spawnError);
    if (!running) {
      const r = await exited;
      const tail = tailFile(logPath, 40) + tailFile(stdioPath, 40);
      const inUse = /Address already in use/i.test(tail) ? ' (Address already in use)' : '';
      return await fail(`exited during start-up (code ${r.code}, signal ${r.signal})${inUse}`);
    }
    if (remaining() <= 0) {
      return await fail(
        `did not come up within ${startTimeoutMs} ms: ` +
          `unix socket ${socketPath} ${unixOk ? 'accepts' : 'does NOT accept'} connections, ` +
          `TCP 127.0.0.1:${tcpPort} ${tcpOk ? 'accepts' : 'does NOT accept'} connections`,
      );
    }
    if (!unixOk && fs.existsSync(socketPath)) unixOk = await canConnect({ path: socketPath }, 500);
    if (!tcpOk) tcpOk = await canConnect({ host: '127.0.0.1', port: tcpPort }, 500);
    if (!(unixOk && tcpOk)) await sleep(50);
  }
  const probes = [uris.testDefaultUnix, ...(options.warmQemu ? [uris.qemuSessionUnix] : [])];
  for (const uri of probes) {
    const r = await run(VIRSH, ['-q', '-c', uri, 'version'], {
      env: clientEnv(),
      timeoutMs: Math.max(1000, remaining()),
    });
    if (r.code !== 0) {
      return await fail(
        `'virsh -c ${uri} version' ${r.timedOut ? 'timed out' : `failed (code ${r.code})`}: ${r.stderr.trim() || r.error?.message || ''}`,
      );
    }
  }

  const sockOrNull = (name: string) => {
    const p = path.join(sockDir, name);
    return fs.existsSync(p) ? p : null;
  };

  const info = (): PrivateDaemonInfo => ({
    dir,
    pid,
    socketPath,
    roSocketPath: sockOrNull('libvirt-sock-ro'),
    adminSocketPath: sockOrNull('libvirt-admin-sock'),
    tcpPort,
    logPath,
    env,
    uris,
  });

  return {
    ...info(),
    exited,
    testDriverUri(nodeXmlPath: string, transport: DaemonTransport): string {
      return testDriverUriFor({ socketPath, tcpPort }, nodeXmlPath, transport);
    },
    stop,
    kill(signal: NodeJS.Signals): void {
      process.kill(pid, signal);
    },
    isRunning: () => running,
    logTail,
    info,
  };
}

/** The test-driver URI for a node XML file on a daemon reachable at `socketPath` / `tcpPort`. */
export function testDriverUriFor(
  endpoint: { socketPath: string; tcpPort: number },
  nodeXmlPath: string,
  transport: DaemonTransport,
): string {
  assertSafePath(nodeXmlPath, 'node XML path');
  return transport === 'unix'
    ? `test+unix://${nodeXmlPath}?socket=${endpoint.socketPath}`
    : `test+tcp://127.0.0.1:${endpoint.tcpPort}${nodeXmlPath}`;
}
