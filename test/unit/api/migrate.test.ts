/**
 * Client-driven migration (src/api/migrate.ts) against two scripted daemons: the exact
 * sequence of calls libvirt's client makes (src/libvirt-domain.c) for the v3 protocol, its
 * `*Params` variant, the failure paths (Prepare or Perform failing, with and without change
 * protection), the v2 fallback, peer-to-peer and direct migration (one call to the source),
 * and the errors raised before any call. The test driver cannot migrate and a real QEMU
 * migration is exercised by test/integration/parity.test.ts when the machine allows it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  Domain,
  LibvirtError,
  VIR_DOMAIN_PAUSED,
  VIR_DOMAIN_RUNNING,
  VIR_DOMAIN_XML_SECURE,
  VIR_DOMAIN_XML_UPDATE_CPU,
  VIR_MIGRATE_CHANGE_PROTECTION,
  VIR_MIGRATE_LIVE,
  VIR_MIGRATE_NON_SHARED_DISK,
  VIR_MIGRATE_NON_SHARED_INC,
  VIR_MIGRATE_PARAM_BANDWIDTH,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_DEST_XML,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PAUSED,
  VIR_MIGRATE_PEER2PEER,
  VIR_MIGRATE_TUNNELLED,
  type Connection,
} from '../../../src/index.js';
import { MigrationFeature as F } from '../../../src/api/migrate/index.js';
import type { RemoteTypedParam } from '../../../src/protocol.js';
import { closeFakeDaemons, dom, fakeDaemon, ReplyError, type Handler } from '../../support/scripted-peer.js';

afterEach(closeFakeDaemons);

const SRC_DOM = dom('web', 1, 7);
const DST_DOM = dom('web2', 1, 3);
const cookie = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Side {
  /** Features the daemon says it supports. */
  readonly features: readonly number[];
  /** Extra or replacing handlers. */
  readonly handlers?: Record<string, Handler>;
  /** State GET_INFO / GET_STATE report (default running). */
  readonly state?: number;
}

/** Two scripted daemons sharing one log of `src:NAME` / `dst:NAME` (features as `src:feature N`). */
async function pair(src: Side, dst: Side) {
  const log: string[] = [];
  const args: Record<string, unknown> = {};
  const side = async (label: 'src' | 'dst', s: Side) => {
    const rec =
      (name: string, ret: Handler): Handler =>
      (a, peer) => {
        log.push(`${label}:${name.replace(/^REMOTE_PROC_/, '')}`);
        args[`${label}:${name.replace(/^REMOTE_PROC_/, '')}`] = a;
        return ret(a, peer);
      };
    const base: Record<string, (a: unknown) => unknown> = {
      REMOTE_PROC_DOMAIN_MIGRATE_BEGIN3: () => ({ cookie_out: cookie('begin'), xml: '<domain/>' }),
      REMOTE_PROC_DOMAIN_MIGRATE_BEGIN3_PARAMS: () => ({ cookie_out: cookie('begin'), xml: '<domain/>' }),
      REMOTE_PROC_DOMAIN_GET_INFO: () => ({ state: s.state ?? VIR_DOMAIN_RUNNING, maxMem: 1n, memory: 1n, nrVirtCpu: 1, cpuTime: 0n }),
      REMOTE_PROC_DOMAIN_GET_STATE: () => ({ state: s.state ?? VIR_DOMAIN_RUNNING, reason: 0 }),
      REMOTE_PROC_DOMAIN_GET_XML_DESC: () => ({ xml: '<domain/>' }),
      REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3: () => ({ cookie_out: cookie('prepare'), uri_out: 'tcp:dst:49152' }),
      REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS: () => ({ cookie_out: cookie('prepare'), uri_out: 'tcp:dst:49152' }),
      REMOTE_PROC_DOMAIN_MIGRATE_PERFORM3: () => ({ cookie_out: cookie('perform') }),
      REMOTE_PROC_DOMAIN_MIGRATE_PERFORM3_PARAMS: () => ({ cookie_out: cookie('perform') }),
      REMOTE_PROC_DOMAIN_MIGRATE_FINISH3: () => ({ dom: DST_DOM, cookie_out: cookie('finish') }),
      REMOTE_PROC_DOMAIN_MIGRATE_FINISH3_PARAMS: () => ({ dom: DST_DOM, cookie_out: cookie('finish') }),
      REMOTE_PROC_DOMAIN_MIGRATE_CONFIRM3: () => undefined,
      REMOTE_PROC_DOMAIN_MIGRATE_CONFIRM3_PARAMS: () => undefined,
      REMOTE_PROC_DOMAIN_MIGRATE_PREPARE2: () => ({ cookie: cookie('prepare2'), uri_out: 'tcp:dst:49153' }),
      REMOTE_PROC_DOMAIN_MIGRATE_PERFORM: () => undefined,
      REMOTE_PROC_DOMAIN_MIGRATE_FINISH2: () => ({ ddom: DST_DOM }),
      REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME: () => ({ dom: DST_DOM }),
      REMOTE_PROC_CONNECT_GET_URI: () => ({ uri: 'qemu+tcp://dst.example/system' }),
    };
    const handlers: Record<string, Handler> = {};
    for (const [name, fn] of Object.entries(base)) handlers[name] = rec(name, fn);
    for (const [name, fn] of Object.entries(s.handlers ?? {})) handlers[name] = rec(name, fn);
    handlers.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE = (a) => {
      const f = (a as { feature: number }).feature;
      if (f === 10 || f === 14 || f === 15) return { supported: 0 }; // the open sequence's own questions
      log.push(`${label}:feature ${f}`);
      return { supported: s.features.includes(f) ? 1 : 0 };
    };
    const d = await fakeDaemon({ handlers });
    return d;
  };
  const s = await side('src', src);
  const d = await side('dst', dst);
  const sconn = await s.connect();
  const dconn = await d.connect();
  const source = new Domain(sconn, SRC_DOM);
  return { log, args, sconn, dconn, source };
}

