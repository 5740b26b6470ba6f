/**
 * tsvirsh against virsh for the domain tuning, job, placement, statistics
 * and guest-agent commands (tune.ts, and domstats, domblkinfo, domblkerror,
 * domifaddr, domif-getlink in monitor.ts): the same command lines give the
 * same stdout, stderr and exit status.
 *
 * Most run on private test-driver state (each connection loads the node file
 * afresh, so ours and virsh's runs start from the same state; a command
 * string checks what a change did). The calls the test driver lacks, and the
 * guest-agent errors, run on a real TCG guest of the suite daemon's QEMU
 * session driver; there a command string that changes the guest puts it
 * back, so virsh's run sees what ours saw.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyGuestXml } from '../../harness/guest.js';
import { DEFAULT_TEST_DOMAINS, TEST_DEVICE } from '../../harness/test-driver.js';
import { connect } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, ours, theirs, type Outcome } from './virsh-diff.js';

const DOMAINS = [
  ...DEFAULT_TEST_DOMAINS,
  { name: 'idle', state: 'shutoff' as const, vcpus: 1, memoryKiB: 524288, currentMemoryKiB: 524288 },
  { name: 'Beta', state: 'paused' as const },
  { name: 'trans', transient: true },
];

/** Two disks and two interfaces (one with its link down) on every domain. */
const DEVICES = `${TEST_DEVICE.disk}${TEST_DEVICE.cdrom}${TEST_DEVICE.networkVnet0}      <interface type='user'>
        <mac address='52:54:00:11:22:33'/>
        <link state='down'/>
      </interface>
`;

let uri = '';

beforeAll(async () => {
  uri = await privateTestUri('unix', { domains: DOMAINS, domainDevices: DEVICES });
});

const split = (line: string): string[] => (line.includes(';') ? [line] : line.split(' '));

