/**
 * tsvirsh against virsh for `migrate` and its tuning commands, on two
 * private session daemons (each its own host UUID, as libvirt refuses to
 * migrate to the same host) with a QEMU TCG guest, and on the test driver
 * (which refuses every migration API: the refusals are compared).
 *
 * Commands that fail, or only read and set tuning values, run through
 * tsvirsh then virsh. Migrations run one after the other: tsvirsh takes the
 * guest from A to B, virsh takes it back with the same options, and the
 * outcomes are compared with the daemons' names swapped. Normalised: ONLY
 * the progress lines of `--verbose` before the last one (virsh polls the
 * job every 500 ms, so how many appear depends on timing); the final
 * `[100 %]` is kept and compared.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivateDaemon } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import { connect, VIR_DOMAIN_XML_MIGRATABLE, type Connection } from '../../src/index.js';
import { clientEnv, VIRSH } from '../../harness/daemon.js';
import { harnessDaemon, privateTestUri, startExtraDaemon } from './env.js';
import { runVirsh } from '../../src/cli/main.js';
import { bothOnTerminal, type TerminalRun, transcript } from './terminal.js';
import { both, ours, theirs, type Outcome } from './virsh-diff.js';
import { reports } from './progress-lines.js';

const tag = randomBytes(3).toString('hex');
const guest = `cli-mig-${tag}`;
let a: PrivateDaemon;
let b: PrivateDaemon;
let connA: Connection;
let connB: Connection;
let testUri = '';
let otherTestUri = '';

beforeAll(async () => {
  [a, b] = await Promise.all([
    startExtraDaemon({ label: 'climiga', extraConf: [`host_uuid = "${randomUUID()}"`] }),
    startExtraDaemon({ label: 'climigb', extraConf: [`host_uuid = "${randomUUID()}"`] }),
  ]);
  connA = await connect(a.uris.qemuSessionUnix);
  connB = await connect(b.uris.qemuSessionUnix);
  await connA.domainCreateXML(tinyGuestXml(guest, { vnc: false }), 0);
  testUri = await privateTestUri();
  otherTestUri = (await harnessDaemon()).uris.testDefaultTcp;
}, 120_000);

afterAll(async () => {
  for (const c of [connA, connB]) {
    const left = await c?.domainLookupByName(guest).catch(() => null);
    await left?.destroy().catch(() => {});
    await c?.close();
  }
});

/** Every `\rMigration: [ NN %]` but the last of a run of them removed. */
const lastProgress = (o: Outcome): Outcome => ({ ...o, stderr: o.stderr.replace(/(?:\rMigration: \[[ \d]{3} %\])+(\rMigration: \[[ \d]{3} %\])/g, '$1') });

/** Where the guest (or `name`) is: 'a', 'b', with its state there. */
async function where(name = guest): Promise<string[]> {
  const out: string[] = [];
  for (const [label, c] of [
    ['a', connA],
    ['b', connB],
  ] as const) {
    const dom = await c.domainLookupByName(name).catch(() => null);
    if (dom) out.push(`${label}:${(await dom.getState(0)).state}`);
  }
  return out;
}