const fail =
  (message: string, code = 1): Handler =>
  () => {
    throw new ReplyError(code, message);
  };

async function rejection(p: Promise<unknown>): Promise<LibvirtError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LibvirtError);
  return e as LibvirtError;
}

const V3 = [F.MIGRATION_V2, F.MIGRATION_P2P, F.MIGRATION_V3, F.MIGRATE_CHANGE_PROTECTION, F.XML_MIGRATABLE, F.MIGRATION_OFFLINE];
const V3_PARAMS = [...V3, F.MIGRATION_PARAMS];

describe('virDomainMigrate: the v3 protocol driven by the client', () => {
  it('runs Begin3, Prepare3, Perform3, Finish3, Confirm3 passing each cookie on', async () => {
    const t = await pair({ features: V3 }, { features: [F.MIGRATION_V2, F.MIGRATION_V3] });
    const migrated = await t.source.migrate(t.dconn, VIR_MIGRATE_LIVE, 'web2', null, 100);
    expect(t.log).toEqual([
      `src:feature ${F.MIGRATION_V3}`,
      `dst:feature ${F.MIGRATION_V3}`,
      `src:feature ${F.MIGRATE_CHANGE_PROTECTION}`,
      'src:DOMAIN_MIGRATE_BEGIN3',
      'src:DOMAIN_GET_INFO',
      'dst:DOMAIN_MIGRATE_PREPARE3',
      'src:DOMAIN_MIGRATE_PERFORM3',
      'dst:DOMAIN_MIGRATE_FINISH3',
      'src:DOMAIN_MIGRATE_CONFIRM3',
    ]);
    const withProtection = BigInt(VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION);
    expect(t.args['src:DOMAIN_MIGRATE_BEGIN3']).toEqual({ dom: SRC_DOM, xmlin: null, flags: withProtection, dname: 'web2', resource: 100n });
    expect(t.args['dst:DOMAIN_MIGRATE_PREPARE3']).toEqual({
      cookie_in: cookie('begin'),
      uri_in: null,
      flags: BigInt(VIR_MIGRATE_LIVE),
      dname: 'web2',
      resource: 100n,
      dom_xml: '<domain/>',
    });
    expect(t.args['src:DOMAIN_MIGRATE_PERFORM3']).toEqual({
      dom: SRC_DOM,
      xmlin: null,
      cookie_in: cookie('prepare'),
      dconnuri: null,
      uri: 'tcp:dst:49152',
      flags: withProtection,
      dname: 'web2',
      resource: 100n,
    });
    expect(t.args['dst:DOMAIN_MIGRATE_FINISH3']).toEqual({
      dname: 'web2',
      cookie_in: cookie('perform'),
      dconnuri: null,
      uri: 'tcp:dst:49152',
      flags: BigInt(VIR_MIGRATE_LIVE),
      cancelled: 0,
    });
    expect(t.args['src:DOMAIN_MIGRATE_CONFIRM3']).toEqual({ dom: SRC_DOM, cookie_in: cookie('finish'), flags: withProtection, cancelled: 0 });
    expect(migrated).toBeInstanceOf(Domain);
    expect(migrated.connection).toBe(t.dconn);
    expect(migrated.ref).toEqual(DST_DOM);
  });

  it('adds VIR_MIGRATE_PAUSED for a paused domain, and keeps the source name when none is given', async () => {
    const t = await pair({ features: [F.MIGRATION_V3], state: VIR_DOMAIN_PAUSED }, { features: [F.MIGRATION_V3] });
    await t.source.migrate(t.dconn, 0, null, 'tcp:dst');
    expect(t.args['src:DOMAIN_MIGRATE_BEGIN3']).toMatchObject({ flags: 0n, dname: null });
    expect(t.args['dst:DOMAIN_MIGRATE_PREPARE3']).toMatchObject({ uri_in: 'tcp:dst', flags: BigInt(VIR_MIGRATE_PAUSED) });
    expect(t.args['dst:DOMAIN_MIGRATE_FINISH3']).toMatchObject({ dname: 'web', flags: BigInt(VIR_MIGRATE_PAUSED) });
  });

  it("Perform3 failing: Finish3 is told the migration was cancelled, the source is not confirmed, Perform3's error is the result", async () => {
    const t = await pair(
      { features: V3, handlers: { REMOTE_PROC_DOMAIN_MIGRATE_PERFORM3: fail('perform broke', 9) } },
      { features: V3, handlers: { REMOTE_PROC_DOMAIN_MIGRATE_FINISH3: fail('domain not started', 1) } },
    );
    const err = await rejection(t.source.migrate(t.dconn, 0));
    expect(err.message).toBe('perform broke');
    expect(t.log.filter((l) => !l.includes('feature'))).toEqual([
      'src:DOMAIN_MIGRATE_BEGIN3',
      'src:DOMAIN_GET_INFO',
      'dst:DOMAIN_MIGRATE_PREPARE3',
      'src:DOMAIN_MIGRATE_PERFORM3',
      'dst:DOMAIN_MIGRATE_FINISH3',
    ]);
    expect(t.args['dst:DOMAIN_MIGRATE_FINISH3']).toMatchObject({ cancelled: 1, cookie_in: new Uint8Array(0) });
  });

  it('Prepare3 failing with change protection: Confirm3 cancels the job Begin3 started; without it nothing more', async () => {
    const t = await pair({ features: V3 }, { features: V3, handlers: { REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3: fail('no room', 38) } });
    const err = await rejection(t.source.migrate(t.dconn, 0));
    expect(err.message).toBe('no room');
    expect(t.log.filter((l) => !l.includes('feature'))).toEqual([
      'src:DOMAIN_MIGRATE_BEGIN3',
      'src:DOMAIN_GET_INFO',
      'dst:DOMAIN_MIGRATE_PREPARE3',
      'src:DOMAIN_MIGRATE_CONFIRM3',
    ]);
    expect(t.args['src:DOMAIN_MIGRATE_CONFIRM3']).toMatchObject({ cancelled: 1, cookie_in: new Uint8Array(0) });

    const u = await pair({ features: [F.MIGRATION_V3] }, { features: V3, handlers: { REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3: fail('no room', 38) } });
    await rejection(u.source.migrate(u.dconn, 0));
    expect(u.log.at(-1)).toBe('dst:DOMAIN_MIGRATE_PREPARE3');
  });

  it('a destination that sets no URI when none was given: Finish3 cancels with the Prepare3 cookie, Confirm3 resumes the source', async () => {
    const t = await pair(
      { features: [F.MIGRATION_V3] },
      {
        features: [F.MIGRATION_V3],
        handlers: {
          REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3: () => ({ cookie_out: cookie('prepare'), uri_out: null }),
          REMOTE_PROC_DOMAIN_MIGRATE_FINISH3: fail('cancelled', 1),
        },
      },
    );
    const err = await rejection(t.source.migrate(t.dconn, 0));
    expect(err.message).toBe('internal error: domainMigratePrepare3 did not set uri');
    expect(t.log).not.toContain('src:DOMAIN_MIGRATE_PERFORM3');
    expect(t.args['dst:DOMAIN_MIGRATE_FINISH3']).toMatchObject({ cancelled: 1, cookie_in: cookie('prepare') });
    expect(t.args['src:DOMAIN_MIGRATE_CONFIRM3']).toMatchObject({ cancelled: 1 });
  });
});

