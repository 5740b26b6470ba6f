/**
 * Which UNIX socket libvirt's remote driver connects to (remote_sockets.c,
 * remoteGetUNIXSocket, read for the facts): libvirtd's (`legacy`) or the
 * modular daemon's (`direct`), system or session, read-only or not.
 */
import { existsSync } from 'node:fs';
import { buildPath, effectiveUid, userRuntimeDir } from './config.js';
import { UriError } from './errors.js';
import type { RemoteMode, RemotePlanEnv, RemoteTransport } from './remote-plan.js';

/** Drivers probed (in this order) for a root connection without URI in direct mode. */
const SYSTEM_PROBE_DRIVERS = ['xen', 'qemu', 'lxc', 'vbox', 'bhyve', 'vz'];
/** Drivers probed (in this order) for a session connection without URI in direct mode. */
const SESSION_PROBE_DRIVERS = ['qemu', 'vbox'];

/** Inputs of {@link remoteUnixSocket}. */
export interface UnixSocketQuery {
  /** The transport (only `unix` may use `auto` discovery or `direct` mode). */
  transport: RemoteTransport;
  /** The requested mode. */
  mode: RemoteMode;
  /** The driver (`qemu`, `lxc`, `network`, ...), or null without URI. */
  driver: string | null;
  /** Per-user daemon. */
  session: boolean;
  /** Read-only socket (system daemons only; session daemons have one socket). */
  readOnly: boolean;
}

/** The socket {@link remoteUnixSocket} picked. */
export interface UnixSocketChoice {
  /** Socket path. */
  readonly path: string;
  /** `legacy` (libvirtd's socket) or `direct` (the modular daemon's). */
  readonly mode: 'legacy' | 'direct';
  /** The daemon serving it: `libvirtd` or `virt<driver>d`. */
  readonly daemon: string;
}

/**
 * Picks the UNIX socket like libvirt's remote driver:
 *
 * - system: `<localStateDir>/run/libvirt/<prefix>-sock` (`-sock-ro` when read-only);
 * - session: `<user runtime dir>/<prefix>-sock`, the runtime dir being
 *   `$XDG_RUNTIME_DIR/libvirt`, else `$XDG_CACHE_HOME/libvirt` or `~/.cache/libvirt`;
 * - prefix `libvirt` (legacy, libvirtd) or `virt<driver>d` (direct);
 * - `auto`: for unix, direct when the modular socket exists, else legacy when
 *   libvirtd's exists, else `defaultMode`; for the SSH transports always legacy;
 * - without a driver (no URI) in a non-legacy mode with `defaultMode: 'direct'`,
 *   the driver is first guessed from which modular sockets exist.
 *
 * @param uriForErrors - the URI text named by a UriError.
 * @throws UriError for `direct` with a non-unix transport, or `direct` without a driver.
 */
export function remoteUnixSocket(query: UnixSocketQuery, env: RemotePlanEnv = {}, uriForErrors = ''): UnixSocketChoice {
  const exists = env.exists ?? existsSync;
  const localStateDir = env.localStateDir ?? '/var';
  const defaultMode = env.defaultMode ?? 'legacy';
  const socketFor = (prefix: string): string =>
    query.session
      ? buildPath(userRuntimeDir(env), `${prefix}-sock`)
      : buildPath(localStateDir, 'run', 'libvirt', `${prefix}-${query.readOnly ? 'sock-ro' : 'sock'}`);

  let driver = query.driver;
  if (driver === null && query.mode !== 'legacy' && defaultMode === 'direct') {
    if (effectiveUid(env) !== 0) {
      driver = SESSION_PROBE_DRIVERS.find((d) => exists(buildPath(userRuntimeDir(env), `virt${d}d-sock`))) ?? null;
    } else {
      const runDir = env.runStateDir ?? '/run';
      driver = SYSTEM_PROBE_DRIVERS.find((d) => exists(buildPath(runDir, 'libvirt', `virt${d}d-${query.readOnly ? 'sock-ro' : 'sock'}`))) ?? null;
    }
  }

  const directDaemon = driver === null ? null : `virt${driver}d`;
  const directSocket = directDaemon === null ? null : socketFor(directDaemon);
  const legacySocket = socketFor('libvirt');

  let mode: 'legacy' | 'direct';
  if (query.mode === 'auto') {
    if (query.transport === 'unix') {
      if (directSocket !== null && exists(directSocket)) mode = 'direct';
      else if (exists(legacySocket)) mode = 'legacy';
      else mode = defaultMode;
    } else {
      mode = 'legacy';
    }
  } else {
    mode = query.mode;
  }

  if (mode === 'legacy') return { path: legacySocket, mode, daemon: 'libvirtd' };
  if (query.transport !== 'unix') {
    throw new UriError(`invalid parameter "mode": direct socket mode cannot be used with the ${query.transport} transport`, {
      uri: uriForErrors,
      part: 'parameter',
      parameter: 'mode',
    });
  }
  if (directSocket === null || directDaemon === null) {
    throw new UriError('invalid parameter "mode": direct socket mode needs a URI naming the driver', {
      uri: uriForErrors,
      part: 'parameter',
      parameter: 'mode',
    });
  }
  return { path: directSocket, mode, daemon: directDaemon };
}
