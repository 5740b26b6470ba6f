/** The generated object layer: which methods land on which class, and how they are named. */
import { describe, expect, it } from 'vitest';
import { lowerCamel } from '../../../codegen/model.js';
import { OBJECT_KINDS } from '../../../codegen/emit-objects.js';
import * as objects from '../../../src/api/objects/index.js';
import { ConnectionBase } from '../../../src/api/gen/objects.gen.js';
import { Domain, NodeDevice, StorageVol } from '../../../src/api/objects/index.js';
import type { CallOptions, Procedure } from '../../../src/rpc/procedure.js';
import { XdrError } from '../../../src/xdr/errors.js';

const methods = (cls: { prototype: object }): string[] => {
  const out: string[] = [];
  for (let p = cls.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object) out.push(...Object.getOwnPropertyNames(p));
  return out.filter((n) => n !== 'constructor');
};

const uuid = new Uint8Array(16).fill(7);

/** A scripted caller: records each call and answers from a table (a function for count-dependent replies). */
class Recorder extends ConnectionBase {
  readonly calls: { name: string; args: unknown }[] = [];
  /** Replies that replace the table's for this recorder. */
  readonly replies = new Map<string, unknown>();
  override call<A, R>(procedure: Procedure<A, R>, args: A, _options?: CallOptions): Promise<R> {
    this.calls.push({ name: procedure.name, args });
    if (this.replies.has(procedure.name)) return Promise.resolve(this.replies.get(procedure.name) as R);
    const a = (args ?? {}) as Record<string, unknown>;
    const ret: Record<string, unknown> = {
      REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME: { dom: { name: 'web', uuid, id: -1 } },
      REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID: { dom: { name: 'web', uuid, id: 12 } },
      REMOTE_PROC_DOMAIN_CREATE: undefined,
      REMOTE_PROC_DOMAIN_DESTROY: undefined,
      REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS: { domains: [{ name: 'a', uuid, id: 1 }], ret: 1 },
      REMOTE_PROC_DOMAIN_GET_XML_DESC: { xml: '<domain/>' },
      REMOTE_PROC_NODE_DEVICE_GET_XML_DESC: { xml: '<device/>' },
      REMOTE_PROC_DOMAIN_IS_ACTIVE: { active: 1 },
      REMOTE_PROC_DOMAIN_SET_AUTOSTART: undefined,
      REMOTE_PROC_DOMAIN_SET_MEMORY_PARAMETERS: undefined,
      REMOTE_PROC_DOMAIN_GET_INFO: { state: 1, maxMem: 1048576n, memory: 524288n, nrVirtCpu: 2, cpuTime: 2n ** 60n },
      REMOTE_PROC_DOMAIN_GET_SECURITY_LABEL: { label: [115, 118, 105, 114, 116, 0, 0], enforcing: 1 },
      REMOTE_PROC_DOMAIN_GET_CPU_STATS:
        a.nparams === 0 ? { params: [], nparams: 1 } : { params: [{ field: 'cpu_time', value: { type: 4, ul: 5n } }], nparams: 1 },
      REMOTE_PROC_NODE_GET_INFO: { model: [105, 54, 56, 54, 0, 0, 0], memory: 8000000n, cpus: 4, mhz: 2000, nodes: 1, sockets: 1, cores: 4, threads: 1 },
      REMOTE_PROC_DOMAIN_GET_MEMORY_PARAMETERS:
        a.nparams === 0
          ? { params: [], nparams: 2 }
          : {
              params: [
                { field: 'hard_limit', value: { type: 4, ul: 9007199254740991n } },
                { field: 'swap_hard_limit', value: { type: 4, ul: 2n ** 62n } },
              ],
              nparams: 2,
            },
    };
    return Promise.resolve(ret[procedure.name] as R);
  }
}

