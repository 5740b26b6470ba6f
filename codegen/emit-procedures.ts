/**
 * Emits the procedure tables (one per program, at the end of its module), the
 * raw client classes with one method per callable procedure, and the public
 * `procedures` introspection index.
 */
import type { ApiFunction } from './api-xml.js';
import { coreModule } from './imports.js';
import { codecName, pascalCase } from './model.js';
import type { ModuleEmitter } from './emit-xdr.js';
import { annotations, type ProcedureModel, type ProgramModel } from './procedures.js';

const RESERVED = new Set([
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'new',
  'null',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  'yield',
  'let',
  'static',
  'implements',
  'interface',
  'package',
  'private',
  'protected',
  'public',
  'await',
  'arguments',
  'eval',
  'options',
]);

/**
 * Stream procedures whose data flows both ways. The `.x` file marks them `@readstream`, but
 * libvirt's remote driver opens them as ordinary streams and `virsh console` writes to them
 * (keystrokes to the guest's console or channel) as well as reading.
 */
export const DUPLEX_STREAMS: ReadonlySet<string> = new Set(['REMOTE_PROC_DOMAIN_OPEN_CONSOLE', 'REMOTE_PROC_DOMAIN_OPEN_CHANNEL']);

/** How the raw layer opens the stream of `p`: `read`, `write` or `duplex`; null if it opens none. */
export function streamMode(p: ProcedureModel): 'read' | 'write' | 'duplex' | null {
  if (!p.stream) return null;
  return DUPLEX_STREAMS.has(p.member.name) ? 'duplex' : p.stream;
}

/** A parameter name that is safe in TypeScript. */
export function paramName(field: string): string {
  return RESERVED.has(field) ? `${field}_` : field;
}

