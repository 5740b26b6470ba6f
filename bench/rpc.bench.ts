/**
 * `npm run bench:rpc [-- URI]`: call throughput and client CPU cost of libvirt-rpc against the
 * C client (python3-libvirt on libvirt.so) on the same daemon, in one run.
 *
 * With no URI it starts a private libvirtd (harness/) and uses the test driver over its unix
 * socket. Everything is measured in BENCH_ROUNDS rounds (default 3) of BENCH_SECONDS (default 1)
 * per point, ours and the C client's interleaved, so that a change of machine load hits both:
 *
 * 1. One connection, `getLibVersion`, with work in flight: our client at each depth (calls in
 *    flight) and the C client at each thread count (1 to 32), both curves printed with each
 *    client's CPU per call, and each one's best. The points of the two curves alternate in time.
 * 2. The daemon's ceiling: several C client processes at once (4 x 8 threads), what the daemon
 *    serves when one connection is not the limit; beside it our client with as many connections
 *    from one process (4 x 8 in flight), and each client's best single connection against it.
 * 3. Sequential calls (a round trip each): `getLibVersion`, `listAllDomains` of 5,000 domains
 *    (the root entry's `conn.raw`, and `libvirt-rpc/calls`' function on a `LightConnection`),
 *    `getXMLDesc`, with each client's own CPU time per call (user + system of its process).
 *    BENCH_SEQ_PAIRS (default 3) measurements of each client per round, in rotating order; the
 *    ratio is the median of the per-measurement ratios, with its range. Beside them the floor of
 *    any Node client (node-floor.ts: fixed request bytes, nothing decoded) when the benchmark
 *    started its own daemon: what a sequential call costs in Node's I/O, the kernel and the daemon.
 * 4. The object layer over the raw layer, on a caller that answers at once.
 * 5. The bridge: `libvirt-rpc-bridge` (the built bin, in a process of its own) relaying a
 *    WebSocket on loopback to the same daemon, against a direct unix connection: sequential
 *    `getLibVersion` (the latency the bridge adds to each call) and 32 in flight (throughput).
 *
 * Both benchmarks measure the built package (dist/), as users run it: `npm run bench:*` builds it
 * first.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chownToTestUser, startPrivateDaemon, type PrivateDaemon } from '../harness/daemon.js';
import { writeTestNodeXml } from '../harness/test-driver.js';
import { connect, type Connection } from '../dist/esm/index.js';
import { connectListAllDomains, open as openLight, type LightConnection } from '../dist/esm/calls.js';
import { NodeFloorClient } from './node-floor.js';
import { objectLayerCost } from './object-layer.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEQ_PAIRS = Number(process.env.BENCH_SEQ_PAIRS ?? 3);
const DEPTHS = [1, 2, 4, 5, 8, 16, 32, 64, 128];
const THREADS = [1, 2, 4, 5, 8, 16, 32];
const CEILING_PROCESSES = 4;
const CEILING_THREADS = 8;
const MANY_DOMAINS = 5000;
const BRIDGE_DEPTH = 32;
const BRIDGE_TOKEN = 'bench-token';

/** Starts the built `libvirt-rpc-bridge` for `uri`; resolves with its process and WebSocket URL. */
async function startBridgeProcess(uri: string, dir: string): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const tokens = join(dir, 'bridge-tokens.json');
  writeFileSync(tokens, JSON.stringify({ [BRIDGE_TOKEN]: { uri } }), { mode: 0o600 });
  const bin = new URL('../dist/esm/bridge/cli.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, '--tokens', tokens, '--port', '0', '--quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`libvirt-rpc-bridge exited (${code}): ${err}`)));
  });
  return { child, url };
}

/** One measurement: calls per second and client CPU microseconds per call. */
interface Measure {
  readonly rate: number;
  readonly cpuPerCall: number;
}

