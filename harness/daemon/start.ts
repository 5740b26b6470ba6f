/**
 * Starting a private libvirtd: config writing (./config.ts), process start under the reaper
 * (./process.ts), readiness (./readiness.ts), and the handle that stops it.
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { killLeftovers, OWNER_FILE, processesUsing, reapStaleDaemons, untrack } from './bookkeeping.js';
import {
  HarnessError,
  lookupUser,
  sleep,
  tailFile,
  within,
  type DaemonTransport,
  type DaemonUris,
  type PrivateDaemon,
  type PrivateDaemonInfo,
  type PrivateDaemonOptions,
} from './common.js';
import { chooseBaseDir, writeDaemonConfig } from './config.js';
import { spawnDaemon } from './process.js';
import { waitUntilReady } from './readiness.js';
import { testDriverUriFor } from './uris.js';

/**
 * Starts a private session libvirtd as the test user, waits (bounded) until its unix socket
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
  const baseDir = chooseBaseDir(options.baseDir);
  reapStaleDaemons(baseDir);
  const layout = await writeDaemonConfig(options, user, baseDir);
  const { dir, xdg, sockDir, socketPath, logPath, stdioPath, tcpPort, keep } = layout;
  const deadline = Date.now() + startTimeoutMs;
  const proc = await spawnDaemon(layout, user, options, startTimeoutMs);
  const { pid, reaperPid } = proc;

  const logTail = (lines = 40): string =>
    `--- ${logPath} (last ${lines} lines) ---\n${tailFile(logPath, lines)}\n` + `--- ${stdioPath} ---\n${tailFile(stdioPath, lines)}`;

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
      if (proc.running()) {
        try {
          process.kill(pid, 'SIGCONT'); // a SIGSTOPped daemon cannot act on SIGTERM
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
        const termed = (await within(proc.exited, stopTimeoutMs)) !== undefined;
        if (!termed) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          const killed = (await within(proc.exited, 5000)) !== undefined;
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
      const reaped = (await within(proc.reaperExited, 3000)) !== undefined;
      if (!reaped) {
        try {
          process.kill(reaperPid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      untrack(proc.record);
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      else fs.rmSync(path.join(dir, OWNER_FILE), { force: true });
    })();
    return stopping;
  };

  const notReady = await waitUntilReady(layout, proc, [uris.testDefaultUnix, ...(options.warmQemu ? [uris.qemuSessionUnix] : [])], deadline, startTimeoutMs);
  if (notReady !== null) {
    const tail = logTail();
    await stop().catch(() => {});
    throw new HarnessError(
      'HARNESS_START',
      `private libvirtd (${dir}, pid ${pid}, tcp port ${tcpPort}): ${notReady.what}\n${tail}`,
      notReady.cause === undefined ? undefined : { cause: notReady.cause },
    );
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
    exited: proc.exited,
    testDriverUri(nodeXmlPath: string, transport: DaemonTransport): string {
      return testDriverUriFor({ socketPath, tcpPort }, nodeXmlPath, transport);
    },
    stop,
    kill(signal: NodeJS.Signals): void {
      process.kill(pid, signal);
    },
    isRunning: () => proc.running(),
    logTail,
    info,
  };
}