describe('virDomainMigrate3: extensible parameters', () => {
  const params: RemoteTypedParam[] = [
    { field: VIR_MIGRATE_PARAM_BANDWIDTH, value: { type: 4, ul: 50n } },
    { field: VIR_MIGRATE_PARAM_DEST_XML, value: { type: 7, s: '<mine/>' } },
  ];

  it('uses the *Params procedures when both daemons support them, filling DEST_XML, URI and DEST_NAME as libvirt does', async () => {
    const t = await pair({ features: V3_PARAMS }, { features: V3_PARAMS });
    const migrated = await t.source.migrate3(t.dconn, params, VIR_MIGRATE_LIVE);
    expect(t.log).toEqual([
      `src:feature ${F.MIGRATION_PARAMS}`,
      `dst:feature ${F.MIGRATION_PARAMS}`,
      `src:feature ${F.MIGRATE_CHANGE_PROTECTION}`,
      'src:DOMAIN_MIGRATE_BEGIN3_PARAMS',
      'src:DOMAIN_GET_STATE',
      'dst:DOMAIN_MIGRATE_PREPARE3_PARAMS',
      'src:DOMAIN_MIGRATE_PERFORM3_PARAMS',
      'dst:DOMAIN_MIGRATE_FINISH3_PARAMS',
      'src:DOMAIN_MIGRATE_CONFIRM3_PARAMS',
    ]);
    const flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_CHANGE_PROTECTION;
    expect(t.args['src:DOMAIN_MIGRATE_BEGIN3_PARAMS']).toEqual({ dom: SRC_DOM, params, flags });
    // Begin3's XML replaces the caller's DEST_XML for the destination.
    const prepared = [params[0], { field: VIR_MIGRATE_PARAM_DEST_XML, value: { type: 7, s: '<domain/>' } }];
    expect(t.args['dst:DOMAIN_MIGRATE_PREPARE3_PARAMS']).toEqual({ params: prepared, cookie_in: cookie('begin'), flags: VIR_MIGRATE_LIVE });
    const withUri = [...prepared, { field: VIR_MIGRATE_PARAM_URI, value: { type: 7, s: 'tcp:dst:49152' } }];
    expect(t.args['src:DOMAIN_MIGRATE_PERFORM3_PARAMS']).toEqual({ dom: SRC_DOM, dconnuri: null, params: withUri, cookie_in: cookie('prepare'), flags });
    const withName = [...withUri, { field: VIR_MIGRATE_PARAM_DEST_NAME, value: { type: 7, s: 'web' } }];
    expect(t.args['dst:DOMAIN_MIGRATE_FINISH3_PARAMS']).toEqual({ params: withName, cookie_in: cookie('perform'), flags: VIR_MIGRATE_LIVE, cancelled: 0 });
    expect(t.args['src:DOMAIN_MIGRATE_CONFIRM3_PARAMS']).toEqual({ dom: SRC_DOM, params: withName, cookie_in: cookie('finish'), flags, cancelled: 0 });
    expect(migrated.ref).toEqual(DST_DOM);
    expect(params).toHaveLength(2); // the caller's array is left alone
  });

  it('falls back to the fixed-argument v3 when a daemon lacks parameters, and refuses parameters those cannot carry', async () => {
    const t = await pair({ features: V3_PARAMS }, { features: V3 });
    await t.source.migrate3(t.dconn, [...params, { field: VIR_MIGRATE_PARAM_DEST_NAME, value: { type: 7, s: 'n2' } }], 0);
    expect(t.args['src:DOMAIN_MIGRATE_BEGIN3']).toMatchObject({ xmlin: '<mine/>', dname: 'n2', resource: 50n });
    const err = await rejection(t.source.migrate3(t.dconn, [{ field: 'compression', value: { type: 7, s: 'xbzrle' } }], 0));
    expect(err.message).toBe('argument unsupported: Migration APIs with extensible parameters are not supported but extended parameters were passed');
  });
});

