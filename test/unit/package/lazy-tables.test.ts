/**
 * The procedure tables are built on first use (issue 15's light import): importing the root
 * entry builds none of them, and once used they are what an eager table was: the same keys,
 * frozen Procedure values that keep their identity, the by-number index frozen.
 *
 * The evidence that nothing was built is timing-free: every Procedure is frozen when it is built
 * (`defineProcedure`), so a child process counts the objects with a `programNumber` that go
 * through `Object.freeze`, before and after it imports the built package (`npm test` builds
 * dist/ first).
 */
import { execFileSync } from 'node:child_process';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { eventSpecs } from '../../../src/api/events.js';
import { AdminRawApi } from '../../../src/api/gen/admin-raw.gen.js';
import { RawApi } from '../../../src/api/gen/raw.gen.js';
import { procedures } from '../../../src/procedures/index.gen.js';
import { adminProcedures } from '../../../src/procedures/admin-core.gen.js';
import type { Procedure } from '../../../src/procedures/procedure.js';
import { qemuProcedures } from '../../../src/procedures/qemu-core.gen.js';
import { remoteProcedures } from '../../../src/procedures/remote-core.gen.js';
import { lazyObject } from '../../../src/util/lazy.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Counts the Procedures built (frozen) in the process it runs in; `report(label)` prints the count. */
const PROBE = `
let built = 0;
const freeze = Object.freeze;
Object.freeze = (o) => { if (o !== null && typeof o === 'object' && 'programNumber' in o) built++; return freeze(o); };
const out = {};
const report = (label) => { out[label] = built; };
`;

/** What the child reports after importing the root entry as `lib`. */
const AFTER = `
report('import');
out.rawMethods = typeof lib.Domain.prototype.getXMLDesc;
out.name = lib.procedures.remote[14].name;
report('remote[14]');
out.qemuKeys = Object.keys(lib.procedures.qemu).length;
report('qemu');
out.specs = [...lib.eventSpecs.domain.keys()].length;
console.log(JSON.stringify(out));
`;

