/**
 * Issue acceptance against the real daemon: the basic calls over unix and tcp,
 * differential against python3-libvirt, errors, read-only opens and URI forms.
 */
import { describe, expect, it } from 'vitest';
import {
  connect,
  ConnectionClosedError,
  LibvirtError,
  TransportError,
  UriError,
  VIR_DOMAIN_RUNNING,
  VIR_DOMAIN_SHUTOFF,
  VIR_ERR_NO_DOMAIN,
  type Connection,
} from '../../src/index.js';
import { daemonInfo, harnessDaemon, privateTestUri } from './env.js';
import { pyLibvirt } from './oracle.js';

const NEW_DOMAIN_XML = (name: string): string => `<domain type='test'>
  <name>${name}</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>`;

async function domainState(conn: Connection, name: string): Promise<number> {
  const dom = await conn.raw.domainLookupByName(name);
  return (await conn.raw.domainGetInfo(dom)).state;
}

describe.each(['unix', 'tcp'] as const)('over %s, on a private test-driver state', (transport) => {
  it('answers the basic calls and agrees with python3-libvirt', async () => {
    const uri = await privateTestUri(transport);
    await using conn = await connect(uri);
    expect(conn.plan.transport).toBe(transport);
    const [libVersion, hostname, caps, list] = await Promise.all([
      conn.raw.connectGetLibVersion(),
      conn.raw.connectGetHostname(),
      conn.raw.connectGetCapabilities(),
      conn.raw.connectListAllDomains(1, 0),
    ]);
    const oracle = await pyLibvirt<{ lib: number; host: string; caps: string; names: string[] }>(
      uri,
      `result = {"lib": conn.getLibVersion(), "host": conn.getHostname(), "caps": conn.getCapabilities(),
                 "names": sorted(d.name() for d in conn.listAllDomains())}`,
    );
    expect(Number(libVersion)).toBe(oracle.lib);
    expect(hostname).toBe(oracle.host);
    expect(caps).toBe(oracle.caps);
    expect(caps).toContain('<capabilities>');
    expect(list.domains.map((d) => d.name).sort()).toEqual(oracle.names);
    expect(list.domains.map((d) => d.name)).toContain('test');
  });

  it('looks up, defines, starts, destroys and undefines a domain', async () => {
    const uri = await privateTestUri(transport);
    await using conn = await connect(uri);
    const test = await conn.raw.domainLookupByName('test');
    expect(test.name).toBe('test');
    expect(test.uuid).toHaveLength(16);
    const byUuid = await conn.raw.domainLookupByUUID(test.uuid);
    expect(byUuid.name).toBe('test');

    const dom = await conn.raw.domainDefineXML(NEW_DOMAIN_XML('fresh'));
    expect(dom.name).toBe('fresh');
    expect(await domainState(conn, 'fresh')).toBe(VIR_DOMAIN_SHUTOFF);
    await conn.raw.domainCreate(dom);
    expect(await domainState(conn, 'fresh')).toBe(VIR_DOMAIN_RUNNING);
    const xml = await conn.raw.domainGetXMLDesc(await conn.raw.domainLookupByName('fresh'), 0);
    expect(xml).toContain('<name>fresh</name>');
    await conn.raw.domainDestroy(dom);
    expect(await domainState(conn, 'fresh')).toBe(VIR_DOMAIN_SHUTOFF);
    await conn.raw.domainUndefine(dom);
    const gone = await conn.raw.domainLookupByName('fresh').catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(LibvirtError);
  });

  it("rejects a missing domain with VIR_ERR_NO_DOMAIN and the daemon's own message", async () => {
    const uri = await privateTestUri(transport);
    await using conn = await connect(uri);
    const err = await conn.raw.domainLookupByName('no-such-domain').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    const e = err as LibvirtError;
    expect(e.errorCode).toBe(VIR_ERR_NO_DOMAIN);
    expect(e.errorCode).toBe(42);
    expect(e.codeName).toBe('VIR_ERR_NO_DOMAIN');
    expect(e.code).toBe('VIR_ERR_NO_DOMAIN');
    expect(e.procedure).toBe('REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME');
    const oracle = await pyLibvirt<{ code: number; message: string }>(
      uri,
      `try:
    conn.lookupByName("no-such-domain")
    result = None
except libvirt.libvirtError as e:
    result = {"code": e.get_error_code(), "message": e.get_error_message()}`,
    );
    expect(oracle.code).toBe(42);
    expect(e.message).toBe(oracle.message);
    // The connection is still usable after an error reply.
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
  });
});

describe('the run daemon (LIBVIRT_TEST_URI or the private QEMU session daemon)', () => {
  it('agrees with python3-libvirt on the read-only calls', async () => {
    const { uri } = daemonInfo();
    await using conn = await connect(uri);
    const ours = {
      lib: Number(await conn.raw.connectGetLibVersion()),
      version: Number(await conn.raw.connectGetVersion()),
      type: await conn.raw.connectGetType(),
      host: await conn.raw.connectGetHostname(),
      // virConnectGetURI is answered by the client library from the URI it opened.
      uri: conn.uri,
      names: (await conn.raw.connectListAllDomains(1, 0)).domains.map((d) => d.name).sort(),
      caps: await conn.raw.connectGetCapabilities(),
    };
    const oracle = await pyLibvirt<typeof ours>(
      uri,
      `result = {"lib": conn.getLibVersion(), "version": conn.getVersion(), "type": conn.getType(),
                 "host": conn.getHostname(), "uri": conn.getURI(),
                 "names": sorted(d.name() for d in conn.listAllDomains()), "caps": conn.getCapabilities()}`,
    );
    expect(ours).toEqual(oracle);
  });
});

