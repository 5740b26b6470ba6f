/**
 * A real QEMU guest (TCG, no disk) through its life cycle on the private
 * daemon's QEMU session driver, checked against python3-libvirt.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tinyGuestXml } from '../../harness/guest.js';
import { connect, LibvirtError, VIR_DOMAIN_RUNNING, VIR_DOMAIN_SHUTOFF } from '../../src/index.js';
import { harnessDaemon } from './env.js';
import { pyLibvirt } from './oracle.js';

describe.each(['unix', 'tcp'] as const)('a QEMU guest on qemu session over %s', (transport) => {
  it('is defined from XML, started, queried, destroyed and undefined', async () => {
    const d = await harnessDaemon();
    const uri = transport === 'unix' ? d.uris.qemuSessionUnix : d.uris.qemuSessionTcp;
    await using conn = await connect(uri);
    const name = `rpc-guest-${randomBytes(3).toString('hex')}`;
    const defined = await conn.raw.domainDefineXML(tinyGuestXml(name));
    try {
      expect(defined.name).toBe(name);
      expect(defined.id).toBe(-1);
      await conn.raw.domainCreate(defined);
      const dom = await conn.raw.domainLookupByName(name);
      expect(dom.id).toBeGreaterThan(0);
      const info = await conn.raw.domainGetInfo(dom);
      expect(info.state).toBe(VIR_DOMAIN_RUNNING);
      expect(info.maxMem).toBe(64n * 1024n);
      expect(info.nrVirtCpu).toBe(1);
      const xml = await conn.raw.domainGetXMLDesc(dom, 0);
      expect(xml).toContain(`<name>${name}</name>`);
      expect(xml).toMatch(/<graphics type='vnc' port='\d+'/);

      const oracle = await pyLibvirt<{ id: number; state: number; maxMem: number; uuid: string; active: number }>(
        uri,
        `d = conn.lookupByName(${JSON.stringify(name)})
i = d.info()
result = {"id": d.ID(), "state": i[0], "maxMem": i[1], "uuid": d.UUIDString(), "active": d.isActive()}`,
      );
      expect(oracle).toEqual({
        id: dom.id,
        state: info.state,
        maxMem: Number(info.maxMem),
        uuid: formatUuid(dom.uuid),
        active: await conn.raw.domainIsActive(dom),
      });

      await conn.raw.domainDestroy(dom);
      expect((await conn.raw.domainGetInfo(dom)).state).toBe(VIR_DOMAIN_SHUTOFF);
    } finally {
      await conn.raw.domainUndefine(defined);
    }
    const err = await conn.raw.domainLookupByName(name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).codeName).toBe('VIR_ERR_NO_DOMAIN');
    expect((err as LibvirtError).message).toContain(name);
  });
});

function formatUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe('a QEMU guest through the object API', () => {
  it('refreshes dom.id after create() and createWithFlags() to the ID python3-libvirt reports, and -1 after destroy()', async () => {
    const d = await harnessDaemon();
    const uri = d.uris.qemuSessionUnix;
    await using conn = await connect(uri);
    const name = `rpc-objguest-${randomBytes(3).toString('hex')}`;
    const dom = await conn.domainDefineXML(tinyGuestXml(name));
    const pythonId = (): Promise<number> => pyLibvirt<number>(uri, `result = conn.lookupByName(${JSON.stringify(name)}).ID()`);
    // A listener on the same connection: the event's domain is a Domain with methods.
    const seen: string[] = [];
    let bothSeen: () => void = () => {};
    const twoStarts = new Promise<void>((resolve) => {
      bothSeen = resolve;
    });
    const off = await conn.events.onDomain(
      'lifecycle',
      async (ev) => {
        if (ev.event !== 'started') return;
        seen.push(await ev.domain.getXMLDesc());
        if (seen.length === 2) bothSeen();
      },
      { domain: dom },
    );
    try {
      expect(dom.id).toBe(-1);
      await dom.create();
      expect(dom.id).toBeGreaterThan(0);
      expect(dom.id).toBe(await pythonId());
      await dom.destroy();
      expect(dom.id).toBe(-1);
      await dom.createWithFlags();
      expect(dom.id).toBe(await pythonId());
      expect(await dom.isActive()).toBe(true);
      await dom.destroyFlags();
      expect(dom.id).toBe(-1);
      await twoStarts;
      expect(seen).toHaveLength(2);
      for (const xml of seen) expect(xml).toContain(`<name>${name}</name>`);
    } finally {
      await off();
      await dom.undefine();
    }
  });
});
