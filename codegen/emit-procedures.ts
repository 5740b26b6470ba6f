/**
 * Emits the procedure tables (one per program, at the end of its module), the
 * raw client classes with one method per callable procedure, and the public
 * `procedures` introspection index.
 */
import type { ApiFunction } from './api-xml.js';
import { codecName, pascalCase } from './model.js';
import type { ModuleEmitter } from './emit-xdr.js';
import type { ProcedureModel, ProgramModel } from './procedures.js';

const RESERVED = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof',
  'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void',
  'while', 'with', 'yield', 'let', 'static', 'implements', 'interface', 'package', 'private', 'protected',
  'public', 'await', 'arguments', 'eval', 'options',
]);

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

/** Emits the table of one program, inside its own module. */
export function emitProgramTable(e: ModuleEmitter, program: ProgramModel): string[] {
  const out: string[] = [
    '',
    `/**`,
    ` * Every procedure of the ${program.name} program, by its \`.x\` name: number, public API,`,
    ` * annotations and codecs.`,
    ` */`,
    `export const ${tableName(program.name)} = {`,
  ];
  for (const p of program.procedures) {
    const A = p.args ? pascalCase(p.args.name) : 'void';
    const R = p.ret ? pascalCase(p.ret.name) : 'void';
    out.push(
      `  /** ${p.member.name} = ${p.number}${p.api ? `: \`${p.api.name}\`` : ''}${p.event ? ' (event)' : ''} */`,
      `  ${p.member.name}: defineProcedure<${A}, ${R}>({`,
      `    program: '${program.name}',`,
      `    programNumber: ${program.programConst},`,
      `    version: ${program.versionConst ?? 1},`,
      `    number: ${p.number},`,
      `    name: '${p.member.name}',`,
      `    api: ${p.api ? `'${p.api.name}'` : 'null'},`,
      `    method: '${p.method}',`,
      `    stream: ${p.stream ? `'${p.stream}'` : 'null'},`,
      `    sparse: ${p.sparse},`,
      `    priority: '${p.priority}',`,
      `    event: ${p.event},`,
      `    fds: ${p.fds},`,
      `    generate: ${p.generate ? `'${p.generate}'` : 'null'},`,
      `    acl: [${p.acl.map((a) => `'${a}'`).join(', ')}],`,
      `    args: ${p.args ? codecName(p.args.name) : 'null'},`,
      `    ret: ${p.ret ? codecName(p.ret.name) : 'null'},`,
      `  }),`,
    );
  }
  out.push('} as const;');
  return out;
}

/** Emits a raw client class: one method per callable (non-event) procedure. */
export function emitRawClass(
  e: ModuleEmitter,
  className: string,
  description: string,
  programs: readonly ProgramModel[],
  functions: ReadonlyMap<string, ApiFunction>,
): string[] {
  const body: string[] = [];
  const seen = new Map<string, string>();
  for (const program of programs) {
    e.imports.value(program.module, tableName(program.name));
    for (const p of program.procedures) {
      if (p.event) continue;
      const prev = seen.get(p.method);
      if (prev) throw new Error(`method name ${p.method} is used by both ${prev} and ${p.member.name}`);
      seen.set(p.method, p.member.name);
      body.push('', ...rawMethod(e, program, p, functions));
    }
  }
  return [
    `/**`,
    ` * ${description}`,
    ` *`,
    ` * Naming: a procedure with a public C API is named after it without its \`vir\` (or \`virAdm\`)`,
    ` * prefix, first letter lowered (\`virDomainGetXMLDesc\` → \`domainGetXMLDesc\`); any other is the`,
    ` * camelCase of its \`.x\` name without \`REMOTE_PROC_\` (\`REMOTE_PROC_AUTH_LIST\` → \`authList\`),`,
    ` * with the program in front for qemu and lxc. Arguments are the args struct's fields in \`.x\``,
    ` * order, then the call options; the result is nothing, the single field of the ret struct, or`,
    ` * the ret struct.`,
    ` */`,
    `export class ${className} {`,
    `  readonly #caller: ProcedureCaller;`,
    '',
    `  /** Wraps anything that can make a call (normally a connection's RPC engine). */`,
    `  constructor(caller: ProcedureCaller) {`,
    `    this.#caller = caller;`,
    `  }`,
    ...body,
    '}',
  ];
}

function rawMethod(
  e: ModuleEmitter,
  program: ProgramModel,
  p: ProcedureModel,
  functions: ReadonlyMap<string, ApiFunction>,
): string[] {
  const params: string[] = [];
  const fields: string[] = [];
  for (const f of p.args?.fields ?? []) {
    const name = paramName(f.name);
    params.push(`${name}: ${e.declType(f)}`);
    fields.push(name === f.name ? f.name : `${f.name}: ${name}`);
  }
  params.push('options?: CallOptions');
  const ref = `${tableName(program.name)}.${p.member.name}`;
  const argsExpr = p.args ? `{ ${fields.join(', ')} }` : 'undefined';
  let returnType = 'void';
  let bodyLines: string[];
  const callExpr = `this.#caller.call(${ref}, ${argsExpr}, options)`;
  if (!p.ret) {
    bodyLines = [`    await ${callExpr};`];
  } else if (p.ret.fields.length === 1) {
    const f = p.ret.fields[0];
    returnType = e.declType(f);
    bodyLines = [`    return (await ${callExpr}).${f.name};`];
  } else {
    returnType = e.imports.type(program.module, pascalCase(p.ret.name));
    bodyLines = [`    return ${callExpr};`];
  }
  const info = p.api ? (functions.get(p.api.name)?.info ?? '') : '';
  const doc = [
    '  /**',
    ...(p.api ? [`   * \`${p.api.name}\`${info ? ':' : ''}`] : []),
    ...summary(info).map((l) => `   * ${l}`),
    ...(p.api ? ['   *'] : []),
    `   * Calls ${p.member.name} (${program.name} program, procedure ${p.number}).`,
    ...(p.stream ? [`   * Opens a ${p.stream === 'read' ? 'download' : 'upload'} stream.`] : []),
    ...(p.fds ? ['   * Passes file descriptors, which this client cannot do: it rejects with an UnsupportedError.'] : []),
    '   */',
  ];
  return [
    ...doc,
    `  async ${p.method}(${params.join(', ')}): Promise<${returnType}> {`,
    ...bodyLines,
    '  }',
  ];
}

/** Emits the public index: every program's procedures by number. */
export function emitProcedureIndex(programs: readonly ProgramModel[]): string[] {
  const out: string[] = [];
  for (const p of programs) out.push(`import { ${tableName(p.name)} } from './${p.module}.gen.js';`);
  out.push(
    `import type { ProcedureInfo, ProgramName } from '../rpc/procedure.js';`,
    '',
    'function byNumber(table: Record<string, ProcedureInfo>): Readonly<Record<number, ProcedureInfo>> {',
    '  const out: Record<number, ProcedureInfo> = {};',
    '  for (const p of Object.values(table)) out[p.number] = p;',
    '  return Object.freeze(out);',
    '}',
    '',
    '/**',
    ' * Every procedure of every program, keyed by program name and then by procedure number:',
    ' * `procedures.remote[14]` is REMOTE_PROC_DOMAIN_GET_XML_DESC.',
    ' */',
    'export const procedures: Readonly<Record<ProgramName, Readonly<Record<number, ProcedureInfo>>>> = Object.freeze({',
    ...programs.map((p) => `  ${p.name}: byNumber(${tableName(p.name)}),`),
    '});',
  );
  return out;
}
