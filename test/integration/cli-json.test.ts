import { beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/api/connect.js';
import { localTime } from '../../src/cli/support/format.js';
import { DEFAULT_TEST_DOMAINS, TEST_GUEST_DEVICES } from '../../harness/test-driver.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { ours } from './virsh-diff.js';

let uri = '';

beforeAll(async () => {
  uri = await privateTestUri('unix', {
    domains: [...DEFAULT_TEST_DOMAINS, { name: 'idle', state: 'shutoff', vcpus: 1, memoryKiB: 524288, currentMemoryKiB: 524288 }],
    domainDevices: TEST_GUEST_DEVICES,
  });
});

/** tsvirsh's stdout for a command line on `on` (the test-driver URI by default); fails the test on a non-zero status. */
async function text(args: string[], on = uri): Promise<string> {
  const r = await ours(['-c', on, ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** The command line with `--json`: its stdout is one line of JSON and nothing else. */
async function json<T = Record<string, unknown>[]>(args: string[], on = uri): Promise<T> {
  const out = await text([...args, '--json'], on);
  expect(out.endsWith('\n')).toBe(true);
  expect(out.slice(0, -1)).not.toContain('\n');
  return JSON.parse(out) as T;
}

/** A virsh table's rows: cells cut at the columns the header line starts (its labels, in order). */
function table(out: string, header: string[]): string[][] {
  const lines = out.split('\n').filter((l) => l !== '');
  const starts = header.map((h) => lines[0].indexOf(h));
  expect(starts.every((s, i) => s > 0 && (i === 0 || s > starts[i - 1]))).toBe(true);
  expect(lines[1]).toMatch(/^-+$/);
  return lines.slice(2).map((l) => starts.map((s, i) => l.slice(s, starts[i + 1]).trim()));
}

/** An info command's `Label:   value` lines as a map (`width` is virsh's label padding). */
function fields(out: string, width = 15): Map<string, string> {
  return new Map(
    out
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => [l.slice(0, width).trim(), l.slice(width + 1)]),
  );
}

const yesNo = (v: unknown): string => (v ? 'yes' : 'no');
const dash = (v: unknown): string => (v === null ? '-' : String(v));

describe('tsvirsh --json against the text output', () => {
  it('list: the table rows, and the object API for the UUIDs', async () => {
    const records = await json<{ id: number | null; name: string; uuid: string; state: string }[]>(['list', '--all']);
    expect(records.map((r) => [dash(r.id), r.name, r.state])).toEqual(table(await text(['list', '--all']), ['Id', 'Name', 'State']));
    expect(records.length).toBe(2);
    await using conn = await connect(uri);
    const doms = await conn.listAllDomains();
    expect(records.map((r) => r.uuid).sort()).toEqual(doms.map((d) => d.uuidString).sort());
    // The filters apply as to the text: --inactive lists only `idle`.
    expect((await json<{ name: string }[]>(['list', '--inactive'])).map((r) => r.name)).toEqual(['idle']);
  });

  it('dominfo: every line, numbers as numbers, booleans as booleans', async () => {
    for (const name of ['test', 'idle']) {
      const j = await json<Record<string, unknown>>(['dominfo', name]);
      const t = fields(await text(['dominfo', name]));
      expect(t.get('Id:')).toBe(dash(j.id));
      expect(t.get('Name:')).toBe(j.name);
      expect(t.get('UUID:')).toBe(j.uuid);
      expect(t.get('OS Type:')).toBe(j.os_type);
      expect(t.get('State:')).toBe(j.state);
      expect(t.get('CPU(s):')).toBe(String(j.cpus));
      expect(t.get('Max memory:')).toBe(`${j.max_memory} KiB`);
      expect(t.get('Used memory:')).toBe(`${j.used_memory} KiB`);
      expect(t.get('Persistent:')).toBe(yesNo(j.persistent));
      expect(t.get('Autostart:')).toBe(j.autostart ? 'enable' : 'disable');
      expect(t.get('Managed save:')).toBe(yesNo(j.managed_save));
      expect(t.get('Security model:')).toBe(j.security_model);
      expect(typeof j.cpus).toBe('number');
      expect(typeof j.persistent).toBe('boolean');
      await using conn = await connect(uri);
      const info = await (await conn.domainLookupByName(name)).getInfo();
      expect([j.max_memory, j.used_memory, j.cpus]).toEqual([info.maxMem, info.memory, info.nrVirtCpu]);
      // The test driver's CPU time follows the clock: only its presence and type are compared.
      expect(t.has('CPU time:')).toBe(j.cpu_time !== undefined);
      if (j.cpu_time !== undefined) expect(typeof j.cpu_time).toBe('number');
    }
  });

  it('domblklist and domiflist: the rows, null where the text has -', async () => {
    const disks = await json<{ target: string; source: string | null; type?: string; device?: string }[]>(['domblklist', 'test', '--details']);
    expect(disks.map((d) => [d.type, d.device, d.target, dash(d.source)])).toEqual(
      table(await text(['domblklist', 'test', '--details']), ['Type', 'Device', 'Target', 'Source']),
    );
    expect(disks.find((d) => d.target === 'fda')?.source).toBeNull();
    const nics = await json<Record<string, string | null>[]>(['domiflist', 'test']);
    expect(nics.map((n) => [dash(n.interface), n.type, dash(n.source), dash(n.model), dash(n.mac)])).toEqual(
      table(await text(['domiflist', 'test']), ['Interface', 'Type', 'Source', 'Model', 'MAC']),
    );
    expect(nics.map((n) => n.mac)).toEqual(['52:54:00:aa:bb:cc', '52:54:00:11:22:33']);
  });

  it('vcpuinfo: one object a vCPU, CPU time in seconds', async () => {
    const vcpus = await json<{ vcpu: number; cpu: number | null; state: string | null; cpu_time: number | null; affinity: string }[]>(['vcpuinfo', 'test']);
    const blocks = (await text(['vcpuinfo', 'test'])).split('\n\n').filter((b) => b.trim() !== '');
    expect(vcpus.length).toBe(blocks.length);
    vcpus.forEach((v, i) => {
      const t = fields(blocks[i]);
      expect([t.get('VCPU:'), t.get('CPU:'), t.get('State:'), t.get('CPU Affinity:')]).toEqual([String(v.vcpu), String(v.cpu), v.state, v.affinity]);
      expect(typeof v.cpu_time).toBe('number');
    });
    // An inactive domain: virsh's N/A are nulls.
    const idle = await json<{ cpu: null; state: null; cpu_time: null }[]>(['vcpuinfo', 'idle']);
    expect(idle).toEqual([{ vcpu: 0, cpu: null, state: null, cpu_time: null, affinity: expect.any(String) }]);
  });

  it('domstats: each domain with its fields, typed', async () => {
    const args = ['domstats', '--state', '--balloon', '--vcpu', '--block', '--interface'];
    const records = await json<{ domain: string; stats: Record<string, number | string | boolean> }[]>(args);
    const blocks = (await text(args)).split('\n\n').filter((b) => b.trim() !== '');
    expect(records.length).toBe(blocks.length);
    records.forEach((r, i) => {
      const [head, ...lines] = blocks[i].split('\n').filter((l) => l !== '');
      expect(head).toBe(`Domain: '${r.domain}'`);
      const shown = Object.entries(r.stats).map(
        ([k, v]) => `  ${k}=${typeof v === 'boolean' ? yesNo(v) : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(6) : v}`,
      );
      expect(shown).toEqual(lines);
    });
    expect(records.find((r) => r.domain === 'test')!.stats['state.state']).toBe(1);
  });

  it('domblkinfo and domifaddr: sizes in bytes, addresses with their prefix', async () => {
    const all = await json<{ target: string; capacity: number | null; allocation: number | null; physical: number | null }[]>(['domblkinfo', 'test', '--all']);
    expect(all.map((d) => [d.target, dash(d.capacity), dash(d.allocation), dash(d.physical)])).toEqual(
      table(await text(['domblkinfo', 'test', '--all']), ['Target', 'Capacity', 'Allocation', 'Physical']),
    );
    const one = await json<Record<string, number>>(['domblkinfo', 'test', 'vda']);
    const t = fields(await text(['domblkinfo', 'test', 'vda']));
    expect([t.get('Capacity:'), t.get('Allocation:'), t.get('Physical:')]).toEqual([one.capacity, one.allocation, one.physical].map(String));
    const addrs = await json<{ name: string; mac: string; addresses: { type: string; address: string; prefix: number }[] }[]>(['domifaddr', 'test']);
    const rows = (await text(['domifaddr', 'test']))
      .split('\n')
      .slice(2)
      .filter((l) => l !== '')
      .map((l) => l.trim().split(/\s+/));
    expect(addrs.flatMap((a) => a.addresses.map((x) => [a.name, a.mac, x.type, `${x.address}/${x.prefix}`]))).toEqual(rows);
  });

  it('dommemstat: the same fields and values', async () => {
    const stats = await json<Record<string, number>>(['dommemstat', 'test']);
    const lines = (await text(['dommemstat', 'test'])).split('\n').filter((l) => l !== '');
    expect(Object.entries(stats).map(([k, v]) => `${k} ${v}`)).toEqual(lines);
  });

  it('net-list, net-info, pool-list, pool-info, iface-list', async () => {
    const nets = await json<{ name: string; active: boolean; autostart: boolean | null; persistent: boolean; uuid: string }[]>(['net-list', '--all']);
    expect(nets.map((n) => [n.name, n.active ? 'active' : 'inactive', yesNo(n.autostart), yesNo(n.persistent)])).toEqual(
      table(await text(['net-list', '--all']), ['Name', 'State', 'Autostart', 'Persistent']),
    );
    const net = await json<Record<string, unknown>>(['net-info', 'default']);
    const nt = fields(await text(['net-info', 'default']));
    expect([nt.get('Name:'), nt.get('UUID:'), nt.get('Active:'), nt.get('Bridge:')]).toEqual([net.name, nets[0].uuid, yesNo(net.active), net.bridge]);
    const pools = await json<Record<string, unknown>[]>(['pool-list', '--all']);
    const prows = table(await text(['pool-list', '--all', '--details']), ['Name', 'State', 'Autostart', 'Persistent', 'Capacity']);
    expect(pools.map((p) => [p.name, p.state, yesNo(p.autostart), yesNo(p.persistent)])).toEqual(prows.map((r) => r.slice(0, 4)));
    const pool = await json<Record<string, unknown>>(['pool-info', 'default-pool']);
    const pt = fields(await text(['pool-info', 'default-pool', '--bytes']));
    expect([pt.get('Capacity:'), pt.get('Allocation:'), pt.get('Available:')]).toEqual([pool.capacity, pool.allocation, pool.available].map(String));
    expect(pools[0].capacity).toBe(pool.capacity);
    await using conn = await connect(uri);
    const info = await (await conn.storagePoolLookupByName('default-pool')).getInfo();
    expect(pool.capacity).toBe(Number(info.capacity));
    const ifaces = await json<{ name: string; active: boolean; mac: string }[]>(['iface-list', '--all']);
    expect(ifaces.map((i) => [i.name, i.active ? 'active' : 'inactive', i.mac])).toEqual(
      table(await text(['iface-list', '--all']), ['Name', 'State', 'MAC Address']),
    );
  });

  it('vol-list and vol-info on volumes made in the same session', async () => {
    const make = 'vol-create-as default-pool v1 10M; vol-create-as default-pool v2 1G --allocation 1M';
    const out = (await text([`${make}; vol-list default-pool --details`])).split('\n\n');
    const vols = JSON.parse((await text([`${make}; vol-list default-pool --json`])).split('\n\n').at(-1)!) as Record<string, unknown>[];
    expect(vols.map((v) => [v.name, v.path, v.type])).toEqual(table(out[2], ['Name', 'Path', 'Type', 'Capacity']).map((r) => r.slice(0, 3)));
    expect(vols.map((v) => v.capacity)).toEqual([10 * 1024 * 1024, 1024 * 1024 * 1024]);
    const info = JSON.parse((await text([`${make}; vol-info v2 --pool default-pool --json`])).split('\n\n').at(-1)!) as Record<string, unknown>;
    const vt = fields((await text([`${make}; vol-info v2 --pool default-pool --bytes`])).split('\n\n')[2]);
    expect([vt.get('Name:'), vt.get('Type:'), vt.get('Capacity:'), vt.get('Allocation:')]).toEqual([
      info.name,
      info.type,
      `${info.capacity} bytes`,
      `${info.allocation} bytes`,
    ]);
  });

  it('snapshot-list: names, creation times as seconds, states, parents', async () => {
    const make = 'snapshot-create-as test s1; snapshot-create-as test s2';
    // snapshot-create-as' message has no newline of its own: the session's closing one ends it.
    const out = (await text([`${make}; snapshot-list test --parent`])).replace(/^Domain snapshot .*\n/gm, '');
    const snaps = JSON.parse((await text([`${make}; snapshot-list test --json`])).trim().split('\n').at(-1)!) as {
      name: string;
      creation_time: number;
      state: string;
      parent: string | null;
    }[];
    const rows = table(out, ['Name', 'Creation Time', 'State', 'Parent']);
    expect(snaps.map((s) => [s.name, s.state, s.parent ?? ''])).toEqual(rows.map((r) => [r[0], r[2], r[3]]));
    expect(snaps.map((s) => s.parent)).toEqual([null, 's1']);
    // Two sessions, two creation times: each is a time in seconds, printed as virsh prints it.
    for (const s of snaps) expect(localTime(s.creation_time, true)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$/);
  });

  it('nodeinfo: the lines, and the object API', async () => {
    const j = await json<Record<string, number | string>>(['nodeinfo']);
    const t = fields(await text(['nodeinfo']), 20);
    expect([...t.values()]).toEqual([
      j.cpu_model,
      String(j.cpus),
      `${j.cpu_frequency} MHz`,
      String(j.cpu_sockets),
      String(j.cores_per_socket),
      String(j.threads_per_core),
      String(j.numa_cells),
      `${j.memory_size} KiB`,
    ]);
    await using conn = await connect(uri);
    const info = await conn.nodeGetInfo();
    expect([j.cpu_model, j.cpus, j.memory_size]).toEqual([info.model, info.cpus, Number(info.memory)]);
  });

  it('on the QEMU session driver: nodememstats, nodedev-list, secret-list', async () => {
    const qemu = (await harnessDaemon()).uris.qemuSessionUnix;
    const mem = await json<Record<string, number>>(['nodememstats'], qemu);
    const lines = (await text(['nodememstats'], qemu)).split('\n').filter((l) => l !== '');
    expect(Object.keys(mem)).toEqual(lines.map((l) => l.split(':')[0].trim()));
    expect(mem.total).toBe(Number(/^total\s*:\s*(\d+) KiB$/.exec(lines[0])![1]));
    const devs = await json<{ name: string; parent: string | null }[]>(['nodedev-list'], qemu);
    expect(devs.map((d) => d.name)).toEqual((await text(['nodedev-list'], qemu)).split('\n').filter((l) => l !== ''));
    expect(devs.find((d) => d.name === 'computer')?.parent).toBeNull();
    expect(devs.filter((d) => d.name !== 'computer').every((d) => typeof d.parent === 'string')).toBe(true);
    const secrets = await json<{ uuid: string }[]>(['secret-list'], qemu);
    expect(secrets.map((s) => s.uuid)).toEqual(table(await text(['secret-list'], qemu), ['UUID', 'Usage']).map((r) => r[0]));
  });
});

describe('--json is tsvirsh’s own', () => {
  it('is not in help, and a command without it refuses it as virsh refuses an unknown option', async () => {
    expect((await text(['help', 'list'])).includes('json')).toBe(false);
    const r = await ours(['-c', uri, 'hostname', '--json']);
    expect([r.status, r.stderr]).toEqual([1, "error: command 'hostname' doesn't support option --json\n"]);
  });

  it('a failure is still virsh’s error on stderr, with no JSON on stdout', async () => {
    const r = await ours(['-c', uri, 'dominfo', 'nope', '--json']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: failed to get domain 'nope'/);
  });
});
