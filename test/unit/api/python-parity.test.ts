/**
 * Parity with libvirt-python: the installed python3-libvirt's libvirt.py is parsed (by
 * /usr/bin/python3's own `ast` module) and every public method of every class, and every
 * public module function, must have an entry in PYTHON_PARITY naming a member that exists on
 * our class (or a reason it does not apply). Also the client-side parts that table points to:
 * the reference accessors, UUID parsing as libvirt does it, the UUID-string lookups and the
 * stream methods modelled on python's virStream.
 */
import { ArgumentError } from '../../../src/errors/root.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import * as lib from '../../../src/index.js';
import {
  Connection,
  Domain,
  DomainCheckpoint,
  DomainSnapshot,
  Interface,
  LibvirtError,
  LibvirtStream,
  Network,
  NetworkPort,
  NodeDevice,
  NWFilter,
  NWFilterBinding,
  PendingStream,
  Secret,
  StoragePool,
  StorageVol,
  StreamStateError,
  formatUuid,
  parseUuid,
} from '../../../src/index.js';
import { PYTHON_PARITY, type ParityEntry, type ParityTarget } from './python-parity-table.js';
import { openStreamCall } from '../../../src/api/stream.js';
import { ConnectionBase } from '../../../src/api/gen/objects.gen.js';
import type { RpcClient } from '../../../src/rpc/client.js';
import type { CallOptions, Procedure } from '../../../src/rpc/procedure.js';
import type { RemotePlan } from '../../../src/transport/remote-plan.js';
import { destroyClients, pattern, S, setup, streamProc, T } from './streams/stream-helpers.js';

const LIBVIRT_PY = '/usr/lib/python3/dist-packages/libvirt.py';

