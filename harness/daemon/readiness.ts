/**
 * Waiting (bounded) until a freshly started libvirtd serves: its unix socket and TCP port accept
 * connections, then `virsh version` answers through it.
 *
 * @module
 */
import * as fs from 'node:fs';
import type { DaemonLayout } from './config.js';
import { canConnect, clientEnv, LIBVIRTD, run, sleep, tailFile, VIRSH } from './common.js';
import type { DaemonProcess } from './process.js';

/**
 * Resolves with null once the daemon serves, or with what went wrong (the process could not be
 * spawned or exited, a listener did not come up, virsh failed) and its cause.
 *
 * @param probes - URIs `virsh version` must answer on.
 * @param deadline - `Date.now()` value by which everything must be up.
 */
export async function waitUntilReady(
  layout: DaemonLayout,
  proc: DaemonProcess,
  probes: readonly string[],
  deadline: number,
  startTimeoutMs: number,
): Promise<{ what: string; cause?: unknown } | null> {
  const { socketPath, tcpPort, logPath, stdioPath } = layout;
  const remaining = (): number => deadline - Date.now();
  let unixOk = false;
  let tcpOk = false;
  while (!(unixOk && tcpOk)) {
    const spawnError = proc.spawnError();
    if (spawnError) return { what: `could not spawn ${LIBVIRTD}: ${spawnError.message}`, cause: spawnError };
    if (!proc.running()) {
      const r = await proc.exited;
      const tail = tailFile(logPath, 40) + tailFile(stdioPath, 40);
      const inUse = /Address already in use/i.test(tail) ? ' (Address already in use)' : '';
      return { what: `exited during start-up (code ${r.code}, signal ${r.signal})${inUse}` };
    }
    if (remaining() <= 0) {
      return {
        what:
          `did not come up within ${startTimeoutMs} ms: ` +
          `unix socket ${socketPath} ${unixOk ? 'accepts' : 'does NOT accept'} connections, ` +
          `TCP 127.0.0.1:${tcpPort} ${tcpOk ? 'accepts' : 'does NOT accept'} connections`,
      };
    }
    if (!unixOk && fs.existsSync(socketPath)) unixOk = await canConnect({ path: socketPath }, 500);
    if (!tcpOk) tcpOk = await canConnect({ host: '127.0.0.1', port: tcpPort }, 500);
    if (!(unixOk && tcpOk)) await sleep(50);
  }
  for (const uri of probes) {
    const r = await run(VIRSH, ['-q', '-c', uri, 'version'], {
      env: clientEnv(),
      timeoutMs: Math.max(1000, remaining()),
    });
    if (r.code !== 0) {
      return { what: `'virsh -c ${uri} version' ${r.timedOut ? 'timed out' : `failed (code ${r.code})`}: ${r.stderr.trim() || r.error?.message || ''}` };
    }
  }
  return null;
}