/** The first paragraph of an API description, made safe for TSDoc. */
export function summary(info: string): string[] {
  const para = info.split(/\n\s*\n/)[0] ?? '';
  const text = para.replace(/\s+/g, ' ').trim().replace(/\*\//g, '*\\/').replace(/@/g, '\\@');
  if (!text) return [];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > 96 && line) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The name of a program's table constant: `remoteProcedures`. */
export function tableName(program: string): string {
  return `${program}Procedures`;
}

/** The bits of a row's flags (src/procedures/procedure.ts, ProcedureFlag). */
const FLAG = { read: 1, write: 2, sparse: 4, high: 8, event: 16, fds: 32, generateShift: 6 };
const GENERATE = ['both', 'client', 'server', 'none'];

/** The raw method procedureTable() gives a procedure with a C API when its row names none. */
function defaultMethod(api: string): string {
  const bare = api.replace(/^vir(Adm)?/, '');
  return bare[0].toLowerCase() + bare.slice(1);
}

/** The flags of a procedure's row. */
function rowFlags(p: ProcedureModel): number {
  const generate = p.generate === null ? 0 : GENERATE.indexOf(p.generate) + 1;
  if (generate === 0 && p.generate !== null) throw new Error(`${p.member.name}: unknown @generate ${p.generate}`);
  if (p.acl.some((a) => a.includes(' '))) throw new Error(`${p.member.name}: an @acl holds a space`);
  return (
    (p.stream === 'read' ? FLAG.read : p.stream === 'write' ? FLAG.write : 0) |
    (p.sparse ? FLAG.sparse : 0) |
    (p.priority === 'high' ? FLAG.high : 0) |
    (p.event ? FLAG.event : 0) |
    (p.fds ? FLAG.fds : 0) |
    (generate << FLAG.generateShift)
  );
}

/** The name of a program's table type: `RemoteProcedures`. */
export function tableTypeName(program: string): string {
  return `${pascalCase(program)}Procedures`;
}

/**
 * Emits the table of one program, inside its own module: a type naming each procedure's
 * argument and result types, and the rows procedureTable() expands (one short line each: the
 * fields every procedure of the program shares are given once).
 */
export function emitProgramTable(program: ProgramModel, codecRef: (xName: string) => string = codecName, codecTable: string | null = null): string[] {
  const prefix = `${program.name.toUpperCase()}_PROC_`;
  const type = tableTypeName(program.name);
  const out: string[] = [
    '',
    `/** Every procedure of the ${program.name} program, by its \`.x\` name, with its argument and result types. */`,
    // A type alias, not an interface: it must be assignable to Record<string, ProcedureInfo>.
    `export type ${type} = {`,
  ];
  for (const p of program.procedures) {
    const A = p.args ? pascalCase(p.args.name) : 'void';
    const R = p.ret ? pascalCase(p.ret.name) : 'void';
    out.push(`  /** ${p.member.name} = ${p.number}${p.api ? `: \`${p.api.name}\`` : ''}${p.event ? ' (event)' : ''} */`);
    out.push(`  readonly ${p.member.name}: Procedure<${A}, ${R}>;`);
  }
  out.push(
    '};',
    '',
    `/**`,
    ` * Every procedure of the ${program.name} program, by its \`.x\` name: number, public API,`,
    ` * annotations and codecs. Rows: number, name without \`${prefix}\`, C API, since, flags,`,
    ` * ACLs, args codec, ret codec (a codec, or its index in the module's codec table)[, raw method]`,
    ` * (see ProcedureRow). Built on first use: importing the module expands no row.`,
    ` */`,
    `export const ${tableName(program.name)}: ${type} = /*@__PURE__*/ procedureTable<${type}>(`,
    `  { program: '${program.name}', programNumber: ${program.programConst}, version: ${program.versionConst ?? 1}, prefix: '${prefix}' },`,
    '  () => [',
  );
  for (const p of program.procedures) {
    if (!p.member.name.startsWith(prefix)) throw new Error(`${p.member.name} does not start with ${prefix}`);
    const method = p.api && defaultMethod(p.api.name) === p.method ? '' : `, '${p.method}'`;
    out.push(
      `    [${p.number}, '${p.member.name.slice(prefix.length)}', ${p.api ? `'${p.api.name}'` : 0}, ${p.api?.since ? `'${p.api.since}'` : 0}, ${rowFlags(p)}, '${p.acl.join(' ')}', ${p.args ? codecRef(p.args.name) : 'null'}, ${p.ret ? codecRef(p.ret.name) : 'null'}${method}],`,
    );
  }
  out.push('  ],', ...(codecTable ? [`  ${codecTable},`] : []), ');');
  return out;
}

/**
 * Emits a raw client class: one method per callable (non-event) procedure, declared (signature
 * and TSDoc) in an interface merged with the class, and installed at run time from one row per
 * procedure by `installRawMethods` (src/api/raw-methods.ts): no method bodies in the output.
 */
export function emitRawClass(
  e: ModuleEmitter,
  className: string,
  description: string,
  programs: readonly ProgramModel[],
  functions: ReadonlyMap<string, ApiFunction>,
  runtimeImport = '..',
): string[] {
  const decls: string[] = [];
  const installs: string[] = [];
  const seen = new Map<string, string>();
  const hasStreams = programs.some((program) => program.procedures.some((p) => !p.event && p.stream));
  for (const program of programs) {
    const table = e.imports.value(program.module, tableName(program.name));
    const rows: string[] = [];
    for (const p of program.procedures) {
      if (p.event) continue;
      const prev = seen.get(p.method);
      if (prev) throw new Error(`method name ${p.method} is used by both ${prev} and ${p.member.name}`);
      seen.set(p.method, p.member.name);
      const m = rawMethod(e, program, p, functions);
      decls.push('', ...m.decl);
      // The row names the method, not the procedure: installing reads nothing of the table.
      const row = m.row.replace(/^\['[A-Z0-9_]+'/, `['${p.method}'`);
      if (row === m.row) throw new Error(`${p.member.name}: unexpected raw row ${m.row}`);
      rows.push(`  ${row},`);
    }
    installs.push(`installRawMethods(${className}.prototype, ${table}, [`, ...rows, ']);');
  }
  return [
    // Placed right after the generated imports.
    ...(hasStreams ? [`import type { LibvirtStream, StreamOptions } from '${runtimeImport}/api/stream.js';`] : []),
    `import { installRawMethods, RAW_CALLER } from '${runtimeImport}/api/raw-methods.js';`,
    '',
    `/**`,
    ` * ${description}`,
    ` *`,
    ` * Naming: a procedure with a public C API is named after it without its \`vir\` (or \`virAdm\`)`,
    ` * prefix, first letter lowered (\`virDomainGetXMLDesc\` → \`domainGetXMLDesc\`); any other is the`,
    ` * camelCase of its \`.x\` name without \`REMOTE_PROC_\` (\`REMOTE_PROC_AUTH_LIST\` → \`authList\`),`,
    ` * with the program in front for qemu and lxc. Arguments are the args struct's fields in \`.x\``,
    ` * order, then the call options; the result is nothing, the single field of the ret struct, or`,
    ` * the ret struct.`,
    ...(hasStreams
      ? [
          ` *`,
          ` * Streams: a procedure that opens a data stream (\`storageVolDownload\`, \`storageVolUpload\`,`,
          ` * \`domainScreenshot\`, \`domainOpenConsole\`, ...) takes {@link StreamOptions} and resolves, once`,
          ` * the daemon has accepted the call, to the {@link LibvirtStream} when its ret struct is empty,`,
          ` * otherwise to the whole ret struct with a \`stream\` field added (\`domainScreenshot\` →`,
          ` * \`{ mime, stream }\`). The stream is readable for \`@readstream\` procedures, writable for`,
          ` * \`@writestream\` ones, both for consoles and channels; it is sparse when the call's flags`,
          ` * have the procedure's \`@sparseflag\` (\`VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM\`, ...).`,
        ]
      : []),
    ` */`,
    `export class ${className} {`,
    `  /** The caller the methods use. */`,
    `  readonly [RAW_CALLER]: ProcedureCaller;`,
    '',
    `  /** Wraps anything that can make a call (normally a connection's RPC engine). */`,
    `  constructor(caller: ProcedureCaller) {`,
    `    this[RAW_CALLER] = caller;`,
    `  }`,
    '}',
    '',
    `/** The methods of {@link ${className}} (installed from the rows below). */`,
    `export interface ${className} {`,
    ...decls.slice(1),
    '}',
    '',
    ...installs,
  ];
}

/** A raw method's declaration and its row for `installRawMethods`. */
export function rawMethod(
  e: ModuleEmitter,
  program: ProgramModel,
  p: ProcedureModel,
  functions: ReadonlyMap<string, ApiFunction>,
): { decl: string[]; row: string } {
  const params: string[] = [];
  for (const f of p.args?.fields ?? []) params.push(`${paramName(f.name)}: ${e.declType(f)}`);
  const mode = streamMode(p);
  params.push(mode ? 'options?: StreamOptions' : 'options?: CallOptions');
  const name = `'${p.member.name.slice(program.name.length + '_PROC_'.length)}'`;
  const argList = p.args ? `'${p.args.fields.map((f) => f.name).join(' ')}'` : "'-'";
  if (mode) return streamMethod(e, program, p, functions, params, name, argList, mode);
  let returnType = 'void';
  let result = '-';
  if (p.ret && p.ret.fields.length === 1) {
    returnType = e.declType(p.ret.fields[0]);
    result = p.ret.fields[0].name;
  } else if (p.ret) {
    returnType = e.imports.type(program.module, pascalCase(p.ret.name));
    result = '.';
  }
  return {
    decl: [...methodDoc(program, p, functions, []), `  ${p.method}(${params.join(', ')}): Promise<${returnType}>;`],
    row: `[${name}, ${argList}, '${result}']`,
  };
}

function methodDoc(program: ProgramModel, p: ProcedureModel, functions: ReadonlyMap<string, ApiFunction>, extra: string[]): string[] {
  const info = p.api ? (functions.get(p.api.name)?.info ?? '') : '';
  return [
    '  /**',
    ...(p.api ? [`   * \`${p.api.name}\`${info ? ':' : ''}`] : []),
    ...summary(info).map((l) => `   * ${l}`),
    ...(p.api ? ['   *'] : []),
    `   * Calls ${p.member.name} (${program.name} program, procedure ${p.number}).`,
    ...extra,
    ...(p.fds ? ['   * Passes file descriptors, which this client cannot do: it rejects with an UnsupportedError.'] : []),
    '   */',
  ];
}

/** The raw method of a procedure that opens a stream: resolves to the stream (and the ret struct). */
function streamMethod(
  e: ModuleEmitter,
  program: ProgramModel,
  p: ProcedureModel,
  functions: ReadonlyMap<string, ApiFunction>,
  params: string[],
  name: string,
  argList: string,
  mode: 'read' | 'write' | 'duplex',
): { decl: string[]; row: string } {
  let sparse = '0';
  const flag = p.sparse ? annotations(p.member.comment).get('sparseflag')?.[0] : undefined;
  if (p.sparse) {
    const flagsField = p.args?.fields.find((f) => f.name === 'flags');
    if (!flag || !flagsField) throw new Error(`${p.member.name}: @sparseflag needs a flag name and a flags argument`);
    sparse = e.imports.value('libvirt-api', flag);
  }
  const kind = { read: 'readable', write: 'writable', duplex: 'readable and writable' }[mode];
  const sparseNote = p.sparse ? ` (sparse when \`flags\` has \`${flag}\`)` : '';
  const extra = [`   * Opens a ${kind} stream${sparseNote};`, `   * resolves once the daemon has accepted the call.`];
  const row = `[${name}, ${argList}, '${p.ret ? '.' : '-'}', '${mode}', ${sparse}]`;
  if (!p.ret) return { decl: [...methodDoc(program, p, functions, extra), `  ${p.method}(${params.join(', ')}): Promise<LibvirtStream>;`], row };
  const R = e.imports.type(program.module, pascalCase(p.ret.name));
  return {
    decl: [...methodDoc(program, p, functions, extra), `  ${p.method}(${params.join(', ')}): Promise<${R} & { readonly stream: LibvirtStream }>;`],
    row,
  };
}

/** Emits the public index: every program's procedures by number. */
export function emitProcedureIndex(programs: readonly ProgramModel[], split: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (const p of programs) out.push(`import { ${tableName(p.name)} } from './${coreModule(p.module, split)}.gen.js';`);
  out.push(
    `import { byNumber, type ProcedureInfo, type ProgramName } from './procedure.js';`,
    '',
    '/**',
    ' * Every procedure of every program, keyed by program name and then by procedure number:',
    " * `procedures.remote[14]` is REMOTE_PROC_DOMAIN_GET_XML_DESC. Each program's index (and its",
    ' * table) is built on first use.',
    ' */',
    'export const procedures: Readonly<Record<ProgramName, Readonly<Record<number, ProcedureInfo>>>> = Object.freeze({',
    ...programs.map((p) => `  ${p.name}: byNumber(${tableName(p.name)}),`),
    '});',
  );
  return out;
}
