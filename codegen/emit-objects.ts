/**
 * Emits the object layer: one class per libvirt object (Domain, Network,
 * StoragePool, ...) holding the object's wire reference, with a method per
 * public API whose first argument is that object, and a `ConnectionApi` base
 * with the APIs that take no object (lookups, lists, defines, host queries).
 *
 * Naming: the C API without `vir` and without the class name in front, first
 * letter lowered: `virDomainGetXMLDesc` is `Domain.getXMLDesc()`,
 * `virDomainSnapshotCreateXML` is `Domain.snapshotCreateXML()`,
 * `virConnectListAllDomains` is `listAllDomains()`. Arguments and results are
 * those of the raw layer, with objects in place of their wire references.
 */
import type { Declaration } from './ast.js';
import type { ApiFunction } from './api-xml.js';
import { paramName, summary, tableName } from './emit-procedures.js';
import type { ModuleEmitter } from './emit-xdr.js';
import { lowerCamel, pascalCase } from './model.js';
import type { ProcedureModel, ProgramModel } from './procedures.js';

/** The libvirt objects: their wire reference type and class name. */
export const OBJECT_KINDS: readonly { readonly ref: string; readonly className: string; readonly what: string }[] = [
  { ref: 'remote_nonnull_domain', className: 'Domain', what: 'a domain (virtual machine)' },
  { ref: 'remote_nonnull_network', className: 'Network', what: 'a virtual network' },
  { ref: 'remote_nonnull_network_port', className: 'NetworkPort', what: 'a port of a virtual network' },
  { ref: 'remote_nonnull_nwfilter', className: 'NWFilter', what: 'a network filter' },
  { ref: 'remote_nonnull_nwfilter_binding', className: 'NWFilterBinding', what: 'a network filter binding' },
  { ref: 'remote_nonnull_interface', className: 'Interface', what: 'a host network interface' },
  { ref: 'remote_nonnull_storage_pool', className: 'StoragePool', what: 'a storage pool' },
  { ref: 'remote_nonnull_storage_vol', className: 'StorageVol', what: 'a storage volume' },
  { ref: 'remote_nonnull_node_device', className: 'NodeDevice', what: 'a host device' },
  { ref: 'remote_nonnull_secret', className: 'Secret', what: 'a secret' },
  { ref: 'remote_nonnull_domain_checkpoint', className: 'DomainCheckpoint', what: 'a domain checkpoint' },
  { ref: 'remote_nonnull_domain_snapshot', className: 'DomainSnapshot', what: 'a domain snapshot' },
];

/** The objects whose reference carries a `name`. */
const HAS_NAME = new Set([
  'remote_nonnull_domain',
  'remote_nonnull_network',
  'remote_nonnull_nwfilter',
  'remote_nonnull_interface',
  'remote_nonnull_storage_pool',
  'remote_nonnull_storage_vol',
  'remote_nonnull_node_device',
  'remote_nonnull_domain_checkpoint',
  'remote_nonnull_domain_snapshot',
]);

/** Connection members the generated base class must not shadow. */
const CONNECTION_RESERVED = new Set(['close', 'call', 'raw', 'uri', 'plan', 'features', 'closed', 'isOpen', 'client', 'readOnly', 'open', 'events']);

const kindByRef = new Map(OBJECT_KINDS.map((k) => [k.ref, k]));

/** The object kind a declaration holds (directly, optionally or as an array), if any. */
function objectOf(d: Declaration): { kind: (typeof OBJECT_KINDS)[number]; shape: 'one' | 'optional' | 'array' } | null {
  if (d.type.kind !== 'ref') return null;
  // remote_domain & co. are optional references (typedef remote_nonnull_domain *remote_domain).
  const name = d.type.name.replace(/^remote_(?!nonnull_)/, 'remote_nonnull_');
  const kind = kindByRef.get(name);
  if (!kind) return null;
  if (name !== d.type.name || d.optional) return { kind, shape: 'optional' };
  return { kind, shape: d.array.kind === 'none' ? 'one' : 'array' };
}

interface MethodPlan {
  readonly owner: string; // class name, or '' for ConnectionApi
  readonly name: string;
  readonly lines: string[];
}

