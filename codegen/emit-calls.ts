/**
 * Emits the tree-shakable surface of `libvirt-rpc/calls`: a program's procedures one by one, each
 * a standalone constant with its own codecs, instead of one table a bundler must keep whole.
 *
 * - `src/procedures/<id>-procs.gen.ts`: one `Procedure` per callable procedure
 *   (`REMOTE_PROC_DOMAIN_GET_XML_DESC`, as `remoteProcedures` names it), and one codec per type
 *   they reach, every type described as the codec table describes it (src/xdr/codec-schema.ts),
 *   the bulk types too, each naming the others it uses through a thunk. All `/*@__PURE__*\/`:
 *   a bundle keeps the procedures it names and the codecs they reach. The module imports no
 *   other generated module at run time, so importing it does not load the procedure table.
 * - `src/api/gen/calls.gen.ts`: one function per procedure, named as the raw layer's method
 *   (`domainGetXMLDesc(conn, dom, flags, options?)`), typed by that method's signature.
 */
import type { ApiFunction } from './api-xml.js';
import { rawMethod } from './emit-procedures.js';
import { codecName, pascalCase, type Universe } from './model.js';
import { ModuleEmitter } from './emit-xdr.js';
import type { ProcedureModel, ProgramModel } from './procedures.js';

const q = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The bits of a row's flags (src/procedures/procedure.ts, ProcedureFlag). */
const FLAG = { read: 1, write: 2, sparse: 4, high: 8, event: 16, fds: 32, generateShift: 6 };
const GENERATE = ['both', 'client', 'server', 'none'];

function rowFlags(p: ProcedureModel): number {
  const generate = p.generate === null ? 0 : GENERATE.indexOf(p.generate) + 1;
  return (
    (p.stream === 'read' ? FLAG.read : p.stream === 'write' ? FLAG.write : 0) |
    (p.sparse ? FLAG.sparse : 0) |
    (p.priority === 'high' ? FLAG.high : 0) |
    (p.event ? FLAG.event : 0) |
    (p.fds ? FLAG.fds : 0) |
    (generate << FLAG.generateShift)
  );
}

function defaultMethod(api: string): string {
  const bare = api.replace(/^vir(Adm)?/, '');
  return bare[0].toLowerCase() + bare.slice(1);
}

