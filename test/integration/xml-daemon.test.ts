/**
 * The typed XML model against the real daemon (the run's private session libvirtd, QEMU TCG):
 *
 * - the builders' definitions are accepted through the typed companions: a dir pool (built and
 *   started), a qcow2 volume in it, a guest on that volume with a cdrom, NICs, VNC and a serial
 *   console, a NAT network; each dump holds everything that was sent (libvirt adds its defaults);
 *   the guest starts under TCG;
 * - read companions give what parsing the XML methods' text gives, capabilities included;
 * - every broken definition the validator flags (test/support/broken-definitions.ts) is refused
 *   by the daemon too when sent without validation, and not sent at all with it.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownToTestUser } from '../../harness/daemon.js';
import { QEMU_EMULATOR } from '../../harness/guest.js';
import {
  connect,
  type Connection,
  LibvirtError,
  type StoragePool,
  type StorageVol,
  VIR_DOMAIN_RUNNING,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_NETWORK_XML_INACTIVE,
  VIR_STORAGE_XML_INACTIVE,
} from '../../src/index.js';
import {
  dirPool,
  domainXml,
  kvmGuest,
  natNetwork,
  networkXml,
  parseDomainXml,
  qcow2Volume,
  storagePoolXml,
  storageVolXml,
  XmlValidationError,
} from '../../src/api/xml/index.js';
import { BROKEN } from '../support/broken-definitions.js';
import { xmlMissing } from '../support/xml-same.js';
import { harnessDaemon } from './env.js';

const tag = randomBytes(3).toString('hex');
let conn: Connection;
let pool: StoragePool;
let vol: StorageVol;
let poolDir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const d = await harnessDaemon();
  conn = await connect(d.uris.qemuSessionUnix);
  poolDir = path.join(d.dir, `xml-pool-${tag}`);
  fs.mkdirSync(poolDir, { mode: 0o755 });
  chownToTestUser(poolDir);
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await conn?.close();
});

describe('builders through the typed companions, on the real daemon', () => {
  it('defines and starts a dir pool; its dump holds the definition', async () => {
    const def = dirPool({ name: `xml-pool-${tag}`, path: poolDir });
    pool = await conn.defineStoragePool(def);
    cleanups.push(() => pool.undefine());
    await pool.create();
    cleanups.push(() => pool.destroy());
    expect(xmlMissing(storagePoolXml(def), await pool.getXMLDesc(VIR_STORAGE_XML_INACTIVE))).toBeNull();
    const back = await pool.getDefinition();
    expect(back.target?.path).toBe(poolDir);
    expect(back.type).toBe('dir');
  });

  it('creates a qcow2 volume; its dump holds the definition (allocation is what the file takes)', async () => {
    const def = qcow2Volume({ name: `disk-${tag}.qcow2`, capacityGiB: 1 });
    vol = await pool.createVolume(def);
    cleanups.push(() => vol.delete());
    expect(xmlMissing(storageVolXml(def), await vol.getXMLDesc(), ['/volume/allocation'])).toBeNull();
    const back = await vol.getDefinition();
    expect(back.capacity).toEqual({ unit: 'bytes', value: 1024 ** 3 });
    expect(back.target?.format?.type).toBe('qcow2');
    expect(back.target?.path).toBe(path.join(poolDir, `disk-${tag}.qcow2`));
  });

  it('defines a guest on the volume with VNC and a serial console that starts under TCG', async () => {
    const def = kvmGuest({
      name: `xml-guest-${tag}`,
      type: 'qemu',
      memoryMiB: 64,
      emulator: QEMU_EMULATOR,
      disks: [(await vol.getDefinition()).target!.path!],
      nics: [{ user: true }],
    });
    const dom = await conn.defineDomain(def);
    cleanups.push(() => dom.undefine());
    expect(xmlMissing(domainXml(def), await dom.getXMLDesc(VIR_DOMAIN_XML_INACTIVE))).toBeNull();
    await dom.create();
    cleanups.push(() => dom.destroy());
    expect((await dom.getInfo()).state).toBe(VIR_DOMAIN_RUNNING);
    const live = await dom.getDefinition();
    expect(live.id).toBe(dom.id);
    expect(live.devices?.disk?.[0]?.source?.file).toBe(def.devices?.disk?.[0]?.source?.file);
    expect(live.devices?.graphics?.[0]?.port).toBeGreaterThanOrEqual(5900);
    expect(live.devices?.serial?.[0]?.source?.[0]?.path).toMatch(/^\/dev\/pts\/\d+$/);
    expect(live).toEqual(parseDomainXml(await dom.getXMLDesc()));
    await dom.destroy();
  });

  it('defines a guest with a cdrom and NICs on a network and on a bridge; its dump holds the definition', async () => {
    const def = kvmGuest({
      name: `xml-guest2-${tag}`,
      emulator: QEMU_EMULATOR,
      type: 'qemu',
      disks: [{ path: '/var/lib/images/web.qcow2' }, { path: '/var/lib/images/data.raw', format: 'raw' }],
      cdrom: '/var/lib/images/debian.iso',
      nics: ['default', { bridge: 'br0', mac: '52:54:00:12:34:56' }],
      vnc: { listen: '0.0.0.0' },
    });
    const dom = await conn.defineDomain(def);
    cleanups.push(() => dom.undefine());
    expect(xmlMissing(domainXml(def), await dom.getXMLDesc(VIR_DOMAIN_XML_INACTIVE))).toBeNull();
    const back = await dom.getDefinition(VIR_DOMAIN_XML_INACTIVE);
    expect(back.devices?.disk?.map((d) => [d.device, d.target.dev, d.target.bus])).toEqual([
      ['disk', 'vda', 'virtio'],
      ['disk', 'vdb', 'virtio'],
      ['cdrom', 'sda', 'sata'],
    ]);
    expect(back.devices?.interface?.map((i) => i.type)).toEqual(['network', 'bridge']);
  });

  it('defines a NAT network; its dump holds the definition', async () => {
    const def = natNetwork({ name: `xml-net-${tag}`, bridge: `virbr${tag.slice(0, 4)}`, address: '192.168.251.1' });
    const net = await conn.defineNetwork(def);
    cleanups.push(() => net.undefine());
    expect(xmlMissing(networkXml(def), await net.getXMLDesc(VIR_NETWORK_XML_INACTIVE))).toBeNull();
    const back = await net.getDefinition(VIR_NETWORK_XML_INACTIVE);
    expect(back.forward?.mode).toBe('nat');
    expect(back.ip?.[0]?.dhcp?.range?.[0]).toMatchObject({ start: '192.168.251.2', end: '192.168.251.254' });
  });
});

describe('read companions', () => {
  it('parse the capabilities and the domain capabilities', async () => {
    const caps = await conn.getCapabilitiesDefinition();
    expect(caps.host.cpu.arch).toBe('x86_64');
    expect(caps.guest?.some((g) => g.os_type === 'hvm' && g.arch.name === 'x86_64')).toBe(true);
    const dcaps = await conn.getDomainCapabilitiesDefinition(null, 'x86_64', null, 'qemu');
    expect(dcaps.path).toBe(QEMU_EMULATOR);
    expect(dcaps.domain).toBe('qemu');
  });
});

describe('broken definitions', () => {
  it.each(BROKEN.map((b) => [b.what, b] as const))('%s: refused by the validator before sending, and by the daemon', async (_, b) => {
    const send = (options: { validate: boolean }) => {
      const def = b.def as never;
      switch (b.kind) {
        case 'domain':
          return conn.defineDomain(def, 0, options);
        case 'network':
          return conn.defineNetwork(def, 0, options);
        case 'storagepool':
          return conn.defineStoragePool(def, 0, options);
        case 'storagevol':
          return pool.createVolume(def, 0, options);
      }
    };
    const local = await send({ validate: true }).catch((e: unknown) => e);
    expect(local).toBeInstanceOf(XmlValidationError);
    expect((local as XmlValidationError).message).toContain(b.problem);
    const remote = await send({ validate: false }).catch((e: unknown) => e);
    if (!(remote instanceof LibvirtError)) await (remote as { undefine?: () => Promise<void>; delete?: () => Promise<void> })?.undefine?.();
    expect(remote).toBeInstanceOf(LibvirtError);
  });
});