describe('procedure tables built on first use', () => {
  const expected = {
    import: 0,
    rawMethods: 'function',
    name: 'REMOTE_PROC_DOMAIN_GET_XML_DESC',
    'remote[14]': Object.keys(remoteProcedures).length,
    qemuKeys: Object.keys(qemuProcedures).length,
    qemu: Object.keys(remoteProcedures).length + Object.keys(qemuProcedures).length,
    specs: eventSpecs.domain.size,
  };

  it('importing the built root entry (ES module) builds no table; reading procedures.remote[14] builds the remote one', () => {
    const script = `${PROBE}const lib = await import(${JSON.stringify(`${root}dist/esm/index.js`)});${AFTER}`;
    const got = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as unknown;
    expect(got).toEqual(expected);
  }, 30_000);

  it('requiring the built root entry (CommonJS) builds no table either', () => {
    const script = `${PROBE}const lib = require(${JSON.stringify(`${root}dist/cjs/index.js`)});${AFTER}`;
    const got = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as unknown;
    expect(got).toEqual(expected);
  }, 30_000);

  it('a table, once used, is a plain table: same keys, frozen Procedures of stable identity, by-number index frozen', () => {
    const table = remoteProcedures as unknown as Record<string, Procedure>;
    const names = Object.keys(table);
    expect(names.length).toBeGreaterThan(400);
    expect(names.every((n) => n.startsWith('REMOTE_PROC_'))).toBe(true);
    expect('REMOTE_PROC_DOMAIN_GET_XML_DESC' in table).toBe(true);
    expect('REMOTE_PROC_NO_SUCH' in table).toBe(false);
    expect(table.REMOTE_PROC_NO_SUCH).toBeUndefined();
    const p = table.REMOTE_PROC_DOMAIN_GET_XML_DESC!;
    expect(table.REMOTE_PROC_DOMAIN_GET_XML_DESC).toBe(p);
    expect(Object.isFrozen(p)).toBe(true);
    expect(p).toMatchObject({ program: 'remote', number: 14, api: 'virDomainGetXMLDesc', method: 'domainGetXMLDesc' });
    expect(Object.isFrozen(table)).toBe(false);
    expect({ ...table }).toEqual(Object.fromEntries(names.map((n) => [n, table[n]])));
    expect(Object.getOwnPropertyDescriptor(table, 'REMOTE_PROC_DOMAIN_GET_XML_DESC')).toEqual({
      value: p,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    const index = procedures.remote;
    expect(Object.isFrozen(index)).toBe(true);
    expect(Object.isFrozen(procedures)).toBe(true);
    expect(index[14]).toBe(p);
    expect(Object.keys(index)).toHaveLength(names.length);
    for (const n of names) expect(index[table[n]!.number]).toBe(table[n]);
    expect(Object.getOwnPropertyDescriptor(index, 14)).toEqual({ value: p, writable: false, enumerable: true, configurable: false });
    expect(Reflect.set(index, 14, null)).toBe(false);
    // (the keepalive procedures have no codecs, which refer to their table: JSON can write them)
    expect(JSON.parse(JSON.stringify(procedures.keepalive))).toMatchObject({ 1: { name: 'KEEPALIVE_PROC_PING', method: 'ping', args: null } });
    expect(procedures.lxc).toEqual(Object.fromEntries(Object.values(procedures.lxc).map((q) => [q.number, q])));
  });

  it('RawApi.prototype holds every callable procedure method right after import, named after it', () => {
    const methods = Object.getOwnPropertyNames(RawApi.prototype).filter((k) => k !== 'constructor');
    const callable = [remoteProcedures, qemuProcedures]
      .flatMap((t) => Object.values(t as unknown as Record<string, Procedure>))
      .filter((p) => !p.event)
      .map((p) => p.method);
    expect(methods).toEqual(expect.arrayContaining(callable));
    const m = (RawApi.prototype as unknown as Record<string, { name: string }>).domainGetXMLDesc!;
    expect(m.name).toBe('domainGetXMLDesc');
  });

  it('a raw method calls its procedure, looked up at its first call', async () => {
    const calls: [Procedure, unknown][] = [];
    const caller = {
      call: async (proc: Procedure, args: unknown) => {
        calls.push([proc, args]);
        return { xml: '<domain/>' };
      },
    };
    const raw = new RawApi(caller as never);
    const dom = { name: 'a', uuid: new Uint8Array(16), id: 1 };
    expect(await raw.domainGetXMLDesc(dom, 2)).toBe('<domain/>');
    expect(await raw.domainGetXMLDesc(dom, 0)).toBe('<domain/>');
    expect(calls).toEqual([
      [remoteProcedures.REMOTE_PROC_DOMAIN_GET_XML_DESC, { dom, flags: 2 }],
      [remoteProcedures.REMOTE_PROC_DOMAIN_GET_XML_DESC, { dom, flags: 0 }],
    ]);
    await expect(RawApi.prototype.domainGetXMLDesc.call(undefined as never, dom, 0)).rejects.toThrow(TypeError);
    const admin = new AdminRawApi({ call: async (proc: Procedure) => ({ libVer: proc.number }) } as never);
    expect(await admin.connectGetLibVersion()).toBe(adminProcedures.ADMIN_PROC_CONNECT_GET_LIB_VERSION.number);
  });
});

describe('lazyObject', () => {
  it('builds once, at the first operation of any kind, and then forwards each one unchanged', () => {
    const kinds: [string, (o: Record<string, number>) => unknown][] = [
      ['get', (o) => o.a],
      ['has', (o) => 'a' in o],
      ['keys', (o) => Object.keys(o)],
      ['spread', (o) => ({ ...o })],
      ['json', (o) => JSON.stringify(o)],
      ['isFrozen', (o) => Object.isFrozen(o)],
      ['freeze', (o) => Object.freeze(o)],
      ['set', (o) => Reflect.set(o, 'c', 3)],
      ['descriptor', (o) => Object.getOwnPropertyDescriptor(o, 'a')],
    ];
    for (const [kind, use] of kinds) {
      let fills = 0;
      const o = lazyObject<Record<string, number>>((t) => {
        fills++;
        t.a = 1;
        t.b = 2;
      });
      expect(fills, kind).toBe(0);
      use(o);
      expect(fills, kind).toBe(1);
      expect(Object.keys(o), kind).toEqual(kind === 'set' ? ['a', 'b', 'c'] : ['a', 'b']);
      expect(o.b, kind).toBe(2);
      expect(fills, kind).toBe(1);
    }
  });

  it('keeps a frozen fill frozen (the Proxy invariants hold), and inspect shows the built object', () => {
    const o = lazyObject<Record<string, number>>((t) => {
      t.x = 1;
      Object.freeze(t);
    });
    expect(inspect(o)).toBe(inspect({ x: 1 }));
    expect(Object.isFrozen(o)).toBe(true);
    expect(Reflect.defineProperty(o, 'y', { value: 2 })).toBe(false);
    expect(Object.getOwnPropertyDescriptor(o, 'x')).toEqual({ value: 1, writable: false, enumerable: true, configurable: false });
    expect(Reflect.ownKeys(o)).toEqual(['x']);
  });

  it('shows a table that nothing read yet, built, through util.inspect', () => {
    const o = lazyObject<Record<string, number>>((t) => {
      t.k = 7;
    });
    expect(inspect(o)).toBe('{ k: 7 }');
    expect(inspect(o)).toBe('{ k: 7 }');
  });
});