/** Public classes → methods, and `<module>` → functions, of libvirt.py (python's own parser). */
function pythonApi(): Record<string, string[]> {
  const script = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
out = {"<module>": []}
for node in tree.body:
    if isinstance(node, ast.ClassDef):
        out[node.name] = [n.name for n in node.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    elif isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
        if node.name not in out["<module>"]:
            out["<module>"].append(node.name)
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-I', '-c', script, LIBVIRT_PY], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`python3 could not parse ${LIBVIRT_PY}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string[]>;
}

const uuid = Uint8Array.from([0x66, 0x95, 0xeb, 0x01, 0xf6, 0xa4, 0x83, 0x04, 0x79, 0xaa, 0x97, 0xf2, 0x50, 0x2e, 0x19, 0x3f]);
const UUID_TEXT = '6695eb01-f6a4-8304-79aa-97f2502e193f';

/** A Connection over nothing: enough to see its members (no call is made). */
function offlineConnection(): Connection {
  const client = { closed: new Promise<never>(() => {}), isOpen: true, setDaemonErrorHook: () => {} } as unknown as RpcClient;
  return new Connection(client, {
    uri: 'test:///default',
    readOnly: false,
    plan: { transport: 'unix' } as RemotePlan,
    features: { keepalive: false, eventCallbacks: true, closeCallback: true },
  });
}

/** One instance (or prototype) of each class a table entry can name. */
function targets(): Record<ParityTarget, object> {
  const conn = offlineConnection();
  const dom = { name: 'd', uuid, id: 4 };
  const net = { name: 'n', uuid };
  return {
    module: lib,
    Connection: conn,
    Domain: new Domain(conn, dom),
    Network: new Network(conn, net),
    NetworkPort: new NetworkPort(conn, { net, uuid }),
    Interface: new Interface(conn, { name: 'eth0', mac: '52:54:00:00:00:01' }),
    StoragePool: new StoragePool(conn, { name: 'p', uuid }),
    StorageVol: new StorageVol(conn, { pool: 'p', name: 'v', key: '/p/v' }),
    NodeDevice: new NodeDevice(conn, { name: 'computer' }),
    Secret: new Secret(conn, { uuid, usageType: 1, usageID: '/x' }),
    NWFilter: new NWFilter(conn, { name: 'f', uuid }),
    NWFilterBinding: new NWFilterBinding(conn, { portdev: 'vnet0', filtername: 'clean-traffic' }),
    DomainCheckpoint: new DomainCheckpoint(conn, { name: 'c', dom }),
    DomainSnapshot: new DomainSnapshot(conn, { name: 's', dom }),
    // A stream is only made by a call: its prototype chain has every member.
    LibvirtStream: LibvirtStream.prototype,
    LibvirtError: new LibvirtError({
      code: 1,
      domain: 0,
      message: 'm',
      level: 2,
      dom: null,
      str1: null,
      str2: null,
      str3: null,
      int1: 0,
      int2: 0,
      net: null,
    }),
  };
}

/** Whether `path` (`a` or `a.b`) names a member of `target` (own, inherited or a getter). */
function hasMember(target: object, path: string): boolean {
  // Reads a member only to go through it (a getter on a prototype cannot be read).
  const segs = path.split('.');
  let cur: unknown = target;
  for (const [i, seg] of segs.entries()) {
    if ((typeof cur !== 'object' && typeof cur !== 'function') || cur === null || !(seg in cur)) return false;
    if (i < segs.length - 1) cur = (cur as Record<string, unknown>)[seg];
  }
  return true;
}

const entryOf = (e: string | ParityEntry): ParityEntry => (typeof e === 'string' ? { member: e } : e);

describe('the libvirt-python parity table', () => {
  it('can read libvirt.py (python3-libvirt is installed)', () => {
    expect(existsSync(LIBVIRT_PY)).toBe(true);
  });

  const py = existsSync(LIBVIRT_PY) ? pythonApi() : {};
  const tableKey = (cls: string): string => (cls === '<module>' ? 'module' : cls);

  it('has an entry for every public method of every class of libvirt.py, and none it lacks', () => {
    expect(Object.keys(py).length).toBeGreaterThan(10);
    const missing: string[] = [];
    const stale: string[] = [];
    for (const [cls, methods] of Object.entries(py)) {
      const table = PYTHON_PARITY[tableKey(cls)];
      if (!table) {
        missing.push(`${cls} (the whole class)`);
        continue;
      }
      for (const m of methods) if (!(m in table.methods)) missing.push(`${cls}.${m}`);
      for (const m of Object.keys(table.methods)) if (!methods.includes(m)) stale.push(`${cls}.${m}`);
    }
    for (const cls of Object.keys(PYTHON_PARITY)) {
      if (!(cls === 'module' ? '<module>' : cls in py)) stale.push(`${cls} (the whole class)`);
    }
    expect(missing, 'python methods without an entry').toEqual([]);
    expect(stale, 'entries for methods python does not have').toEqual([]);
    const count = Object.values(py).reduce((n, m) => n + m.length, 0);
    expect(count).toBeGreaterThan(450);
  });

  it('names, for every entry, a member that exists on our class, or a reason', () => {
    const t = targets();
    const bad: string[] = [];
    for (const [cls, { ours, methods }] of Object.entries(PYTHON_PARITY)) {
      for (const [m, raw] of Object.entries(methods)) {
        const e = entryOf(raw);
        if (e.na !== undefined) {
          if (e.member !== undefined || e.na.length < 20) bad.push(`${cls}.${m}: an n/a entry needs a reason and no member`);
          continue;
        }
        if (!e.member) {
          bad.push(`${cls}.${m}: neither a member nor a reason`);
          continue;
        }
        const on = e.on ?? ours;
        if (!hasMember(t[on], e.member)) bad.push(`${cls}.${m} → ${on}.${e.member} does not exist`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('maps every python method that calls one public C API with a procedure to the generated member for it', () => {
    // A python method named after its C API's verb maps to the object layer's method for that API:
    // spot checks of the naming (the full check is the member test above).
    expect(PYTHON_PARITY.virDomain!.methods.XMLDesc).toBe('getXMLDesc');
    expect(PYTHON_PARITY.virStoragePool!.methods.createXML).toBe('storageVolCreateXML');
    expect(PYTHON_PARITY.virConnect!.methods.lookupByUUIDString).toBe('domainLookupByUUIDString');
    expect(entryOf(PYTHON_PARITY.virDomain!.methods.revertToSnapshot!)).toMatchObject({ on: 'DomainSnapshot', member: 'revertToSnapshot' });
    expect(entryOf(PYTHON_PARITY.virConnect!.methods.virConnGetLastError!).na).toMatch(/exceptions/);
  });
});

describe('reference accessors (what libvirt answers without a call)', () => {
  const t = targets();
  it('reads the UUID, ID, key, usage, MAC, port and filter from the reference', () => {
    const dom = t.Domain as Domain;
    expect(dom.id).toBe(4);
    expect(dom.uuidString).toBe(UUID_TEXT);
    expect(dom.uuid).toEqual(uuid);
    expect(dom.uuid).not.toBe(dom.ref.uuid); // a copy
    expect((t.Network as Network).uuidString).toBe(UUID_TEXT);
    expect((t.StoragePool as StoragePool).uuidString).toBe(UUID_TEXT);
    expect((t.NWFilter as NWFilter).uuidString).toBe(UUID_TEXT);
    const port = t.NetworkPort as NetworkPort;
    expect(port.uuidString).toBe(UUID_TEXT);
    expect(port.network).toBeInstanceOf(Network);
    expect(port.network.name).toBe('n');
    expect(port.network.connection).toBe(port.connection);
    const secret = t.Secret as Secret;
    expect([secret.uuidString, secret.usageType, secret.usageID]).toEqual([UUID_TEXT, 1, '/x']);
    const vol = t.StorageVol as StorageVol;
    expect([vol.name, vol.key, vol.poolName]).toEqual(['v', '/p/v', 'p']);
    expect((t.Interface as Interface).macString).toBe('52:54:00:00:00:01');
    const b = t.NWFilterBinding as NWFilterBinding;
    expect([b.portDev, b.filterName]).toEqual(['vnet0', 'clean-traffic']);
    for (const child of [t.DomainSnapshot as DomainSnapshot, t.DomainCheckpoint as DomainCheckpoint]) {
      expect(child.domain).toBeInstanceOf(Domain);
      expect(child.domain.name).toBe('d');
      expect(child.domain.connection).toBe(child.connection);
    }
  });
});

describe('UUID strings (virUUIDFormat / virUUIDParse)', () => {
  it('formats lower-case 8-4-4-4-12', () => {
    expect(formatUuid(uuid)).toBe(UUID_TEXT);
    expect(() => formatUuid(new Uint8Array(3))).toThrow(ArgumentError);
  });

  it('parses as libvirt does: dashes or spaces between byte pairs, surrounding whitespace', () => {
    const ok = [
      UUID_TEXT,
      UUID_TEXT.replace(/-/g, ''),
      UUID_TEXT.toUpperCase(),
      ` ${UUID_TEXT} `,
      `\t${UUID_TEXT}\n`,
      `-${UUID_TEXT}`,
      `66 95eb01-f6a4-8304-79aa-97f2502e193f`,
      `6695eb01---f6a4-8304-79aa-97f2502e193f`,
    ];
    for (const s of ok) expect(parseUuid(s), JSON.stringify(s)).toEqual(uuid);
    const bad = ['', 'zzz', `${UUID_TEXT}0`, UUID_TEXT.slice(0, -1), `${UUID_TEXT.slice(0, -1)}-f`, `6-${UUID_TEXT.slice(1)}`, `${UUID_TEXT}x`];
    for (const s of bad) expect(parseUuid(s), JSON.stringify(s)).toBeNull();
  });

  class Recorder extends ConnectionBase {
    readonly calls: { name: string; args: unknown }[] = [];
    override call<A, R>(procedure: Procedure<A, R>, args: A, _options?: CallOptions): Promise<R> {
      this.calls.push({ name: procedure.name, args });
      const ret: Record<string, unknown> = {
        REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID: { dom: { name: 'web', uuid, id: 3 } },
        REMOTE_PROC_NETWORK_PORT_LOOKUP_BY_UUID: { port: { net: { name: 'n', uuid }, uuid } },
      };
      return Promise.resolve(ret[procedure.name] as R);
    }
  }

  it('looks up by UUID string with the parsed bytes, and rejects a bad one as libvirt 9.0 does, before any call', async () => {
    const conn = new Recorder();
    const dom = await conn.domainLookupByUUIDString(` ${UUID_TEXT.toUpperCase()}`);
    expect(dom.name).toBe('web');
    expect(conn.calls).toEqual([{ name: 'REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID', args: { uuid } }]);
    const cases: [Promise<unknown>, number, string, string][] = [
      [conn.domainLookupByUUIDString('zzz'), 20, 'Invalid UUID', 'virDomainLookupByUUIDString'],
      [conn.networkLookupByUUIDString('zzz'), 19, 'uuidstr in virNetworkLookupByUUIDString must be a valid UUID', 'virNetworkLookupByUUIDString'],
      [conn.storagePoolLookupByUUIDString('zzz'), 18, 'uuidstr in virStoragePoolLookupByUUIDString must be a valid UUID', 'virStoragePoolLookupByUUIDString'],
      [conn.secretLookupByUUIDString('zzz'), 30, 'uuidstr in virSecretLookupByUUIDString must be a valid UUID', 'virSecretLookupByUUIDString'],
      [conn.nwFilterLookupByUUIDString('zzz'), 33, 'uuidstr in virNWFilterLookupByUUIDString must be a valid UUID', 'virNWFilterLookupByUUIDString'],
      [
        new Network(conn, { name: 'n', uuid }).portLookupByUUIDString('nope'),
        19,
        'uuidstr in virNetworkPortLookupByUUIDString must be a valid UUID',
        'virNetworkPortLookupByUUIDString',
      ],
    ];
    for (const [p, domain, message, api] of cases) {
      const err = (await p.catch((e: unknown) => e)) as LibvirtError;
      expect(err).toBeInstanceOf(LibvirtError);
      expect({
        code: err.codeName,
        domain: err.domain,
        message: err.message,
        level: err.level,
        str1: err.str1,
        str2: err.str2,
        str3: err.str3,
        int1: err.int1,
        int2: err.int2,
      }).toEqual({
        code: 'VIR_ERR_INVALID_ARG',
        domain,
        message,
        level: 2,
        str1: api,
        str2: 'uuidstr',
        str3: null,
        int1: 0,
        int2: 0,
      });
    }
    expect(conn.calls).toHaveLength(1);
    const port = await new Network(conn, { name: 'n', uuid }).portLookupByUUIDString(UUID_TEXT);
    expect(port.uuidString).toBe(UUID_TEXT);
    expect(conn.calls.at(-1)).toEqual({ name: 'REMOTE_PROC_NETWORK_PORT_LOOKUP_BY_UUID', args: { network: { name: 'n', uuid }, uuid } });
  });
});

describe("the stream methods of python's virStream", () => {
  afterEach(destroyClients);
  const READ = streamProc('read');
  const WRITE = streamProc('write');
  const SPARSE_READ = streamProc('read', true);
  const SPARSE_WRITE = streamProc('write', true);

  async function open(ctx: ReturnType<typeof setup>, proc: Procedure<number, number>, options = {}) {
    const from = ctx.peer.frames.length;
    const opening = openStreamCall(ctx.client, proc, 5, proc.stream ?? 'read', proc.sparse, options);
    const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL, from);
    ctx.peer.reply(call, 0);
    return { call, stream: (await opening).stream };
  }

  /** The payloads of the data packets the client sent for `call`'s stream. */
  const sent = (ctx: ReturnType<typeof setup>, serial: number): Buffer[] =>
    ctx.peer
      .streamFrames(serial)
      .filter((f) => f.header.type === T.STREAM && f.header.status === S.CONTINUE)
      .map((f) => Buffer.from(f.payload));

  it('recv() gives at most n bytes, waits for data and gives an empty buffer at the end; recvAll() gets the rest', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, READ);
    expect(stream.connection).toBe(ctx.client);
    const first = stream.recv(10);
    ctx.peer.data(call, pattern(25));
    expect(await first).toEqual(pattern(25).subarray(0, 10));
    expect(await stream.recv(100)).toEqual(pattern(25).subarray(10));
    ctx.peer.data(call, pattern(7, 3));
    const chunks: Buffer[] = [];
    const all = stream.recvAll((b) => void chunks.push(b));
    ctx.peer.eof(call);
    ctx.peer.confirm(await ctx.peer.waitStatus(call, S.OK));
    await all;
    expect(Buffer.concat(chunks)).toEqual(pattern(7, 3));
    expect((await stream.recv(10)).length).toBe(0);
    await expect(stream.recv(0)).rejects.toThrow(RangeError);
  });

  it('recvAll() aborts the stream when its handler fails', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, READ);
    ctx.peer.data(call, pattern(5));
    await expect(stream.recvAll(() => -1)).rejects.toThrow(/recvAll handler returned -1/);
    ctx.peer.confirm(await ctx.peer.waitStatus(call, S.ERROR));
    await stream.abort();
  });

  it('send() and sendAll() write in order; sendAll() takes a function or an iterable and does not finish', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, WRITE);
    expect(await stream.send(pattern(3))).toBe(3);
    const parts = [pattern(4, 1), pattern(5, 2)];
    await stream.sendAll(() => parts.shift() ?? null);
    await stream.sendAll([pattern(2, 9)]);
    const finishing = stream.finish();
    ctx.peer.confirm(await ctx.peer.waitStatus(call, S.OK));
    await finishing;
    expect(sent(ctx, call.header.serial)).toEqual([pattern(3), pattern(4, 1), pattern(5, 2), pattern(2, 9)]);
  });

  it('sendAll() aborts the stream and rethrows when the source throws', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, WRITE);
    await expect(
      stream.sendAll(() => {
        throw new Error('source broke');
      }),
    ).rejects.toThrow('source broke');
    ctx.peer.confirm(await ctx.peer.waitStatus(call, S.ERROR));
    await stream.abort();
  });

  it('sparseSendAll() sends holes and data as the hole handler describes them; sparseRecvAll() gets them back', async () => {
    const ctx = setup();
    const { call, stream } = await open(ctx, SPARSE_WRITE);
    const sections: [boolean, number][] = [
      [true, 6],
      [false, 1000],
      [true, 2],
      [true, 0],
    ];
    const data = [pattern(6), pattern(2, 5)];
    const skipped: (number | bigint)[] = [];
    await stream.sparseSendAll(
      () => data.shift() ?? null,
      () => sections.shift()!,
      (n) => void skipped.push(n),
    );
    const finishing = stream.finish();
    ctx.peer.confirm(await ctx.peer.waitStatus(call, S.OK));
    await finishing;
    expect(skipped).toEqual([1000]);
    const frames = ctx.peer.streamFrames(call.header.serial).filter((f) => f.header.status === S.CONTINUE);
    expect(frames.map((f) => f.header.type)).toEqual([T.STREAM, T.HOLE, T.STREAM]);

    const r = await open(ctx, SPARSE_READ);
    const got: (string | bigint)[] = [];
    const all = r.stream.sparseRecvAll(
      (d) => void got.push(d.toString('hex')),
      (n) => void got.push(n),
    );
    r.stream.on('error', () => {});
    ctx.peer.data(r.call, pattern(3));
    ctx.peer.hole(r.call, 4096n);
    ctx.peer.data(r.call, pattern(2, 7));
    ctx.peer.eof(r.call);
    ctx.peer.confirm(await ctx.peer.waitStatus(r.call, S.OK));
    await all;
    expect(got).toEqual([pattern(3).toString('hex'), 4096n, pattern(2, 7).toString('hex')]);
  });

  it('newStream(): a pending stream becomes the stream a call opens, once', async () => {
    const ctx = setup();
    const pending = new PendingStream(0, { maxBuffered: 1000 });
    expect(pending.opened).toBe(false);
    expect(() => pending.stream).toThrow(StreamStateError);
    const { call, stream } = await open(ctx, READ, pending);
    expect(pending.opened).toBe(true);
    expect(pending.stream).toBe(stream);
    expect(stream.maxBuffered).toBe(1000);
    await expect(openStreamCall(ctx.client, READ, 5, 'read', false, pending)).rejects.toThrow(StreamStateError);
    expect(offlineConnection().newStream(1)).toBeInstanceOf(PendingStream);
    const aborting = stream.abort();
    ctx.peer.confirm(await ctx.peer.waitStatus(call, S.ERROR));
    await aborting;
  });
});
