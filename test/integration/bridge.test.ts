/**
 * The WebSocket bridge (src/bridge) between `connect(uri, { webSocket, token })` and a private
 * daemon: the same answers as a direct connection, tokens and Origins refused with their reason,
 * a read-only token's write calls answered with VIR_ERR_OPERATION_DENIED, an oversized frame
 * closing only its own client.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivateDaemon } from '../../harness/daemon.js';
import { writeTestNodeXml } from '../../harness/test-driver.js';
import { readHeader, readOnlyRefusal, startBridge, type Bridge } from '../../src/bridge/index.js';
import { procedures } from '../../src/procedures/index.gen.js';
import { connect, LibvirtError, TransportError, type Connection } from '../../src/index.js';
import { dialWebSocket } from '../../src/transport/websocket.js';
import { startExtraDaemon } from './env.js';
import { pyLibvirt } from './oracle.js';

let daemon: PrivateDaemon;
let bridge: Bridge;
let node: string;
let uri: string;
const logged: string[] = [];

beforeAll(async () => {
  daemon = await startExtraDaemon({ label: 'bridge' });
  node = writeTestNodeXml(path.join(daemon.dir, 'nodes'));
  uri = `test+unix://${node}?socket=${daemon.socketPath}`;
  bridge = await startBridge({
    tokens: {
      rw: { uri },
      ro: { uri, readOnly: true },
      one: { uri, maxConnections: 1 },
    },
    origins: ['https://app.example'],
    maxFrame: 64 * 1024,
    log: (line) => logged.push(line),
  });
}, 60_000);

afterAll(async () => {
  await bridge?.close();
});

async function names(conn: Connection): Promise<string[]> {
  return (await conn.raw.connectListAllDomains(1, 0)).domains.map((d) => d.name).sort();
}

describe('the WebSocket bridge', () => {
  it('a client through the bridge lists the same domains as a direct connection and the C client', async () => {
    await using viaBridge = await connect(`test://${node}`, { webSocket: bridge.url, token: 'rw', timeout: 15_000 });
    await using direct = await connect(uri, { timeout: 15_000 });
    const oracle = await pyLibvirt<string[]>(uri, 'result = sorted(d.name() for d in conn.listAllDomains())');
    expect(oracle.length).toBeGreaterThan(0);
    expect(await names(viaBridge)).toEqual(await names(direct));
    expect(await names(viaBridge)).toEqual(oracle);
    expect(await viaBridge.raw.connectGetHostname()).toBe(await direct.raw.connectGetHostname());
  });

  it('a missing, a wrong token and a foreign Origin are refused with their reason, and logged', async () => {
    await expect(connect(`test://${node}`, { webSocket: bridge.url, timeout: 15_000 })).rejects.toThrow(/401 a token is required/);
    await expect(connect(`test://${node}`, { webSocket: bridge.url, token: 'nope', timeout: 15_000 })).rejects.toThrow(TransportError);
    await expect(dialWebSocket(bridge.url, { token: 'nope', timeout: 15_000 })).rejects.toThrow(/401 the token is not valid/);
    await expect(dialWebSocket(bridge.url, { token: 'rw', origin: 'https://evil.example', timeout: 15_000 })).rejects.toThrow(
      /403 Origin https:\/\/evil.example is not allowed/,
    );
    const allowed = await dialWebSocket(bridge.url, { token: 'rw', origin: 'https://app.example', timeout: 15_000 });
    allowed.destroy();
    expect(logged.some((l) => l.endsWith('refused: no token'))).toBe(true);
    expect(logged.some((l) => l.endsWith('refused: unknown token'))).toBe(true);
    expect(logged.some((l) => l.endsWith('refused: Origin https://evil.example is not allowed'))).toBe(true);
  });

  it('a token limited to one connection refuses the second', async () => {
    await using first = await connect(`test://${node}`, { webSocket: bridge.url, token: 'one', timeout: 15_000 });
    await expect(connect(`test://${node}`, { webSocket: bridge.url, token: 'one', timeout: 15_000 })).rejects.toThrow(/429/);
    expect((await names(first)).length).toBeGreaterThan(0);
  });

  it('a read-only token: reads pass, a write call gets VIR_ERR_OPERATION_DENIED and changes nothing', async () => {
    await using conn = await connect(`test://${node}`, { webSocket: bridge.url, token: 'ro', timeout: 15_000 });
    const [name] = await names(conn);
    const dom = await conn.raw.domainLookupByName(name!);
    const before = await conn.raw.domainGetState(dom, 0);
    const err = await conn.raw.domainDestroy(dom).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).codeName).toBe('VIR_ERR_OPERATION_DENIED');
    expect((err as LibvirtError).message).toMatch(/read only access prevents virDomainDestroy/);
    expect(await conn.raw.domainGetState(dom, 0)).toEqual(before);
    // python3-libvirt on a read-only connection raises the same error (its library's own check).
    const oracle = await pyLibvirt<unknown[]>(
      uri,
      [
        'ro = libvirt.openReadOnly(URI)',
        `d = ro.lookupByName(${JSON.stringify(name)})`,
        'try:',
        '    d.destroy()',
        '    result = None',
        'except libvirt.libvirtError as e:',
        '    result = [e.get_error_code(), e.get_error_domain(), e.get_error_message(), e.get_error_level(), e.get_str1(), e.get_str2(), e.get_str3(), e.get_int1(), e.get_int2()]',
      ].join('\n'),
    );
    const e = err as LibvirtError;
    expect([e.wireCode, e.domain, e.message, e.level, e.str1, e.str2, e.str3, e.int1, e.int2]).toEqual(oracle);
    expect(logged.some((l) => l.includes('refused call: virDomainDestroy on a read-only token'))).toBe(true);
  });

  it('the read-only rule agrees with libvirt (python3-libvirt on a read-only connection) API by API', async () => {
    // Each call is made with harmless or dummy arguments: libvirt checks read-only access first.
    const calls: Record<string, string> = {
      virDomainDestroy: 'd.destroy()',
      virDomainCreate: 'd.create()',
      virDomainSuspend: 'd.suspend()',
      virDomainResume: 'd.resume()',
      virDomainShutdown: 'd.shutdown()',
      virDomainReboot: 'd.reboot(0)',
      virDomainUndefine: 'd.undefine()',
      virDomainSetMemory: 'd.setMemory(1024)',
      virDomainSetAutostart: 'd.setAutostart(1)',
      virDomainManagedSave: 'd.managedSave(0)',
      virDomainSetVcpus: 'd.setVcpus(1)',
      virDomainGetInfo: 'd.info()',
      virDomainGetXMLDesc: 'd.XMLDesc(0)',
      virDomainGetState: 'd.state(0)',
      virDomainGetAutostart: 'd.autostart()',
      virDomainIsActive: 'd.isActive()',
      virDomainHasManagedSaveImage: 'd.hasManagedSaveImage(0)',
      virDomainGetMaxMemory: 'd.maxMemory()',
      virDomainOpenConsole: 'd.openConsole(None, ro.newStream(0), 0)',
      virConnectGetHostname: 'ro.getHostname()',
      virConnectListAllDomains: 'ro.listAllDomains(0)',
      virConnectGetCapabilities: 'ro.getCapabilities()',
      virConnectListAllNetworks: 'ro.listAllNetworks(0)',
      virNodeGetFreeMemory: 'ro.getFreeMemory()',
      virDomainDefineXML: "ro.defineXML('<domain/>')",
      virDomainCreateXML: "ro.createXML('<domain/>', 0)",
      virNetworkDefineXML: "ro.networkDefineXML('<network/>')",
      virStoragePoolDefineXML: "ro.storagePoolDefineXML('<pool/>', 0)",
      virSecretDefineXML: "ro.secretDefineXML('<secret/>', 0)",
    };
    const body = [
      'ro = libvirt.openReadOnly(URI)',
      'd = ro.listAllDomains(0)[0]',
      'result = {}',
      ...Object.entries(calls).flatMap(([api, expr]) => [
        'try:',
        `    ${expr}`,
        `    result[${JSON.stringify(api)}] = False`,
        'except libvirt.libvirtError as e:',
        `    result[${JSON.stringify(api)}] = e.get_error_code() == libvirt.VIR_ERR_OPERATION_DENIED`,
      ]),
    ].join('\n');
    const libvirtDenies = await pyLibvirt<Record<string, boolean>>(uri, body);
    expect(Object.values(libvirtDenies).filter(Boolean).length).toBeGreaterThan(5);
    const bridgeDenies: Record<string, boolean> = {};
    for (const api of Object.keys(calls)) {
      const proc = Object.values(procedures.remote).find((p) => p.api === api)!;
      const frame = Buffer.alloc(28);
      frame.writeUInt32BE(28, 0);
      frame.writeUInt32BE(proc.programNumber, 4);
      frame.writeUInt32BE(proc.version, 8);
      frame.writeInt32BE(proc.number, 12);
      bridgeDenies[api] = readOnlyRefusal(readHeader(frame)) !== null;
    }
    expect(bridgeDenies).toEqual(libvirtDenies);
  });

  it('1,000 calls in flight through the bridge are all answered, as a direct connection answers them', async () => {
    await using viaBridge = await connect(`test://${node}`, { webSocket: bridge.url, token: 'rw', timeout: 60_000, maxInFlight: Infinity });
    await using direct = await connect(uri, { timeout: 15_000 });
    const domains = (await direct.raw.connectListAllDomains(1, 0)).domains;
    const expected = await Promise.all(domains.map((d) => direct.raw.domainGetState(d, 0)));
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => viaBridge.raw.domainGetState(domains[i % domains.length]!, 0)));
    expect(answers).toEqual(answers.map((_, i) => expected[i % domains.length]));
    expect(answers).toHaveLength(1000);
  }, 120_000);

  it('a client silent past idleTimeout is closed, with the reason logged', async () => {
    const lines: string[] = [];
    await using quick = await startBridge({ tokens: { rw: { uri } }, idleTimeout: 300, log: (l) => lines.push(l) });
    await using conn = await connect(`test://${node}`, { webSocket: quick.url, token: 'rw', timeout: 15_000, keepalive: false });
    expect((await names(conn)).length).toBeGreaterThan(0);
    await conn.closed;
    expect(lines.some((l) => l.endsWith('closed: idle for 300 ms'))).toBe(true);
    expect(quick.clients).toBe(0);
  });

  it('a frame over the limit closes that client only; the others go on', async () => {
    await using other = await connect(`test://${node}`, { webSocket: bridge.url, token: 'rw', timeout: 15_000 });
    await using big = await connect(`test://${node}`, { webSocket: bridge.url, token: 'rw', timeout: 15_000 });
    const xml = `<domain type='test'><name>big</name><description>${'x'.repeat(100_000)}</description><memory>1024</memory><os><type>hvm</type></os></domain>`;
    await expect(big.raw.domainDefineXML(xml)).rejects.toThrow();
    expect(logged.some((l) => /refused frame: frame of \d+ bytes is over the limit of 65536/.test(l))).toBe(true);
    expect((await names(other)).length).toBeGreaterThan(0);
  });
});
