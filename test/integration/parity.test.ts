/**
 * The client-side API libvirt-python has and the procedure tables do not give, against the real
 * daemon and compared with python3-libvirt over the same URIs: reference accessors, lookups by
 * UUID string (and libvirt's error for a bad one), isAlive/isEncrypted/isSecure per transport,
 * listDomainsID, domainListGetStats, newStream with a volume upload, and domain migration
 * between two private session daemons running a QEMU TCG guest (client-driven v3, v3 with
 * parameters, and peer to peer), plus the migration errors of daemons that cannot migrate.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type PrivateDaemon } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import { createTestPki, type TestPki } from '../../harness/pki.js';
import {
  connect,
  Domain,
  LibvirtError,
  VIR_DOMAIN_RUNNING,
  VIR_DOMAIN_STATS_STATE,
  VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA,
  VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA,
  VIR_MIGRATE_LIVE,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PEER2PEER,
  type Connection,
} from '../../src/index.js';
import type { RemoteTypedParam } from '../../src/protocol.js';
import { harnessDaemon, startExtraDaemon, type HarnessDaemon } from './env.js';
import { pyLibvirt } from './oracle.js';
import { createDirPool, type DirPool } from './dir-pool.js';

let d: HarnessDaemon;
const tag = randomBytes(3).toString('hex');

beforeAll(async () => {
  d = await harnessDaemon();
});

/** libvirt's error as python's `e.err` gives it: code, domain, message, level, str1-3, int1-2. */
type ErrTuple = [number, number, string, number, string | null, string | null, string | null, number, number];
const tuple = (e: LibvirtError): ErrTuple => [e.errorCode, e.domain, e.message, e.level, e.str1, e.str2, e.str3, e.int1, e.int2];

async function errorOf(p: Promise<unknown>): Promise<LibvirtError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LibvirtError);
  return e as LibvirtError;
}

/** A python helper that turns a libvirtError into the list python's `e.err` is. */
const PY_ERR = `
def err(f):
    try:
        f()
        return None
    except libvirt.libvirtError as e:
        return list(e.err)
`;

/** A running test-driver domain in the daemon's shared test state (seen by every connection). */
const testDomainXml = (name: string): string =>
  `<domain type='test'><name>${name}</name><uuid>${randomUUID()}</uuid><memory>8192</memory><vcpu>1</vcpu><os><type>hvm</type></os>` +
  // The test driver wants a disk for checkpoints.
  `<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/guest/${name}.qcow2'/><target dev='vda'/></disk></devices></domain>`;

