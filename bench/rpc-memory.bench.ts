/**
 * `npm run bench:rpc-memory [-- URI]`: does a long-lived connection keep its memory flat?
 *
 * With no URI it starts a private libvirtd (harness/) and uses the test driver over its unix
 * socket. After a warm-up (BENCH_WARMUP calls, default 50,000, sequential and in bursts) it runs
 * BENCH_CALLS calls (default 1,000,000) of `getLibVersion` one after the other, then as many
 * again in bursts of BENCH_BURST (default 20,000) calls in flight at once, and prints the heap
 * (after full garbage collections), the RSS and the engine's counters before and after each.
 * It needs `global.gc`: the npm script runs it with `--expose-gc`.
 *
 * A leak of even a few bytes per call shows as megabytes here (1,000,000 calls x 8 bytes = 8 MB);
 * "flat" means the heap after the run is within a few hundred KB of the heap after warm-up.
 */
import { setImmediate as tick } from 'node:timers/promises';
import { startPrivateDaemon, type PrivateDaemon } from '../harness/daemon.js';
import { connect, type Connection } from '../dist/esm/index.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 1_000_000);
const BURST = Number(process.env.BENCH_BURST ?? 20_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50_000);

interface Snapshot {
  readonly label: string;
  readonly heapUsed: number;
  readonly rss: number;
  readonly external: number;
  readonly pending: number;
  readonly framesSent: number;
  readonly seconds: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function fullGc(): Promise<void> {
  // Several rounds: finalisers and weak references free more on the next one.
  for (let i = 0; i < 4; i++) {
    gc!();
    await tick();
  }
}

async function snapshot(label: string, conn: Connection, t0: number): Promise<Snapshot> {
  await fullGc();
  const m = process.memoryUsage();
  const s = conn.client.stats;
  return {
    label,
    heapUsed: m.heapUsed,
    rss: m.rss,
    external: m.external,
    pending: s.pending + s.abandoned,
    framesSent: s.framesSent,
    seconds: (performance.now() - t0) / 1000,
  };
}

async function sequential(conn: Connection, calls: number): Promise<void> {
  for (let i = 0; i < calls; i++) await conn.raw.connectGetLibVersion();
}

/** The most calls sent and waiting for their reply at once during bursts, and the most held back by the in-flight limit. */
const burstPeak = { sent: 0, held: 0 };

async function bursts(conn: Connection, calls: number, burst: number): Promise<void> {
  for (let done = 0; done < calls; done += burst) {
    const n = Math.min(burst, calls - done);
    const all: Promise<bigint>[] = new Array(n);
    for (let i = 0; i < n; i++) all[i] = conn.raw.connectGetLibVersion();
    const s = conn.client.stats;
    burstPeak.sent = Math.max(burstPeak.sent, s.pending - s.queued);
    burstPeak.held = Math.max(burstPeak.held, s.queued);
    await Promise.all(all);
  }
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2);
const delta = (a: number, b: number): string => `${b - a >= 0 ? '+' : ''}${((b - a) / 1024).toFixed(0)} KB`;

async function main(): Promise<void> {
  if (!gc) throw new Error('global.gc is missing: run with --expose-gc (npm run bench:rpc-memory does)');
  let daemon: PrivateDaemon | null = null;
  let uri = process.argv[2] ?? null;
  if (uri === null) {
    daemon = await startPrivateDaemon({ label: 'bench-mem' });
    uri = daemon.uris.testDefaultUnix;
  }
  const conn = await connect(uri);
  try {
    const t0 = performance.now();
    await sequential(conn, WARMUP / 2);
    await bursts(conn, WARMUP / 2, Math.min(BURST, WARMUP / 2));
    const rows: Snapshot[] = [await snapshot(`after warm-up (${WARMUP} calls)`, conn, t0)];
    await sequential(conn, CALLS);
    rows.push(await snapshot(`after ${CALLS} sequential calls`, conn, t0));
    await bursts(conn, CALLS, BURST);
    rows.push(await snapshot(`after ${CALLS} calls in bursts of ${BURST}`, conn, t0));

    console.log(`URI ${uri}; getLibVersion; heap after full GCs (global.gc)`);
    const table = [['point', 'heap used MiB', 'vs warm-up', 'RSS MiB', 'vs warm-up', 'external MiB', 'calls waiting', 'frames sent', 'at s']];
    const base = rows[0]!;
    for (const r of rows) {
      table.push([
        r.label,
        mb(r.heapUsed),
        delta(base.heapUsed, r.heapUsed),
        mb(r.rss),
        delta(base.rss, r.rss),
        mb(r.external),
        String(r.pending),
        String(r.framesSent),
        r.seconds.toFixed(1),
      ]);
    }
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
    const last = rows[rows.length - 1]!;
    const perCall = (last.heapUsed - base.heapUsed) / (2 * CALLS);
    console.log(`heap growth over ${2 * CALLS} calls: ${delta(base.heapUsed, last.heapUsed)} (${perCall.toFixed(3)} bytes per call)`);
    console.log(
      `bursts: up to ${burstPeak.sent} calls sent and unanswered at once, ${burstPeak.held} held back by the in-flight limit (getLibVersion does not block: never held)`,
    );
  } finally {
    await conn.close();
    await daemon?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
