/**
 * `libvirt-rpc/calls` against the harness's daemon:
 * - the small agent (bench/fixtures/calls-agent.ts: open, list the domains, read their XML),
 *   bundled by esbuild from the built package into one file and run by node, prints the domains
 *   and XML that the object API and virsh give for the same URI; a call the daemon fails rejects
 *   with libvirt's error, as the raw layer's does;
 * - the qemu program on a QEMU guest of the session daemon: a bundled agent's QMP command
 *   (bench/fixtures/calls-qemu-agent.ts) against virsh and python3-libvirt, HMP, the agent
 *   command's error, lxc's namespaces refused as the root connection refuses them; a screenshot
 *   against virsh's and a console, all on a LightConnection;
 * - streams on a LightConnection: volume download and upload (dense and sparse) against virsh
 *   vol-upload / vol-download and the volume's file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { bundleAgent } from '../../bench/fixtures/bundle-agent.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import {
  connect,
  type Connection,
  VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP,
  VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM,
  VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM,
} from '../../src/index.js';
import {
  domainLookupByName,
  domainLxcOpenNamespace,
  domainOpenConsole,
  domainQemuAgentCommand,
  domainQemuMonitorCommand,
  domainScreenshot,
  LibvirtError,
  type LightConnection,
  open,
  pipeFromFile,
  pipeToFile,
  readAll,
  storagePoolLookupByName,
  storageVolCreateXML,
  storageVolDownload,
  storageVolGetPath,
  storageVolUpload,
  UnsupportedError,
} from '../../src/calls.js';
import type { RemoteNonnullDomain } from '../../src/protocol.js';
import { createDirPool, type DirPool } from './dir-pool.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { pyLibvirt, virsh } from './oracle.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-calls-'));
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('libvirt-rpc/calls', () => {
  it('a bundled agent lists the domains and reads the XML the object API and virsh read', async () => {
    const entry = path.join(root, 'dist/esm/calls.js');
    expect(fs.existsSync(entry)).toBe(true); // npm test builds dist/ first
    const outfile = path.join(work, 'agent.mjs');
    const result = await bundleAgent(path.join(root, 'bench/fixtures/calls-agent.ts'), { 'libvirt-rpc/calls': entry }, { outfile });
    expect(result.errors).toEqual([]);
    const uri = await privateTestUri('unix', {
      domains: [{ name: 'calls-a' }, { name: 'calls-b', state: 'shutoff' }, { name: 'calls-c', state: 'paused', vcpus: 3 }],
    });
    const r = await run(process.execPath, [outfile], { cwd: work, timeoutMs: 60_000, env: { ...process.env, LIBVIRT_URI: uri } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const agent = (JSON.parse(r.stdout) as { name: string; xml: string }[]).sort((a, b) => a.name.localeCompare(b.name));

    await using conn = await connect(uri);
    const objects = await Promise.all((await conn.listAllDomains()).map(async (d) => ({ name: d.name, xml: await d.getXMLDesc() })));
    expect(agent).toEqual(objects.sort((a, b) => a.name.localeCompare(b.name)));
    expect(agent.map((d) => d.name)).toEqual(['calls-a', 'calls-b', 'calls-c']);
    const names = (await virsh(uri, ['list', '--all', '--name'])).split('\n').filter(Boolean).sort();
    expect(agent.map((d) => d.name)).toEqual(names);
    // Each domain's XML as virsh dumps it (virsh adds one newline).
    for (const d of agent) expect(`${d.xml}\n`).toBe(await virsh(uri, ['dumpxml', d.name]));
  }, 120_000);

  it('rejects with the daemon error for a failed call, and closes', async () => {
    const uri = await privateTestUri('unix');
    const conn = await open(uri);
    expect(conn.isOpen).toBe(true);
    expect(conn.uri).toBe(uri);
    await expect(domainLookupByName(conn, 'no-such-domain')).rejects.toMatchObject({ name: 'LibvirtError', code: 'VIR_ERR_NO_DOMAIN' });
    expect((await domainLookupByName(conn, 'test')).name).toBe('test');
    await conn.close();
    expect(conn.isOpen).toBe(false);
    await expect(domainLookupByName(conn, 'test')).rejects.toMatchObject({ name: 'ConnectionClosedError' });
  }, 60_000);
});

describe('libvirt-rpc/calls on a QEMU guest: the qemu and lxc programs, screenshot and console', () => {
  // Short (see cli-qemu.test.ts: the guest's socket paths grow with its name).
  const guest = `ck-${randomBytes(3).toString('hex')}`;
  let session = '';
  let admin: Connection;
  let light: LightConnection;
  let dom: RemoteNonnullDomain;

  beforeAll(async () => {
    session = (await harnessDaemon()).uris.qemuSessionUnix;
    admin = await connect(session);
    await admin.domainCreateXML(tinyGuestXml(guest), 0);
    light = await open(session);
    dom = await domainLookupByName(light, guest);
  }, 60_000);

  afterAll(async () => {
    await light?.close();
    const d = await admin?.domainLookupByName(guest).catch(() => null);
    await d?.destroy().catch(() => {});
    await admin?.close();
  });

  /** QEMU numbers each monitor command (`"id": "libvirt-N"`): two runs differ only there. */
  const withoutId = (reply: string): unknown => {
    const { id, ...rest } = JSON.parse(reply) as { id?: string };
    expect(id).toMatch(/^libvirt-\d+$/);
    return rest;
  };

  it("a bundled agent's QMP command (qemu program) answers what virsh and python3-libvirt get", async () => {
    const entry = path.join(root, 'dist/esm/calls.js');
    const outfile = path.join(work, 'qemu-agent.mjs');
    const result = await bundleAgent(path.join(root, 'bench/fixtures/calls-qemu-agent.ts'), { 'libvirt-rpc/calls': entry }, { outfile });
    expect(result.errors).toEqual([]);
    const qmp = '{"execute":"query-name"}';
    const r = await run(process.execPath, [outfile], { cwd: work, timeoutMs: 60_000, env: { ...process.env, LIBVIRT_URI: session, DOMAIN: guest, QMP: qmp } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const agent = withoutId(r.stdout);
    expect(agent).toEqual({ return: { name: guest } });
    expect(withoutId(await virsh(session, ['qemu-monitor-command', guest, qmp]))).toEqual(agent);
    const py = await pyLibvirt<string>(
      session,
      `import libvirt_qemu
result = libvirt_qemu.qemuMonitorCommand(conn.lookupByName(${JSON.stringify(guest)}), ${JSON.stringify(qmp)}, 0)`,
    );
    expect(withoutId(py)).toEqual(agent);
  }, 120_000);

  it('on a LightConnection: HMP as python3-libvirt gets it, the agent command and lxc namespaces refused as the root connection has them', async () => {
    const hmp = await domainQemuMonitorCommand(light, dom, 'info name', VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP);
    expect(hmp).toContain(guest);
    expect(hmp).toBe(
      await pyLibvirt<string>(
        session,
        `import libvirt_qemu
result = libvirt_qemu.qemuMonitorCommand(conn.lookupByName(${JSON.stringify(guest)}), 'info name', libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)`,
      ),
    );
    // Mixed in one program: the root entry's Connection takes the same functions.
    expect(withoutId(await domainQemuMonitorCommand(admin, dom, '{"execute":"query-status"}', 0))).toEqual(
      withoutId(await domainQemuMonitorCommand(light, dom, '{"execute":"query-status"}', 0)),
    );

    // The guest runs no agent: the daemon's error, as python3-libvirt gets it.
    const err = (await domainQemuAgentCommand(light, dom, '{"execute":"guest-ping"}', 5, 0).catch((e: unknown) => e)) as LibvirtError;
    expect(err).toBeInstanceOf(LibvirtError);
    const py = await pyLibvirt<{ code: number; message: string }>(
      session,
      `import libvirt_qemu
try:
    libvirt_qemu.qemuAgentCommand(conn.lookupByName(${JSON.stringify(guest)}), '{"execute":"guest-ping"}', 5, 0)
    result = None
except libvirt.libvirtError as e:
    result = {"code": e.get_error_code(), "message": e.get_error_message()}`,
    );
    expect(err.errorCode).toBe(py.code);
    expect(err.message).toContain(py.message);
    expect(await admin.raw.domainQemuAgentCommand(dom, '{"execute":"guest-ping"}', 5, 0).catch((e: unknown) => (e as LibvirtError).errorCode)).toBe(py.code);

    // lxc's namespaces come back as file descriptors, which Node cannot receive: refused before sending, as by conn.raw.
    const lxc = await domainLxcOpenNamespace(light, dom, 0).catch((e: unknown) => e);
    expect(lxc).toBeInstanceOf(UnsupportedError);
    expect((lxc as Error).message).toMatch(/^LXC_PROC_DOMAIN_OPEN_NAMESPACE passes file descriptors/);
    expect(await admin.raw.domainLxcOpenNamespace(dom, 0).catch((e: unknown) => (e as Error).message)).toBe((lxc as Error).message);
    expect(light.isOpen).toBe(true);
  }, 60_000);

  it('gives the screenshot virsh takes (type and geometry), and a console stream', async () => {
    const { mime, stream } = await domainScreenshot(light, dom, 0, 0);
    const image = await readAll(stream);
    const file = path.join(work, 'shot');
    const said = await virsh(session, ['screenshot', guest, file]);
    expect(said).toContain(`with type of ${mime}`);
    const theirs = fs.readFileSync(file);
    // The guest's screen may change between the two: its type, size and header may not.
    const header = (b: Buffer): string =>
      mime === 'image/png' ? b.subarray(0, 24).toString('hex') : /^P6\s+\d+\s+\d+\s+\d+\s/.exec(b.toString('latin1', 0, 32))![0];
    expect(header(image)).toBe(header(theirs));
    if (mime !== 'image/png') expect(image.length).toBe(theirs.length);

    const console_ = await domainOpenConsole(light, dom, null, 0);
    expect(console_.mode).toBe('duplex');
    console_.resume();
    console_.write('\r');
    await console_.finish();
    expect(light.isOpen).toBe(true);
  }, 60_000);
});

