/**
 * Emits the object layer's generated base classes (`src/api/gen/objects.gen.ts`):
 * `DomainBase`, `NetworkBase`, ... with a method per public API whose first
 * argument is that object, and `ConnectionBase` with the APIs that take none.
 * The classes users get (`Domain extends DomainBase`, ...) are hand-written in
 * `src/api/objects/` and add what libvirt's client library does itself.
 *
 * Signatures are those of libvirt's C API ({@link cSignature}): the C inputs
 * without the object and without wire-only counts, camelCase, a trailing
 * `flags` optional. Results are converted as `object-values.ts` describes.
 * Naming: the C API without `vir` and without the class name in front, first
 * letter lowered: `virDomainGetXMLDesc` is `getXMLDesc()`,
 * `virConnectListAllDomains` is `listAllDomains()`.
 */
import type { Declaration } from './ast.js';
import type { ApiArg, ApiFunction } from './api-xml.js';
import { paramName, streamMode, tableName } from './emit-procedures.js';
import type { ModuleEmitter } from './emit-xdr.js';
import { lowerCamel, pascalCase, type Universe } from './model.js';
import { cParamName, cSignature, type CSignature } from './object-signatures.js';
import { inputOf, OBJECT_KINDS, objectOf, ResultTypes } from './object-values.js';
import { annotations, type ProcedureModel, type ProgramModel } from './procedures.js';

export { OBJECT_KINDS } from './object-values.js';

/**
 * APIs whose object method is hand-written in src/api/objects/ (the generator emits none), and why.
 */
export const HANDWRITTEN: Readonly<Record<string, string>> = {
  virDomainGetVcpus: "needs the domain's vCPU count and the host's CPU count for its wire counts, as libvirt-python computes them",
  virDomainGetVcpuPinInfo: "needs the domain's vCPU count and the host's CPU count for its wire counts, as libvirt-python computes them",
  virDomainGetEmulatorPinInfo: "needs the host's CPU count for its wire count, as libvirt-python computes it",
  virDomainGetCPUStats: 'returns one record per CPU (the wire flattens them)',
  virDomainMemoryStats: "returns a record keyed by the statistic's name, as libvirt-python does",
  virNodeGetCPUMap: 'returns the map as one boolean per host CPU, as libvirt-python does',
  virDomainCreateWithFlags: "returns nothing, as libvirt does; the daemon's reply refreshes the object's ID",
  virConnectGetAllDomainStats: 'shares its procedure with virDomainListGetStats; its records hold Domain objects',
  virDomainGetSecurityLabelList: "the daemon answers a failure with a reply whose `ret` is -1, which libvirt's client turns into an error",
};

/**
 * Object methods whose parameters are not the C inputs minus the object and wire-only counts,
 * and why. A unit test walks the API XML and fails on any other difference.
 */
export const SIGNATURE_EXCEPTIONS: Readonly<Record<string, string>> = {
  virDomainOpenConsole: 'the stream is opened and returned instead of taken (`st`)',
  virDomainOpenChannel: 'the stream is opened and returned instead of taken (`st`)',
  virDomainScreenshot: 'the stream is opened and returned instead of taken (`stream`)',
  virStorageVolUpload: 'the stream is opened and returned instead of taken (`stream`)',
  virStorageVolDownload: 'the stream is opened and returned instead of taken (`stream`)',
};

/** Getters whose count comes from another procedure (libvirt-python asks GetSchedulerType). */
const COUNT_FROM: Readonly<Record<string, string>> = {
  REMOTE_PROC_DOMAIN_GET_SCHEDULER_PARAMETERS: 'REMOTE_PROC_DOMAIN_GET_SCHEDULER_TYPE',
  REMOTE_PROC_DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS: 'REMOTE_PROC_DOMAIN_GET_SCHEDULER_TYPE',
};

/**
 * Getters to which libvirt's client library adds `VIR_TYPED_PARAM_STRING_OKAY` (libvirt-domain.c,
 * libvirt-host.c: when the driver supports VIR_DRV_FEATURE_TYPED_PARAM_STRING, as every daemon
 * since 0.9.7 does). Without it the daemon leaves string parameters out of the answer
 * (`numa_nodeset`, `group_name`, ...). virDomainGetCPUStats, hand-written, adds it too.
 */