/** Command lines for the test driver; one with `;` is a single command string. */
const ON_TEST_DRIVER: string[] = [
  // schedinfo
  'schedinfo test',
  'schedinfo test --current',
  'schedinfo test --config',
  'schedinfo test --set weight=abc',
  'schedinfo test --set foo=1',
  'schedinfo test weight',
  'schedinfo test --set weight=10 --live --config',
  'schedinfo test --live --config',
  'schedinfo test --weight 5',
  'schedinfo test weight=7 cap=1',
  'schedinfo test --set weight=1 --set cap=2',
  'schedinfo test --current --live',
  'schedinfo idle',
  'schedinfo nope',
  '-q schedinfo test',
  // memtune
  'memtune test',
  'memtune test --live --config',
  'memtune test --hard-limit -1',
  'memtune test --hard-limit 1x',
  'memtune test --hard-limit abc',
  'memtune test --hard-limit 99999999999999999999',
  'memtune test --hard-limit 9999999999999999T',
  'memtune test 1000 2000',
  'memtune test --current --live',
  'memtune test --hard-limit 1G; memtune test',
  // blkiotune
  'blkiotune test',
  'blkiotune test --weight 0',
  'blkiotune test --weight 100',
  'blkiotune test --weight x',
  'blkiotune test --live --config',
  'blkiotune test --weight 300; blkiotune test',
  'blkiotune test --device-weights /dev/sda,500',
  // numatune
  'numatune test',
  'numatune test --mode 0x1',
  'numatune test --mode 010',
  'numatune test --mode foo',
  'numatune test strict',
  'numatune test --live --config',
  'numatune test --mode interleave --nodeset 0; numatune test',
  // blkdeviotune
  'blkdeviotune test vda',
  'blkdeviotune test vda --config',
  'blkdeviotune test vda 1000',
  'blkdeviotune test vda --total_bytes_sec 5',
  'blkdeviotune test vda --total-bytes-sec abc',
  'blkdeviotune test vda --total-bytes-sec 1k',
  'blkdeviotune test vda --total-bytes-sec 1x',
  'blkdeviotune test vda --read-iops-sec -1',
  'blkdeviotune test vda --total-bytes-sec 2k --total-bytes-sec-max 4k; blkdeviotune test vda',
  'blkdeviotune test vda --group-name g1 --read-iops-sec 7; blkdeviotune test vda',
  'blkdeviotune test',
  'blkdeviotune test vda --live --config',
  // domiftune
  'domiftune test 52:54:00:aa:bb:cc',
  'domiftune test vnet0',
  'domiftune test 52:54:00:aa:bb:cc --live --config',
  'domiftune test 52:54:00:aa:bb:cc --inbound 100',
  'domiftune test 52:54:00:aa:bb:cc --inbound 100,200,300,400',
  'domiftune test 52:54:00:aa:bb:cc --inbound 0,200',
  'domiftune test 52:54:00:aa:bb:cc --inbound 100,,300',
  'domiftune test 52:54:00:aa:bb:cc --inbound x',
  'domiftune test 52:54:00:aa:bb:cc --inbound 1,x',
  'domiftune test 52:54:00:aa:bb:cc --outbound 1,2,3,4',
  'domiftune test 52:54:00:aa:bb:cc --outbound 1,2,3,4,5',
  'domiftune test 52:54:00:aa:bb:cc --outbound 99999999999',
  'domiftune test 52:54:00:aa:bb:cc --inbound 10,20 --outbound 30; domiftune test 52:54:00:aa:bb:cc',
  // perf and metadata
  'perf test',
  'perf test cmt',
  'perf test --enable cmt,mbmt --disable cpu_cycles',
  'perf test --enable ,,',
  'perf test --live --config',
  '-q perf test',
  'perf test --enable cmt; perf test',
  'metadata test http://x',
  'metadata test http://x --live --config',
  'metadata test http://x --set <a/>',
  'metadata test http://x --remove',
  'metadata test http://x --remove --set x',
  'metadata test http://example.org/ --key ex --set "<foo>bar</foo>"; metadata test http://example.org/',
  'metadata test http://example.org/ --key ex --set "<foo>bar</foo>"; metadata test http://example.org/ --remove; metadata test http://example.org/',
  // jobs and CPU statistics
  'domjobinfo test',
  'domjobinfo test --keep-completed',
  'domjobinfo test --keep-completed --completed',
  'domjobinfo test --rawstats',
  'domjobabort test',
  'domjobabort test --postcopy',
  'cpu-stats test',
  'cpu-stats test --total',
  'cpu-stats test --start 1',
  'cpu-stats test --start 1 --count 1',
  'cpu-stats test 1 1',
  'cpu-stats test --count 9',
  'cpu-stats test --start 9',
  'cpu-stats test --start -1',
  'cpu-stats test --count -1',
  'cpu-stats test --start 0x1',
  'cpu-stats idle',
  // vCPU and emulator pinning
  'vcpupin test',
  'vcpupin test 0',
  'vcpupin test 5',
  'vcpupin test --cpulist 1',
  'vcpupin test 0 abc',
  'vcpupin test 0 9',
  'vcpupin test 0 ^1',
  'vcpupin test 0 r',
  'vcpupin test 0 1,^1',
  "vcpupin test 0 ' 1 - 3 , 5'; vcpupin test",
  'vcpupin test 0 1-3,5; vcpupin test',
  'vcpupin test 1 r --config; vcpupin test --config',
  'vcpupin test 0 2 --live; vcpupin test 0 --live',
  'vcpupin test --live --config',
  'vcpupin idle',
  'vcpupin idle --live',
  'vcpupin trans --config',
  'vcpupin idle 3',
  'vcpupin test 0 1 --live --config',
  '-q vcpupin test',
  'emulatorpin test',
  'emulatorpin test --config',
  'emulatorpin test --live --config',
  'emulatorpin test 1-2; emulatorpin test',
  'emulatorpin test 1-20',
  'emulatorpin idle',
  '-q emulatorpin test',
  'setvcpu test 1',
  'setvcpu test 1 --enable',
  'setvcpu test 1 --enable --disable',
  'setvcpu test 1 --disable --config',
  'guestvcpus test',
  'guestvcpus test --enable',
  'guestvcpus test 1',
  'guestvcpus test 1 --enable',
  // IOThreads
  'iothreadinfo test',
  'iothreadinfo idle --config',
  'iothreadinfo test --live --config',
  'iothreadadd test 0',
  'iothreadadd test x',
  'iothreadadd test',
  'iothreadadd test 5; iothreadinfo test',
  'iothreadadd test 5 --config; iothreadinfo test --config; iothreaddel test 5 --config; iothreadinfo test --config',
  'iothreaddel test 5',
  'iothreadset test 5',
  'iothreadset test 5 --poll-max-ns 100',
  'iothreadpin test 5 1',
  'iothreadpin test',
  // interface links
  'domif-setlink test 52:54:00:aa:bb:cc down --print-xml',
  'domif-setlink test 52:54:00:11:22:33 up --print-xml',
  'domif-setlink test 52:54:00:11:22:33 up --print-xml --config',
  'domif-setlink test testnet0 down',
  'domif-setlink test vnet0 down',
  'domif-setlink test 52:54:00:AA:bb:cc sideways',
  'domif-setlink idle 52:54:00:aa:bb:cc down',
  'domif-setlink test 52:54:00:aa:bb:cc',
  'domif-getlink test vnet0',
  'domif-getlink test testnet1',
  'domif-getlink test 52:54:00:11:22:33',
  'domif-getlink test 52:54:00:AA:BB:CC --config',
  'domif-getlink test 52:54:00:AA:BB:CC --persistent',
  'domif-getlink test 52:54:0:aa:bb:cc',
  'domif-getlink test nope',
  'domif-getlink idle 52:54:00:11:22:33',
  // statistics
  'domstats',
  'domstats --raw',
  'domstats test',
  'domstats test Beta idle',
  'domstats --state --list-active',
  'domstats --list-inactive',
  'domstats --list-persistent',
  'domstats --list-transient',
  'domstats --list-running',
  'domstats --list-paused',
  'domstats --list-shutoff',
  'domstats --list-other',
  'domstats --cpu-total --balloon --vcpu --interface --block --perf --iothread --memory --dirtyrate test',
  'domstats --block --backing --nowait test',
  'domstats --vm test',
  'domstats --enforce --vm test',
  'domstats nope',
  'domstats test nope',
  'domstats --domain test --domain Beta',
  'domblkinfo test --all',
  'domblkinfo test --all --human',
  '-q domblkinfo test --all',
  'domblkinfo idle --all',
  'domblkinfo test hdc',
  'domblkinfo test vda --human',
  'domblkinfo test vdz',
  'domblkinfo test',
  'domblkinfo test vda --all',
  'domblkinfo nope vda',
  'domblkerror test',
  'domblkerror idle',
  'domifaddr test',
  'domifaddr idle',
  'domifaddr test --source agent',
  'domifaddr test --source arp',
  'domifaddr test --source foo',
  'domifaddr test testnet1',
  'domifaddr test --full',
  'domifaddr test lease',
  '-q domifaddr test',
  // display, console, guest agent
  'domdisplay test',
  'vncdisplay test',
  'ttyconsole test',
  'domfsinfo test',
  '-q domfsinfo test',
  'domfsfreeze test',
  'domfsfreeze test / /boot',
  'domfsthaw test --mountpoint / --mountpoint /boot',
  '-q domfsfreeze test',
  'domfsthaw test',
  'domfstrim test',
  'domfstrim test --minimum 5 --mountpoint /',
  'domfstrim test --minimum x',
  'guestinfo test',
  'get-user-sshkeys test root',
  'set-user-password test root pw',
  '-q set-user-password test root pw',
  'set-user-password test root',
  'domlaunchsecinfo test',
  'domdirtyrate-calc test',
  'guest-agent-timeout test',
  'guest-agent-timeout test --timeout 5',
  'guest-agent-timeout test 5',
];