describe('libvirt-rpc/calls streams on a LightConnection: storage volumes', () => {
  const tag = randomBytes(3).toString('hex');
  const poolName = `rpc-calls-${tag}`;
  const MiB = 1024 * 1024;
  let session = '';
  let admin: Connection;
  let light: LightConnection;
  let dirPool: DirPool | undefined;

  beforeAll(async () => {
    const d = await harnessDaemon();
    session = d.uris.qemuSessionUnix;
    admin = await connect(session);
    dirPool = await createDirPool(admin, d.dir, poolName);
    light = await open(session);
  }, 60_000);

  afterAll(async () => {
    await light?.close();
    try {
      await dirPool?.remove();
    } finally {
      await admin?.close();
    }
  });

  const volumeXml = (name: string, capacity: number, allocation = capacity): string =>
    `<volume><name>${name}</name><capacity unit='bytes'>${capacity}</capacity><allocation unit='bytes'>${allocation}</allocation><target><format type='raw'/></target></volume>`;

  it('downloads the bytes virsh vol-upload wrote, as virsh vol-download reads them, whole and a range', async () => {
    const size = 5 * MiB + 123; // several stream packets, the last one short
    const data = randomBytes(size);
    const src = path.join(work, 'src.img');
    fs.writeFileSync(src, data);
    const pool = await storagePoolLookupByName(light, poolName);
    const vol = await storageVolCreateXML(light, pool, volumeXml(`dl-${tag}.img`, size), 0);
    await virsh(session, ['vol-upload', '--pool', poolName, vol.name, src]);

    const mine = await readAll(await storageVolDownload(light, vol, 0n, 0n, 0));
    expect(mine.length).toBe(size);
    expect(mine.equals(data)).toBe(true);
    const theirs = path.join(work, 'virsh-dl.img');
    await virsh(session, ['vol-download', '--pool', poolName, vol.name, theirs]);
    expect(mine.equals(fs.readFileSync(theirs))).toBe(true);

    // A range, into a file.
    const part = path.join(work, 'part.img');
    expect(await pipeToFile(await storageVolDownload(light, vol, 1000n, 300_000n, 0), part)).toBe(300_000);
    expect(fs.readFileSync(part).equals(data.subarray(1000, 301_000))).toBe(true);
    expect(light.isOpen).toBe(true);
  }, 120_000);

  it('uploads bytes the volume file then holds, and virsh vol-download reads back', async () => {
    const size = 3 * MiB + 7;
    const data = randomBytes(size);
    const pool = await storagePoolLookupByName(light, poolName);
    const vol = await storageVolCreateXML(light, pool, volumeXml(`ul-${tag}.img`, size), 0);
    const up = await storageVolUpload(light, vol, 0n, BigInt(size), 0);
    expect(up.mode).toBe('write');
    await pipeline(Readable.from([data.subarray(0, MiB), data.subarray(MiB)]), up);
    expect(fs.readFileSync(await storageVolGetPath(light, vol)).equals(data)).toBe(true);
    const theirs = path.join(work, 'virsh-ul.img');
    await virsh(session, ['vol-download', '--pool', poolName, vol.name, theirs]);
    expect(fs.readFileSync(theirs).equals(data)).toBe(true);
  }, 120_000);

  it('uploads and downloads sparse (the flag picks the sparse stream), holes kept in the file', async () => {
    const size = 8 * MiB;
    const head = randomBytes(MiB);
    const expected = Buffer.alloc(size);
    head.copy(expected, 0);
    const src = path.join(work, 'sparse-src.img');
    fs.writeFileSync(src, head);
    fs.truncateSync(src, size); // 1 MiB of data, then a 7 MiB hole
    const pool = await storagePoolLookupByName(light, poolName);
    const vol = await storageVolCreateXML(light, pool, volumeXml(`sp-${tag}.img`, size, 0), 0);
    const up = await storageVolUpload(light, vol, 0n, 0n, VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM);
    expect(up.sparse).toBe(true);
    expect(await pipeFromFile(src, up, { detectHoles: true })).toBe(size);
    const file = await storageVolGetPath(light, vol);
    expect(fs.statSync(file).size).toBe(size);
    expect(fs.statSync(file).blocks * 512).toBeLessThan(4 * MiB);

    const down = await storageVolDownload(light, vol, 0n, 0n, VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM);
    expect(down.sparse).toBe(true);
    let holes = 0n;
    const parts: Buffer[] = [];
    for await (const e of down.entries()) {
      if (e.kind === 'hole') {
        holes += e.length;
        parts.push(Buffer.alloc(Number(e.length)));
      } else parts.push(e.data);
    }
    expect(holes).toBeGreaterThanOrEqual(BigInt(6 * MiB));
    expect(Buffer.concat(parts).equals(expected)).toBe(true);
    const plain = await storageVolDownload(light, vol, 0n, 0n, 0);
    expect(plain.sparse).toBe(false);
    expect((await readAll(plain)).equals(expected)).toBe(true);
  }, 120_000);
});