describe('virDomainMigrate: older daemons', () => {
  it('falls back to v2: GetXMLDesc, GetInfo, Prepare2, Perform, Finish2', async () => {
    const t = await pair({ features: [F.MIGRATION_V2] }, { features: [F.MIGRATION_V2] });
    const migrated = await t.source.migrate(t.dconn, VIR_MIGRATE_LIVE, null, null, 0);
    expect(t.log.filter((l) => !l.includes('feature'))).toEqual([
      'src:DOMAIN_GET_XML_DESC',
      'src:DOMAIN_GET_INFO',
      'dst:DOMAIN_MIGRATE_PREPARE2',
      'src:DOMAIN_MIGRATE_PERFORM',
      'dst:DOMAIN_MIGRATE_FINISH2',
    ]);
    expect(t.args['src:DOMAIN_GET_XML_DESC']).toMatchObject({ flags: VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_UPDATE_CPU });
    expect(t.args['src:DOMAIN_MIGRATE_PERFORM']).toMatchObject({ cookie: cookie('prepare2'), uri: 'tcp:dst:49153' });
    expect(t.args['dst:DOMAIN_MIGRATE_FINISH2']).toMatchObject({ dname: 'web', cookie: cookie('prepare2'), retcode: 0 });
    expect(migrated.ref).toEqual(DST_DOM);
    const err = await rejection(t.source.migrate2(t.dconn, '<x/>'));
    expect(err.message).toBe('argument unsupported: Unable to change target guest XML during migration');
  });
});

