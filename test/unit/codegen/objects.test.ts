/** The generated object layer: which methods land on which class, and how they are named. */
import { describe, expect, it } from 'vitest';
import { lowerCamel } from '../../../codegen/model.js';
import { OBJECT_KINDS } from '../../../codegen/emit-objects.js';
import * as objects from '../../../src/procedures/objects.gen.js';
import { ConnectionApi, Domain, NodeDevice, StorageVol } from '../../../src/procedures/objects.gen.js';
import type { CallOptions, Procedure } from '../../../src/rpc/procedure.js';

const methods = (cls: { prototype: object }): string[] =>
  Object.getOwnPropertyNames(cls.prototype).filter((n) => n !== 'constructor');

class Recorder extends ConnectionApi {
  readonly calls: { name: string; args: unknown }[] = [];
  override call<A, R>(procedure: Procedure<A, R>, args: A, _options?: CallOptions): Promise<R> {
    this.calls.push({ name: procedure.name, args });
    const ret: Record<string, unknown> = {
      REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME: { dom: { name: 'web', uuid: new Uint8Array(16), id: 3 } },
      REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS: { domains: [{ name: 'a', uuid: new Uint8Array(16), id: 1 }], ret: 1 },
      REMOTE_PROC_DOMAIN_GET_XML_DESC: { xml: '<domain/>' },
      REMOTE_PROC_NODE_DEVICE_GET_XML_DESC: { xml: '<device/>' },
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
    expect(methods(Domain)).toEqual(expect.arrayContaining(['getXMLDesc', 'create', 'destroy', 'suspend', 'resume', 'getInfo', 'snapshotCreateXML']));
    expect(methods(StorageVol)).toEqual(expect.arrayContaining(['getInfo', 'getPath', 'delete', 'getXMLDesc']));
    expect(methods(NodeDevice)).toEqual(expect.arrayContaining(['getXMLDesc', 'getParent', 'listCaps', 'destroy']));
    expect(methods(ConnectionApi)).toEqual(expect.arrayContaining(['domainLookupByName', 'listAllDomains', 'getHostname', 'nwFilterLookupByName']));
    // Event registration belongs to conn.events, connection life cycle to Connection.
    expect(methods(ConnectionApi)).not.toContain('domainEventRegisterAny');
    expect(methods(ConnectionApi)).not.toContain('close');
  });

  it('wraps references into objects and passes objects back as references', async () => {
    const conn = new Recorder();
    const dom = await conn.domainLookupByName('web');
    expect(dom).toBeInstanceOf(Domain);
    expect(dom.name).toBe('web');
    expect(await dom.getXMLDesc(2)).toBe('<domain/>');
    expect(conn.calls.at(-1)).toEqual({ name: 'REMOTE_PROC_DOMAIN_GET_XML_DESC', args: { dom: dom.ref, flags: 2 } });
    const { domains, ret } = await conn.listAllDomains(1, 0);
    expect(ret).toBe(1);
    expect(domains[0]).toBeInstanceOf(Domain);
    const dev = new NodeDevice(conn, { name: 'pci_0000_00_01_0' });
    expect(await dev.getXMLDesc(0)).toBe('<device/>');
    expect(conn.calls.at(-1)).toEqual({ name: 'REMOTE_PROC_NODE_DEVICE_GET_XML_DESC', args: { name: 'pci_0000_00_01_0', flags: 0 } });
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
