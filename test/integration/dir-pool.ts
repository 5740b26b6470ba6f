/**
 * A transient dir pool for the storage tests: its directory under the harness daemon's own dir,
 * owned by the daemon's user (the session daemon runs as lvtest and must write there).
 */
import { chownSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from '../../src/index.js';
import type { RemoteNonnullStoragePool } from '../../src/protocol.js';

export interface DirPool {
  readonly pool: RemoteNonnullStoragePool;
  /** The pool's directory. */
  readonly dir: string;
  /** Deletes the pool's volumes, destroys it (while `conn` is open) and removes its directory. */
  remove(): Promise<void>;
}

/** Creates (transient, started) the dir pool `name` on `conn`, in `<daemonDir>/data/<name>`. */
export async function createDirPool(conn: Connection, daemonDir: string, name: string): Promise<DirPool> {
  const dir = join(daemonDir, 'data', name);
  mkdirSync(dir, { recursive: true });
  const owner = statSync(daemonDir);
  chownSync(dir, owner.uid, owner.gid);
  const pool = await conn.raw.storagePoolCreateXML(`<pool type='dir'><name>${name}</name><target><path>${dir}</path></target></pool>`, 0);
  return {
    pool,
    dir,
    async remove(): Promise<void> {
      try {
        if (conn.isOpen) {
          for (const v of (await conn.raw.storagePoolListAllVolumes(pool, 1, 0)).vols) await conn.raw.storageVolDelete(v, 0).catch(() => {});
          await conn.raw.storagePoolDestroy(pool).catch(() => {});
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
