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
 * those of the raw layer, with objects in place of their wire references. A
 * procedure that opens a stream resolves to the `LibvirtStream` as in the raw
 * layer (`virStorageVolUpload` is `StorageVol.upload()`).
 *
 * Beside the procedures, each class gets what libvirt's client library answers
 * without a call: accessors reading the reference (`Domain.uuidString`,
 * `StorageVol.key`, `DomainSnapshot.domain`, ...; {@link REF_ACCESSORS}), the
 * `*LookupByUUIDString` APIs (the UUID parsed as libvirt does, then the
 * `*LookupByUUID` procedure), and the client-driven APIs implemented in
 * `src/api/` ({@link CLIENT_METHODS}: domain migration).
 */
import type { Declaration } from './ast.js';
import type { ApiFunction } from './api-xml.js';
import { paramName, streamMode, summary, tableName } from './emit-procedures.js';
import type { ModuleEmitter } from './emit-xdr.js';
import { lowerCamel, pascalCase } from './model.js';
import { annotations, type ProcedureModel, type ProgramModel } from './procedures.js';

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

/** An accessor that reads the object's reference, as libvirt's client answers without a call. */
interface RefAccessor {
  readonly name: string;
  readonly type: string;
  readonly expr: string;
  readonly doc: string;
}

const uuidAccessors = (api: string): RefAccessor[] => [
  {
    name: 'uuid',
    type: 'Uint8Array',
    expr: 'Uint8Array.from(this.ref.uuid)',
    doc: `The UUID's 16 bytes, a copy (\`${api}UUID\`).`,
  },
  {
    name: 'uuidString',
    type: 'string',
    expr: 'formatUuid(this.ref.uuid)',
    doc: `The UUID as libvirt formats it: lower-case, 8-4-4-4-12 (\`${api}UUIDString\`).`,
  },
];

/**
 * The accessors of each class beyond `name`: what libvirt-python's `UUIDString()`, `ID()`,
 * `key()`, `domain()`, ... return, read from the reference the daemon sent (as libvirt's
 * client does: an ID is the one the domain had when it was looked up).
 */
export const REF_ACCESSORS: Readonly<Record<string, readonly RefAccessor[]>> = {
  Domain: [
    {
      name: 'id',
      type: 'number',
      expr: 'this.ref.id',
      doc: 'The domain\'s ID when it was looked up, -1 for an inactive domain (`virDomainGetID`).',
    },
    ...uuidAccessors('virDomainGet'),
  ],
  Network: uuidAccessors('virNetworkGet'),
  NetworkPort: [
    ...uuidAccessors('virNetworkPortGet'),
    {
      name: 'network',
      type: 'Network',
      expr: 'new Network(this.connection, this.ref.net)',
      doc: 'The network the port belongs to (libvirt-python\'s `network()`).',
    },
  ],
  NWFilter: uuidAccessors('virNWFilterGet'),
  NWFilterBinding: [
    { name: 'portDev', type: 'string', expr: 'this.ref.portdev', doc: 'The port device the binding is for (`virNWFilterBindingGetPortDev`).' },
    { name: 'filterName', type: 'string', expr: 'this.ref.filtername', doc: 'The name of the filter bound (`virNWFilterBindingGetFilterName`).' },
  ],
  Interface: [{ name: 'macString', type: 'string', expr: 'this.ref.mac', doc: 'The interface\'s MAC address (`virInterfaceGetMACString`).' }],
  StoragePool: uuidAccessors('virStoragePoolGet'),
  StorageVol: [
    { name: 'key', type: 'string', expr: 'this.ref.key', doc: 'The volume\'s key, unique on the host (`virStorageVolGetKey`).' },
    { name: 'poolName', type: 'string', expr: 'this.ref.pool', doc: 'The name of the pool the volume belongs to.' },
  ],
  Secret: [
    ...uuidAccessors('virSecretGet'),
    { name: 'usageType', type: 'number', expr: 'this.ref.usageType', doc: 'What the secret is for, a `VIR_SECRET_USAGE_TYPE_*` (`virSecretGetUsageType`).' },
    { name: 'usageID', type: 'string', expr: 'this.ref.usageID', doc: 'The secret\'s usage ID (`virSecretGetUsageID`).' },
  ],
  DomainCheckpoint: [
    { name: 'domain', type: 'Domain', expr: 'new Domain(this.connection, this.ref.dom)', doc: 'The domain of the checkpoint (`virDomainCheckpointGetDomain`).' },
  ],
  DomainSnapshot: [
    { name: 'domain', type: 'Domain', expr: 'new Domain(this.connection, this.ref.dom)', doc: 'The domain of the snapshot (`virDomainSnapshotGetDomain`).' },
  ],
};

