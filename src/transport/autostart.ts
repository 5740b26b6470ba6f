/**
 * Session daemon autostart: what libvirt's client does when a per-user unix
 * socket is missing (src/rpc/virnetsocket.c, virNetSocketNewConnectUNIX with a
 * daemon path; src/remote/remote_sockets.c, remoteGetUNIXSocket; read for the
 * facts, nothing copied).
 *
 * libvirt starts the daemon only for an unprivileged client, a unix transport
 * with no host, a `/session` path (or `test+...` scheme, or no URI at all),
 * no `socket=` parameter, and `LIBVIRT_AUTOSTART` not `0`
 * ({@link RemotePlan.autostart}). Then, while connecting fails with `ENOENT`
 * or `ECONNREFUSED`, it:
 *
 * - creates the runtime directory (`$XDG_RUNTIME_DIR/libvirt`, mode 0700);
 * - runs `<daemon> --timeout=120` once, detached, with the common child
 *   environment plus `XDG_CACHE_HOME`, `XDG_CONFIG_HOME` and `XDG_RUNTIME_DIR`;
 *   the daemon is `$VIRTD_PATH`, else `$LIBVIRTD_PATH`, else
 *   `/usr/sbin/<name>` (`libvirtd`, or `virtqemud` & co. in direct mode);
 * - retries every 10 ms, 500 attempts in all.
 *
 * libvirt also serialises concurrent autostarts with an fcntl lock on
 * `<runtime dir>/<daemon>.lock`. Node has no fcntl locks; two clients racing
 * here may both start a daemon, and the second daemon exits on its own because
 * the first holds the pid file, so the outcome is the same.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { TimeoutError, TransportError } from '../rpc/errors.js';
import { Deadline, delay } from '../util/deadline.js';
import { commandEnv } from './command.js';
import { userRuntimeDir } from './config.js';
import { dialUnix, type DialOptions } from './unix.js';

/** Attempts to connect, in all, once a daemon has been started (libvirt: 500). */
export const AUTOSTART_ATTEMPTS = 500;
/** Milliseconds between attempts (libvirt: 10 ms). */
export const AUTOSTART_RETRY_MS = 10;
/** The idle timeout the started daemon is given, in seconds (libvirt: `--timeout=120`). */
export const AUTOSTART_DAEMON_TIMEOUT = 120;

/** Environment variables, as `process.env`. */
type Env = Readonly<Record<string, string | undefined>>;

/**
 * The program libvirt would start for `daemonName`: `$VIRTD_PATH` when set,
 * else `$LIBVIRTD_PATH` when set, else `/usr/sbin/<daemonName>`.
 */
export function sessionDaemonPath(daemonName: string, env: Env = process.env): string {
  // libvirt prefers VIRTD_PATH for every daemon and falls back to LIBVIRTD_PATH.
  const fromEnv = env.VIRTD_PATH !== undefined ? env.VIRTD_PATH : env.LIBVIRTD_PATH;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : `/usr/sbin/${daemonName}`;
}

/** The argv and environment the daemon is started with. */
export function sessionDaemonCommand(daemonPath: string, env: Env = process.env): { argv: string[]; env: Record<string, string> } {
  return {
    argv: [daemonPath, `--timeout=${AUTOSTART_DAEMON_TIMEOUT}`],
    env: commandEnv(env, ['XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_RUNTIME_DIR']),
  };
}

/** Options of {@link dialUnixAutostart}. */
export interface AutostartDialOptions extends DialOptions {
  /** Environment (default `process.env`): where the runtime dir is, what the daemon inherits. */
  readonly env?: Env;
  /** Starts the daemon; resolves once it runs, rejects when it cannot be started (for tests; default: spawn it detached). */
  readonly startDaemon?: (argv: readonly string[], env: Record<string, string>) => Promise<void>;
}

/**
 * Connects the session daemon's socket at `path`, starting `daemonPath` when
 * nothing listens there yet (see the module comment). Rejects with a
 * TransportError that names the socket, the daemon and what went wrong; with
 * an AbortError or a TimeoutError when `signal` or `timeout` end the wait.
 */
export async function dialUnixAutostart(path: string, daemonPath: string, opts: AutostartDialOptions = {}): Promise<Socket> {
  const env = opts.env ?? process.env;
  const start = opts.startDaemon ?? startDetached;
  const deadline = new Deadline(opts.timeout);
  let started = false;
  let last: TransportError | undefined;
  for (let attempt = 1; attempt <= AUTOSTART_ATTEMPTS; attempt++) {
    const left = deadline.remaining();
    if (left === 0) throw new TimeoutError(`timed out after ${opts.timeout} ms connecting to unix socket ${path}`, opts.timeout ?? 0);
    try {
      return await dialUnix(path, { signal: opts.signal, timeout: left });
    } catch (err) {
      if (!(err instanceof TransportError) || (err.errno !== 'ENOENT' && err.errno !== 'ECONNREFUSED')) throw err;
      last = err;
    }
    if (!started) {
      started = true;
      const runtimeDir = userRuntimeDir({ env });
      try {
        mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new TransportError(`cannot create the user runtime directory ${runtimeDir} for the session daemon: ${e.message}`, e.code ?? null, { cause: err });
      }
      const cmd = sessionDaemonCommand(daemonPath, env);
      await start(cmd.argv, cmd.env);
    }
    await delay(AUTOSTART_RETRY_MS, opts.signal);
  }
  throw new TransportError(
    `${last?.message ?? `no libvirt daemon socket at ${path}`} (started ${daemonPath} --timeout=${AUTOSTART_DAEMON_TIMEOUT}, ` +
      `but it did not accept connections within ${(AUTOSTART_ATTEMPTS * AUTOSTART_RETRY_MS) / 1000} s)`,
    last?.errno ?? null,
    { cause: last, socketPath: path },
  );
}

/**
 * Starts the daemon in its own session with no stdio (libvirt daemonizes it),
 * and does not keep this process alive for it. Resolves once it runs; rejects
 * with a TransportError when the program cannot be run.
 */
function startDetached(argv: readonly string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: 'ignore', env });
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(new TransportError(`cannot start the session daemon ${argv[0]}: ${err.message}`, err.code ?? null, { cause: err }));
    });
  });
}
