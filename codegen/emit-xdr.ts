/**
 * Emits the TypeScript of one `.x` module: constants, enums, a type per
 * struct/union/typedef, and its codecs. The types decoded in bulk (the elements of arrays, and
 * what they contain: see {@link bulkTypes}) get a specialised straight-line encoder and decoder;
 * every other type is one short description in the module's codec table, from which
 * `src/xdr/codec-schema.ts` builds the codec on first use (data, not code: a light import and a
 * small bundle).
 */
import type { Declaration, Definition } from './ast.js';
import { type Shape, type Universe, codecName, pascalCase } from './model.js';
import { bulkTypes } from './bulk-types.js';
import { Imports } from './imports.js';

/** Formats the `.x` source of a definition for a TSDoc block. */
export function docSource(source: string, indent = ''): string[] {
  return [`${indent} * \`\`\`c`, ...source.split('\n').map((l) => `${indent} * ${l.replace(/\*\//g, '*\\/').trimEnd()}`.trimEnd()), `${indent} * \`\`\``];
}

const SMALL_INT_RANGE: Record<string, [number, number]> = {
  char: [-128, 127],
  'unsigned char': [0, 255],
  short: [-32768, 32767],
  'unsigned short': [0, 65535],
};

const READER_METHOD: Record<string, string> = {
  int: 'int',
  'unsigned int': 'uint',
  hyper: 'hyper',
  'unsigned hyper': 'uhyper',
  bool: 'bool',
  float: 'float',
  double: 'double',
};

const TS_PRIMITIVE: Record<string, string> = {
  int: 'number',
  'unsigned int': 'number',
  hyper: 'bigint',
  'unsigned hyper': 'bigint',
  bool: 'boolean',
  float: 'number',
  double: 'number',
  char: 'number',
  'unsigned char': 'number',
  short: 'number',
  'unsigned short': 'number',
  string: 'string',
  opaque: 'Uint8Array',
};

const q = (s: string): string => `'${s}'`;

/** The letters of the primitive shapes in a codec description (src/xdr/codec-schema.ts). */
const SCHEMA_PRIMITIVE: Record<string, string> = {
  int: 'i',
  'unsigned int': 'u',
  hyper: 'h',
  'unsigned hyper': 'H',
  bool: 'b',
  float: 'f',
  double: 'd',
  char: 'c',
  'unsigned char': 'C',
  short: 't',
  'unsigned short': 'T',
};

const bound = (max: number | null): string => (max === null ? '' : `, ${max}`);

/** Emits one module. */
export class ModuleEmitter {
  readonly imports: Imports;
  private tmp = 0;
  /** The codec table: each entry's `.x` name, TypeScript type name and description. */
  private readonly table: { xName: string; Name: string; desc: string }[] = [];
  /** Table indexes of the module's table entries, by `.x` name (known before any is described). */
  private readonly tableIndex = new Map<string, number>();
  /** The codec table's references (`@k`): expressions naming codecs of straight-line code. */
  private readonly refs: string[] = [];

  constructor(
    private readonly universe: Universe,
    private readonly moduleId: string,
    /** Types whose codecs are straight-line code (see {@link bulkTypes}); every other one is a table entry. */
    private readonly bulk: ReadonlySet<string> = new Set(),
  ) {
    this.imports = new Imports(moduleId);
    const own = this.universe.modules.find((m) => m.id === moduleId);
    for (const def of own?.parsed.definitions ?? []) {
      if (def.kind !== 'const' && !this.bulk.has(def.name)) this.tableIndex.set(def.name, this.tableIndex.size);
    }
  }

  /** The TypeScript type of a declaration, keeping typedef names. */
  declType(decl: Declaration): string {
    let base: string;
    if (decl.type.kind === 'primitive') {
      base = TS_PRIMITIVE[decl.type.name];
      if (decl.type.name === 'string' || decl.type.name === 'opaque') return base;
    } else {
      const { def, module } = this.universe.lookup(decl.type.name, decl.type.loc);
      base = this.imports.type(module, pascalCase(def.name));
    }
    if (decl.optional) return `${base} | null`;
    if (decl.array.kind !== 'none') return base.includes('|') ? `(${base})[]` : `${base}[]`;
    return base;
  }

