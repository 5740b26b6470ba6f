/**
 * Private libvirtd daemons for the integration suite.
 *
 * Each daemon is an unprivileged ("session") libvirtd run as the `lvtest` user, with every piece
 * of state (config, sockets, caches, QEMU guests' files, logs) inside one private temp dir, a
 * unix socket in that dir and a TCP listener on 127.0.0.1 at a free port. Several daemons can
 * run at once. See harness/README.md.
 *
 * The parts, in harness/daemon/: common.ts (programs, types, process and socket helpers),
 * config.ts (the private dir and its libvirtd.conf/qemu.conf), process.ts (libvirtd under
 * reaper.py, the subreaper that reaps QEMU guests), readiness.ts (sockets, then virsh),
 * start.ts (the sequence and the handle that stops it), bookkeeping.ts (nothing outlives the
 * test process), uris.ts.
 *
 * @module
 */
import { reapStaleDaemons as reapStaleDaemonsIn } from './daemon/bookkeeping.js';
import { chooseBaseDir } from './daemon/config.js';

export {
  canConnect,
  chownToTestUser,
  clientEnv,
  freePort,
  HarnessError,
  LIBVIRTD,
  lookupUser,
  PYTHON,
  run,
  TEST_USER,
  VIRSH,
} from './daemon/common.js';
export type { DaemonTransport, DaemonUris, PrivateDaemon, PrivateDaemonInfo, PrivateDaemonOptions, UserIds } from './daemon/common.js';
export { startPrivateDaemon } from './daemon/start.js';
export { testDriverUriFor } from './daemon/uris.js';

/** Stops daemons (and their guests) whose owning test process no longer exists, and removes
 * their dirs. Called by {@link startPrivateDaemon}; cheap when there is nothing to reap. */
export function reapStaleDaemons(baseDir: string = chooseBaseDir()): void {
  reapStaleDaemonsIn(baseDir);
}