/** A method implemented on the client side (src/api/), for a public API that is no procedure. */
interface ClientMethod {
  readonly owner: string;
  readonly name: string;
  /** The public C API it implements (its description comes from the API XML). */
  readonly api: string;
  readonly params: readonly string[];
  readonly returns: string;
  readonly body: readonly string[];
  /** Extra TSDoc paragraph. */
  readonly doc: readonly string[];
}

const MIGRATE_DOC = [
  'Implemented as libvirt\'s client does (see src/api/migrate.ts): the migration procedures of',
  'both daemons (v3, else v2, else v1: the newest both support), or one Perform call to the',
  'source with VIR_MIGRATE_PEER2PEER. Resolves with the domain on `dconn`.',
];
const MIGRATE3_DOC = [
  'Implemented as libvirt\'s client does (see src/api/migrate.ts): the `*Params` migration',
  'procedures of both daemons when both support them, else the fixed-argument sequences when',
  'the parameters are only those they carry. Resolves with the domain on `dconn`.',
];
const MIGRATE_TO_URI_DOC = [
  'Implemented as libvirt\'s client does (see src/api/migrate.ts): one Perform call to the source',
  'daemon, which migrates peer to peer (VIR_MIGRATE_PEER2PEER) or directly.',
];

/** The client-driven APIs each class gets (libvirt-python has them all). */
export const CLIENT_METHODS: readonly ClientMethod[] = [
  {
    owner: 'Domain',
    name: 'migrate',
    api: 'virDomainMigrate',
    params: ['dconn: ProcedureCaller', 'flags = 0', 'dname: string | null = null', 'uri: string | null = null', 'bandwidth: MigrateBandwidth = 0', 'options?: CallOptions'],
    returns: 'Domain',
    body: [
      "const ref = await migrateDomain(this.connection, this.ref, dconn, { api: 'virDomainMigrate', flags, dname, uri, bandwidth }, options);",
      'return new Domain(dconn, ref);',
    ],
    doc: MIGRATE_DOC,
  },
  {
    owner: 'Domain',
    name: 'migrate2',
    api: 'virDomainMigrate2',
    params: ['dconn: ProcedureCaller', 'dxml: string | null = null', 'flags = 0', 'dname: string | null = null', 'uri: string | null = null', 'bandwidth: MigrateBandwidth = 0', 'options?: CallOptions'],
    returns: 'Domain',
    body: [
      "const ref = await migrateDomain(this.connection, this.ref, dconn, { api: 'virDomainMigrate2', flags, dxml, dname, uri, bandwidth }, options);",
      'return new Domain(dconn, ref);',
    ],
    doc: MIGRATE_DOC,
  },
  {
    owner: 'Domain',
    name: 'migrate3',
    api: 'virDomainMigrate3',
    params: ['dconn: ProcedureCaller', 'params: readonly RemoteTypedParam[] = []', 'flags = 0', 'options?: CallOptions'],
    returns: 'Domain',
    body: ['return new Domain(dconn, await migrateDomain3(this.connection, this.ref, dconn, params, flags, options));'],
    doc: MIGRATE3_DOC,
  },
  {
    owner: 'Domain',
    name: 'migrateToURI',
    api: 'virDomainMigrateToURI',
    params: ['duri: string', 'flags = 0', 'dname: string | null = null', 'bandwidth: MigrateBandwidth = 0', 'options?: CallOptions'],
    returns: 'void',
    body: ["await migrateDomainToUri(this.connection, this.ref, { api: 'virDomainMigrateToURI', flags, dconnuri: duri, dname, bandwidth }, options);"],
    doc: MIGRATE_TO_URI_DOC,
  },
  {
    owner: 'Domain',
    name: 'migrateToURI2',
    api: 'virDomainMigrateToURI2',
    params: ['dconnuri: string | null = null', 'miguri: string | null = null', 'dxml: string | null = null', 'flags = 0', 'dname: string | null = null', 'bandwidth: MigrateBandwidth = 0', 'options?: CallOptions'],
    returns: 'void',
    body: ["await migrateDomainToUri(this.connection, this.ref, { api: 'virDomainMigrateToURI2', flags, dconnuri, miguri, dxml, dname, bandwidth }, options);"],
    doc: MIGRATE_TO_URI_DOC,
  },
  {
    owner: 'Domain',
    name: 'migrateToURI3',
    api: 'virDomainMigrateToURI3',
    params: ['dconnuri: string | null', 'params: readonly RemoteTypedParam[] = []', 'flags = 0', 'options?: CallOptions'],
    returns: 'void',
    body: ["await migrateDomainToUri(this.connection, this.ref, { api: 'virDomainMigrateToURI3', flags, dconnuri, params }, options);"],
    doc: MIGRATE_TO_URI_DOC,
  },
];

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