describe('migrate commands that fail or tune match virsh (QEMU guest on daemon A)', () => {
  const lines = (): string[][] => {
    const B = b.uris.qemuSessionUnix;
    return [
      ['migrate', guest, B, '--live', '--offline'],
      ['migrate', guest, B, '--timeout', '5'],
      ['migrate', guest, B, '--timeout', 'x', '--live'],
      ['migrate', guest, B, '--live', '--timeout', '5', '--timeout-suspend', '--timeout-postcopy'],
      ['migrate', guest, B, '--timeout-suspend'],
      ['migrate', guest, B, '--live', '--timeout-postcopy', '--timeout', '3'],
      ['migrate', guest, B, '--postcopy-after-precopy'],
      ['migrate', guest, B, '--postcopy-resume'],
      ['migrate', guest, B, '--persistent-xml', 'x'],
      ['migrate', guest, B, '--tls-destination', 'x'],
      ['migrate', 'nope', B],
      ['migrate', guest, ''],
      ['migrate', guest],
      ['migrate'],
      ['migrate', guest, 'qemu+unix:///session?socket=/nonexistent'],
      ['migrate', guest, B, '--live', '--copy-storage-synchronous-writes', 'tcp://127.0.0.1'],
      ['migrate', guest, B, '--live', '--xml', '/nonexistent', 'tcp://127.0.0.1'],
      ['migrate', guest, B, '--live', '--persistent', '--persistent-xml', '/nonexistent'],
      ['migrate', guest, B, '--live', '--disks-port', 'x'],
      ['migrate', guest, B, '--live', '--comp-xbzrle-cache', '-1'],
      ['migrate', guest, B, '--live', '--migrateuri', ''],
      ['migrate', guest, B, '--live', '--dname'],
      ['migrate', guest, B, '--live', '--tunneled'],
      ['migrate', guest, B, '--live', '--tunnelled'],
      ['migrate', guest, B, '--tunneled=1'],
      ['migrate', guest, B, '--live', '--direct'],
      ['migrate', guest, a.uris.qemuSessionUnix, '--live', '--p2p'],
      ['migrate', guest, 'not a uri', '--live', '--p2p'],
      ['migrate', guest, B, '--live', '--copy-storage-all', '--copy-storage-inc'],
      ['migrate', guest, B, '--offline'],
      ['migrate', guest, B, '--live', '--comp-methods', 'bogus', 'tcp://127.0.0.1'],
      ['migrate', guest, B, '--live', '--comp-mt-level', '100', '--compressed', 'tcp://127.0.0.1'],
      ['migrate-getmaxdowntime', guest],
      ['migrate-setmaxdowntime', guest, '0'],
      ['migrate-setmaxdowntime', guest, 'x'],
      ['migrate-setmaxdowntime', guest, '-1'],
      ['migrate-setmaxdowntime', guest],
      ['migrate-setmaxdowntime', guest, '--downtime', '400'],
      ['migrate-compcache', guest],
      ['migrate-compcache', guest, '--size', '1048576'],
      ['migrate-compcache', guest, '--size', '3000000000'],
      ['migrate-compcache', guest, '5'],
      ['migrate-compcache', guest, '--size', '-5'],
      ['migrate-setspeed', guest, '-1'],
      ['migrate-setspeed', guest, 'fast'],
      ['migrate-setspeed', guest, '--bandwidth', '100', '--postcopy'],
      ['migrate-getspeed', guest, '--postcopy'],
      ['migrate-postcopy', guest],
      ['migrate-getspeed', 'nope'],
      ['-q', 'migrate-compcache', guest],
      [`migrate-setspeed ${guest} 77; migrate-getspeed ${guest}; migrate-setmaxdowntime ${guest} 250; migrate-getmaxdowntime ${guest}`],
    ];
  };
  it('each line', async () => {
    for (const args of lines()) {
      // One after the other: two migration attempts at once would meet each other's job.
      const x = await ours(['-c', a.uris.qemuSessionUnix, ...args]);
      const y = await theirs(['-c', a.uris.qemuSessionUnix, ...args]);
      expect({ args, ...x }).toEqual({ args, ...y });
    }
  }, 180_000);
});

describe('the test driver refuses migration as it refuses virsh', () => {
  it.each([
    ['migrate', 'test', 'OTHER'],
    ['migrate', 'test', 'OTHER', '--p2p'],
    ['migrate', 'test', 'OTHER', '--direct'],
    ['migrate', 'test', 'OTHER', '--offline'],
    ['migrate', 'test', 'OTHER', '--live', '--verbose'],
    ['migrate-getspeed', 'test'],
    ['migrate-setspeed', 'test', '1'],
    ['migrate-compcache', 'test'],
    ['migrate-compcache', 'test', '--size', '1'],
    ['migrate-postcopy', 'test'],
    ['migrate-setmaxdowntime', 'test', '1'],
    ['migrate-getmaxdowntime', 'test'],
  ])('%s %s %s %s %s', async (...args) => {
    const line = args.map((x) => (x === 'OTHER' ? otherTestUri : x));
    const [x, y] = await both(['-c', testUri, ...line]);
    expect(x).toEqual(y);
  });
});