describe('accessors and lookups against python3-libvirt (test driver, shared state)', () => {
  let conn: Connection;
  let snapDom: Domain;
  let cpDom: Domain;
  const volName = `parity-${tag}.img`;

  beforeAll(async () => {
    conn = await connect(d.uris.testDefaultUnix);
    snapDom = await conn.domainCreateXML(testDomainXml(`parity-s-${tag}`), 0);
    cpDom = await conn.domainDefineXML(testDomainXml(`parity-c-${tag}`));
    await cpDom.create();
  });

  afterAll(async () => {
    for (const dom of [snapDom, cpDom]) {
      await dom?.destroy().catch(() => {});
      await dom?.undefineFlags(VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA).catch(() => {});
    }
    const pool = await conn?.storagePoolLookupByName('default-pool').catch(() => null);
    const vol = await pool?.storageVolLookupByName(volName).catch(() => null);
    await vol?.delete(0).catch(() => {});
    await conn?.close();
  });

  it('reads the same IDs, UUIDs, keys, MAC addresses and parents from the references', async () => {
    const dom = await conn.domainLookupByName(snapDom.name);
    const net = await conn.networkLookupByName('default');
    const pool = await conn.storagePoolLookupByName('default-pool');
    const vol = await pool.storageVolCreateXML(`<volume><name>${volName}</name><capacity>1048576</capacity></volume>`, 0);
    const iface = (await conn.listAllInterfaces())[0]!;
    const snap = await dom.snapshotCreateXML(`<domainsnapshot><name>snap-${tag}</name></domainsnapshot>`, 0);
    const cp = await cpDom.checkpointCreateXML(`<domaincheckpoint><name>cp-${tag}</name></domaincheckpoint>`, 0);
    const ours = {
      id: dom.id,
      uuid: dom.uuidString,
      uuidBytes: [...dom.uuid],
      name: dom.name,
      net: net.uuidString,
      netBytes: [...net.uuid],
      pool: pool.uuidString,
      volKey: vol.key,
      volName: vol.name,
      mac: iface.macString,
      ifname: iface.name,
      snap: snap.name,
      snapDom: snap.domain.name,
      snapDomUuid: snap.domain.uuidString,
      cp: cp.name,
      cpDom: cp.domain.name,
    };
    const theirs = await pyLibvirt(
      d.uris.testDefaultUnix,
      `d = conn.lookupByName(${JSON.stringify(dom.name)})
n = conn.networkLookupByName('default')
p = conn.storagePoolLookupByName('default-pool')
v = p.storageVolLookupByName(${JSON.stringify(volName)})
i = conn.interfaceLookupByName(${JSON.stringify(iface.name)})
s = d.snapshotLookupByName(${JSON.stringify(snap.name)})
c = conn.lookupByName(${JSON.stringify(cpDom.name)}).checkpointLookupByName(${JSON.stringify(cp.name)})
result = {"id": d.ID(), "uuid": d.UUIDString(), "uuidBytes": list(d.UUID()), "name": d.name(),
          "net": n.UUIDString(), "netBytes": list(n.UUID()), "pool": p.UUIDString(),
          "volKey": v.key(), "volName": v.name(), "mac": i.MACString(), "ifname": i.name(),
          "snap": s.getName(), "snapDom": s.domain().name(), "snapDomUuid": s.domain().UUIDString(),
          "cp": c.getName(), "cpDom": c.domain().name()}`,
    );
    expect(ours).toEqual(theirs);
    expect(ours.id).toBeGreaterThan(0);
    expect(snap.domain.connection).toBe(conn);
  });

  it('looks up by UUID string as libvirt parses it, and fails on a bad one exactly as libvirt does', async () => {
    const uuid = snapDom.uuidString;
    const variants = [uuid, uuid.toUpperCase(), uuid.replace(/-/g, ''), ` ${uuid}\n`, `-${uuid.slice(0, 2)} ${uuid.slice(2)}`];
    const names = await Promise.all(variants.map(async (v) => (await conn.domainLookupByUUIDString(v)).name));
    const net = await conn.networkLookupByName('default');
    const pool = await conn.storagePoolLookupByName('default-pool');
    expect((await conn.networkLookupByUUIDString(net.uuidString)).name).toBe('default');
    expect((await conn.storagePoolLookupByUUIDString(pool.uuidString.toUpperCase())).name).toBe('default-pool');
    const bad = 'zzz';
    const unknown = '00000000-0000-0000-0000-00000000abcd';
    const ours = {
      names,
      dom: tuple(await errorOf(conn.domainLookupByUUIDString(bad))),
      net: tuple(await errorOf(conn.networkLookupByUUIDString(bad))),
      pool: tuple(await errorOf(conn.storagePoolLookupByUUIDString(`${uuid}0`))),
      secret: tuple(await errorOf(conn.secretLookupByUUIDString(bad))),
      nwfilter: tuple(await errorOf(conn.nwFilterLookupByUUIDString(bad))),
      port: tuple(await errorOf(net.portLookupByUUIDString('nope'))),
      // A valid UUID nobody has: the daemon's error.
      missing: (({ errorCode, domain, message }) => [errorCode, domain, message])(await errorOf(conn.domainLookupByUUIDString(unknown))),
    };
    const theirs = await pyLibvirt(
      d.uris.testDefaultUnix,
      `${PY_ERR}
n = conn.networkLookupByName('default')
result = {"names": [conn.lookupByUUIDString(v).name() for v in ${JSON.stringify(variants)}],
          "dom": err(lambda: conn.lookupByUUIDString(${JSON.stringify(bad)})),
          "net": err(lambda: conn.networkLookupByUUIDString(${JSON.stringify(bad)})),
          "pool": err(lambda: conn.storagePoolLookupByUUIDString(${JSON.stringify(`${uuid}0`)})),
          "secret": err(lambda: conn.secretLookupByUUIDString(${JSON.stringify(bad)})),
          "nwfilter": err(lambda: conn.nwfilterLookupByUUIDString(${JSON.stringify(bad)})),
          "port": err(lambda: n.portLookupByUUIDString('nope')),
          "missing": err(lambda: conn.lookupByUUIDString(${JSON.stringify(unknown)}))[:3]}`,
    );
    expect(ours).toEqual(theirs);
    expect(ours.names).toEqual(variants.map(() => snapDom.name));
  });

  it('listDomainsID and domainListGetStats give what python3-libvirt gives, errors included', async () => {
    const ids = await conn.listDomainsID();
    const stats = await conn.domainListGetStats([snapDom, cpDom], VIR_DOMAIN_STATS_STATE);
    await using other = await connect(d.uris.testDefaultUnix);
    const elsewhere = await other.domainLookupByName(cpDom.name);
    const ours = {
      ids: [...ids].sort((a, b) => a - b),
      stats: stats.map((r) => [r.domain.name, r.params]),
      empty: tuple(await errorOf(conn.domainListGetStats([], 0))),
      mixed: tuple(await errorOf(conn.domainListGetStats([snapDom, elsewhere], 0))),
    };
    const theirs = await pyLibvirt(
      d.uris.testDefaultUnix,
      `${PY_ERR}
other = libvirt.open(URI)
a = conn.lookupByName(${JSON.stringify(snapDom.name)})
b = conn.lookupByName(${JSON.stringify(cpDom.name)})
result = {"ids": sorted(conn.listDomainsID()),
          "stats": [[dom.name(), st] for dom, st in conn.domainListGetStats([a, b], libvirt.VIR_DOMAIN_STATS_STATE)],
          "empty": err(lambda: conn.domainListGetStats([], 0)),
          "mixed": err(lambda: conn.domainListGetStats([a, other.lookupByName(b.name())], 0))}
other.close()`,
    );
    expect(ours).toEqual(theirs);
    expect(ours.ids).toContain(snapDom.id);
    expect(stats[0]!.domain).toBeInstanceOf(Domain);
  });
});