export const STRING_OKAY_GETTERS: ReadonlySet<string> = new Set([
  'virDomainGetMemoryParameters',
  'virDomainGetNumaParameters',
  'virDomainGetBlkioParameters',
  'virDomainGetSchedulerParametersFlags',
  'virDomainBlockStatsFlags',
  'virDomainGetInterfaceParameters',
  'virDomainGetBlockIoTune',
  'virDomainGetLaunchSecurityInfo',
  'virNodeGetMemoryParameters',
  'virNodeGetSEVInfo',
]);

/** Connection members the generated base class must not shadow. */
const CONNECTION_RESERVED = new Set(['close', 'call', 'raw', 'uri', 'plan', 'features', 'closed', 'isOpen', 'client', 'readOnly', 'open', 'events']);

/** C results that are booleans as ints (`virDomainIsActive` returns 1 or 0). */
const BOOLEAN_RESULT = /^(is[A-Z]|has[A-Z]|getAutostart)/;

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
  return api.startsWith('virNodeDevice') && first?.name === 'name' && !/^virNodeDevice(LookupByName|LookupSCSIHostByWWN|CreateXML|DefineXML)$/.test(api);
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

/** TSDoc text from API XML prose: `@name` becomes `name` in code, nothing needs a backslash. */
function docText(s: string): string {
  return s
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\*\//g, '*&#47;')
    .replace(/@(\w+)/g, '`$1`');
}