describe('opening', () => {
  it('opens read-only: reads work, changes are refused by the daemon', async () => {
    const uri = await privateTestUri('unix');
    await using conn = await connect(uri, { readonly: true });
    expect(conn.readOnly).toBe(true);
    expect((await conn.raw.connectListAllDomains(1, 0)).domains.length).toBeGreaterThan(0);
    const err = await conn.raw.domainDefineXML(NEW_DOMAIN_XML('nope')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).codeName).toBe('VIR_ERR_OPERATION_DENIED');
  });

  it('takes the URI from LIBVIRT_DEFAULT_URI when none is given', async () => {
    const d = await harnessDaemon();
    await using conn = await connect(undefined, { env: { ...process.env, LIBVIRT_DEFAULT_URI: d.uris.testDefaultTcp } });
    expect(conn.uri).toBe(d.uris.testDefaultTcp);
    expect(await conn.raw.connectGetType()).toBe('TEST');
  });

  it('resolves a uri_aliases entry from libvirt.conf', async () => {
    const d = await harnessDaemon();
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const cfg = mkdtempSync(join(tmpdir(), 'lvrpc-conf-'));
    mkdirSync(join(cfg, 'libvirt'));
    writeFileSync(join(cfg, 'libvirt', 'libvirt.conf'), `uri_aliases = [\n  "mytest=${d.uris.testDefaultTcp}",\n]\n`);
    // The root user reads /etc/libvirt/libvirt.conf; make the test independent of who runs it.
    const env = { ...process.env, XDG_CONFIG_HOME: cfg, LIBVIRT_DEFAULT_URI: undefined };
    const { resolveConnectUri } = await import('../../src/transport/index.js');
    const resolved = resolveConnectUri('mytest', { env, uid: 1000 });
    expect(resolved).toMatchObject({ uri: d.uris.testDefaultTcp, alias: 'mytest' });
  });

  it('with the remote scheme sends an empty name and learns the URI from the daemon', async () => {
    const d = await harnessDaemon();
    await using conn = await connect(`remote+unix:///?socket=${d.socketPath}`);
    expect(conn.plan.connectName).toBe('');
    expect(conn.uri).not.toBe('');
    expect(conn.uri).toMatch(/^[a-z]+:\/\//);
    expect(conn.uri).toBe(await conn.raw.connectGetURI());
  });

  it('fails on a malformed URI before any I/O, naming the part', async () => {
    const err = await connect('qemu+tcp://127.0.0.1:99999/system').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UriError);
    expect((err as Error).message).toContain('99999');
    expect((err as Error).message).toContain('qemu+tcp://127.0.0.1:99999/system');
    const bad = await connect('qemu+carrierpigeon:///system').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(UriError);
    expect((bad as Error).message).toContain('carrierpigeon');
  });

  it('names the missing socket when no daemon listens there', async () => {
    const err = await connect('test+unix:///default?socket=/nonexistent/libvirt-sock').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).errno).toBe('ENOENT');
    expect((err as Error).message).toContain('/nonexistent/libvirt-sock');
  });

  it('closes with CONNECT_CLOSE: later calls reject with ConnectionClosedError', async () => {
    const conn = await connect(await privateTestUri('tcp'));
    await conn.close();
    await conn.close(); // idempotent
    expect(conn.isOpen).toBe(false);
    const reason = await conn.closed;
    expect(reason).toBeInstanceOf(ConnectionClosedError);
    const err = await conn.raw.connectGetHostname().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
  });

  it('is AsyncDisposable', async () => {
    let outer: Connection | undefined;
    {
      await using conn = await connect(await privateTestUri('unix'));
      outer = conn;
      expect(conn.isOpen).toBe(true);
    }
    expect(outer.isOpen).toBe(false);
  });

  it('reports a state error exactly as the C client does', async () => {
    const uri = await privateTestUri('unix');
    await using conn = await connect(uri);
    const dom = await conn.raw.domainLookupByName('test');
    const err = await conn.raw.domainCreate(dom).catch((e: unknown) => e); // already running
    expect(err).toBeInstanceOf(LibvirtError);
    const oracle = await pyLibvirt<{ code: number; domain: number; message: string }>(
      uri,
      `try:
    conn.lookupByName("test").create()
    result = None
except libvirt.libvirtError as e:
    result = {"code": e.get_error_code(), "domain": e.get_error_domain(), "message": e.get_error_message()}`,
    );
    const e = err as LibvirtError;
    expect({ code: e.errorCode, domain: e.domain, message: e.message }).toEqual(oracle);
  });
});