describe('isAlive, isEncrypted and isSecure per transport, as libvirt answers them', () => {
  let pki: TestPki;
  let tlsDaemon: PrivateDaemon;
  let tlsPort: number;

  beforeAll(async () => {
    pki = await createTestPki();
    tlsPort = await freePort();
    tlsDaemon = await startExtraDaemon({ label: 'paritytls', listenTls: true, confOverrides: pki.daemonConf(tlsPort) });
  });

  afterAll(() => {
    pki?.remove();
  });

  const cases = [
    ['unix', () => d.uris.testDefaultUnix, [1, 0, 1]],
    ['tcp', () => d.uris.testDefaultTcp, [1, 0, 0]],
    ['tls', () => `test+tls://127.0.0.1:${tlsPort}/default?pkipath=${pki.clientDir}`, [1, 1, 1]],
  ] as const;

  it.each(cases)('over %s', async (_name, uriOf, expected) => {
    const uri = uriOf();
    expect(tlsDaemon.isRunning()).toBe(true);
    const conn = await connect(uri, { timeout: 15_000 });
    const ours = [Number(conn.isAlive()), Number(await conn.isEncrypted()), Number(await conn.isSecure())];
    const theirs = await pyLibvirt<number[]>(uri, 'result = [conn.isAlive(), conn.isEncrypted(), conn.isSecure()]');
    expect(ours).toEqual(theirs);
    expect(ours).toEqual(expected);
    // Keepalive can be changed or stopped; the connection carries on.
    expect(conn.setKeepAlive(2, 3)).toBe(0);
    expect(conn.setKeepAlive(0, 0)).toBe(0);
    expect(await conn.getHostname()).toBe(await pyLibvirt<string>(uri, 'result = conn.getHostname()'));
    await conn.close();
    expect(conn.isAlive()).toBe(false);
  });
});

