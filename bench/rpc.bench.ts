/**
 * `npm run bench:rpc [-- URI]`: call throughput of libvirt-rpc against the C
 * client (python3-libvirt on libvirt.so) on the same daemon, in one run.
 *
 * With no URI it starts a private libvirtd (harness/) and uses the test
 * driver over its unix socket. Prints calls/s for each workload and the ratio
 * libvirt-rpc / C client. Numbers are noisy on a shared machine: only the
 * ratios of one run mean anything.
 */
import { spawnSync } from 'node:child_process';
import { startPrivateDaemon, type PrivateDaemon } from '../harness/daemon.js';
import { connect, type Connection } from '../src/index.js';

interface Result {
  readonly name: string;
  readonly ours: number;
  readonly theirs: number;
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

async function timed(seconds: number, batch: () => Promise<number>): Promise<number> {
  // Warm-up, then as many batches as fit in `seconds`.
  await batch();
  let calls = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) calls += await batch();
  return calls / ((performance.now() - t0) / 1000);
}

async function ours(conn: Connection): Promise<Record<string, number>> {
  return {
    'getLibVersion, sequential': await timed(SECONDS, async () => {
      for (let i = 0; i < 200; i++) await conn.raw.connectGetLibVersion();
      return 200;
    }),
    'getLibVersion, 8 in flight': await timed(SECONDS, async () => {
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 50; i++) await conn.raw.connectGetLibVersion();
        }),
      );
      return 400;
    }),
    'listAllDomains, sequential': await timed(SECONDS, async () => {
      for (let i = 0; i < 100; i++) await conn.raw.connectListAllDomains(1, 0);
      return 100;
    }),
    'getXMLDesc, sequential': await timed(SECONDS, async () => {
      const dom = await conn.raw.domainLookupByName('test');
      for (let i = 0; i < 100; i++) await conn.raw.domainGetXMLDesc(dom, 0);
      return 100;
    }),
  };
}

const PYTHON_BENCH = String.raw`
import json, sys, threading, time
import libvirt
uri, seconds = sys.argv[1], float(sys.argv[2])
conn = libvirt.open(uri)
def timed(batch):
    batch()
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        calls += batch()
    return calls / (time.perf_counter() - t0)
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
dom = conn.lookupByName("test")
def xml():
    for _ in range(100): dom.XMLDesc(0)
    return 100
print(json.dumps({
  "getLibVersion, sequential": timed(seq),
  "getLibVersion, 8 in flight": timed(threads),
  "listAllDomains, sequential": timed(lst),
  "getXMLDesc, sequential": timed(xml),
}))
conn.close()
`;

function theirs(uri: string): Record<string, number> {
  const r = spawnSync('/usr/bin/python3', ['-I', '-c', PYTHON_BENCH, uri, String(SECONDS)], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`python3-libvirt benchmark failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

async function main(): Promise<void> {
  let daemon: PrivateDaemon | null = null;
  let uri = process.argv[2] ?? null;
  if (uri === null) {
    daemon = await startPrivateDaemon({ label: 'bench' });
    uri = daemon.uris.testDefaultUnix;
  }
  try {
    const conn = await connect(uri);
    const a = await ours(conn);
    await conn.close();
    const b = theirs(uri);
    const results: Result[] = Object.keys(a).map((name) => ({ name, ours: a[name], theirs: b[name] }));
    console.log(`URI ${uri}, ${SECONDS} s per workload`);
    console.log('workload                      libvirt-rpc calls/s   python3-libvirt calls/s   ratio');
    for (const r of results) {
      console.log(
        `${r.name.padEnd(30)}${r.ours.toFixed(0).padStart(19)}${r.theirs.toFixed(0).padStart(26)}${(r.ours / r.theirs).toFixed(2).padStart(8)}x`,
      );
    }
  } finally {
    await daemon?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