/** The `*LookupByUUIDString` method beside a `*LookupByUUID` one, when the API XML has that API. */
function uuidStringVariant(
  owner: string,
  name: string,
  api: string,
  params: readonly string[],
  returnType: string,
  functions: ReadonlyMap<string, ApiFunction>,
): MethodPlan | null {
  const stringApi = `${api}String`;
  const fn = functions.get(stringApi);
  if (!api.endsWith('LookupByUUID') || !fn || !params.some((p) => p.startsWith('uuid: '))) return null;
  const names = params.map((p) => p.slice(0, p.indexOf(':')).replace(/\?$/, ''));
  const stringParams = params.map((p) => (p.startsWith('uuid: ') ? 'uuidstr: string' : p));
  const args = names.map((n) => (n === 'uuid' ? `uuidArg(uuidstr, '${stringApi}')` : n));
  return {
    owner,
    name: `${name}String`,
    lines: [
      '  /**',
      `   * \`${stringApi}\`:`,
      ...summary(fn.info).map((l) => `   * ${l}`),
      '   *',
      `   * Parses \`uuidstr\` as libvirt does (a bad one rejects with libvirt's VIR_ERR_INVALID_ARG`,
      `   * before any call), then calls {@link ${owner || 'ConnectionApi'}.${name}}.`,
      '   */',
      `  async ${name}String(${stringParams.join(', ')}): Promise<${returnType}> {`,
      `    return await this.${name}(${args.join(', ')});`,
      '  }',
    ],
  };
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
 * (events, fd passing, no public API, connection life cycle).
 */
export function objectMethodOf(p: ProcedureModel): { owner: string; name: string; nodeDevice: boolean; api: ApiFunction } | null {
  if (p.event || !p.api || p.fds || EVENT_API.test(p.api.name)) return null;
  const fields = p.args?.fields ?? [];
  const first = fields[0] ? objectOf(fields[0]) : null;
  const nodeDevice = isNodeDeviceMethod(p.api.name, fields[0]);
  const owner = nodeDevice ? 'NodeDevice' : first && first.shape === 'one' ? first.kind.className : '';
  const name = methodName(p.api.name, owner);
  if (owner === '' && CONNECTION_RESERVED.has(name)) return null;
  return { owner, name, nodeDevice, api: p.api };
}

function planMethod(e: ModuleEmitter, program: ProgramModel, p: ProcedureModel, functions: ReadonlyMap<string, ApiFunction>): MethodPlan[] {
  const where = objectMethodOf(p);
  if (!where) return [];
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
  const mode = streamMode(p);
  params.push(mode ? 'options?: StreamOptions' : 'options?: CallOptions');
  const caller = owner === '' ? 'this' : 'this.connection';
  const argsExpr = fields.length ? `{ ${argFields.join(', ')} }` : 'undefined';
  const call = `await ${caller}.call(${tableName(program.name)}.${p.member.name}, ${argsExpr}, options)`;
  e.imports.value(program.module, tableName(program.name));
  const info = functions.get(api.name)?.info ?? '';
  const doc = (extra: string[]): string[] => [
    '  /**',
    `   * \`${api.name}\`${info ? ':' : ''}`,
    ...summary(info).map((l) => `   * ${l}`),
    '   *',
    `   * Calls ${p.member.name}.`,
    ...extra,
    '   */',
  ];
  if (mode) {
    // As in the raw layer: the stream alone, or the ret struct with the stream beside it.
    let sparseExpr = 'false';
    let sparseFlag = '';
    if (p.sparse) {
      sparseFlag = annotations(p.member.comment).get('sparseflag')?.[0] ?? '';
      if (!sparseFlag || !fields.some((f) => f.name === 'flags')) throw new Error(`${p.member.name}: @sparseflag needs a flag name and a flags argument`);
      e.imports.value('libvirt-api', sparseFlag);
      sparseExpr = `(flags & ${sparseFlag}) !== 0`;
    }
    const kind = { read: 'readable', write: 'writable', duplex: 'readable and writable' }[mode];
    const extra = [`   * Opens a ${kind} stream${sparseFlag ? ` (sparse when \`flags\` has \`${sparseFlag}\`)` : ''}; resolves once the daemon has accepted the call.`];
    const open = `await openStreamCall(${caller}, ${tableName(program.name)}.${p.member.name}, ${argsExpr}, '${mode}', ${sparseExpr}, options)`;
    if (!p.ret) {
      return [{ owner, name, lines: [...doc(extra), `  async ${name}(${params.join(', ')}): Promise<LibvirtStream> {`, `    return (${open}).stream;`, '  }'] }];
    }
    const R = e.imports.type(program.module, pascalCase(p.ret.name));
    return [
      {
        owner,
        name,
        lines: [
          ...doc(extra),
          `  async ${name}(${params.join(', ')}): Promise<${R} & { readonly stream: LibvirtStream }> {`,
          `    const { ret, stream } = ${open};`,
          '    return { ...ret, stream };',
          '  }',
        ],
      },
    ];
  }
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
  const plan: MethodPlan = { owner, name, lines: [...doc([]), `  async ${name}(${params.join(', ')}): Promise<${returnType}> {`, ...body, '  }'] };
  const variant = uuidStringVariant(owner, name, api.name, params, returnType, functions);
  return variant ? [plan, variant] : [plan];
}

/** The text of `objects.gen.ts`: the object classes and the `ConnectionApi` base. */
export function emitObjects(
  e: ModuleEmitter,
  programs: readonly ProgramModel[],
  functions: ReadonlyMap<string, ApiFunction>,
  runtimeImport = '..',
): string[] {
  const methods = new Map<string, MethodPlan[]>();
  for (const program of programs) {
    for (const p of program.procedures) {
      for (const m of planMethod(e, program, p, functions)) {
        const list = methods.get(m.owner) ?? [];
        if (list.some((x) => x.name === m.name)) throw new Error(`${m.owner || 'ConnectionApi'}.${m.name} is generated twice (${p.member.name})`);
        list.push(m);
        methods.set(m.owner, list);
      }
    }
  }
  if (CLIENT_METHODS.length) e.imports.type('remote', 'RemoteTypedParam');
  for (const c of CLIENT_METHODS) {
    const list = methods.get(c.owner) ?? [];
    if (list.some((x) => x.name === c.name)) throw new Error(`${c.owner}.${c.name}: a client-side method clashes with a generated one`);
    const fn = functions.get(c.api);
    if (!fn) throw new Error(`${c.owner}.${c.name}: ${c.api} is not in the API XML`);
    list.push({
      owner: c.owner,
      name: c.name,
      lines: [
        '  /**',
        `   * \`${c.api}\`:`,
        ...summary(fn.info).map((l) => `   * ${l}`),
        '   *',
        ...c.doc.map((l) => `   * ${l}`),
        '   */',
        `  async ${c.name}(${c.params.join(', ')}): Promise<${c.returns}> {`,
        ...c.body.map((l) => `    ${l}`),
        '  }',
      ],
    });
    methods.set(c.owner, list);
  }
  const usesStreams = [...methods.values()].some((l) => l.some((m) => m.lines.some((x) => x.includes('openStreamCall('))));
  const out: string[] = [
    // Placed right after the generated imports.
    ...(usesStreams ? [`import { openStreamCall, type LibvirtStream, type StreamOptions } from '${runtimeImport}/api/stream.js';`] : []),
    `import { migrateDomain, migrateDomain3, migrateDomainToUri, type MigrateBandwidth } from '${runtimeImport}/api/migrate.js';`,
    `import { formatUuid, uuidArg } from '${runtimeImport}/api/uuid.js';`,
  ];
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
      ...(REF_ACCESSORS[kind.className] ?? []).flatMap((a) => [
        '',
        `  /** ${a.doc} */`,
        `  get ${a.name}(): ${a.type} {`,
        `    return ${a.expr};`,
        '  }',
      ]),
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