describe('peer-to-peer and direct migration: one call to the source', () => {
  it('migrate() with VIR_MIGRATE_PEER2PEER: Perform3Params to the destination URI, then the domain looked up there', async () => {
    const t = await pair({ features: V3_PARAMS }, { features: V3_PARAMS });
    const migrated = await t.source.migrate(t.dconn, VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED, null, 'qemu+tcp://dst.example/system');
    expect(t.log).toEqual([
      `src:feature ${F.MIGRATION_P2P}`,
      `src:feature ${F.MIGRATION_PARAMS}`,
      'src:DOMAIN_MIGRATE_PERFORM3_PARAMS',
      'dst:DOMAIN_LOOKUP_BY_NAME',
    ]);
    expect(t.args['src:DOMAIN_MIGRATE_PERFORM3_PARAMS']).toEqual({
      dom: SRC_DOM,
      dconnuri: 'qemu+tcp://dst.example/system',
      params: [{ field: VIR_MIGRATE_PARAM_BANDWIDTH, value: { type: 4, ul: 0n } }],
      cookie_in: new Uint8Array(0),
      flags: VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED,
    });
    expect(t.args['dst:DOMAIN_LOOKUP_BY_NAME']).toEqual({ name: 'web' });
    expect(migrated.connection).toBe(t.dconn);
  });

  it('migrateToURI2() peer to peer on a source without parameters: Perform3 with dconnuri and the migration URI', async () => {
    const t = await pair({ features: V3 }, { features: [] });
    await t.source.migrateToURI2('qemu+ssh://dst.example/system', 'tcp:dst', '<d/>', VIR_MIGRATE_PEER2PEER, 'n2', 7);
    expect(t.log).toEqual([
      `src:feature ${F.MIGRATION_P2P}`,
      `src:feature ${F.MIGRATION_PARAMS}`,
      `src:feature ${F.MIGRATION_V3}`,
      'src:DOMAIN_MIGRATE_PERFORM3',
    ]);
    expect(t.args['src:DOMAIN_MIGRATE_PERFORM3']).toEqual({
      dom: SRC_DOM,
      xmlin: '<d/>',
      cookie_in: new Uint8Array(0),
      dconnuri: 'qemu+ssh://dst.example/system',
      uri: 'tcp:dst',
      flags: BigInt(VIR_MIGRATE_PEER2PEER),
      dname: 'n2',
      resource: 7n,
    });
  });

  it("migrateToURI() direct: the URI is the hypervisor's, and needs MIGRATION_DIRECT on the source", async () => {
    const t = await pair({ features: [F.MIGRATION_DIRECT, F.MIGRATION_V3] }, { features: [] });
    await t.source.migrateToURI('xenmigr://dst', 0, null, 0);
    expect(t.args['src:DOMAIN_MIGRATE_PERFORM3']).toMatchObject({ dconnuri: null, uri: 'xenmigr://dst', flags: 0n });
    const u = await pair({ features: V3_PARAMS }, { features: [] });
    const err = await rejection(u.source.migrateToURI('tcp:dst', 0));
    expect([err.codeName, err.message]).toEqual(['VIR_ERR_ARGUMENT_UNSUPPORTED', 'argument unsupported: direct migration is not supported by the source host']);
    const p2p = await rejection(u.source.migrateToURI3(null, [], VIR_MIGRATE_PEER2PEER));
    expect([p2p.codeName, p2p.str1, p2p.str2, p2p.message]).toEqual([
      'VIR_ERR_INVALID_ARG',
      'virDomainMigrateToURI3',
      'dconnuri',
      'dconnuri in virDomainMigrateToURI3 must not be NULL',
    ]);
    // libvirt 9.0's client no longer refuses a local destination URI itself: the daemon does.
    await u.source.migrateToURI3('qemu:///system', [], VIR_MIGRATE_PEER2PEER);
    expect(u.args['src:DOMAIN_MIGRATE_PERFORM3_PARAMS']).toMatchObject({ dconnuri: 'qemu:///system', params: [], flags: VIR_MIGRATE_PEER2PEER });
  });
});