  /** The TypeScript type of a shape (used for array element temporaries). */
  shapeType(s: Shape): string {
    switch (s.k) {
      case 'prim':
        return TS_PRIMITIVE[s.prim];
      case 'string':
        return 'string';
      case 'opaque':
      case 'fixedOpaque':
        return 'Uint8Array';
      case 'enum':
      case 'named': {
        const { module } = this.universe.lookup(s.name, { file: '', line: 0, column: 0 });
        return this.imports.type(module, pascalCase(s.name));
      }
      case 'optional':
        return `${this.shapeType(s.of)} | null`;
      case 'fixedArray':
      case 'varArray': {
        const inner = this.shapeType(s.of);
        return inner.includes('|') ? `(${inner})[]` : `${inner}[]`;
      }
    }
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.tmp++}`;
  }

  private call(name: string, kind: 'encode' | 'decode'): string {
    const { module } = this.universe.lookup(name, { file: '', line: 0, column: 0 });
    if (module === this.moduleId) return `${kind}${pascalCase(name)}`;
    return `${this.imports.value(module, codecName(name))}.${kind}`;
  }

  /** Statements that write `v` (an expression without side effects) of shape `s`. */
  encode(s: Shape, v: string, what: string, indent: string): string[] {
    switch (s.k) {
      case 'prim': {
        const range = SMALL_INT_RANGE[s.prim];
        if (range) return [`${indent}w.smallInt(${v}, ${q(what)}, ${range[0]}, ${range[1]});`];
        return [`${indent}w.${READER_METHOD[s.prim]}(${v}, ${q(what)});`];
      }
      case 'string':
        return [`${indent}w.string(${v}, ${q(what)}${bound(s.max)});`];
      case 'opaque':
        return [`${indent}w.opaque(${v}, ${q(what)}${bound(s.max)});`];
      case 'fixedOpaque':
        return [`${indent}w.fixedOpaque(${v}, ${q(what)}, ${s.size});`];
      case 'enum':
        return [`${indent}w.int(${v}, ${q(what)});`];
      case 'named':
        return [`${indent}${this.call(s.name, 'encode')}(w, ${v});`];
      case 'optional': {
        return [
          `${indent}if (${v} == null) {`,
          `${indent}  w.bool(false, ${q(what)});`,
          `${indent}} else {`,
          `${indent}  w.bool(true, ${q(what)});`,
          ...this.encode(s.of, v, what, indent + '  '),
          `${indent}}`,
        ];
      }
      case 'fixedArray':
      case 'varArray': {
        const a = this.fresh('a');
        const i = this.fresh('i');
        const check =
          s.k === 'fixedArray'
            ? `w.fixedArray(${v}, ${q(what)}, ${s.size})`
            : `w.array(${v}, ${q(what)}, ${s.max ?? 0xffffffff}, ${this.universe.minSize(s.of)})`;
        return [
          `${indent}{`,
          `${indent}  const ${a} = ${check};`,
          `${indent}  for (let ${i} = 0; ${i} < ${a}.length; ${i}++) {`,
          ...this.encode(s.of, `${a}[${i}]`, what, indent + '    '),
          `${indent}  }`,
          `${indent}}`,
        ];
      }
    }
  }

  /** Statements that read a value of shape `s`, and the expression that yields it. */
  decode(s: Shape, what: string, indent: string): { pre: string[]; expr: string } {
    switch (s.k) {
      case 'prim': {
        const range = SMALL_INT_RANGE[s.prim];
        if (range) return { pre: [], expr: `r.smallInt(${q(what)}, ${range[0]}, ${range[1]})` };
        return { pre: [], expr: `r.${READER_METHOD[s.prim]}(${q(what)})` };
      }
      case 'string':
        return { pre: [], expr: `r.string(${q(what)}${bound(s.max)})` };
      case 'opaque':
        return { pre: [], expr: `r.opaque(${q(what)}${bound(s.max)})` };
      case 'fixedOpaque':
        return { pre: [], expr: `r.fixedOpaque(${q(what)}, ${s.size})` };
      case 'enum':
        return { pre: [], expr: `r.int(${q(what)}) as ${this.shapeType(s)}` };
      case 'named':
        return { pre: [], expr: `${this.call(s.name, 'decode')}(r)` };
      case 'optional': {
        const inner = this.decode(s.of, what, indent + '  ');
        if (inner.pre.length === 0) return { pre: [], expr: `r.bool(${q(what)}) ? ${inner.expr} : null` };
        const t = this.fresh('o');
        return {
          pre: [
            `${indent}let ${t}: ${this.shapeType(s)} = null;`,
            `${indent}if (r.bool(${q(what)})) {`,
            ...inner.pre,
            `${indent}  ${t} = ${inner.expr};`,
            `${indent}}`,
          ],
          expr: t,
        };
      }
      case 'fixedArray':
      case 'varArray': {
        const n = this.fresh('n');
        const a = this.fresh('a');
        const i = this.fresh('i');
        const inner = this.decode(s.of, what, indent + '  ');
        const count =
          s.k === 'fixedArray' ? `const ${n} = ${s.size};` : `const ${n} = r.length(${q(what)}, ${s.max ?? 0xffffffff}, ${this.universe.minSize(s.of)});`;
        return {
          pre: [
            `${indent}${count}`,
            `${indent}const ${a}: ${this.shapeType(s)} = new Array(${n});`,
            `${indent}for (let ${i} = 0; ${i} < ${n}; ${i}++) {`,
            ...inner.pre,
            `${indent}  ${a}[${i}] = ${inner.expr};`,
            `${indent}}`,
          ],
          expr: a,
        };
      }
    }
  }

  /** The TypeScript of one definition. */
  definition(def: Definition): string[] {
    const doc = ['/**', ...docSource(def.source), ' */'];
    const Name = pascalCase(def.name);
    if (def.kind !== 'const' && this.tableIndex.has(def.name)) return [...doc, ...this.described(def, Name)];
    switch (def.kind) {
      case 'const':
        return [...doc, `export const ${def.name} = ${this.universe.value(def.value)};`];
      case 'enum':
        return [
          ...doc,
          `export const ${Name} = {`,
          ...def.members.map((m) => `  ${m.name}: ${this.universe.value(m.value)},`),
          '} as const;',
          `/** A value of the \`.x\` enum \`${def.name}\`. */`,
          `export type ${Name} = (typeof ${Name})[keyof typeof ${Name}];`,
          ...this.codecObject(def.name, Name, [`  w.int(v, '${def.name}');`], [`  return r.int('${def.name}') as ${Name};`]),
        ];
      case 'typedef': {
        const s = this.universe.shape(def.decl);
        const dec = this.decode(s, def.name, '  ');
        return [
          ...doc,
          `export type ${Name} = ${this.declType(def.decl)};`,
          ...this.codecObject(def.name, Name, this.encode(s, 'v', def.name, '  '), [...dec.pre, `  return ${dec.expr};`]),
        ];
      }
      case 'struct':
        return [...doc, ...this.struct(def.name, Name, def.fields)];
      case 'union':
        return [...doc, ...this.union(def)];
    }
  }

  /**
   * A bulk type's definition (see {@link bulkTypes}) in two parts: its TypeScript type, with its
   * doc, and its straight-line codec (the encode and decode functions, then the codec object), so
   * that a program's codecs of bulk types can be declared once in a module of their own
   * (`<id>-bulk.gen.ts`, see codegen/generate.ts) apart from the types.
   */
  bulkDefinition(def: Exclude<Definition, { kind: 'const' }>): { type: string[]; codec: string[] } {
    const lines = this.definition(def);
    const from = lines.findIndex((l) => l.startsWith(`function encode${pascalCase(def.name)}(`));
    if (!this.bulk.has(def.name) || from < 0) throw new Error(`${def.name}: no straight-line codec`);
    return { type: lines.slice(0, from), codec: lines.slice(from) };
  }

  private codecObject(xName: string, Name: string, encodeBody: string[], decodeBody: string[]): string[] {
    return [
      `function encode${Name}(w: XdrWriter, v: ${Name}): void {`,
      ...encodeBody,
      '}',
      `function decode${Name}(r: XdrReader): ${Name} {`,
      ...decodeBody,
      '}',
      `/** Encoder and decoder of \`${xName}\`. */`,
      `export const ${codecName(xName)}: XdrCodec<${Name}> = { name: '${xName}', encode: encode${Name}, decode: decode${Name} };`,
    ];
  }

  private struct(xName: string, Name: string, fields: readonly Declaration[]): string[] {
    const enc: string[] = [`  if (typeof v !== 'object' || v === null) invalidError('${xName}', 'an object', v);`];
    const dec: string[] = [];
    const locals: string[] = [];
    for (const f of fields) {
      const s = this.universe.shape(f);
      const what = `${xName}.${f.name}`;
      enc.push(...this.encode(s, `v.${f.name}`, what, '  '));
      const d = this.decode(s, what, '  ');
      dec.push(...d.pre);
      const local = `f_${f.name}`;
      dec.push(`  const ${local} = ${d.expr};`);
      locals.push(`${f.name}: ${local}`);
    }
    dec.push(`  return { ${locals.join(', ')} };`);
    return [`export interface ${Name} {`, ...fields.map((f) => `  ${f.name}: ${this.declType(f)};`), '}', ...this.codecObject(xName, Name, enc, dec)];
  }

  private union(def: Extract<Definition, { kind: 'union' }>): string[] {
    const Name = pascalCase(def.name);
    const disc = def.discriminant;
    const discShape = this.universe.shape(disc);
    const variants: string[] = [];
    const enc: string[] = [
      `  if (typeof v !== 'object' || v === null) invalidError('${def.name}', 'an object', v);`,
      ...this.encode(discShape, `v.${disc.name}`, `${def.name}.${disc.name}`, '  '),
      `  switch (v.${disc.name}) {`,
    ];
    const discDecode = this.decode(discShape, `${def.name}.${disc.name}`, '  ');
    const dec: string[] = [`  const d = ${discDecode.expr};`, '  switch (d) {'];
    for (const arm of def.arms) {
      const values = arm.cases.map((c) => this.universe.value(c));
      const lit = values.join(' | ');
      const field = arm.decl ? `; ${arm.decl.name}: ${this.declType(arm.decl)}` : '';
      variants.push(`{ ${disc.name}: ${lit}${field} }`);
      const labels = values.map((x, i) => `    case ${x}:${i === values.length - 1 ? ' {' : ''}`);
      if (arm.decl) {
        const s = this.universe.shape(arm.decl);
        const what = `${def.name}.${arm.decl.name}`;
        enc.push(...labels, `      const a = v as Extract<${Name}, { ${disc.name}: ${lit} }>;`);
        enc.push(...this.encode(s, `a.${arm.decl.name}`, what, '      '), '      break;', '    }');
        const d = this.decode(s, what, '      ');
        dec.push(...labels, ...d.pre, `      return { ${disc.name}: d, ${arm.decl.name}: ${d.expr} } as ${Name};`, '    }');
      } else {
        enc.push(...labels, '      break;', '    }');
        dec.push(...labels, `      return { ${disc.name}: d } as ${Name};`, '    }');
      }
    }
    enc.push('    default:');
    dec.push('    default:');
    if (def.defaultArm === undefined) {
      const msg = `\`no arm for ${disc.name} \${`;
      enc.push(
        `      throw new XdrError(XdrErrorCode.BAD_DISCRIMINANT, '${def.name}', ${msg}(v as { ${disc.name}: unknown }).${disc.name}} and no default arm\`);`,
      );
      dec.push(`      throw new XdrError(XdrErrorCode.BAD_DISCRIMINANT, '${def.name}', ${msg}d} and no default arm\`);`);
    } else if (def.defaultArm === null) {
      variants.push(`{ ${disc.name}: ${this.shapeType(discShape)} }`);
      enc.push('      break;');
      dec.push(`      return { ${disc.name}: d } as ${Name};`);
    } else {
      const arm = def.defaultArm;
      variants.push(`{ ${disc.name}: ${this.shapeType(discShape)}; ${arm.name}: ${this.declType(arm)} }`);
      const s = this.universe.shape(arm);
      const what = `${def.name}.${arm.name}`;
      enc[enc.length - 1] = '    default: {';
      dec[dec.length - 1] = '    default: {';
      enc.push(`      const a = v as Extract<${Name}, { ${arm.name}: unknown }>;`);
      enc.push(...this.encode(s, `a.${arm.name}`, what, '      '), '      break;', '    }');
      const d = this.decode(s, what, '      ');
      dec.push(...d.pre, `      return { ${disc.name}: d, ${arm.name}: ${d.expr} } as ${Name};`, '    }');
    }
    enc.push('  }');
    dec.push('  }');
    return [
      `export type ${Name} =`,
      ...variants.map((x, i) => `  | ${x}${i === variants.length - 1 ? ';' : ''}`),
      ...this.codecObject(def.name, Name, enc, dec),
    ];
  }

  /** The type of a table entry, its codec left to the table (see {@link codecTable}). */
  private described(def: Exclude<Definition, { kind: 'const' }>, Name: string): string[] {
    let types: string[];
    let desc: string;
    switch (def.kind) {
      case 'enum':
        types = [
          `export const ${Name} = {`,
          ...def.members.map((m) => `  ${m.name}: ${this.universe.value(m.value)},`),
          '} as const;',
          `/** A value of the \`.x\` enum \`${def.name}\`. */`,
          `export type ${Name} = (typeof ${Name})[keyof typeof ${Name}];`,
        ];
        desc = '#';
        break;
      case 'typedef':
        types = [`export type ${Name} = ${this.declType(def.decl)};`];
        desc = `=${this.describe(this.universe.shape(def.decl))}`;
        break;
      case 'struct':
        types = [`export interface ${Name} {`, ...def.fields.map((f) => `  ${f.name}: ${this.declType(f)};`), '}'];
        desc = `{${def.fields.map((f) => `${f.name}:${this.describe(this.universe.shape(f))}`).join(' ')}}`;
        break;
      case 'union': {
        const disc = def.discriminant;
        const discShape = this.universe.shape(disc);
        const variants: string[] = [];
        const arms: string[] = [];
        for (const arm of def.arms) {
          const values = arm.cases.map((c) => this.universe.value(c));
          variants.push(`{ ${disc.name}: ${values.join(' | ')}${arm.decl ? `; ${arm.decl.name}: ${this.declType(arm.decl)}` : ''} }`);
          arms.push(`${values.join(',')}:${arm.decl ? `${arm.decl.name}:${this.describe(this.universe.shape(arm.decl))}` : ':'}`);
        }
        if (def.defaultArm === null) {
          variants.push(`{ ${disc.name}: ${this.shapeType(discShape)} }`);
          arms.push('*::');
        } else if (def.defaultArm !== undefined) {
          const arm = def.defaultArm;
          variants.push(`{ ${disc.name}: ${this.shapeType(discShape)}; ${arm.name}: ${this.declType(arm)} }`);
          arms.push(`*:${arm.name}:${this.describe(this.universe.shape(arm))}`);
        }
        types = [`export type ${Name} =`, ...variants.map((x, i) => `  | ${x}${i === variants.length - 1 ? ';' : ''}`)];
        desc = `(${disc.name}:${this.describe(discShape)}${arms.map((a) => ` ${a}`).join('')})`;
        break;
      }
    }
    this.table.push({ xName: def.name, Name, desc: def.name + desc });
    return types;
  }

  /** The codec table's entries so far, in order (`#k` in a description is entry `k`). */
  get tableEntries(): readonly { readonly xName: string; readonly Name: string; readonly desc: string }[] {
    return this.table;
  }

  /** The codec table's references (`@k` in a description names `tableRefs[k]`). */
  get tableRefs(): readonly string[] {
    return this.refs;
  }

  /** Whether the module has a codec table (see {@link codecTable}). */
  get hasCodecTable(): boolean {
    return this.table.length > 0;
  }

  /**
   * How the module's procedure table names the codec of a type: its index in the codec table
   * (so that a bundle needs no variable per codec to make calls), or the codec's name.
   */
  codecRef(xName: string): string {
    const i = this.tableIndex.get(xName);
    return i === undefined ? codecName(xName) : String(i);
  }

  /** A shape in the description language of src/xdr/codec-schema.ts. */
  private describe(s: Shape): string {
    switch (s.k) {
      case 'prim':
        return SCHEMA_PRIMITIVE[s.prim];
      case 'enum':
        return 'i';
      case 'string':
        return `s${s.max ?? ''}`;
      case 'opaque':
        return `o${s.max ?? ''}`;
      case 'fixedOpaque':
        return `O${s.size}`;
      case 'optional':
        return `?${this.describe(s.of)}`;
      case 'fixedArray':
        return `A${s.size}${this.describe(s.of)}`;
      case 'varArray':
        return `a${s.max ?? ''},${this.universe.minSize(s.of)}${this.describe(s.of)}`;
      case 'named': {
        const local = this.tableIndex.get(s.name);
        if (local !== undefined) return `#${local}`;
        const { module } = this.universe.lookup(s.name, { file: '', line: 0, column: 0 });
        const ref = this.imports.value(module, codecName(s.name));
        let k = this.refs.indexOf(ref);
        if (k < 0) k = this.refs.push(ref) - 1;
        return `@${k}`;
      }
    }
  }

  /**
   * The module's codec table (after every definition, so that the straight-line codecs it refers
   * to exist), and apart from it the named exports of its codecs; nothing when every codec is
   * straight-line code. The exports go to the module's public file (`<id>.gen.ts`) and the rest
   * of the module, table included, to its core file (`<id>-core.gen.ts`, which the public file
   * re-exports): the library imports the core (the procedure table names codecs by index), and
   * only `libvirt-rpc/protocol` and tests import the public file, so importing the root entry
   * compiles no export per codec.
   */
  codecTable(split: boolean): { table: string[]; exports: string[] } {
    if (this.table.length === 0) return { table: [], exports: [] };
    const table = split ? codecTableName(this.moduleId) : 'codecs';
    const doc = '/** The codecs of the types described in this module (built on first use: src/xdr/codec-schema.ts). */';
    // Pure: a bundle keeps only the codecs it names (the procedure table uses their indexes).
    const exports = this.table.flatMap((t, i) => [
      `/** Encoder and decoder of \`${t.xName}\`. */`,
      `export const ${codecName(t.xName)}: XdrCodec<${t.Name}> = /*@__PURE__*/ ${table}.at(${i})!;`,
    ]);
    const rows = [`[${this.refs.join(', ')}], [`, ...this.table.map((t) => `  ${q(t.desc)},`), ']);'];
    if (!split) return { table: ['', doc, `const codecs = /*@__PURE__*/ codecTable(${rows[0]}`, ...rows.slice(1), ...exports], exports: [] };
    return {
      table: [
        '',
        '/**',
        ` * The codecs of the types described in this module (built on first use: src/xdr/codec-schema.ts), by index;`,
        ` * each is exported by name from \`${this.moduleId}.gen.ts\`.`,
        ' * @internal',
        ' */',
        `export const ${table}: readonly XdrCodec<never>[] = /*@__PURE__*/ codecTable(${rows[0]}`,
        ...rows.slice(1),
      ],
      exports,
    };
  }

  /** The type names the named codec exports refer to (imported by the public file). */
  get tableTypeNames(): string[] {
    return this.table.map((t) => t.Name);
  }
}

/** The name of a module's exported codec table: `remoteCodecTable`. */
export function codecTableName(moduleId: string): string {
  return `${moduleId.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}CodecTable`;
}
