/**
 * The object API (generated from the procedure tables and the API XML):
 * lookups and lists return objects whose methods act on them, against the
 * real daemon, checked against python3-libvirt.
 */
import { describe, expect, it } from 'vitest';
import { connect, Domain, LibvirtError, Network, StoragePool, VIR_DOMAIN_PAUSED, VIR_DOMAIN_RUNNING, VIR_DOMAIN_SHUTOFF } from '../../src/index.js';
import { privateTestUri } from './env.js';
import { pyLibvirt } from './oracle.js';

describe('the object API', () => {
  it('looks domains up and acts on them', async () => {
    const uri = await privateTestUri('unix');
    await using conn = await connect(uri);
    const dom = await conn.domainLookupByName('test');
    expect(dom).toBeInstanceOf(Domain);
    expect(dom.name).toBe('test');
    expect((await dom.getInfo()).state).toBe(VIR_DOMAIN_RUNNING);
    await dom.suspend();
    expect((await dom.getState(0)).state).toBe(VIR_DOMAIN_PAUSED);
    await dom.resume();
    await dom.destroy();
    expect((await dom.getInfo()).state).toBe(VIR_DOMAIN_SHUTOFF);
    expect(await dom.getXMLDesc(0)).toContain('<name>test</name>');
    expect(await dom.isPersistent()).toBe(true);
    const same = await conn.domainLookupByUUID(dom.ref.uuid);
    expect(same.name).toBe('test');
  });

  it('lists objects as objects, agreeing with python3-libvirt', async () => {
    const uri = await privateTestUri('unix');
    await using conn = await connect(uri);
    const domains = await conn.listAllDomains();
    expect(domains.every((d) => d instanceof Domain)).toBe(true);
    const nets = await conn.listAllNetworks();
    expect(nets[0]).toBeInstanceOf(Network);
    const pools = await conn.listAllStoragePools();
    expect(pools[0]).toBeInstanceOf(StoragePool);
    const poolXml = await pools[0].getXMLDesc(0);
    const netXml = await nets[0].getXMLDesc(0);
    const oracle = await pyLibvirt<{ domains: string[]; pool: string; net: string; host: string }>(
      uri,
      `result = {"domains": sorted(d.name() for d in conn.listAllDomains()),
                 "pool": conn.storagePoolLookupByName(${JSON.stringify(pools[0].name)}).XMLDesc(0),
                 "net": conn.networkLookupByName(${JSON.stringify(nets[0].name)}).XMLDesc(0),
                 "host": conn.getHostname()}`,
    );
    expect(domains.map((d) => d.name).sort()).toEqual(oracle.domains);
    expect(poolXml).toBe(oracle.pool);
    expect(netXml).toBe(oracle.net);
    expect(await conn.getHostname()).toBe(oracle.host);
  });

  it('defines, starts and undefines through objects, with errors as LibvirtError', async () => {
    await using conn = await connect(await privateTestUri('tcp'));
    const dom = await conn.domainDefineXML("<domain type='test'><name>obj</name><memory unit='MiB'>32</memory><os><type>hvm</type></os></domain>");
    await dom.create();
    expect(await dom.isActive()).toBe(true);
    const err = await dom.create().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    await dom.destroy();
    await dom.undefine();
    await expect(conn.domainLookupByName('obj')).rejects.toMatchObject({ code: 'VIR_ERR_NO_DOMAIN' });
  });
});

describe('APIs newer than the daemon', () => {
  it("fail with VIR_ERR_NO_SUPPORT naming the C API, the release that introduced it and the daemon's version", async () => {
    await using conn = await connect(await privateTestUri('unix'));
    const dom = await conn.domainLookupByName('test');
    const version = await conn.getLibVersion();
    const daemon = `${Math.floor(version / 1_000_000)}.${Math.floor(version / 1000) % 1000}.${version % 1000}`;
    // virDomainGetAutostartOnce came with libvirt 11.2.0; the harness daemon is Debian's 9.0.0.
    const err = (await dom.getAutostartOnce().catch((e: unknown) => e)) as LibvirtError;
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err.code).toBe('VIR_ERR_NO_SUPPORT');
    expect(err.message).toBe(
      `this function is not supported by the connection driver: virDomainGetAutostartOnce (it was introduced in libvirt 11.2.0; the daemon runs libvirt ${daemon})`,
    );
    // The raw layer says the same, and the connection goes on.
    await expect(conn.raw.domainGetAutostartOnce(dom.ref)).rejects.toThrow(/virDomainGetAutostartOnce \(it was introduced in libvirt 11\.2\.0/);
    expect(await dom.isActive()).toBe(true);
  });
});
