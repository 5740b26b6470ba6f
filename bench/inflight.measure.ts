/**
 * What libvirtd does with a client that has more calls in flight than its
 * `max_client_requests` (default 5), some of them long: run with
 * `npx tsx bench/inflight.measure.ts [holdSeconds ...]`.
 *
 * A private daemon with libvirt's defaults (max_client_requests 5, keepalive 5 s x 5) runs a
 * tiny QEMU guests whose processes are stopped (SIGSTOP): a QEMU monitor command on one then
 * takes as long as the guest stays stopped. One connection sends LONG such calls (one per guest), then FAST `getLibVersion` calls, all at once; after
 * `hold` seconds the guest is continued. Printed per case: whether the connection survived, who
 * closed it and when, and how the calls ended. Each case runs without the client-side limit
 * (`maxInFlight: Infinity`, the behaviour before the limit) and with the default limit.
 *
 * @module
 */
import { subscribe } from 'node:diagnostics_channel';
import { startPrivateDaemon } from '../harness/daemon.js';
import { qemuPid, tinyGuestXml } from '../harness/guest.js';
import { connect } from '../src/index.js';

const LONG = Number(process.env.LONG ?? 5);
const FAST = Number(process.env.FAST ?? 1000);
const holds = process.argv.slice(2).map(Number);
if (holds.length === 0) holds.push(10, 40);

/** Keepalive packets per connection id, with their times. */
const keepalive = new Map<number, string[]>();
let caseStart = 0;
subscribe('libvirt-rpc:keepalive', (m) => {
  const { connectionId, kind } = m as { connectionId: number; kind: string };
  const list = keepalive.get(connectionId) ?? [];
  list.push(`${kind}@${((performance.now() - caseStart) / 1000).toFixed(0)}s`);
  keepalive.set(connectionId, list);
});

const d = await startPrivateDaemon({ label: 'inflight', warmQemu: true });
try {
  const admin = await connect(d.uris.qemuSessionUnix);
  // One guest per long call: each call then holds its own domain job (a second call on the same
  // guest would wait for the job and fail after libvirt's 30 s job wait).
  const doms = [];
  for (let i = 0; i < LONG; i++) doms.push(await admin.raw.domainCreateXML(tinyGuestXml(`inflight${i}`), 0));
  const pids = doms.map((_, i) => qemuPid(`inflight${i}`));
  const limits = [Number.POSITIVE_INFINITY, undefined];
  for (const hold of holds) {
    for (const maxInFlight of limits) {
      const label = `${LONG} calls of ${hold} s + ${FAST} fast, limit ${maxInFlight === undefined ? 'default' : 'none'}`;
      const conn = await connect(d.uris.qemuSessionUnix, maxInFlight === undefined ? {} : ({ maxInFlight } as object));
      const t0 = performance.now();
      caseStart = t0;
      let closedAt: number | null = null;
      void conn.closed.then(() => (closedAt = performance.now() - t0));
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => ({ ok: true, ms: performance.now() - t0, err: '' }),
          (e: unknown) => ({ ok: false, ms: performance.now() - t0, err: (e as Error).name }),
        );
      const long = doms.map((dom) => outcome(conn.raw.domainQemuMonitorCommand(dom, '{"execute":"query-status"}', 0)));
      const fast = Array.from({ length: FAST }, () => outcome(conn.raw.connectGetLibVersion()));
      await new Promise((r) => setTimeout(r, hold * 1000));
      for (const pid of pids) process.kill(pid, 'SIGCONT');
      const L = await Promise.all(long);
      const F = await Promise.all(fast);
      const sum = (xs: { ok: boolean; ms: number; err: string }[]) => {
        const ok = xs.filter((x) => x.ok).length;
        const errs = [...new Set(xs.filter((x) => !x.ok).map((x) => x.err))].join(',');
        const last = Math.max(...xs.map((x) => x.ms));
        return `${ok}/${xs.length} ok${errs ? ` (failed: ${errs})` : ''}, last at ${(last / 1000).toFixed(1)} s`;
      };
      const reason =
        closedAt === null ? 'open' : `closed at ${((closedAt as number) / 1000).toFixed(1)} s (${(await conn.closed).reason}: ${(await conn.closed).message})`;
      console.log(`${label}: connection ${reason}; long: ${sum(L)}; fast: ${sum(F)}`);
      console.log(`  keepalive: ${(keepalive.get(conn.client.connectionId) ?? []).join(' ')}`);
      await conn.close();
    }
  }
  for (const dom of doms) await admin.raw.domainDestroy(dom).catch(() => {});
  await admin.close();
} finally {
  await d.stop();
}