/** Wraps `text` at 96 columns with `prefix` before each line. */
function wrap(text: string, prefix: string, first = prefix): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && (lines.length ? prefix : first).length + line.length + word.length + 1 > 100) {
      lines.push((lines.length ? prefix : first) + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push((lines.length ? prefix : first) + line);
  return lines;
}

/** Links the libvirt enum names an argument's description mentions (`virDomainXMLFlags`). */
function linkEnums(text: string, enumTypes: ReadonlySet<string>): string {
  return text.replace(/\bvir[A-Z]\w+/g, (w) => (enumTypes.has(w) ? `{@link ${w}}` : w));
}

interface Param {
  readonly name: string;
  readonly decl: string;
  readonly expr: string;
  readonly c: ApiArg;
}

interface MethodPlan {
  readonly owner: string;
  readonly name: string;
  readonly lines: string[];
}

/** Everything one module emission shares. */
interface Ctx {
  readonly e: ModuleEmitter;
  readonly universe: Universe;
  readonly results: ResultTypes;
  readonly functions: ReadonlyMap<string, ApiFunction>;
  readonly enumTypes: ReadonlySet<string>;
}

function docBlock(ctx: Ctx, fn: ApiFunction, params: readonly Param[], extra: string[], returns: string | null): string[] {
  const para = fn.info.split(/\n\s*\n/)[0] ?? '';
  return [
    '  /**',
    ...wrap(`\`${fn.name}\`: ${docText(para)}`, '   * '),
    ...extra.flatMap((x) => ['   *', ...wrap(x, '   * ')]),
    '   *',
    ...params.flatMap((p) => wrap(`${p.name} - ${linkEnums(docText(p.c.info), ctx.enumTypes) || p.c.type}`, '   *   ', '   * @param ')),
    "   * @param options - the call's `signal` and `timeout`",
    ...(returns ? wrap(returns, '   *   ', '   * @returns ') : []),
    ...(fn.since ? [`   * @since ${fn.since}`] : []),
    '   */',
  ];
}

/** The parameters of a method, in C order, the trailing `flags` optional. */
function paramsOf(ctx: Ctx, sig: CSignature): Param[] {
  const out = sig.params.map(({ c, field }) => {
    const name = paramName(cParamName(c.name));
    const input = inputOf(ctx.e, ctx.universe, field, name);
    return { name, decl: `${name}: ${input.type}`, expr: input.expr, c, field };
  });
  const last = out[out.length - 1];
  if (last && last.name === 'flags') out[out.length - 1] = { ...last, decl: 'flags = 0' };
  return out;
}

/** The name of a multi-field result type: the C output struct's (`virDomainInfoPtr` → DomainInfo). */
function resultName(fn: ApiFunction, owner: string, name: string): string {
  const objectTypes = new Set(['Connect', 'Stream', 'TypedParameter', ...OBJECT_KINDS.map((k) => k.className)]);
  const outs = fn.args.map((a) => /^vir(\w+)Ptr$/.exec(a.type)?.[1]).filter((t): t is string => !!t && !objectTypes.has(t));
  return outs.length === 1 ? outs[0] : `${owner || 'Connection'}${pascalCase(name)}Result`;
}

function planMethod(ctx: Ctx, program: ProgramModel, p: ProcedureModel): MethodPlan[] {
  const where = objectMethodOf(p);
  if (!where || HANDWRITTEN[where.api.name]) return [];
  const { owner, name, nodeDevice } = where;
  const fn = ctx.functions.get(where.api.name);
  if (!fn) throw new Error(`${where.api.name} is not in the API XML`);
  const sig = cSignature(p, fn, owner !== '');
  if ('why' in sig) throw new Error(`${p.member.name}: ${sig.why}; add it to HANDWRITTEN with a hand-written method`);
  const params = paramsOf(ctx, sig);
  const caller = owner === '' ? 'this' : 'this.connection';
  const table = ctx.e.imports.value(program.module, tableName(program.name));
  const proc = `${table}.${p.member.name}`;
  const retFields = p.ret?.fields ?? [];
  const arrayBound = (): number => {
    const arr = retFields.find((f) => f.array.kind === 'variable');
    const s = arr ? ctx.universe.shape(arr) : null;
    if (s?.k !== 'varArray' || s.max === null) throw new Error(`${p.member.name}: no bounded ret array for its count`);
    return s.max;
  };
  let counted = false;
  const argFields = (p.args?.fields ?? []).map((f) => {
    const src = sig.sources.get(f.name)!;
    if (src.kind === 'object') return `${f.name}: ${nodeDevice ? 'this.ref.name' : 'this.ref'}`;
    if (src.kind === 'param') {
      const prm = params.find((x) => x.c === src.c)!;
      if (f.name === 'flags' && STRING_OKAY_GETTERS.has(fn.name)) {
        return `flags: (${prm.expr} | ${ctx.e.imports.value('libvirt-api', 'VIR_TYPED_PARAM_STRING_OKAY')}) >>> 0`;
      }
      return prm.expr === f.name ? f.name : `${f.name}: ${prm.expr}`;
    }
    if (src.how === 'one') return `${f.name}: 1`;
    if (src.how === 'bound') return `${f.name}: ${arrayBound()}`;
    counted = true;
    return `${f.name}: n`;
  });
  const argsExpr = p.args ? `{ ${argFields.join(', ')} }` : 'undefined';
  const decls = [...params.map((x) => x.decl), streamMode(p) ? 'options?: StreamOptions' : 'options?: CallOptions'];
  const mode = streamMode(p);
  if (mode) return [streamPlan(ctx, p, fn, owner, name, params, decls, caller, proc, argsExpr, mode)];

  // The call: once, or (a getter of typed parameters) for the count and then the values.
  const body: string[] = [];
  if (counted) {
    const from = COUNT_FROM[p.member.name];
    if (from) {
      body.push(`    const n = (await ${caller}.call(${table}.${from}, { dom: this.ref }, options)).nparams;`);
      body.push(`    const r = await ${caller}.call(${proc}, ${argsExpr}, options);`);
    } else {
      body.push(`    const ask = (n: number) => ${caller}.call(${proc}, ${argsExpr}, options);`);
      body.push('    const first = await ask(0);');
      body.push('    const r = first.nparams > 0 ? await ask(first.nparams) : first;');
    }
  } else if (retFields.length) {
    body.push(`    const r = await ${caller}.call(${proc}, ${argsExpr}, options);`);
  } else {
    body.push(`    await ${caller}.call(${proc}, ${argsExpr}, options);`);
  }

  // The result, documented by the C output arguments when the C function returns only a status.
  const outputs = fn.args.filter((a, i) => i > 0 && !params.some((x) => x.c === a) && /\*|Ptr$/.test(a.type) && !/^const /.test(a.type));
  const statusOnly = fn.returns?.type === 'int' && outputs.length > 0;
  const resultDoc = docText(statusOnly ? outputs.map((a) => a.info).join('; ') : (fn.returns?.info ?? '')) || null;
  let returnType = 'void';
  let returns: string | null = null;
  const listOf = retFields.find((f) => f.array.kind === 'variable');
  const onlyCountsBeside = listOf && retFields.every((f) => f === listOf || /^(ret|nparams|nerrors)$/.test(f.name));
  if (retFields.length === 1 && BOOLEAN_RESULT.test(name) && ctx.universe.shape(retFields[0]).k === 'prim') {
    returnType = 'boolean';
    body.push(`    return r.${retFields[0].name} !== 0;`);
    returns = resultDoc ? `true or false (${resultDoc})` : 'true or false';
  } else if (retFields.length === 1 || onlyCountsBeside) {
    const f = retFields.length === 1 ? retFields[0] : listOf!;
    const out = ctx.results.output(f, `r.${f.name}`, caller);
    returnType = out.type;
    if (out.bigint) throw new Error(`${p.member.name}: a bare bigint result cannot be serialised; return it in a struct`);
    body.push(`    return ${out.expr};`);
    returns = resultDoc;
  } else if (retFields.length > 1) {
    const struct = ctx.results.struct(p.ret!.name, resultName(fn, owner, name));
    returnType = struct.name;
    body.push(`    return from${pascalCase(p.ret!.name)}(r, ${caller});`);
    returns = `the {@link ${struct.name}}${resultDoc ? `: ${resultDoc}` : ''}`;
  }
  const plan: MethodPlan = {
    owner,
    name,
    lines: [...docBlock(ctx, fn, params, [], returns), `  async ${name}(${decls.join(', ')}): Promise<${returnType}> {`, ...body, '  }'],
  };
  const variant = uuidStringVariant(ctx, owner, name, fn, params, returnType);
  return variant ? [plan, variant] : [plan];
}

function streamPlan(
  ctx: Ctx,
  p: ProcedureModel,
  fn: ApiFunction,
  owner: string,
  name: string,
  params: readonly Param[],
  decls: readonly string[],
  caller: string,
  proc: string,
  argsExpr: string,
  mode: 'read' | 'write' | 'duplex',
): MethodPlan {
  let sparseExpr = 'false';
  let sparseFlag = '';
  if (p.sparse) {
    sparseFlag = annotations(p.member.comment).get('sparseflag')?.[0] ?? '';
    if (!sparseFlag || !params.some((x) => x.name === 'flags')) throw new Error(`${p.member.name}: @sparseflag needs a flag name and a flags argument`);
    ctx.e.imports.value('libvirt-api', sparseFlag);
    sparseExpr = `(flags & ${sparseFlag}) !== 0`;
  }
  const kind = { read: 'readable', write: 'writable', duplex: 'readable and writable' }[mode];
  const extra = [
    `Opens a ${kind} stream${sparseFlag ? ` (sparse when \`flags\` has \`${sparseFlag}\`)` : ''}; resolves once the daemon has accepted the call.`,
  ];
  const open = `await openStreamCall(${caller}, ${proc}, ${argsExpr}, '${mode}', ${sparseExpr}, options)`;
  const retFields = p.ret?.fields ?? [];
  if (!retFields.length) {
    return {
      owner,
      name,
      lines: [
        ...docBlock(ctx, fn, params, extra, 'the stream'),
        `  async ${name}(${decls.join(', ')}): Promise<LibvirtStream> {`,
        `    return (${open}).stream;`,
        '  }',
      ],
    };
  }
  const outs = retFields.map((f) => ({ f, out: ctx.results.output(f, `ret.${f.name}`, caller) }));
  return {
    owner,
    name,
    lines: [
      ...docBlock(ctx, fn, params, extra, `the stream and ${outs.map((x) => `\`${x.f.name}\``).join(', ')}`),
      `  async ${name}(${decls.join(', ')}): Promise<{ ${outs.map(({ f, out }) => `readonly ${f.name}: ${out.type}`).join('; ')}; readonly stream: LibvirtStream }> {`,
      `    const { ret, stream } = ${open};`,
      `    return { ${outs.map(({ f, out }) => `${f.name}: ${out.expr}`).join(', ')}, stream };`,
      '  }',
    ],
  };
}

/** The `*LookupByUUIDString` method beside a `*LookupByUUID` one, when the API XML has that API. */
function uuidStringVariant(ctx: Ctx, owner: string, name: string, fn: ApiFunction, params: readonly Param[], returnType: string): MethodPlan | null {
  const stringFn = ctx.functions.get(`${fn.name}String`);
  if (!fn.name.endsWith('LookupByUUID') || !stringFn || !params.some((p) => p.name === 'uuid')) return null;
  const decls = params.map((p) => (p.name === 'uuid' ? 'uuidstr: string' : p.decl));
  const args = params.map((p) => (p.name === 'uuid' ? `uuidArg(uuidstr, '${stringFn.name}')` : p.name));
  const stringParams = params.map((p) => (p.name === 'uuid' ? { ...p, name: 'uuidstr', c: stringFn.args.find((a) => a.name === 'uuidstr') ?? p.c } : p));
  return {
    owner,
    name: `${name}String`,
    lines: [
      ...docBlock(
        ctx,
        stringFn,
        stringParams,
        ['Parses `uuidstr` as libvirt does (a bad one rejects with VIR_ERR_INVALID_ARG before any call).'],
        docText(stringFn.returns?.info ?? '') || null,
      ),
      `  async ${name}String(${[...decls, 'options?: CallOptions'].join(', ')}): Promise<${returnType}> {`,
      `    return await this.${name}(${[...args, 'options'].join(', ')});`,
      '  }',
    ],
  };
}

/** The text of `objects.gen.ts`: the base classes and their result types. */
export function emitObjects(
  e: ModuleEmitter,
  universe: Universe,
  programs: readonly ProgramModel[],
  functions: ReadonlyMap<string, ApiFunction>,
  enumTypes: ReadonlySet<string>,
): { body: string[]; methods: { owner: string; name: string; api: string }[] } {
  const ctx: Ctx = { e, universe, results: new ResultTypes(e, universe), functions, enumTypes };
  const methods = new Map<string, MethodPlan[]>();
  const index: { owner: string; name: string; api: string }[] = [];
  for (const program of programs) {
    for (const p of program.procedures) {
      const where = objectMethodOf(p);
      if (where) index.push({ owner: where.owner || 'Connection', name: where.name, api: where.api.name });
      for (const m of planMethod(ctx, program, p)) {
        const list = methods.get(m.owner) ?? [];
        if (list.some((x) => x.name === m.name)) throw new Error(`${m.owner || 'ConnectionBase'}.${m.name} is generated twice (${p.member.name})`);
        list.push(m);
        methods.set(m.owner, list);
      }
    }
  }
  const out: string[] = [];
  const refs = OBJECT_KINDS.map((k) => ({ ...k, Ref: e.imports.type('remote', pascalCase(k.ref)) }));
  out.push(
    '',
    '/**',
    ' * The classes the generated methods make objects of, filled in by src/api/objects/ when it loads',
    ' * (the hand-written subclasses of the bases below).',
    ' */',
    'export const objectClasses = {} as {',
    ...refs.map((k) => `  ${k.className}: new (connection: ProcedureCaller, ref: ${k.Ref}) => ${k.className};`),
    '};',
  );
  for (const k of refs) {
    out.push(
      '',
      `/** ${k.what[0].toUpperCase()}${k.what.slice(1)}: every API that acts on it (\`${k.className}\` adds the client-side ones). */`,
      `export abstract class ${k.className}Base {`,
      '  /** The connection the object belongs to. */',
      '  readonly connection: ProcedureCaller;',
      `  /** The object's reference as the protocol carries it (\`${k.ref}\`); refreshed where libvirt's client refreshes it. */`,
      `  ref: ${k.Ref};`,
      '',
      `  constructor(connection: ProcedureCaller, ref: ${k.Ref}) {`,
      '    this.connection = connection;',
      '    this.ref = ref;',
      '  }',
      ...(methods.get(k.className) ?? []).flatMap((m) => ['', ...m.lines]),
      '}',
    );
  }
  out.push(
    '',
    '/** The APIs that act on the connection itself: lookups, lists, defines and host queries. */',
    'export abstract class ConnectionBase implements ProcedureCaller {',
    '  /** Makes one call (implemented by the connection). */',
    '  abstract call<A, R>(procedure: Procedure<A, R>, args: A, options?: CallOptions): Promise<R>;',
    ...(methods.get('') ?? []).flatMap((m) => ['', ...m.lines]),
    '}',
    ...ctx.results.types,
  );
  return { body: out, methods: index };
}

/** The text of `object-methods.gen.ts`: every object method with its C API, and the exceptions. */
export function emitObjectIndex(methods: readonly { owner: string; name: string; api: string }[]): string[] {
  const q = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return [
    '/** Every object-layer method with the class it belongs to and the C API it implements. */',
    'export const OBJECT_METHODS: readonly { readonly owner: string; readonly method: string; readonly api: string }[] = [',
    ...methods.map((m) => `  { owner: '${m.owner}', method: '${m.name}', api: '${m.api}' },`),
    '];',
    '',
    '/** Methods implemented by hand in src/api/objects/, and why. */',
    'export const HANDWRITTEN_METHODS: Readonly<Record<string, string>> = {',
    ...Object.entries(HANDWRITTEN).map(([k, v]) => `  ${k}: ${q(v)},`),
    '};',
    '',
    '/** Methods whose parameters are not the C inputs minus the object and wire-only counts, and why. */',
    'export const SIGNATURE_EXCEPTIONS: Readonly<Record<string, string>> = {',
    ...Object.entries(SIGNATURE_EXCEPTIONS).map(([k, v]) => `  ${k}: ${q(v)},`),
    '};',
  ];
}
