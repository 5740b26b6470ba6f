/**
 * A private daemon's directory and configuration: where it lives (short enough for unix socket
 * paths, reachable by the test user), libvirtd.conf, the session QEMU driver's qemu.conf and the
 * owner file, all owned by the test user.
 *
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DIR_PREFIX, OWNER_FILE } from './bookkeeping.js';
import { freePort, HarnessError, type PrivateDaemonOptions, type UserIds } from './common.js';

/** Longest unix socket path the harness accepts (sun_path is 108 bytes with the NUL). */
export const MAX_SOCK_PATH = 100;

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

/** The parent dir of daemon dirs (see {@link PrivateDaemonOptions.baseDir}). */
export function chooseBaseDir(requested?: string): string {
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

const SAFE_PATH = /^[A-Za-z0-9/._+-]+$/;

/** Throws unless `p` is an absolute path of safe characters (it goes into URIs and conf files). */
export function assertSafePath(p: string, what: string): void {
  if (!path.isAbsolute(p) || !SAFE_PATH.test(p)) {
    throw new HarnessError('HARNESS_SETUP', `${what} must be an absolute path of [A-Za-z0-9/._+-]: ${p}`);
  }
}

/** Where a private daemon's files are. */
export interface DaemonLayout {
  /** The daemon's private dir. */
  readonly dir: string;
  /** `XDG_RUNTIME_DIR`, `XDG_CONFIG_HOME`, `XDG_CACHE_HOME`, `XDG_DATA_HOME`, all inside `dir`. */
  readonly xdg: Readonly<Record<'XDG_RUNTIME_DIR' | 'XDG_CONFIG_HOME' | 'XDG_CACHE_HOME' | 'XDG_DATA_HOME', string>>;
  /** `unix_sock_dir`. */
  readonly sockDir: string;
  /** The read-write socket. */
  readonly socketPath: string;
  /** libvirt's log file. */
  readonly logPath: string;
  /** libvirtd's stdout and stderr. */
  readonly stdioPath: string;
  /** libvirtd.conf. */
  readonly confPath: string;
  /** The TCP port on 127.0.0.1. */
  readonly tcpPort: number;
  /** Keep the dir after stopping. */
  readonly keep: boolean;
}

/**
 * Makes the daemon's private dir under `baseDir` and writes its configuration: libvirtd.conf
 * (TCP on 127.0.0.1 at a free port, auth none, sockets and logs inside the dir, then the
 * caller's overrides and extra lines), qemu.conf (guest stdio to files) and the owner file.
 */
export async function writeDaemonConfig(options: PrivateDaemonOptions, user: UserIds, baseDir: string): Promise<DaemonLayout> {
  const keep = options.keepDir ?? process.env.LIBVIRT_TEST_KEEP_DIR === '1';
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
  const confText = [...conf].map(([k, v]) => `${k} = ${v}`).join('\n') + '\n' + (options.extraConf ?? []).join('\n') + '\n';

  for (const d of [...Object.values(xdg), path.join(xdg.XDG_CONFIG_HOME, 'libvirt')]) {
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  }
  fs.writeFileSync(confPath, confText, { mode: 0o644 });
  // QEMU session driver: log guests' stdio to plain files (no virtlogd left running after us).
  const qemuConf = ['stdio_handler = "file"', ...(options.extraQemuConf ?? [])].join('\n') + '\n';
  fs.writeFileSync(path.join(xdg.XDG_CONFIG_HOME, 'libvirt', 'qemu.conf'), qemuConf, { mode: 0o644 });
  fs.writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify({ ownerPid: process.pid, keep, startedAt: new Date().toISOString() }) + '\n');
  // Everything in the dir belongs to lvtest.
  for (const p of [
    dir,
    confPath,
    path.join(dir, OWNER_FILE),
    ...Object.values(xdg),
    path.join(xdg.XDG_CONFIG_HOME, 'libvirt'),
    path.join(xdg.XDG_CONFIG_HOME, 'libvirt', 'qemu.conf'),
  ]) {
    fs.chownSync(p, user.uid, user.gid);
  }

  return { dir, xdg, sockDir, socketPath, logPath, stdioPath, confPath, tcpPort, keep };
}
