/**
 * Emits the tree-shakable surface of `libvirt-rpc/calls`: the remote, qemu and lxc programs'
 * procedures one by one, each a standalone constant with its own codecs, instead of one table a
 * bundler must keep whole.
 *
 * - `src/procedures/<id>-procs.gen.ts`: the module's constants and enums (re-exported from
 *   `<id>-consts.gen.ts`, where the core takes them from too), one `Procedure` per callable procedure
 *   (`REMOTE_PROC_DOMAIN_GET_XML_DESC`, as `remoteProcedures` names it), and the codecs they reach:
 *   the bulk types' (see bulk-types.ts) imported from `<id>-bulk.gen.ts`, the straight-line
 *   code declared once there for this file and the core module (codegen/generate.ts); every other
 *   type described here as the codec table describes it (src/xdr/codec-schema.ts), naming the
 *   others it uses through a thunk. Every codec is an object literal (or a function declaration),
 *   which a bundler knows has no side effects (a call would need a `/*@__PURE__*\/` annotation,
 *   which a minified build such as dist/ drops): a bundle keeps the procedures it names and the
 *   codecs they reach, from the sources or from the built package.
 *   At run time the module imports only `<id>-consts.gen.ts` (constants and enums, nothing else),
 *   `<id>-bulk.gen.ts` (the bulk codecs, nothing else) and, for a type of another program's module
 *   (`remote_nonnull_domain` in qemu's args), that module's `-bulk.gen.ts` (or its `-procs.gen.ts`,
 *   which exports a described codec others use); so importing it loads no procedure table.
 * - `src/api/gen/calls.gen.ts`: one function per procedure, named as the raw layer's method
 *   (`domainGetXMLDesc(conn, dom, flags, options?)`), typed by that method's signature: an
 *   arrow function each, for the same reason.
 */
import type { ApiFunction } from './api-xml.js';
import { rawMethod } from './emit-procedures.js';
import { codecName, pascalCase, type Universe } from './model.js';
import { ModuleEmitter } from './emit-xdr.js';
import type { ProcedureModel, ProgramModel } from './procedures.js';

const q = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** One program's standalone procedures before rendering (see {@link emitStandaloneProcedures}). */
interface StandalonePlan {
  readonly program: ProgramModel;
  readonly valueNames: readonly string[];
  /** Each described codec the procedures reach, in definition order: its name, and its declaration from `const ` on. */
  readonly codecs: readonly { readonly name: string; readonly decl: string }[];
  /** The bulk types' codecs the procedures and the described codecs name (imported from `<id>-bulk.gen.ts`). */
  readonly bulkCodecs: ReadonlySet<string>;
  /** The described codecs of the other standalone modules its codecs name, by module (exported by their `-procs.gen.ts`). */
  readonly external: ReadonlyMap<string, Set<string>>;
  /** The bulk codecs of the other standalone modules its codecs name, by module (from their `-bulk.gen.ts`). */
  readonly externalBulk: ReadonlyMap<string, Set<string>>;
}

function addTo(map: Map<string, Set<string>>, key: string, name: string): void {
  let names = map.get(key);
  if (!names) map.set(key, (names = new Set()));
  names.add(name);
}

