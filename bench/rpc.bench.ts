/**
 * `npm run bench:rpc [-- URI]`: call throughput and client CPU cost of
 * libvirt-rpc against the C client (python3-libvirt on libvirt.so) on the same
 * daemon, in one run.
 *
 * With no URI it starts a private libvirtd (harness/) and uses the test
 * driver over its unix socket. Each workload is measured in ROUNDS rounds; in
 * each round our client and the C client run one after the other (the order
 * alternates), each on its own open connection, so that a change of machine
 * load hits both alike. Printed: the median calls/s of each, the median of the
 * per-round ratios, and each client's own CPU time per call (user + system of
 * its process: the daemon's work is not in it). BENCH_SECONDS (default 1) is
 * the time of one measurement, BENCH_ROUNDS (default 5) the number of rounds.
 *
 * Both benchmarks measure the built package (dist/), as users run it: `npm run
 * bench:*` builds it first. Run from the sources under tsx, the library would
 * carry esbuild's keepNames wrappers, which cost time on every call.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startPrivateDaemon, type PrivateDaemon } from '../harness/daemon.js';
import { connect, type Connection } from '../dist/esm/index.js';
import { objectLayerCost } from './object-layer.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** One measurement: calls per second and client CPU microseconds per call. */
interface Measure {
  readonly rate: number;
  readonly cpuPerCall: number;
}

/** A workload: a batch of calls on our connection (returns the number of calls). */
interface Workload {
  readonly name: string;
  readonly ours: (conn: Connection) => Promise<number>;
}

const WORKLOADS: readonly Workload[] = [
  {
    name: 'getLibVersion, sequential',
    ours: async (conn) => {
      for (let i = 0; i < 200; i++) await conn.raw.connectGetLibVersion();
      return 200;
    },
  },
  {
    name: 'getLibVersion, 8 in flight',
    ours: async (conn) => {
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 50; i++) await conn.raw.connectGetLibVersion();
        }),
      );
      return 400;
    },
  },
  {
    name: 'listAllDomains, sequential',
    ours: async (conn) => {
      for (let i = 0; i < 100; i++) await conn.raw.connectListAllDomains(1, 0);
      return 100;
    },
  },
  {
    name: 'getXMLDesc, sequential',
    ours: async (conn) => {
      const dom = await conn.raw.domainLookupByName('test');
      for (let i = 0; i < 100; i++) await conn.raw.domainGetXMLDesc(dom, 0);
      return 100;
    },
  },
];

async function measureOurs(conn: Connection, w: Workload, seconds: number): Promise<Measure> {
  await w.ours(conn); // warm-up
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) calls += await w.ours(conn);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rate: calls / wall, cpuPerCall: (cpu.user + cpu.system) / calls };
}

/** The C client: one python3 process, one connection, one workload per request line. */
const PYTHON_BENCH = String.raw`
import json, sys, threading, time
import libvirt
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
def seq():
    for _ in range(200): conn.getLibVersion()
    return 200
def threads():
    def work():
        for _ in range(50): conn.getLibVersion()
    ts = [threading.Thread(target=work) for _ in range(8)]
    for t in ts: t.start()
    for t in ts: t.join()
    return 400
def lst():
    for _ in range(100): conn.listAllDomains()
    return 100
def xml():
    for _ in range(100): dom.XMLDesc(0)
    return 100
W = {
  "getLibVersion, sequential": seq,
  "getLibVersion, 8 in flight": threads,
  "listAllDomains, sequential": lst,
  "getXMLDesc, sequential": xml,
}
print("ready", flush=True)
for line in sys.stdin:
    name, secs = line.rstrip("\n").split("\t")
    fn = W[name]
    fn()
    calls, c0, t0 = 0, time.process_time(), time.perf_counter()
    while time.perf_counter() - t0 < float(secs):
        calls += fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"rate": calls / wall, "cpuPerCall": cpu / calls * 1e6}), flush=True)
conn.close()
`;

class PythonClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(uri: string) {
    this.child = spawn('/usr/bin/python3', ['-I', '-c', PYTHON_BENCH, uri], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  private async line(): Promise<string> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`python3-libvirt benchmark ended: ${this.stderr}`);
    return r.value;
  }

  async ready(): Promise<void> {
    if ((await this.line()) !== 'ready') throw new Error(`python3-libvirt benchmark did not start: ${this.stderr}`);
  }

  async measure(w: Workload, seconds: number): Promise<Measure> {
    this.child.stdin.write(`${w.name}\t${seconds}\n`);
    return JSON.parse(await this.line()) as Measure;
  }

  close(): void {
    this.child.stdin.end();
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  let daemon: PrivateDaemon | null = null;
  let uri = process.argv[2] ?? null;
  if (uri === null) {
    daemon = await startPrivateDaemon({ label: 'bench' });
    uri = daemon.uris.testDefaultUnix;
  }
  const python = new PythonClient(uri);
  try {
    const conn = await connect(uri);
    await python.ready();
    const ours = new Map<string, Measure[]>();
    const theirs = new Map<string, Measure[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const w of WORKLOADS) {
        const runOurs = async () => ours.set(w.name, [...(ours.get(w.name) ?? []), await measureOurs(conn, w, SECONDS)]);
        const runTheirs = async () => theirs.set(w.name, [...(theirs.get(w.name) ?? []), await python.measure(w, SECONDS)]);
        if (round % 2 === 0) {
          await runOurs();
          await runTheirs();
        } else {
          await runTheirs();
          await runOurs();
        }
      }
    }
    await conn.close();
    console.log(`URI ${uri}; ${ROUNDS} rounds of ${SECONDS} s per client and workload; medians`);
    const head = ['workload', 'libvirt-rpc calls/s', 'python3-libvirt calls/s', 'ratio', 'CPU µs/call ours', 'CPU µs/call C client', 'CPU ratio'];
    const rows = WORKLOADS.map((w) => {
      const a = ours.get(w.name)!;
      const b = theirs.get(w.name)!;
      const ratio = median(a.map((m, i) => m.rate / b[i].rate));
      const cpuA = median(a.map((m) => m.cpuPerCall));
      const cpuB = median(b.map((m) => m.cpuPerCall));
      return [w.name, median(a.map((m) => m.rate)).toFixed(0), median(b.map((m) => m.rate)).toFixed(0), `${ratio.toFixed(2)}x`,
        cpuA.toFixed(1), cpuB.toFixed(1), `${(cpuB / cpuA).toFixed(2)}x`];
    });
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [head, ...rows]) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
    console.log('ratio: our calls/s over the C client\'s (higher is better); CPU ratio: its CPU per call over ours (higher is better).');
    console.log('\nThe object layer over the raw layer, on a caller that answers at once (µs per call, medians):');
    const cost = [['call', 'object', 'raw', 'object - raw'], ...(await objectLayerCost())];
    const cw = cost[0]!.map((_, i) => Math.max(...cost.map((r) => r[i]!.length)));
    for (const r of cost) console.log(r.map((c, i) => (i === 0 ? c.padEnd(cw[i]!) : c.padStart(cw[i]!))).join('  '));
  } finally {
    python.close();
    await daemon?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