describe('errors libvirt raises before any call', () => {
  it('as python3-libvirt reports them (code, domain, message, str1/str2, int1/int2)', async () => {
    const t = await pair({ features: [] }, { features: [] });
    const fields = (e: LibvirtError) => [e.errorCode, e.domain, e.message, e.str1, e.str2, e.int1, e.int2];
    expect(fields(await rejection(t.source.migrate(t.dconn, VIR_MIGRATE_NON_SHARED_DISK | VIR_MIGRATE_NON_SHARED_INC)))).toEqual([
      8,
      20,
      "Flags 'VIR_MIGRATE_NON_SHARED_DISK' and 'VIR_MIGRATE_NON_SHARED_INC' are mutually exclusive",
      'virDomainMigrate',
      'ctl',
      0,
      0,
    ]);
    expect(fields(await rejection(t.source.migrate(t.dconn, 0)))).toEqual([
      3,
      20,
      'this function is not supported by the connection driver: virDomainMigrate',
      'this function is not supported by the connection driver: %s',
      'virDomainMigrate',
      -1,
      -1,
    ]);
    expect(fields(await rejection(t.source.migrate(t.dconn, VIR_MIGRATE_TUNNELLED)))).toEqual([
      55,
      20,
      'Requested operation is not valid: cannot perform tunnelled migration without using peer2peer flag',
      'Requested operation is not valid: %s',
      'cannot perform tunnelled migration without using peer2peer flag',
      -1,
      -1,
    ]);
    expect(fields(await rejection(t.source.migrate3(t.dconn, [], VIR_MIGRATE_PEER2PEER)))).toEqual([
      8,
      20,
      'use virDomainMigrateToURI3 for peer-to-peer migration',
      'virDomainMigrate3',
      'flags',
      0,
      0,
    ]);
    expect((await rejection(t.source.migrate(t.dconn, VIR_MIGRATE_CHANGE_PROTECTION))).message).toBe('argument unsupported: cannot enforce change protection');
    // Nothing but feature questions reached the daemons.
    expect(t.log.every((l) => l.includes('feature'))).toBe(true);
  });

  it('refuses read-only connections as virCheckReadOnlyGoto does', async () => {
    const t = await pair({ features: V3 }, { features: V3 });
    Object.defineProperty(t.dconn, 'readOnly', { value: true });
    const err = await rejection(t.source.migrate(t.dconn as Connection, 0));
    expect([err.codeName, err.message]).toEqual(['VIR_ERR_OPERATION_DENIED', 'operation forbidden: read only access prevents virDomainMigrate']);
    expect(t.log).toEqual([]);
  });
});