describe('the object layer', () => {
  it('lowers leading acronyms as camelCase does', () => {
    expect(lowerCamel('DomainGetXMLDesc')).toBe('domainGetXMLDesc');
    expect(lowerCamel('NWFilterLookupByName')).toBe('nwFilterLookupByName');
    expect(lowerCamel('XML')).toBe('xml');
  });

  it('has one class per object kind, each with methods', () => {
    for (const k of OBJECT_KINDS) {
      const cls = (objects as Record<string, unknown>)[k.className] as { prototype: object };
      expect(cls, k.className).toBeTypeOf('function');
    }
    expect(methods(Domain)).toEqual(
      expect.arrayContaining(['getXMLDesc', 'create', 'destroy', 'suspend', 'resume', 'getInfo', 'snapshotCreateXML', 'migrate3', 'getVcpus']),
    );
    expect(methods(StorageVol)).toEqual(expect.arrayContaining(['getInfo', 'getPath', 'delete', 'getXMLDesc']));
    expect(methods(NodeDevice)).toEqual(expect.arrayContaining(['getXMLDesc', 'getParent', 'listCaps', 'destroy']));
    expect(methods(ConnectionBase)).toEqual(expect.arrayContaining(['domainLookupByName', 'listAllDomains', 'getHostname', 'nwFilterLookupByName']));
    // Event registration belongs to conn.events, connection life cycle to Connection.
    expect(methods(ConnectionBase)).not.toContain('domainEventRegisterAny');
    expect(methods(ConnectionBase)).not.toContain('close');
  });

  it('wraps references into objects, passes objects back as references, and computes wire-only counts', async () => {
    const conn = new Recorder();
    const dom = await conn.domainLookupByName('web');
    expect(dom).toBeInstanceOf(Domain);
    expect(dom.name).toBe('web');
    expect(await dom.getXMLDesc(2)).toBe('<domain/>');
    expect(conn.calls.at(-1)).toEqual({ name: 'REMOTE_PROC_DOMAIN_GET_XML_DESC', args: { dom: dom.ref, flags: 2 } });
    expect(await dom.getXMLDesc()).toBe('<domain/>');
    expect(conn.calls.at(-1)).toEqual({ name: 'REMOTE_PROC_DOMAIN_GET_XML_DESC', args: { dom: dom.ref, flags: 0 } });
    const domains = await conn.listAllDomains();
    expect(conn.calls.at(-1)).toEqual({ name: 'REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS', args: { need_results: 1, flags: 0 } });
    expect(domains).toHaveLength(1);
    expect(domains[0]).toBeInstanceOf(Domain);
    // An object serialises as what identifies it, not its connection.
    expect(JSON.parse(JSON.stringify(domains))).toEqual([{ name: 'a', uuid: '07070707-0707-0707-0707-070707070707', id: 1 }]);
    const dev = new NodeDevice(conn, { name: 'pci_0000_00_01_0' });
    expect(await dev.getXMLDesc()).toBe('<device/>');
    expect(conn.calls.at(-1)).toEqual({ name: 'REMOTE_PROC_NODE_DEVICE_GET_XML_DESC', args: { name: 'pci_0000_00_01_0', flags: 0 } });
  });

  it('converts results: booleans, strings from char arrays, numbers, JSON-safe bigints, records', async () => {
    const conn = new Recorder();
    const dom = await conn.domainLookupByName('web');
    expect(await dom.isActive()).toBe(true);
    const node = await conn.nodeGetInfo();
    expect(node.model).toBe('i686');
    expect(node.memory).toBe(8000000);
    const info = await dom.getInfo();
    expect(info).toMatchObject({ state: 1, maxMem: 1048576, memory: 524288, nrVirtCpu: 2, cpuTime: 2n ** 60n });
    expect(JSON.parse(JSON.stringify(info))).toEqual({ state: 1, maxMem: 1048576, memory: 524288, nrVirtCpu: 2, cpuTime: (2n ** 60n).toString() });
    // Typed parameters: the count first, then the values, in one call of ours.
    const mem = await dom.getMemoryParameters();
    expect(conn.calls.slice(-2).map((c) => (c.args as { nparams: number }).nparams)).toEqual([0, 2]);
    expect(mem).toEqual({ hard_limit: 9007199254740991, swap_hard_limit: 2n ** 62n });
    expect(JSON.stringify(mem)).toBe(`{"hard_limit":9007199254740991,"swap_hard_limit":"${2n ** 62n}"}`);
  });

  it("adds VIR_TYPED_PARAM_STRING_OKAY to the getters libvirt's client adds it to, and makes C int booleans of structs booleans", async () => {
    const conn = new Recorder();
    const dom = await conn.domainLookupByName('web');
    await dom.getMemoryParameters(2);
    expect(conn.calls.slice(-2).map((c) => (c.args as { flags: number }).flags)).toEqual([2 | 4, 2 | 4]);
    expect(await dom.getCPUStats(-1, 1)).toEqual([{ cpu_time: 5 }]);
    expect(conn.calls.slice(-2).map((c) => (c.args as { flags: number }).flags)).toEqual([4, 4]);
    // A flag in bit 31 stays an unsigned int.
    await dom.getMemoryParameters(0x8000_0000);
    expect(conn.calls.at(-1)?.args).toMatchObject({ flags: 0x8000_0004 });
    // ... and not to the others (virDomainGetSchedulerParameters has no flags; GetXMLDesc takes them as they are).
    await dom.getXMLDesc(0);
    expect(conn.calls.at(-1)?.args).toMatchObject({ flags: 0 });
    expect(await dom.getSecurityLabel()).toEqual({ label: 'svirt', enforcing: true });
  });

  it("fails getSecurityLabelList as libvirt's client does when the daemon replies with ret -1", async () => {
    const conn = new Recorder();
    const dom = await conn.domainLookupByName('web');
    conn.replies.set('REMOTE_PROC_DOMAIN_GET_SECURITY_LABEL_LIST', { labels: [{ label: [115, 0], enforcing: 0 }], ret: 1 });
    expect(await dom.getSecurityLabelList()).toEqual([{ label: 's', enforcing: false }]);
    // remoteDispatchDomainGetSecurityLabelList drops the driver's error and sends ret -1.
    conn.replies.set('REMOTE_PROC_DOMAIN_GET_SECURITY_LABEL_LIST', { labels: [], ret: -1 });
    await expect(dom.getSecurityLabelList()).rejects.toMatchObject({
      code: 'VIR_ERR_INTERNAL_ERROR',
      errorCode: 1,
      domain: 0,
      message: 'An error occurred, but the cause is unknown',
    });
  });

  it('converts arguments: booleans, typed-parameter records with their documented types, clear errors', async () => {
    const conn = new Recorder();
    const dom = await conn.domainLookupByName('web');
    await dom.setAutostart(true);
    expect(conn.calls.at(-1)).toEqual({ name: 'REMOTE_PROC_DOMAIN_SET_AUTOSTART', args: { dom: dom.ref, autostart: 1 } });
    await dom.setMemoryParameters({ hard_limit: 1048576, soft_limit: 2n ** 40n });
    expect(conn.calls.at(-1)?.args).toEqual({
      dom: dom.ref,
      params: [
        { field: 'hard_limit', value: { type: 4, ul: 1048576n } },
        { field: 'soft_limit', value: { type: 4, ul: 2n ** 40n } },
      ],
      flags: 0,
    });
    await expect(dom.setMemoryParameters({ hard_limit: 1.5 })).rejects.toThrow(XdrError);
    await expect(dom.setMemoryParameters({ no_such_field: 3 })).rejects.toThrow(/no_such_field.*VIR_TYPED_PARAM_/);
    await dom.setMemoryParameters({ no_such_field: { type: 2, value: 3 } });
    expect((conn.calls.at(-1)!.args as { params: unknown[] }).params).toEqual([{ field: 'no_such_field', value: { type: 2, ui: 3 } }]);
  });

  it("refreshes the domain ID after create and destroy, as libvirt's remote driver does", async () => {
    const conn = new Recorder();
    const dom = await conn.domainLookupByName('web');
    expect(dom.id).toBe(-1);
    await dom.create();
    expect(conn.calls.at(-1)).toEqual({ name: 'REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID', args: { uuid } });
    expect(dom.id).toBe(12);
    await dom.destroy();
    expect(dom.id).toBe(-1);
  });
});

describe('the coverage document (docs/procedures.gen.md)', () => {
  it('lists every procedure with its raw and object methods', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../../docs/procedures.gen.md', import.meta.url), 'utf8');
    expect(doc).toContain('| remote | 453 | 374 | 53 | 8 | 5 |');
    expect(doc).toContain('| 14 | `REMOTE_PROC_DOMAIN_GET_XML_DESC` | `virDomainGetXMLDesc` | `domainGetXMLDesc` | `Domain.getXMLDesc` |');
    expect(doc).toMatch(/\| 1 \| `REMOTE_PROC_CONNECT_OPEN` \| `virConnectOpen` \| `connectOpen` \| {2}\| high priority \|/);
    expect(doc.match(/^\| \d+ \| `REMOTE_PROC_/gm)).toHaveLength(453);
  });
});