describe('newStream with a volume upload (QEMU session storage)', () => {
  let conn: Connection;
  let dirPool: DirPool | undefined;
  const poolName = `parity-${tag}`;

  beforeAll(async () => {
    conn = await connect(d.uris.qemuSessionUnix);
    dirPool = await createDirPool(conn, d.dir, poolName);
  });

  afterAll(async () => {
    try {
      await dirPool?.remove();
    } finally {
      await conn?.close();
    }
  });

  const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

  it("uploads python's way (newStream, upload, sendAll, finish) and both clients read the same bytes back", async () => {
    const size = 3 * 1024 * 1024 + 12345;
    const data = randomBytes(size);
    const pool = await conn.storagePoolLookupByName(poolName);
    const vol = await pool.storageVolCreateXML(
      `<volume><name>up-${tag}.img</name><capacity unit='bytes'>${size}</capacity><target><format type='raw'/></target></volume>`,
      0,
    );
    const st = conn.newStream(0);
    const opened = await vol.upload(0n, BigInt(size), 0, st);
    expect(st.stream).toBe(opened);
    expect(st.stream.connection).toBe(conn);
    let off = 0;
    await st.stream.sendAll((n) => {
      const chunk = data.subarray(off, off + n);
      off += chunk.length;
      return chunk;
    });
    await st.stream.finish();

    // Read back with recvAll through our download, and with python3-libvirt's.
    const down = conn.newStream();
    await vol.download(0n, 0n, 0, down);
    const chunks: Buffer[] = [];
    await down.stream.recvAll((b) => void chunks.push(b));
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
    const theirs = await pyLibvirt<{ length: number; sha256: string }>(
      d.uris.qemuSessionUnix,
      `import hashlib
vol = conn.storagePoolLookupByName(${JSON.stringify(poolName)}).storageVolLookupByName(${JSON.stringify(vol.name)})
st = conn.newStream(0)
vol.download(st, 0, 0, 0)
h = hashlib.sha256()
n = [0]
def sink(stream, buf, opaque):
    h.update(buf)
    n[0] += len(buf)
    return 0
st.recvAll(sink, None)
st.finish()
result = {"length": n[0], "sha256": h.hexdigest(), "key": vol.key()}`,
      undefined,
      { timeoutMs: 60_000 },
    );
    expect(theirs).toEqual({ length: size, sha256: sha256(data), key: vol.key });
  });
});