function methodName(api: string, owner: string): string {
  let rest = api.replace(/^vir/, '');
  if (owner === '') rest = rest.replace(/^Connect(?=[A-Z])/, '');
  else if (rest.startsWith(owner) && /^[A-Z]/.test(rest.slice(owner.length))) rest = rest.slice(owner.length);
  else if (owner === 'DomainSnapshot' || owner === 'DomainCheckpoint') rest = rest.replace(/^Domain/, '');
  return lowerCamel(rest);
}

/**
 * Node device APIs name their device by a string (`remote_nonnull_string name`)
 * rather than by a reference struct; those that act on one device belong to NodeDevice.
 */
function isNodeDeviceMethod(api: string, first: Declaration | undefined): boolean {
  return (
    api.startsWith('virNodeDevice') &&
    first?.name === 'name' &&
    !/^virNodeDevice(LookupByName|LookupSCSIHostByWWN|CreateXML|DefineXML)$/.test(api)
  );
}

/** Events have their own API (`conn.events`); their registration procedures are left out here. */
const EVENT_API = /Event(Register|Deregister)|CloseCallback/;

/**
 * Where a procedure lands in the object layer: the class (`''` for the
 * connection) and the method name, or null when it has no object method
 * (events, streams, fd passing, no public API, connection life cycle).
 */
export function objectMethodOf(p: ProcedureModel): { owner: string; name: string; nodeDevice: boolean; api: ApiFunction } | null {
  if (p.event || !p.api || p.stream || p.fds || EVENT_API.test(p.api.name)) return null;
  const fields = p.args?.fields ?? [];
  const first = fields[0] ? objectOf(fields[0]) : null;
  const nodeDevice = isNodeDeviceMethod(p.api.name, fields[0]);
  const owner = nodeDevice ? 'NodeDevice' : first && first.shape === 'one' ? first.kind.className : '';
  const name = methodName(p.api.name, owner);
  if (owner === '' && CONNECTION_RESERVED.has(name)) return null;
  return { owner, name, nodeDevice, api: p.api };
}

function planMethod(e: ModuleEmitter, program: ProgramModel, p: ProcedureModel, functions: ReadonlyMap<string, ApiFunction>): MethodPlan | null {
  const where = objectMethodOf(p);
  if (!where) return null;
  const { owner, name, nodeDevice, api } = where;
  const fields = p.args?.fields ?? [];
  const params: string[] = [];
  const argFields: string[] = [];
  fields.forEach((f, i) => {
    if (i === 0 && owner !== '') {
      argFields.push(nodeDevice ? `${f.name}: this.ref.name` : `${f.name}: this.ref`);
      return;
    }
    const obj = objectOf(f);
    const pn = paramName(f.name);
    if (obj) {
      const t = obj.shape === 'array' ? `${obj.kind.className}[]` : obj.shape === 'optional' ? `${obj.kind.className} | null` : obj.kind.className;
      params.push(`${pn}: ${t}`);
      const expr = obj.shape === 'array' ? `${pn}.map((o) => o.ref)` : obj.shape === 'optional' ? `${pn}?.ref ?? null` : `${pn}.ref`;
      argFields.push(`${f.name}: ${expr}`);
    } else {
      params.push(`${pn}: ${e.declType(f)}`);
      argFields.push(pn === f.name ? f.name : `${f.name}: ${pn}`);
    }
  });
  params.push('options?: CallOptions');
  const caller = owner === '' ? 'this' : 'this.connection';
  const call = `await ${caller}.call(${tableName(program.name)}.${p.member.name}, ${fields.length ? `{ ${argFields.join(', ')} }` : 'undefined'}, options)`;
  e.imports.value(program.module, tableName(program.name));
  let returnType = 'void';
  const body: string[] = [];
  const retFields = p.ret?.fields ?? [];
  const wrap = (obj: NonNullable<ReturnType<typeof objectOf>>, expr: string): string =>
    obj.shape === 'array'
      ? `${expr}.map((r) => new ${obj.kind.className}(${caller}, r))`
      : obj.shape === 'optional'
        ? `${expr} === null ? null : new ${obj.kind.className}(${caller}, ${expr})`
        : `new ${obj.kind.className}(${caller}, ${expr})`;
  if (retFields.length === 0) {
    body.push(`    ${call};`);
  } else if (retFields.length === 1) {
    const f = retFields[0];
    const obj = objectOf(f);
    if (obj) {
      returnType = obj.shape === 'array' ? `${obj.kind.className}[]` : obj.shape === 'optional' ? `${obj.kind.className} | null` : obj.kind.className;
      body.push(`    const r = (${call}).${f.name};`, `    return ${wrap(obj, 'r')};`);
    } else {
      returnType = e.declType(f);
      body.push(`    return (${call}).${f.name};`);
    }
  } else {
    // A ret struct with several fields: objects in it (listAll* with their count) are wrapped.
    const objs = retFields.map((f) => [f, objectOf(f)] as const).filter(([, o]) => o !== null);
    const R = e.imports.type(program.module, pascalCase(p.ret!.name));
    if (objs.length === 0) {
      returnType = R;
      body.push(`    return ${call};`);
    } else {
      const typed = objs.map(([f, o]) => `${f.name}: ${o!.shape === 'array' ? `${o!.kind.className}[]` : o!.shape === 'optional' ? `${o!.kind.className} | null` : o!.kind.className}`);
      returnType = `Omit<${R}, ${objs.map(([f]) => `'${f.name}'`).join(' | ')}> & { ${typed.join('; ')} }`;
      body.push(`    const r = ${call};`, `    return { ...r, ${objs.map(([f, o]) => `${f.name}: ${wrap(o!, `r.${f.name}`)}`).join(', ')} };`);
    }
  }
  const info = functions.get(api.name)?.info ?? '';
  return {
    owner,
    name,
    lines: [
      '  /**',
      `   * \`${api.name}\`${info ? ':' : ''}`,
      ...summary(info).map((l) => `   * ${l}`),
      '   *',
      `   * Calls ${p.member.name}.`,
      '   */',
      `  async ${name}(${params.join(', ')}): Promise<${returnType}> {`,
      ...body,
      '  }',
    ],
  };
}

