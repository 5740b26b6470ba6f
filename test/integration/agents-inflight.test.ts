/**
 * More calls in flight than libvirtd's `max_client_requests` (default 5), five of them stuck
 * for 40 s: QEMU monitor commands on five tiny guests whose QEMU processes are stopped
 * (SIGSTOP). A daemon with libvirt's defaults stops reading a client that has five calls
 * unanswered, so it no longer sees the client's keepalive and closes the connection after
 * 30 s (measured by bench/inflight.measure.ts, see README "Calls in flight"). With the
 * client-side limit (default 4 calls that may block) the daemon keeps a slot to read with:
 * the 1,000 `getLibVersion` calls (`@priority: high`, never held) are all answered while the
 * guests are still stopped, the fifth monitor command waits in the client, the connection
 * stays open, and the five complete once the guests are continued.
 */
import { describe, expect, it } from 'vitest';
import { qemuPid, tinyGuestXml } from '../../harness/guest.js';
import { connect, DEFAULT_MAX_IN_FLIGHT } from '../../src/index.js';
import { startExtraDaemon } from './env.js';

const HOLD_MS = 40_000;

describe('calls in flight above max_client_requests', () => {
  it(`1,000 calls that do not block are answered beside five that take ${HOLD_MS / 1000} s, all complete, and the connection stays open`, async () => {
    const d = await startExtraDaemon({ label: 'inflight', warmQemu: true });
    await using admin = await connect(d.uris.qemuSessionUnix);
    const doms = [];
    for (let i = 0; i < 5; i++) doms.push(await admin.raw.domainCreateXML(tinyGuestXml(`stuck${i}`, { vnc: false }), 0));
    const pids = doms.map((_, i) => qemuPid(`stuck${i}`));
    await using conn = await connect(d.uris.qemuSessionUnix);
    expect(conn.features.keepalive).toBe(true);
    let closedEarly = false;
    void conn.closed.then(() => (closedEarly = true));
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      let slowDone = 0;
      const slow = doms.map((dom) => conn.raw.domainQemuMonitorCommand(dom, '{"execute":"query-status"}', 0).finally(() => slowDone++));
      const fast = Array.from({ length: 1000 }, () => conn.raw.connectGetLibVersion());
      expect(conn.client.stats.inFlight).toBe(DEFAULT_MAX_IN_FLIGHT);
      expect(conn.client.stats.queued).toBe(1);
      // Calls that do not block are answered while four calls hold the daemon's slots.
      const versions = await Promise.all(fast);
      expect(new Set(versions)).toEqual(new Set([await admin.raw.connectGetLibVersion()]));
      expect(slowDone).toBe(0);
      expect(conn.client.stats).toMatchObject({ inFlight: DEFAULT_MAX_IN_FLIGHT, queued: 1, pending: 5 });
      await new Promise((r) => setTimeout(r, HOLD_MS));
      expect(closedEarly).toBe(false);
      expect(slowDone).toBe(0);
      // The connection still carries calls after the daemon's keepalive death time (30 s).
      expect(await conn.raw.connectGetLibVersion()).toBe(versions[0]);
      for (const pid of pids) process.kill(pid, 'SIGCONT');
      const answers = await Promise.all(slow);
      for (const a of answers) expect(JSON.parse(a)).toHaveProperty('return.status', 'running');
      expect(conn.isOpen).toBe(true);
      expect(conn.client.stats.queuedTotal).toBe(1);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
      for (const dom of doms) await admin.raw.domainDestroy(dom).catch(() => {});
    }
  }, 150_000);
});