/** Command lines ending in an empty argument: virsh refuses most empty option values (vshCommandOptStringReq). */
const EMPTY_LAST: string[] = [
  'domifaddr test --source',
  'domifaddr test --interface',
  'domiftune test',
  'domiftune test 52:54:00:aa:bb:cc --inbound',
  'perf test --enable',
  'numatune test --nodeset',
  'numatune test --mode',
  'metadata test',
  'metadata test http://x --key',
  'vcpupin test 0',
  'emulatorpin test',
  'blkiotune test --device-weights',
  'domblkinfo test',
  'domif-getlink test',
  'domif-getlink nope',
  'schedinfo test --set',
  'schedinfo test --weight',
  'domdisplay test --type',
  'domstats',
  'domfsfreeze test',
  'domfstrim test --mountpoint',
  'setvcpu test --enable',
  'blkdeviotune test vda --group-name',
  'guestvcpus test --enable --cpulist',
  'iothreadpin test 1',
  'set-user-password test root',
  'get-user-sshkeys test',
];

describe('tsvirsh gives the same output as virsh (tuning and statistics, test driver)', () => {
  it.each(ON_TEST_DRIVER.map((l) => [l, split(l)] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', uri, ...args]);
    expect(a).toEqual(b);
  });

  it.each(EMPTY_LAST.map((l) => [l] as const))("%s ''", async (line) => {
    const [a, b] = await both(['-c', uri, ...line.split(' '), '']);
    expect(a).toEqual(b);
  });

  it('changes really happen: pinning, tuning and IOThreads read back in the same session', async () => {
    const pin = await ours(['-c', uri, 'vcpupin test 0 1-3,5; vcpupin test 0']);
    expect(pin.stdout).toContain(' 0      1-3,5\n');
    const tune = await ours(['-c', uri, 'blkdeviotune test vda --total-bytes-sec 2k --total-bytes-sec-max 4k; blkdeviotune test vda']);
    expect(tune.stdout).toContain('total_bytes_sec: 2048\n');
    expect(tune.stdout).toContain('total_bytes_sec_max: 4096\n');
    const threads = await ours(['-c', uri, 'iothreadadd test 5; iothreadinfo test']);
    expect(threads.stdout).toMatch(/^ 5 +\S/m);
  });
});