function planStandalone(universe: Universe, program: ProgramModel, standalone: ReadonlySet<string>, bulk: ReadonlySet<string>): StandalonePlan {
  // The types decoded in bulk (array elements and what they hold) are the straight-line codecs of
  // `<id>-bulk.gen.ts`, declared once for this file and the core module (`listAllDomains` of 5,000
  // domains decodes 5,000 of them); every other type described.
  const e = new ModuleEmitter(universe, program.module, bulk);
  const own = universe.modules.find((m) => m.id === program.module)!;
  // The module's constants and enums too, re-exported from `<id>-consts.gen.ts`, which declares
  // them once for this file and the core (object literals: a bundle keeps those named), so that
  // code on the light path (authentication) need not import the core module for them.
  const valueNames: string[] = [];
  for (const def of own.parsed.definitions) {
    e.definition(def);
    if (def.kind === 'const') valueNames.push(def.name);
    else if (def.kind === 'enum') valueNames.push(pascalCase(def.name));
  }
  const entries = e.tableEntries;
  const index = new Map(entries.map((t, i) => [t.xName, i]));
  /** The bulk types' codecs by name, with their modules. */
  const bulkModuleOf = new Map([...bulk].map((x) => [codecName(x), universe.lookup(x, { file: '', line: 0, column: 0 }).module]));

  const external = new Map<string, Set<string>>();
  const externalBulk = new Map<string, Set<string>>();
  const bulkCodecs = new Set<string>();
  /** A codec a described codec names: a bulk one of this module or another (qemu's and lxc's `remote_nonnull_domain`), or a described one of another standalone module, so that the procedure table of that module stays out of the bundle. */
  const refer = (name: string, user: string): void => {
    const bulkModule = bulkModuleOf.get(name);
    if (bulkModule === program.module) return void bulkCodecs.add(name);
    const from = e.imports.moduleOfValue(name);
    if (from === undefined || !standalone.has(from)) throw new Error(`${user}: ${name} is not a codec of a standalone module`);
    addTo(bulkModule === from ? externalBulk : external, from, name);
  };
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const m of entries[i].desc.matchAll(/#(\d+)/g)) visit(Number(m[1]));
    for (const m of entries[i].desc.matchAll(/@(\d+)/g)) refer(e.tableRefs[Number(m[1])]!, entries[i].xName);
  };
  for (const p of program.procedures) {
    if (p.event) continue;
    for (const s of [p.args, p.ret]) {
      if (!s) continue;
      const i = index.get(s.name);
      if (i !== undefined) visit(i);
      else refer(codecName(s.name), p.member.name);
    }
  }

  const order = own.parsed.definitions.map((d) => d.name);
  const codecs: { name: string; x: string; decl: string }[] = [];
  for (const i of needed) {
    const refs: string[] = [];
    const desc = entries[i].desc.replace(/([#@])(\d+)/g, (_, kind: string, k: string) => {
      const name = kind === '#' ? codecName(entries[Number(k)].xName) : e.tableRefs[Number(k)];
      let at = refs.indexOf(name);
      if (at < 0) at = refs.push(name) - 1;
      return `@${at}`;
    });
    const name = entries[i].xName;
    if (!desc.startsWith(name)) throw new Error(`${name}: its description does not start with its name`);
    codecs.push({
      name: codecName(name),
      x: name,
      decl: `${codecName(name)}: DescribedCodec = { name: ${q(name)}, body: ${q(desc.slice(name.length))}${refs.length ? `, refs: () => [${refs.join(', ')}]` : ''}, encode: encodeDescribed, decode: decodeDescribed };`,
    });
  }
  codecs.sort((a, b) => order.indexOf(a.x) - order.indexOf(b.x));
  return { program, valueNames, codecs, bulkCodecs, external, externalBulk };
}

function renderStandalone(universe: Universe, plan: StandalonePlan, exported: ReadonlySet<string>, runtimeImport: string): string[] {
  const { program, codecs, external, externalBulk, valueNames } = plan;
  const programNumber = universe.value({ kind: 'name', name: program.programConst, loc: { file: '', line: 0, column: 0 } });
  const version = program.versionConst ? universe.value({ kind: 'name', name: program.versionConst, loc: { file: '', line: 0, column: 0 } }) : 1;
  const types = new Set<string>();
  const procs: string[] = [];
  for (const p of program.procedures) {
    if (p.event) continue;
    const A = p.args ? pascalCase(p.args.name) : 'void';
    const R = p.ret ? pascalCase(p.ret.name) : 'void';
    if (p.args) types.add(A);
    if (p.ret) types.add(R);
    const codec = (s: ProcedureModel['args']): string => (s ? codecName(s.name) : 'null');
    const str = (v: string | null | undefined): string => (v ? q(v) : 'null');
    const fields = [
      `program: '${program.name}'`,
      `programNumber: 0x${programNumber.toString(16)}`,
      `version: ${version}`,
      `number: ${p.number}`,
      `name: '${p.member.name}'`,
      `api: ${str(p.api?.name)}`,
      `since: ${str(p.api?.since)}`,
      `method: '${p.method}'`,
      `stream: ${str(p.stream)}`,
      `sparse: ${p.sparse}`,
      `priority: '${p.priority}'`,
      'event: false',
      `fds: ${p.fds}`,
      `generate: ${str(p.generate)}`,
      `acl: [${p.acl.map(q).join(', ')}]`,
      `args: ${codec(p.args)}`,
      `ret: ${codec(p.ret)}`,
    ];
    procs.push(
      `/** ${p.member.name} = ${p.number}${p.api ? `: \`${p.api.name}\`` : ''}. */`,
      `export const ${p.member.name}: Procedure<${A}, ${R}> = { ${fields.join(', ')} };`,
    );
  }
  const bulkFiles = new Map(externalBulk);
  if (plan.bulkCodecs.size) bulkFiles.set(program.module, new Set(plan.bulkCodecs));
  const fromOthers = [
    ...[...bulkFiles].map(([m, names]) => [`${m}-bulk`, names] as const),
    ...[...external].map(([m, names]) => [`${m}-procs`, names] as const),
  ]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, names]) => `import { ${[...names].sort().join(', ')} } from './${file}.gen.js';`);
  const shared = codecs.filter((c) => exported.has(c.name)).map((c) => c.name);
  const code = codecs.map((c) => `${exported.has(c.name) ? 'export ' : ''}const ${c.decl}`);
  return [
    '/*',
    ` * The ${program.name} program's procedures one by one, for \`libvirt-rpc/calls\`: each a standalone`,
    ` * constant with its own codecs (see codegen/emit-calls.ts), the same descriptors as`,
    ` * \`${program.name}Procedures\` holds. A bundle keeps only the procedures it names.`,
    ...(shared.length ? [` * Exported for other programs' procedures, which use them too: ${shared.join(', ')}.`] : []),
    ' */',
    ...(codecs.length ? [`import { decodeDescribed, encodeDescribed, type DescribedCodec } from '${runtimeImport}/xdr/codec-schema.js';`] : []),
    `import type { Procedure } from '${runtimeImport}/procedures/procedure.js';`,
    `import type { ${[...types].sort().join(', ')} } from './${program.module}-core.gen.js';`,
    ...fromOthers,
    '',
    `export { ${valueNames.join(', ')} } from './${program.module}-consts.gen.js';`,
    '',
    ...code,
    '',
    ...procs,
  ];
}

/**
 * The standalone procedures of `programs`, by module: the body of each one's
 * `<id>-procs.gen.ts` (after the header). A codec of one module that another's procedures reach
 * (`remote_nonnull_domain` in qemu's args) is exported by its module's file and imported from it.
 */
export function emitStandaloneProcedures(
  universe: Universe,
  programs: readonly ProgramModel[],
  bulk: ReadonlySet<string>,
  runtimeImport: string,
): Map<string, string[]> {
  const modules = new Set(programs.map((p) => p.module));
  const plans = programs.map((p) => planStandalone(universe, p, modules, bulk));
  const exported = new Map<string, Set<string>>();
  for (const plan of plans)
    for (const [m, names] of plan.external) {
      let set = exported.get(m);
      if (!set) exported.set(m, (set = new Set()));
      for (const n of names) set.add(n);
    }
  return new Map(plans.map((plan) => [plan.program.module, renderStandalone(universe, plan, exported.get(plan.program.module) ?? new Set(), runtimeImport)]));
}

/** The body of `api/calls.gen.ts`: one function per callable procedure of `programs`. */
export function emitCallFunctions(universe: Universe, programs: readonly ProgramModel[], functions: ReadonlyMap<string, ApiFunction>): string[] {
  const e = new ModuleEmitter(universe, 'calls');
  const out: string[] = [];
  const procImports: string[] = [];
  for (const program of programs) {
    const names: string[] = [];
    for (const p of program.procedures) {
      if (p.event) continue;
      const { row } = rawMethod(e, program, p, functions);
      // The raw row without its name: the procedure constant names it.
      const rest = row.replace(/^\['[A-Z0-9_]+', /, '').slice(0, -1);
      const stream = p.stream !== null;
      names.push(p.member.name);
      out.push(
        '',
        `/** ${p.api ? `\`${p.api.name}\`: ` : ''}{@link RawApi.${p.method}} as a function of the connection. */`,
        `export const ${p.method}: Call<RawApi['${p.method}']> = (c, ...a) => ${stream ? 'streamCall' : 'call'}(c, ${p.member.name}, ${rest}, a);`,
      );
    }
    procImports.push(`import { ${names.join(', ')} } from '../../procedures/${program.module}-procs.gen.js';`);
  }
  const values = e.imports.render('../../procedures/').filter((l) => l.startsWith('import {'));
  return [`import type { RawApi } from './raw.gen.js';`, `import { call, streamCall, type Call } from '../call-of.js';`, ...procImports, ...values, ...out];
}
