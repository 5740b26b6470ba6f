/**
 * Starts a killed private daemon again on the same unix socket and TCP port: the same
 * libvirtd command line, configuration and private dir as harness/daemon.ts used (its
 * reaper script is still in the dir), so the client's URI reaches the new process. The
 * harness's `stop()` ends it with the dir's other leftovers (it finds processes by the dir in
 * their command line).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { canConnect, LIBVIRTD, lookupUser, PYTHON, TEST_USER, type PrivateDaemon } from '../../harness/daemon.js';

/** Starts `d` again after it was killed (waits, bounded, until its socket and port accept). */
export async function restartDaemon(d: PrivateDaemon, timeoutMs = 20_000): Promise<void> {
  if (d.isRunning()) throw new Error(`daemon ${d.pid} is still running`);
  const user = lookupUser();
  const child = spawn(PYTHON, ['-I', path.join(d.dir, 'reaper.py'), LIBVIRTD, '--listen', '-f', path.join(d.dir, 'libvirtd.conf')], {
    cwd: d.dir,
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: d.dir,
      USER: TEST_USER,
      LOGNAME: TEST_USER,
      LANG: 'C.UTF-8',
      ...d.env,
    },
    uid: user.uid,
    gid: user.gid,
    stdio: 'ignore',
    detached: false,
  });
  child.unref();
  const end = Date.now() + timeoutMs;
  for (;;) {
    const unixOk = existsSync(d.socketPath) && (await canConnect({ path: d.socketPath }, 300));
    const tcpOk = unixOk && (await canConnect({ host: '127.0.0.1', port: d.tcpPort }, 300));
    if (unixOk && tcpOk) return;
    if (Date.now() > end) throw new Error(`daemon in ${d.dir} did not come back within ${timeoutMs} ms\n${d.logTail(20)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