// --- a real guest -------------------------------------------------------------------------------

let qemu = '';
const guest = `tune-${randomBytes(3).toString('hex')}`;
const MAC = '52:54:00:7a:11:01';

beforeAll(async () => {
  qemu = (await harnessDaemon()).uris.qemuSessionUnix;
  await using conn = await connect(qemu);
  const extra = `    <interface type='user'><mac address='${MAC}'/><model type='virtio'/></interface>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
`;
  const dom = await conn.raw.domainDefineXML(tinyGuestXml(guest, { extraDevices: extra, vcpus: 2 }));
  await conn.raw.domainCreate(dom);
}, 120_000);

afterAll(async () => {
  if (!qemu) return;
  await using conn = await connect(qemu);
  const dom = await conn.raw.domainLookupByName(guest).catch(() => null);
  if (!dom) return;
  await conn.raw.domainDestroy(dom).catch(() => undefined);
  await conn.raw.domainUndefine(dom);
}, 60_000);

/** Command lines for the QEMU guest (the word `G` stands for its name, `M` for its MAC address). */
const ON_GUEST: string[] = [
  'domjobinfo G',
  'domjobinfo G --completed',
  'domjobinfo G --rawstats',
  'domjobinfo G --completed --keep-completed --anystats',
  'domjobabort G',
  'domjobabort G --postcopy',
  // No guest agent: every agent call fails as the daemon says.
  'guestvcpus G',
  'guestvcpus G 0 --enable',
  'guestinfo G',
  'guestinfo G --os --disk --interface',
  'get-user-sshkeys G root',
  'set-user-sshkeys G root',
  'set-user-sshkeys G root --reset',
  'set-user-sshkeys G root --remove',
  'set-user-sshkeys G root --file /nonexistent',
  'set-user-sshkeys G root --file /dev/null',
  'set-user-password G root pw',
  'domfsinfo G',
  'domfsfreeze G',
  'domfsthaw G /',
  'domfstrim G',
  'domifaddr G --source agent',
  // Launch security: not an SEV guest.
  'domlaunchsecinfo G',
  'domsetlaunchsecstate G',
  'domsetlaunchsecstate G --secrethdr /nonexistent --secret /etc/hostname',
  'domsetlaunchsecstate G --secrethdr /etc/hostname --secret /etc/hostname --set-address 5',
  'domdirtyrate-calc G --mode bogus',
  'domdirtyrate-calc G --seconds x',
  'guest-agent-timeout G --timeout 5',
  'guest-agent-timeout G',
  // Display and console.
  'domdisplay G',
  'domdisplay G --all',
  'domdisplay G --type spice',
  'domdisplay G --type vnc --include-password',
  'vncdisplay G',
  'ttyconsole G',
  // Tuning the session driver cannot do, and what it can.
  'blkiotune G',
  'memtune G',
  'schedinfo G',
  'cpu-stats G --total',
  'numatune G',
  'perf G',
  'iothreadinfo G',
  'emulatorpin G',
  'vcpupin G',
  'vcpupin G --config',
  'domiftune G M',
  'blkdeviotune G hdc',
  'domif-setlink G M up --print-xml',
  'domif-setlink G nope up',
  'setvcpu G 1 --disable',
  'iothreadset G 3 --poll-max-ns 5',
  'iothreaddel G 3',
  'metadata G http://x',
  'iothreadadd G 3; iothreadinfo G; iothreadset G 3 --poll-max-ns 1000 --poll-grow 2 --poll-shrink 3; iothreadpin G 3 0; iothreadinfo G; iothreaddel G 3; iothreadinfo G',
  'iothreadadd G 3 --config; iothreadinfo G --config; iothreaddel G 3 --config',
  'emulatorpin G 1; emulatorpin G; emulatorpin G r; emulatorpin G',
  'emulatorpin G 0 --config; emulatorpin G --config; emulatorpin G 0-1 --config',
  'vcpupin G 0 1; vcpupin G; vcpupin G 0 0-1; vcpupin G 0',
  'domif-setlink G M down; domif-getlink G M; domif-setlink G M up; domif-getlink G M',
  'domif-setlink G M down --config; domif-getlink G M --config; domif-setlink G M up --config',
  'domiftune G M --inbound 100,200,300 --outbound 50; domiftune G M; domiftune G M --inbound 0 --outbound 0; domiftune G M',
  'metadata G http://example.org/x --key ex --set "<foo a=\'1\'>bar</foo>"; metadata G http://example.org/x; metadata G http://example.org/x --remove; metadata G http://example.org/x',
  'numatune G --nodeset 0 --config; numatune G --config',
  'memtune G --hard-limit 1G --config; memtune G --config; memtune G --hard-limit -1 --config; memtune G --config',
  'schedinfo G --config --set cpu_shares=512; schedinfo G --config --set cpu_shares=1024',
  'blkdeviotune G hdc --total-bytes-sec 1M --config; blkdeviotune G hdc --config; blkdeviotune G hdc --total-bytes-sec 0 --config',
  'domblkinfo G --all',
  'domblkinfo G hdc --human',
  'domblkerror G',
  'domifaddr G',
  'domifaddr G --full --source lease',
  'domstats G --state',
];