describe('migrations: tsvirsh takes the guest to B, virsh brings it back, the same way', () => {
  /** tsvirsh from A to B with `opts(B)`, then virsh from B to A with `opts(A)`; both outcomes and where the guest (or `name`) went. */
  async function roundTrip(opts: (to: PrivateDaemon) => string[], name = guest): Promise<void> {
    const there = await ours(['-c', a.uris.qemuSessionUnix, 'migrate', name, ...opts(b)]);
    const atB = await where(name);
    const back = await theirs(['-c', b.uris.qemuSessionUnix, 'migrate', name, ...opts(a)]);
    const atA = await where(name);
    expect(lastProgress(there)).toEqual(lastProgress(back));
    expect(there.status).toBe(0);
    expect(atB.map((w) => w[0])).toEqual(['b']);
    expect(atA.map((w) => w[0])).toEqual(['a']);
    // The state the guest arrived in is the same both ways.
    expect(atB[0].slice(2)).toBe(atA[0].slice(2));
  }

  it('client-driven, live, with a migration URI and --verbose', async () => {
    await roundTrip((to) => [to.uris.qemuSessionUnix, '--live', '--verbose', 'tcp://127.0.0.1']);
  }, 120_000);

  it('peer to peer to the daemon over TCP (--p2p), positional migration URI', async () => {
    await roundTrip((to) => [`qemu+tcp://127.0.0.1:${to.tcpPort}/session`, '--p2p', '--live', 'tcp://127.0.0.1']);
  }, 120_000);

  it('--suspend leaves the guest paused on the destination (then resumed for the next case)', async () => {
    await roundTrip((to) => [to.uris.qemuSessionUnix, '--live', '--suspend', '--migrateuri', 'tcp://127.0.0.1', '--bandwidth', '1000']);
    await (await connA.domainLookupByName(guest)).resume();
  }, 120_000);

  it('--tunneled (the alias) with --p2p, and --dname naming the guest as it is', async () => {
    await roundTrip((to) => [`qemu+tcp://127.0.0.1:${to.tcpPort}/session`, '--p2p', '--tunneled', '--live', '--dname', guest]);
  }, 120_000);

  it("--progress (tsvirsh's own): the job's bytes on stderr, stdout as without it", async () => {
    const there = await ours([
      '-c',
      a.uris.qemuSessionUnix,
      'migrate',
      guest,
      b.uris.qemuSessionUnix,
      '--live',
      '--migrateuri',
      'tcp://127.0.0.1',
      '--progress',
    ]);
    const back = await ours(['-c', b.uris.qemuSessionUnix, 'migrate', guest, a.uris.qemuSessionUnix, '--live', '--migrateuri', 'tcp://127.0.0.1']);
    expect([there.status, back.status]).toEqual([0, 0]);
    expect(there.stdout).toBe(back.stdout);
    expect(back.stderr).toBe('');
    const rs = reports(there.stderr, 'migrate');
    expect(rs.filter((r) => r.last).length).toBe(1);
    expect(rs.at(-1)!.last).toBe(true);
    // This small TCG guest migrates within one 500 ms poll and, transient, leaves no completed
    // statistics on the source: the count may stay 0, but never goes back.
    for (let i = 1; i < rs.length; i++) expect(rs[i].done).toBeGreaterThanOrEqual(rs[i - 1].done);
    expect((await where(guest)).map((w) => w[0])).toEqual(['a']);
  }, 120_000);

  it('offline, persistent, undefining the source, with the migratable XML given by --xml', async () => {
    const name = `${guest}-off`;
    const dom = await connA.domainDefineXML(tinyGuestXml(name, { vnc: false }));
    const dir = mkdtempSync(join(tmpdir(), 'lvrpc-cli-mig-'));
    writeFileSync(join(dir, 'dom.xml'), await dom.getXMLDesc(VIR_DOMAIN_XML_MIGRATABLE));
    try {
      await roundTrip((to) => [to.uris.qemuSessionUnix, '--offline', '--persistent', '--undefinesource', '--xml', join(dir, 'dom.xml')], name);
    } finally {
      for (const c of [connA, connB]) await (await c.domainLookupByName(name).catch(() => null))?.undefine().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('Ctrl-C during a migration, as virshWatchJob treats it', () => {
  // A guest of 2 GiB of (zero) memory: even QEMU's zero pages take a few seconds at 1 MiB/s.
  const big = `${guest}-big`;
  beforeAll(async () => {
    await connA.domainCreateXML(tinyGuestXml(big, { vnc: false, memoryMiB: 2048 }), 0);
  });
  afterAll(async () => {
    for (const c of [connA, connB]) await (await c.domainLookupByName(big).catch(() => null))?.destroy().catch(() => {});
  });
  /** A live migration slowed to 1 MiB/s, so that it is still running when interrupted. */
  const slow = (): string[] => ['migrate', big, b.uris.qemuSessionUnix, '--live', '--verbose', '--bandwidth', '1', '--migrateuri', 'tcp://127.0.0.1'];
  /** Until the guest's migration job on `conn`'s daemon has begun. */
  async function jobStarted(conn: Connection): Promise<void> {
    const dom = await conn.domainLookupByName(big);
    for (let i = 0; i < 200; i++) {
      if ((await dom.getJobInfo()).type !== 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the migration job never started');
  }
  /** Without the progress lines, which depend on timing (virsh's polkit line may follow one). */
  const noProgress = (r: TerminalRun): TerminalRun => ({ ...r, output: r.output.replace(/\r?Migration: \[[ \d]{3} %\]/g, '') });

  it('on a terminal, Ctrl-C aborts the job: the same message and status as virsh, the guest stays on A', async () => {
    // virsh turns the terminal's interrupt key into input only on the poll that first sees the job
    // (before that, a ^C is a SIGINT it notes and ignores): type it after the second progress line.
    const steps = [{ expect: 'Migration: \\[.*Migration: \\[', send: '\x03' }];
    const [x, y] = await bothOnTerminal(['-c', a.uris.qemuSessionUnix, ...slow()], steps);
    expect([x.stepsDone, y.stepsDone, x.timedOut, y.timedOut]).toEqual([1, 1, false, false]);
    expect({ status: x.status, text: transcript(noProgress(x)) }).toEqual({ status: y.status, text: transcript(noProgress(y)) });
    expect(x.status).toBe(1);
    expect(transcript(x)).toMatch(/error: .*(cancel|abort)/i);
    expect(await where(big)).toEqual(['a:1']);
  }, 180_000);

  it('off a terminal, an interrupt leaves the job to finish, as virsh (which only notes the SIGINT) does', async () => {
    // tsvirsh in-process, interrupted once the job runs: it migrates to B.
    const interrupt = new AbortController();
    let stdout = '';
    let stderr = '';
    const oursDone = runVirsh(['-c', a.uris.qemuSessionUnix, ...slow().filter((w) => w !== '--verbose')], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      stdin: '',
      interrupt: interrupt.signal,
      stdinTerminal: () => false,
    });
    await jobStarted(connA);
    interrupt.abort();
    const status = await oursDone;
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect((await where(big)).map((w) => w[0])).toEqual(['b']);
    // virsh, without a terminal, sent SIGINT while it takes the guest back: it goes on too.
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const args = ['-c', b.uris.qemuSessionUnix, 'migrate', big, a.uris.qemuSessionUnix, '--live', '--bandwidth', '1', '--migrateuri', 'tcp://127.0.0.1'];
      const child = execFile(VIRSH, args, { env: clientEnv(), timeout: 120_000, encoding: 'utf8' }, (err, out, errOut) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: out, stderr: errOut }),
      );
      child.stdin?.end();
      void jobStarted(connB).then(() => child.kill('SIGINT'));
    });
    expect({ status: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout, stderr: '' });
    expect((await where(big)).map((w) => w[0])).toEqual(['a']);
  }, 180_000);
});