/** The body of `<id>-procs.gen.ts` (after the header): the standalone procedures of `program`. */
export function emitStandaloneProcedures(universe: Universe, program: ProgramModel, runtimeImport: string): string[] {
  // Every type of the module described (no straight-line codecs: bulk types too).
  const e = new ModuleEmitter(universe, program.module, new Set());
  const own = universe.modules.find((m) => m.id === program.module)!;
  for (const def of own.parsed.definitions) e.definition(def);
  const entries = e.tableEntries;
  const index = new Map(entries.map((t, i) => [t.xName, i]));
  const callable = program.procedures.filter((p) => !p.event);

  // The entries the procedures reach, and each one's description with its references as `@k`.
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const m of entries[i].desc.matchAll(/#(\d+)/g)) visit(Number(m[1]));
  };
  for (const p of callable) for (const s of [p.args, p.ret]) if (s) visit(index.get(s.name)!);
  const local = (i: number): string => codecName(entries[i].xName);
  const codecs: string[] = [];
  for (const i of [...needed].sort((a, b) => a - b)) {
    const refs: string[] = [];
    const desc = entries[i].desc.replace(/([#@])(\d+)/g, (_, kind: string, k: string) => {
      const name = kind === '#' ? local(Number(k)) : e.tableRefs[Number(k)];
      let at = refs.indexOf(name);
      if (at < 0) at = refs.push(name) - 1;
      return `@${at}`;
    });
    codecs.push(`const ${local(i)}: XdrCodec<never> = /*@__PURE__*/ schemaCodec(${q(desc)}${refs.length ? `, () => [${refs.join(', ')}]` : ''});`);
  }

  const prefix = `${program.name.toUpperCase()}_PROC_`;
  const programNumber = universe.value({ kind: 'name', name: program.programConst, loc: { file: '', line: 0, column: 0 } });
  const version = program.versionConst ? universe.value({ kind: 'name', name: program.versionConst, loc: { file: '', line: 0, column: 0 } }) : 1;
  const types = new Set<string>();
  const procs: string[] = [];
  for (const p of callable) {
    const A = p.args ? pascalCase(p.args.name) : 'void';
    const R = p.ret ? pascalCase(p.ret.name) : 'void';
    if (p.args) types.add(A);
    if (p.ret) types.add(R);
    const method = p.api && defaultMethod(p.api.name) === p.method ? '' : `, '${p.method}'`;
    const codec = (s: ProcedureModel['args']): string => (s ? local(index.get(s.name)!) : 'null');
    procs.push(
      `/** ${p.member.name} = ${p.number}${p.api ? `: \`${p.api.name}\`` : ''}. */`,
      `export const ${p.member.name}: Procedure<${A}, ${R}> = /*@__PURE__*/ procedureOf(P, [${p.number}, '${p.member.name.slice(prefix.length)}', ${p.api ? `'${p.api.name}'` : 0}, ${p.api?.since ? `'${p.api.since}'` : 0}, ${rowFlags(p)}, '${p.acl.join(' ')}', ${codec(p.args)}, ${codec(p.ret)}${method}]);`,
    );
  }
  const values = e.imports.render('./').filter((l) => l.startsWith('import {'));
  return [
    '/*',
    ` * The ${program.name} program's procedures one by one, for \`libvirt-rpc/calls\`: each a standalone`,
    ` * constant with its own codecs (see codegen/emit-calls.ts), the same descriptors as`,
    ` * \`${program.name}Procedures\` holds. A bundle keeps only the procedures it names.`,
    ' */',
    `import type { XdrCodec } from '${runtimeImport}/xdr/codec.js';`,
    `import { schemaCodec } from '${runtimeImport}/xdr/codec-schema.js';`,
    `import { procedureOf, type Procedure, type ProgramDefaults } from '${runtimeImport}/procedures/procedure.js';`,
    `import type { ${[...types].sort().join(', ')} } from './${program.module}-core.gen.js';`,
    ...values,
    '',
    `const P: ProgramDefaults = { program: '${program.name}', programNumber: 0x${programNumber.toString(16)}, version: ${version}, prefix: '${prefix}' };`,
    '',
    ...codecs,
    '',
    ...procs,
  ];
}

/** The body of `api/calls.gen.ts`: one function per callable procedure of `programs`. */
export function emitCallFunctions(universe: Universe, programs: readonly ProgramModel[], functions: ReadonlyMap<string, ApiFunction>): string[] {
  const e = new ModuleEmitter(universe, 'calls');
  const out: string[] = [];
  const procImports: string[] = [];
  for (const program of programs) {
    for (const p of program.procedures) {
      if (p.event) continue;
      const { row } = rawMethod(e, program, p, functions);
      // The raw row without its name: the procedure constant names it.
      const rest = row.replace(/^\['[A-Z0-9_]+', /, '').slice(0, -1);
      const stream = p.stream !== null;
      procImports.push(p.member.name);
      out.push(
        '',
        `/** ${p.api ? `\`${p.api.name}\`: ` : ''}{@link RawApi.${p.method}} as a function of the connection. */`,
        `export const ${p.method}: Call<RawApi['${p.method}']> = /*@__PURE__*/ ${stream ? 'streamCallOf' : 'callOf'}(${p.member.name}, ${rest});`,
      );
    }
  }
  const values = e.imports.render('../../procedures/').filter((l) => l.startsWith('import {'));
  return [
    `import type { RawApi } from './raw.gen.js';`,
    `import { callOf, streamCallOf, type Call } from '../call-of.js';`,
    `import { ${procImports.join(', ')} } from '../../procedures/${programs[0]!.module}-procs.gen.js';`,
    ...values,
    ...out,
  ];
}