describe('domain migration between two private session daemons (QEMU TCG guest)', () => {
  let a: PrivateDaemon;
  let b: PrivateDaemon;
  let connA: Connection;
  let connB: Connection;
  const name = `parity-mig-${tag}`;

  beforeAll(async () => {
    // libvirt refuses to migrate to the same host: each daemon gets its own host UUID.
    [a, b] = await Promise.all([
      startExtraDaemon({ label: 'miga', extraConf: [`host_uuid = "${randomUUID()}"`] }),
      startExtraDaemon({ label: 'migb', extraConf: [`host_uuid = "${randomUUID()}"`] }),
    ]);
    connA = await connect(a.uris.qemuSessionUnix);
    connB = await connect(b.uris.qemuSessionUnix);
  }, 120_000);

  afterAll(async () => {
    await connA?.close();
    await connB?.close();
  });

  /** Where the guest runs, as python3-libvirt sees both daemons. */
  const pyWhere = (): Promise<{ a: string[]; b: string[]; state: number[] }> =>
    pyLibvirt(
      a.uris.qemuSessionUnix,
      `other = libvirt.open(${JSON.stringify(b.uris.qemuSessionUnix)})
def running(c):
    return sorted(x.name() for x in c.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE))
st = [c.lookupByName(${JSON.stringify(name)}).state()[0] for c in (conn, other) if ${JSON.stringify(name)} in running(c)]
result = {"a": running(conn), "b": running(other), "state": st}
other.close()`,
    );

  it('migrates client-driven (v3, then v3 with parameters), back with python3-libvirt, and peer to peer', async () => {
    const dom = await connA.domainCreateXML(tinyGuestXml(name, { vnc: false }), 0);
    const seen: string[] = [];
    for (const [label, c] of [
      ['a', connA],
      ['b', connB],
    ] as const) {
      const call = c.call.bind(c);
      c.call = (p, args, o) => {
        if (p.name.startsWith('REMOTE_PROC_DOMAIN_MIGRATE_')) seen.push(`${label}:${p.name.slice('REMOTE_PROC_DOMAIN_MIGRATE_'.length)}`);
        return call(p, args, o);
      };
    }
    try {
      // Ours, client-driven.
      const onB = await dom.migrate(connB, VIR_MIGRATE_LIVE, null, 'tcp://127.0.0.1', 0, { timeout: 60_000 });
      // virDomainMigrate has no parameters: the fixed-argument v3 procedures.
      expect(seen.splice(0)).toEqual(['a:BEGIN3', 'b:PREPARE3', 'a:PERFORM3', 'b:FINISH3', 'a:CONFIRM3']);
      expect(onB).toBeInstanceOf(Domain);
      expect(onB.connection).toBe(connB);
      expect(onB.uuidString).toBe(dom.uuidString);
      expect((await onB.getState(0)).state).toBe(VIR_DOMAIN_RUNNING);
      expect(await pyWhere()).toEqual({ a: [], b: [name], state: [VIR_DOMAIN_RUNNING] });

      // python3-libvirt takes it back the same way.
      await pyLibvirt(
        b.uris.qemuSessionUnix,
        `dst = libvirt.open(${JSON.stringify(a.uris.qemuSessionUnix)})
conn.lookupByName(${JSON.stringify(name)}).migrate(dst, libvirt.VIR_MIGRATE_LIVE, None, 'tcp://127.0.0.1', 0)
dst.close()
result = 0`,
        undefined,
        { timeoutMs: 60_000 },
      );
      expect(await pyWhere()).toEqual({ a: [name], b: [], state: [VIR_DOMAIN_RUNNING] });

      // Ours, virDomainMigrate3 with a URI parameter.
      const back = await connA.domainLookupByUUIDString(dom.uuidString);
      const uriParam: RemoteTypedParam = { field: VIR_MIGRATE_PARAM_URI, value: { type: 7, s: 'tcp://127.0.0.1' } };
      const again = await back.migrate3(connB, [uriParam], VIR_MIGRATE_LIVE, { timeout: 60_000 });
      // Both daemons support parameters: the *Params procedures.
      expect(seen.splice(0)).toEqual(['a:BEGIN3_PARAMS', 'b:PREPARE3_PARAMS', 'a:PERFORM3_PARAMS', 'b:FINISH3_PARAMS', 'a:CONFIRM3_PARAMS']);
      expect(await pyWhere()).toEqual({ a: [], b: [name], state: [VIR_DOMAIN_RUNNING] });

      // Ours, peer to peer: one call to B, which talks to A over TCP by itself.
      await again.migrateToURI3(`qemu+tcp://127.0.0.1:${a.tcpPort}/session`, [uriParam], VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_LIVE, {
        timeout: 60_000,
      });
      expect(seen).toEqual(['b:PERFORM3_PARAMS']);
      expect(await pyWhere()).toEqual({ a: [name], b: [], state: [VIR_DOMAIN_RUNNING] });
    } finally {
      for (const c of [connA, connB]) {
        const left = await c.domainLookupByName(name).catch(() => null);
        await left?.destroy().catch(() => {});
      }
    }
  }, 180_000);

  it('fails as python3-libvirt does where the daemon cannot migrate that way', async () => {
    const guest = `parity-err-${tag}`;
    const dom = await connA.domainCreateXML(tinyGuestXml(guest, { vnc: false }), 0);
    try {
      const ours = {
        direct: tuple(await errorOf(dom.migrateToURI('tcp://127.0.0.1', 0))),
        tunnelled: tuple(await errorOf(dom.migrate(connB, 8 /* unused bit */ | 4 /* TUNNELLED */))),
        sameHost: tuple(await errorOf(dom.migrateToURI3(a.uris.qemuSessionUnix, [], VIR_MIGRATE_PEER2PEER))),
      };
      const theirs = await pyLibvirt(
        a.uris.qemuSessionUnix,
        `${PY_ERR}
dst = libvirt.open(${JSON.stringify(b.uris.qemuSessionUnix)})
d = conn.lookupByName(${JSON.stringify(guest)})
result = {"direct": err(lambda: d.migrateToURI('tcp://127.0.0.1', 0)),
          "tunnelled": err(lambda: d.migrate(dst, 8 | libvirt.VIR_MIGRATE_TUNNELLED)),
          "sameHost": err(lambda: d.migrateToURI3(${JSON.stringify(a.uris.qemuSessionUnix)}, {}, libvirt.VIR_MIGRATE_PEER2PEER))}
dst.close()`,
      );
      expect(ours).toEqual(theirs);
    } finally {
      await dom.destroy().catch(() => {});
    }
  }, 60_000);

  it('on the test driver, which cannot migrate at all, fails as python3-libvirt does', async () => {
    await using src = await connect(d.uris.testDefaultUnix);
    await using dst = await connect(d.uris.testDefaultTcp);
    const dom = await src.domainCreateXML(testDomainXml(`parity-t-${tag}`), 0);
    try {
      const ours = {
        migrate: tuple(await errorOf(dom.migrate(dst, VIR_MIGRATE_LIVE))),
        migrate2: tuple(await errorOf(dom.migrate2(dst, null, VIR_MIGRATE_PEER2PEER))),
        migrate3: tuple(await errorOf(dom.migrate3(dst, [], 0))),
        toUri: tuple(await errorOf(dom.migrateToURI('qemu+tcp://other.example/system', VIR_MIGRATE_PEER2PEER))),
        toUri2: tuple(await errorOf(dom.migrateToURI2(null, 'tcp://x', null, 0))),
      };
      const theirs = await pyLibvirt(
        d.uris.testDefaultUnix,
        `${PY_ERR}
dst = libvirt.open(${JSON.stringify(d.uris.testDefaultTcp)})
d = conn.lookupByName(${JSON.stringify(dom.name)})
result = {"migrate": err(lambda: d.migrate(dst, libvirt.VIR_MIGRATE_LIVE)),
          "migrate2": err(lambda: d.migrate2(dst, None, libvirt.VIR_MIGRATE_PEER2PEER)),
          "migrate3": err(lambda: d.migrate3(dst, {}, 0)),
          "toUri": err(lambda: d.migrateToURI('qemu+tcp://other.example/system', libvirt.VIR_MIGRATE_PEER2PEER)),
          "toUri2": err(lambda: d.migrateToURI2(None, 'tcp://x', None, 0))}
dst.close()`,
      );
      expect(ours).toEqual(theirs);
    } finally {
      await dom.destroy().catch(() => {});
    }
  });
});