/** The text of `objects.gen.ts`: the object classes and the `ConnectionApi` base. */
export function emitObjects(
  e: ModuleEmitter,
  programs: readonly ProgramModel[],
  functions: ReadonlyMap<string, ApiFunction>,
): string[] {
  const methods = new Map<string, MethodPlan[]>();
  for (const program of programs) {
    for (const p of program.procedures) {
      const m = planMethod(e, program, p, functions);
      if (!m) continue;
      const list = methods.get(m.owner) ?? [];
      if (list.some((x) => x.name === m.name)) throw new Error(`${m.owner || 'ConnectionApi'}.${m.name} is generated twice (${p.member.name})`);
      list.push(m);
      methods.set(m.owner, list);
    }
  }
  const out: string[] = [];
  for (const kind of OBJECT_KINDS) {
    const Ref = e.imports.type('remote', pascalCase(kind.ref));
    out.push(
      '',
      `/** ${kind.what[0].toUpperCase()}${kind.what.slice(1)}: its wire reference and every API that acts on it. */`,
      `export class ${kind.className} {`,
      '  /** The connection the object belongs to. */',
      '  readonly connection: ProcedureCaller;',
      `  /** The object's reference as the protocol carries it (\`${kind.ref}\`). */`,
      `  readonly ref: ${Ref};`,
      '',
      '  constructor(connection: ProcedureCaller, ref: ' + Ref + ') {',
      '    this.connection = connection;',
      '    this.ref = ref;',
      '  }',
      ...(HAS_NAME.has(kind.ref) ? ['', '  /** The object\'s name. */', '  get name(): string {', '    return this.ref.name;', '  }'] : []),
      ...(methods.get(kind.className) ?? []).flatMap((m) => ['', ...m.lines]),
      '}',
    );
  }
  out.push(
    '',
    '/**',
    ' * The APIs that act on the connection itself: lookups, lists, defines and host queries, with',
    ' * results as objects. `Connection` extends it.',
    ' */',
    'export abstract class ConnectionApi implements ProcedureCaller {',
    '  /** Makes one call (implemented by the connection). */',
    '  abstract call<A, R>(procedure: Procedure<A, R>, args: A, options?: CallOptions): Promise<R>;',
    ...(methods.get('') ?? []).flatMap((m) => ['', ...m.lines]),
    '}',
  );
  return out;
}