/** Our client: `depth` calls of `call` kept in flight for `seconds`. */
async function measureOurs(call: () => Promise<unknown>, depth: number, seconds: number): Promise<Measure> {
  const run = async (ms: number): Promise<number> => {
    const deadline = performance.now() + ms;
    let calls = 0;
    await Promise.all(
      Array.from({ length: depth }, async () => {
        while (performance.now() < deadline) {
          await call();
          calls++;
        }
      }),
    );
    return calls;
  };
  await run(Math.min(200, seconds * 200)); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const calls = await run(seconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { rate: calls / wall, cpuPerCall: (cpu.user + cpu.system) / calls };
}

/** The C client: one python3 process, one connection; each request line runs one measurement. */
const PYTHON_BENCH = String.raw`
import json, sys, threading, time
import libvirt
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName(sys.argv[2]) if len(sys.argv) > 2 else None
W = {
  "getLibVersion": lambda: conn.getLibVersion(),
  "listAllDomains": lambda: conn.listAllDomains(),
  "getXMLDesc": lambda: dom.XMLDesc(0),
}
def measure(fn, secs, threads):
    counts = [0] * threads
    deadline = [0.0]
    def work(i):
        while time.perf_counter() < deadline[0]:
            fn()
            counts[i] += 1
    deadline[0] = time.perf_counter() + min(0.2, secs * 0.2)
    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
    counts[:] = [0] * threads
    c0, t0 = time.process_time(), time.perf_counter()
    deadline[0] = t0 + secs
    ts = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in ts: t.start()
    for t in ts: t.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    calls = sum(counts)
    return {"rate": calls / wall, "cpuPerCall": cpu / calls * 1e6}
print("ready", flush=True)
for line in sys.stdin:
    name, secs, threads = line.rstrip("\n").split("\t")
    print(json.dumps(measure(W[name], float(secs), int(threads))), flush=True)
conn.close()
`;

class PythonClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(uri: string, domain?: string) {
    this.child = spawn('/usr/bin/python3', ['-I', '-c', PYTHON_BENCH, uri, ...(domain ? [domain] : [])], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
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

  async measure(name: string, threads: number, seconds: number): Promise<Measure> {
    this.child.stdin.write(`${name}\t${seconds}\t${threads}\n`);
    return JSON.parse(await this.line()) as Measure;
  }

  close(): void {
    this.child.stdin.end();
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Collects measurements under keys, for medians over rounds. */
class Samples {
  private readonly map = new Map<string, Measure[]>();
  add(key: string, m: Measure): void {
    this.map.set(key, [...(this.map.get(key) ?? []), m]);
  }
  all(key: string): Measure[] {
    return this.map.get(key) ?? [];
  }
  rate(key: string): number {
    return median(this.all(key).map((m) => m.rate));
  }
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

async function main(): Promise<void> {
  let daemon: PrivateDaemon | null = null;
  let uri = process.argv[2] ?? null;
  let manyUri: string | null = null;
  let socketPath: string | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'lvrpc-bench-'));
  if (uri === null) {
    daemon = await startPrivateDaemon({ label: 'bench' });
    uri = daemon.uris.testDefaultUnix;
    socketPath = daemon.socketPath;
    chownToTestUser(dir);
    const node = writeTestNodeXml(dir, { domains: Array.from({ length: MANY_DOMAINS }, (_, i) => ({ name: `bench-${i}`, state: 'shutoff' as const })) });
    manyUri = daemon.testDriverUri(node, 'unix');
  }
  const python = new PythonClient(uri, 'test');
  const pythonMany = manyUri ? new PythonClient(manyUri) : null;
  const conn: Connection = await connect(uri);
  const many: Connection | null = manyUri ? await connect(manyUri) : null;
  const manyLight: LightConnection | null = manyUri ? await openLight(manyUri) : null;
  const ceilingConns: Connection[] = [];
  const bridge = await startBridgeProcess(uri, dir);
  const floor = socketPath ? await NodeFloorClient.open(socketPath, 'test:///default') : null;
  let viaBridge: Connection | null = null;
  try {
    viaBridge = await connect(uri, { webSocket: bridge.url, token: BRIDGE_TOKEN });
    const bridged = viaBridge;
    await python.ready();
    await pythonMany?.ready();
    const dom = await conn.raw.domainLookupByName('test');
    const samples = new Samples();
    type Sequential = { name: string; ours: () => Promise<unknown>; c: PythonClient | null; cName: string; floor?: () => Promise<unknown> };
    const sequential: Sequential[] = [
      { name: 'getLibVersion', ours: () => conn.raw.connectGetLibVersion(), c: python, cName: 'getLibVersion', floor: floor?.getLibVersion() },
      ...(many
        ? [{ name: `listAllDomains (${MANY_DOMAINS} domains)`, ours: () => many.raw.connectListAllDomains(1, 0), c: pythonMany, cName: 'listAllDomains' }]
        : []),
      ...(manyLight
        ? [
            {
              name: `listAllDomains (${MANY_DOMAINS} domains), libvirt-rpc/calls`,
              ours: () => connectListAllDomains(manyLight, 1, 0),
              c: pythonMany,
              cName: 'listAllDomains',
            },
          ]
        : []),
      { name: 'getXMLDesc', ours: () => conn.raw.domainGetXMLDesc(dom, 0), c: python, cName: 'getXMLDesc', floor: floor?.getXMLDesc(dom) },
    ];
    for (let i = 0; i < CEILING_PROCESSES; i++) ceilingConns.push(await connect(uri));
    for (let round = 0; round < ROUNDS; round++) {
      const oursFirst = round % 2 === 0;
      // The two curves point by point, alternating, so that a change of load hits both.
      for (let i = 0; i < Math.max(DEPTHS.length, THREADS.length); i++) {
        const d = DEPTHS[i];
        const t = THREADS[i];
        const o = async (): Promise<void> => {
          if (d !== undefined) samples.add(`ours/${d}`, await measureOurs(() => conn.raw.connectGetLibVersion(), d, SECONDS));
        };
        const c = async (): Promise<void> => {
          if (t !== undefined) samples.add(`c/${t}`, await python.measure('getLibVersion', t, SECONDS));
        };
        if (oursFirst) await o();
        await c();
        if (!oursFirst) await o();
      }
      // The daemon's ceiling: several C client processes at once; then ours with as many connections.
      const cCeiling = async (): Promise<void> => {
        const procs = Array.from({ length: CEILING_PROCESSES }, () => new PythonClient(uri!));
        await Promise.all(procs.map((p) => p.ready()));
        const each = await Promise.all(procs.map((p) => p.measure('getLibVersion', CEILING_THREADS, SECONDS)));
        for (const p of procs) p.close();
        samples.add('ceiling', { rate: each.reduce((a, m) => a + m.rate, 0), cpuPerCall: 0 });
      };
      const oursCeiling = async (): Promise<void> => {
        const each = await Promise.all(ceilingConns.map((cc) => measureOurs(() => cc.raw.connectGetLibVersion(), CEILING_THREADS, SECONDS)));
        samples.add('ceiling-ours', { rate: each.reduce((a, m) => a + m.rate, 0), cpuPerCall: 0 });
      };
      if (oursFirst) await oursCeiling();
      await cCeiling();
      if (!oursFirst) await oursCeiling();
      for (const w of sequential) {
        const steps = [
          async (): Promise<void> => samples.add(`seq-ours/${w.name}`, await measureOurs(w.ours, 1, SECONDS)),
          async (): Promise<void> => {
            if (w.c) samples.add(`seq-c/${w.name}`, await w.c.measure(w.cName, 1, SECONDS));
          },
          async (): Promise<void> => {
            if (w.floor) samples.add(`seq-floor/${w.name}`, await measureOurs(w.floor, 1, SECONDS));
          },
        ];
        // Rotating which client goes first, so that neither always follows the other.
        for (let pair = 0; pair < SEQ_PAIRS; pair++) {
          const first = (round * SEQ_PAIRS + pair) % steps.length;
          for (let k = 0; k < steps.length; k++) await steps[(first + k) % steps.length]!();
        }
      }
      // The bridge against a direct connection, alternating which goes first.
      for (const depth of [1, BRIDGE_DEPTH]) {
        const direct = async (): Promise<void> => samples.add(`direct/${depth}`, await measureOurs(() => conn.raw.connectGetLibVersion(), depth, SECONDS));
        const relayed = async (): Promise<void> => samples.add(`bridge/${depth}`, await measureOurs(() => bridged.raw.connectGetLibVersion(), depth, SECONDS));
        if (oursFirst) await direct();
        await relayed();
        if (!oursFirst) await direct();
      }
    }

    console.log(`URI ${uri}; ${ROUNDS} interleaved rounds of ${SECONDS} s per point; medians`);
    console.log('\n1. getLibVersion on one connection, calls/s, by work in flight');
    const rows = [['in flight', 'libvirt-rpc (depth)', 'CPU µs/call', 'C client (threads)', 'CPU µs/call']];
    const cpu = (key: string): string => median(samples.all(key).map((m) => m.cpuPerCall)).toFixed(1);
    for (const n of [...new Set([...DEPTHS, ...THREADS])].sort((a, b) => a - b)) {
      const ours = DEPTHS.includes(n);
      const c = THREADS.includes(n);
      rows.push([
        String(n),
        ours ? samples.rate(`ours/${n}`).toFixed(0) : '',
        ours ? cpu(`ours/${n}`) : '',
        c ? samples.rate(`c/${n}`).toFixed(0) : '',
        c ? cpu(`c/${n}`) : '',
      ]);
    }
    printTable(rows);
    const bestDepth = DEPTHS.reduce((a, d) => (samples.rate(`ours/${d}`) > samples.rate(`ours/${a}`) ? d : a));
    const bestThreads = THREADS.reduce((a, t) => (samples.rate(`c/${t}`) > samples.rate(`c/${a}`) ? t : a));
    const bestOurs = samples.rate(`ours/${bestDepth}`);
    const bestC = samples.rate(`c/${bestThreads}`);
    const ceiling = samples.rate('ceiling');
    const ceilingOurs = samples.rate('ceiling-ours');
    console.log(
      `best: libvirt-rpc ${bestOurs.toFixed(0)}/s (depth ${bestDepth}), C client ${bestC.toFixed(0)}/s (${bestThreads} threads): ${(bestOurs / bestC).toFixed(2)}x`,
    );
    console.log(
      `\n2. daemon ceiling: ${CEILING_PROCESSES} C client processes x ${CEILING_THREADS} threads ${ceiling.toFixed(0)}/s; libvirt-rpc, ${CEILING_PROCESSES} connections x ${CEILING_THREADS} in flight from one process, ${ceilingOurs.toFixed(0)}/s`,
    );
    console.log(
      `one connection at its best against the C ceiling: libvirt-rpc ${((bestOurs / ceiling) * 100).toFixed(0)}%, C client ${((bestC / ceiling) * 100).toFixed(0)}%`,
    );

    console.log('\n3. sequential calls (one round trip each)');
    const seqRows = [
      [
        'workload',
        'libvirt-rpc calls/s',
        'C client calls/s',
        'ratio',
        'range',
        'CPU µs/call ours',
        'CPU µs/call C',
        'CPU ratio',
        'Node floor calls/s',
        'ours/floor',
      ],
    ];
    for (const w of sequential) {
      const a = samples.all(`seq-ours/${w.name}`);
      const b = samples.all(`seq-c/${w.name}`);
      const f = samples.all(`seq-floor/${w.name}`);
      const ratios = a.map((m, i) => m.rate / b[i]!.rate);
      const cpuA = median(a.map((m) => m.cpuPerCall));
      const cpuB = median(b.map((m) => m.cpuPerCall));
      seqRows.push([
        w.name,
        samples.rate(`seq-ours/${w.name}`).toFixed(0),
        samples.rate(`seq-c/${w.name}`).toFixed(0),
        `${median(ratios).toFixed(2)}x`,
        `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
        cpuA.toFixed(1),
        cpuB.toFixed(1),
        `${(cpuB / cpuA).toFixed(2)}x`,
        f.length ? samples.rate(`seq-floor/${w.name}`).toFixed(0) : '',
        f.length ? `${median(a.map((m, i) => m.rate / f[i]!.rate)).toFixed(2)}x` : '',
      ]);
    }
    printTable(seqRows);
    console.log(
      `ratio: our calls/s over the C client's (higher is better), the median of ${ROUNDS * SEQ_PAIRS} measurements each, and their range; CPU ratio: its CPU per call over ours (higher is better).`,
    );
    console.log(
      'Node floor: a unix socket sending fixed request bytes and decoding nothing (bench/node-floor.ts), the bound for any Node client; ours/floor near 1 means what is left is I/O, wake-ups and the daemon.',
    );

    console.log('\n4. the object layer over the raw layer, on a caller that answers at once (µs per call, medians)');
    printTable([['call', 'object', 'raw', 'object - raw'], ...(await objectLayerCost())]);

    console.log('\n5. through libvirt-rpc-bridge (its own process, ws on loopback) against a direct unix connection, getLibVersion');
    const bridgeRows = [['in flight', 'direct calls/s', 'bridge calls/s', 'bridge/direct', 'µs per call direct', 'µs per call bridge', 'added µs per call']];
    for (const depth of [1, BRIDGE_DEPTH]) {
      const d = samples.rate(`direct/${depth}`);
      const b = samples.rate(`bridge/${depth}`);
      const ratio = median(samples.all(`bridge/${depth}`).map((m, i) => m.rate / samples.all(`direct/${depth}`)[i]!.rate));
      bridgeRows.push([
        String(depth),
        d.toFixed(0),
        b.toFixed(0),
        `${ratio.toFixed(2)}x`,
        (1e6 / d).toFixed(1),
        (1e6 / b).toFixed(1),
        (1e6 / b - 1e6 / d).toFixed(1),
      ]);
    }
    printTable(bridgeRows);
    console.log('sequential (1 in flight): the added µs is the latency the bridge adds to each call; 32 in flight: its throughput.');
  } finally {
    await viaBridge?.close().catch(() => {});
    bridge.child.kill('SIGTERM');
    floor?.close();
    python.close();
    pythonMany?.close();
    await conn.close();
    await many?.close();
    await manyLight?.close();
    await Promise.all(ceilingConns.map((c) => c.close()));
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