/**
 * domstats values that move while the guest runs: CPU times, RSS, the
 * dirty-rate start time, and traffic counters (firmware may still touch the
 * NIC or the CD drive).
 */
const settle = (o: Outcome): Outcome => ({
  ...o,
  stdout: o.stdout.replace(
    /^( {2}(?:cpu\.[a-z.]+|vcpu\.\d+\.(?:time|wait|delay)|balloon\.rss|dirtyrate\.calc_start_time|net\.\d+\.(?:rx|tx)\.\w+|block\.\d+\.(?:rd|wr|fl)\.\w+))=\d+$/gm,
    '$1=N',
  ),
});

/** Ours, then virsh: one guest is shared, so a command string that changes it must not overlap with the other run. */
async function inTurn(args: string[], pauseMs = 0): Promise<[Outcome, Outcome]> {
  const a = await ours(args);
  if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  return [a, await theirs(args)];
}

describe('tsvirsh gives the same output as virsh (QEMU guest)', () => {
  const fill = (l: string): string[] => split(l.replace(/\bG\b/g, guest).replace(/\bM\b/g, MAC));

  it.each(ON_GUEST.map((l) => [l, l] as const))('%s', async (_label, line) => {
    const [a, b] = await inTurn(['-c', qemu, ...fill(line)]);
    expect(a).toEqual(b);
  });

  it('domstats with every group (time-derived values normalised)', async () => {
    const [a, b] = await inTurn([
      '-c',
      qemu,
      'domstats',
      '--state',
      '--cpu-total',
      '--balloon',
      '--vcpu',
      '--interface',
      '--block',
      '--iothread',
      '--memory',
      '--dirtyrate',
      guest,
    ]);
    expect(a.stdout).toContain(`Domain: '${guest}'\n  state.state=1\n`);
    expect(settle(a)).toEqual(settle(b));
  });

  it('domdirtyrate-calc starts a calculation', async () => {
    // A calculation takes a second; the second run must not find the first one still measuring.
    const [a, b] = await inTurn(['-c', qemu, 'domdirtyrate-calc', guest], 1500);
    expect(a).toEqual(b);
    expect(a.stdout).toBe("Start to calculate domain's memory dirty rate successfully.\n\n");
  });

  it('domif-setlink changes the live link state', async () => {
    const set = await ours(['-c', qemu, `domif-setlink ${guest} ${MAC} down; domif-getlink ${guest} ${MAC}`]);
    expect(set.stdout).toBe(`Device updated successfully\n\n${MAC} down\n`);
    const back = await ours(['-c', qemu, `domif-setlink ${guest} ${MAC} up; domif-getlink ${guest} ${MAC}`]);
    expect(back.stdout).toBe(`Device updated successfully\n\n${MAC} up\n`);
  });
});
