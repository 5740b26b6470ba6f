/**
 * Unit tests of the `.x` lexer and parser (codegen/parser.ts), and of the
 * resolve-time errors of the model (codegen/model.ts): every construct of
 * libvirt's XDR dialect, and errors that name file:line:column.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Declaration, Definition, XFile } from '../../../codegen/ast.js';
import { generate } from '../../../codegen/generate.js';
import { Universe } from '../../../codegen/model.js';
import { parseNumber, parseX, tokenize, XParseError } from '../../../codegen/parser.js';
import { annotations } from '../../../codegen/procedures.js';

const FILE = 'test.x';
const parse = (text: string): XFile => parseX(FILE, text);
const only = (text: string): Definition => {
  const defs = parse(text).definitions;
  expect(defs).toHaveLength(1);
  return defs[0];
};
function as<K extends Definition['kind']>(def: Definition, kind: K): Extract<Definition, { kind: K }> {
  expect(def.kind).toBe(kind);
  return def as Extract<Definition, { kind: K }>;
}
const field = (text: string, name: string): Declaration => {
  const s = as(only(text), 'struct');
  const f = s.fields.find((x) => x.name === name);
  expect(f, `field ${name}`).toBeDefined();
  return f!;
};

/** Runs `fn` and returns the XParseError it throws. */
function parseError(fn: () => unknown): XParseError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an XParseError').toBeInstanceOf(XParseError);
  return caught as XParseError;
}

const universe = (...texts: string[]): Universe =>
  new Universe(
    texts.map((t, i) => ({ id: `m${i}`, path: `m${i}.x`, parsed: parseX(`m${i}.x`, t) })),
    new Map(),
  );

describe('numbers', () => {
  const loc = { file: FILE, line: 1, column: 1 };
  it.each([
    ['25', 25],
    ['0', 0],
    ['0x27', 0x27],
    ['0X7fffffff', 0x7fffffff],
    ['0xFFFFFFFF', 0xffffffff],
    ['031', 25],
    ['00', 0],
    ['-1', -1],
    ['-0x10', -16],
    ['-017', -15],
    ['2147483648', 2147483648],
  ])('parses %s as %d', (text, value) => {
    expect(parseNumber(text, loc)).toBe(value);
  });

  it.each(['09', '0x', '1x2', '12ab', '-'])('rejects %s', (text) => {
    expect(parseError(() => parseNumber(text, loc)).message).toMatch(/^test\.x:1:1: malformed number/);
  });
});

describe('constants', () => {
  it('keeps decimal, hex, octal and negative literals with their text', () => {
    const defs = parse('const A = 25;\nconst B = 0x27;\nconst C = 031;\nconst D = -5;\nconst E = A;\n').definitions;
    const values = defs.map((d) => as(d, 'const').value);
    expect(values.slice(0, 4)).toEqual([
      { kind: 'number', value: 25, text: '25' },
      { kind: 'number', value: 39, text: '0x27' },
      { kind: 'number', value: 25, text: '031' },
      { kind: 'number', value: -5, text: '-5' },
    ]);
    expect(values[4]).toEqual({ kind: 'name', name: 'A', loc: { file: FILE, line: 5, column: 11 } });
  });

  it('resolves named constants in any order, across modules, and through enum members', () => {
    const u = universe('const A = B; const B = 0x10;', 'enum e { X = A, Y = 031 }; const C = Y;');
    const c = (name: string): number => u.value({ kind: 'name', name, loc: { file: '', line: 0, column: 0 } });
    expect(c('A')).toBe(16);
    expect(c('X')).toBe(16);
    expect(c('C')).toBe(25);
  });

  it('records where each definition starts and its source text', () => {
    const defs = parse('\n\n  const  A = 1 ;\nconst B = 2;').definitions;
    expect(defs[0].loc).toEqual({ file: FILE, line: 3, column: 3 });
    expect(defs[0].source).toBe('const  A = 1 ;');
    expect(defs[1].loc).toEqual({ file: FILE, line: 4, column: 1 });
  });
});

describe('enums', () => {
  it('parses members, values, and comments including trailing ones', () => {
    const e = as(
      only(`enum filekind {
   TEXT = 0, /* ascii data */
   DATA = 1, /* raw data   */
   EXEC = 2  /* executable */
};`),
      'enum',
    );
    expect(e.name).toBe('filekind');
    expect(e.members.map((m) => [m.name, m.value])).toEqual([
      ['TEXT', { kind: 'number', value: 0, text: '0' }],
      ['DATA', { kind: 'number', value: 1, text: '1' }],
      ['EXEC', { kind: 'number', value: 2, text: '2' }],
    ]);
    expect(e.members[2].loc).toEqual({ file: FILE, line: 4, column: 4 });
  });

  it('accepts a trailing comma and values that name constants', () => {
    const e = as(only('enum e { A = 1, B = SOME_CONST, };'), 'enum');
    expect(e.members.map((m) => m.name)).toEqual(['A', 'B']);
    expect(e.members[1].value).toMatchObject({ kind: 'name', name: 'SOME_CONST' });
  });

  it('keeps the comment before each member (where procedure annotations live)', () => {
    const text = `enum remote_procedure {
    /* Each function must be preceded by a comment with annotations */

    /**
     * @generate: none
     * @priority: high
     * @acl: connect:getattr
     */
    REMOTE_PROC_CONNECT_OPEN = 1,

    /**
     * @generate: both
     * @readstream: 1
     * @sparseflag: VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM
     * @acl: storage_vol:data_read
     * @acl: storage_pool:read
     */
    REMOTE_PROC_STORAGE_VOL_DOWNLOAD = 2,
    REMOTE_PROC_NO_COMMENT = 3 /* after the last member */
};`;
    const e = as(only(text), 'enum');
    // Only the last comment before a member is kept.
    expect(e.members[0].comment).toContain('@priority: high');
    expect(e.members[0].comment).not.toContain('Each function');
    expect(e.members[2].comment).toBeNull();

    const open = annotations(e.members[0].comment);
    expect(open.get('generate')).toEqual(['none']);
    expect(open.get('priority')).toEqual(['high']);
    expect(open.get('acl')).toEqual(['connect:getattr']);

    const download = annotations(e.members[1].comment);
    expect(download.get('readstream')).toEqual(['1']);
    expect(download.get('sparseflag')).toEqual(['VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM']);
    expect(download.get('acl')).toEqual(['storage_vol:data_read', 'storage_pool:read']);
    expect(annotations(null).size).toBe(0);
  });

  it('does not give a member the comment that trails the previous member before its comma', () => {
    const e = as(only('enum e { A = 1 /* about A */, B = 2 };'), 'enum');
    expect(e.members[1].comment).toBeNull();
  });
});

describe('structs and declarations', () => {
  const all = `struct all {
  int i;
  unsigned int ui;
  unsigned u;
  hyper h;
  unsigned hyper uh;
  char c;
  unsigned char uc;
  short s;
  unsigned short us;
  bool b;
  float f;
  double d;
  string str<>;
  string bstr<64>;
  opaque fo[16];
  opaque vo<>;
  opaque bvo<MAX>;
  int *ip;
  other *op;
  int fa[3];
  int va<>;
  other bva<MAX>;
  struct other tagged;
};`;

  it('parses every primitive, with `unsigned` alone meaning unsigned int', () => {
    const prim = (name: string): string | undefined => {
      const t = field(all, name).type;
      return t.kind === 'primitive' ? t.name : undefined;
    };
    expect(prim('i')).toBe('int');
    expect(prim('ui')).toBe('unsigned int');
    expect(prim('u')).toBe('unsigned int');
    expect(prim('h')).toBe('hyper');
    expect(prim('uh')).toBe('unsigned hyper');
    expect(prim('c')).toBe('char');
    expect(prim('uc')).toBe('unsigned char');
    expect(prim('s')).toBe('short');
    expect(prim('us')).toBe('unsigned short');
    expect(prim('b')).toBe('bool');
    expect(prim('f')).toBe('float');
    expect(prim('d')).toBe('double');
  });

  it('parses `unsigned` alone before a field name the way virnetprotocol.x uses it', () => {
    const s = as(only('struct h {\n    unsigned prog;              /* Unique ID */\n    unsigned vers;\n    int proc;\n};'), 'struct');
    expect(s.fields.map((f) => [f.name, f.type])).toEqual([
      ['prog', { kind: 'primitive', name: 'unsigned int' }],
      ['vers', { kind: 'primitive', name: 'unsigned int' }],
      ['proc', { kind: 'primitive', name: 'int' }],
    ]);
  });

  it('parses strings, opaque, optional data, fixed and variable arrays', () => {
    expect(field(all, 'str').array).toEqual({ kind: 'variable', max: null });
    expect(field(all, 'bstr').array).toEqual({ kind: 'variable', max: { kind: 'number', value: 64, text: '64' } });
    expect(field(all, 'fo').array).toEqual({ kind: 'fixed', size: { kind: 'number', value: 16, text: '16' } });
    expect(field(all, 'vo').array).toEqual({ kind: 'variable', max: null });
    expect(field(all, 'bvo').array).toMatchObject({ kind: 'variable', max: { kind: 'name', name: 'MAX' } });
    expect(field(all, 'ip')).toMatchObject({ optional: true, array: { kind: 'none' }, type: { kind: 'primitive', name: 'int' } });
    expect(field(all, 'op')).toMatchObject({ optional: true, type: { kind: 'ref', name: 'other' } });
    expect(field(all, 'fa')).toMatchObject({ optional: false, array: { kind: 'fixed' } });
    expect(field(all, 'va').array).toEqual({ kind: 'variable', max: null });
    expect(field(all, 'bva')).toMatchObject({ type: { kind: 'ref', name: 'other' }, array: { kind: 'variable' } });
    expect(field(all, 'tagged').type).toMatchObject({ kind: 'ref', name: 'other' });
    expect(field(all, 'i').loc).toEqual({ file: FILE, line: 2, column: 3 });
  });

  it('resolves shapes through typedefs, with bounds from constants', () => {
    const u = universe(`const MAX = 0x10;
typedef string name<MAX>;
typedef name *maybe_name;
typedef opaque uuid[16];
enum color { RED = 1 };
struct pair { int a; int b; };
struct s { name n; maybe_name mn; uuid id; color c; pair p[2]; pair *pp; unsigned hyper big<MAX>; };`);
    const s = u.find('s')!.def;
    expect(s.kind).toBe('struct');
    const shapes = (s as Extract<Definition, { kind: 'struct' }>).fields.map((f) => u.shape(f));
    expect(shapes).toEqual([
      { k: 'string', max: 16 },
      { k: 'optional', of: { k: 'string', max: 16 } },
      { k: 'fixedOpaque', size: 16 },
      { k: 'enum', name: 'color' },
      { k: 'fixedArray', size: 2, of: { k: 'named', name: 'pair' } },
      { k: 'optional', of: { k: 'named', name: 'pair' } },
      { k: 'varArray', max: 16, of: { k: 'prim', prim: 'unsigned hyper' } },
    ]);
    expect(u.minSize({ k: 'named', name: 's' })).toBe(4 + 4 + 16 + 4 + 16 + 4 + 4);
  });
});

describe('unions', () => {
  it('parses a union with a default arm', () => {
    const u = as(only('union TestUnion switch (int type) {\n case 20:\n    int i1;\n case 30:\n    int i2;\n default:\n    int i3;\n};'), 'union');
    expect(u.discriminant).toMatchObject({ name: 'type', type: { kind: 'primitive', name: 'int' } });
    expect(u.arms.map((a) => [a.cases.map((c) => (c.kind === 'number' ? c.value : c.name)), a.decl?.name])).toEqual([
      [[20], 'i1'],
      [[30], 'i2'],
    ]);
    expect(u.defaultArm).toMatchObject({ name: 'i3' });
  });

  it('distinguishes no default arm (undefined) from `default: void;` (null)', () => {
    const none = as(only('union u switch (int type) { case 22: int i1; case 32: int i2; };'), 'union');
    expect(none.defaultArm).toBeUndefined();
    const voidDefault = as(only('union u switch (int type) { case 21: int i1; default: void; };'), 'union');
    expect(voidDefault.defaultArm).toBeNull();
  });

  it('parses void arms, several labels for one arm, enum discriminants and named labels', () => {
    const u = as(
      only(`union filetype switch (filekind kind) {
case TEXT:
   void; /* no extra information */
case DATA:
case EXEC:
   string creator<MAXNAMELEN>;
case -1:
   unsigned hyper neg;
};`),
      'union',
    );
    expect(u.discriminant.type).toMatchObject({ kind: 'ref', name: 'filekind' });
    expect(u.arms).toHaveLength(3);
    expect(u.arms[0].decl).toBeNull();
    expect(u.arms[1].cases.map((c) => (c.kind === 'name' ? c.name : c.value))).toEqual(['DATA', 'EXEC']);
    expect(u.arms[1].decl).toMatchObject({ name: 'creator', array: { kind: 'variable' } });
    expect(u.arms[2].cases).toEqual([{ kind: 'number', value: -1, text: '-1' }]);
  });

  it('parses the unsigned discriminant of libvirt’s typed params', () => {
    const u = as(only('union v switch (unsigned int type) { case 1: int i; };'), 'union');
    expect(u.discriminant.type).toEqual({ kind: 'primitive', name: 'unsigned int' });
  });
});

describe('typedefs', () => {
  it.each([
    ['typedef int TestIntScalar;', { optional: false, array: { kind: 'none' } }],
    ['typedef int *TestIntPointer;', { optional: true, array: { kind: 'none' } }],
    ['typedef int TestIntFixedArray[3];', { optional: false, array: { kind: 'fixed' } }],
    ['typedef int TestIntVariableArray<5>;', { optional: false, array: { kind: 'variable' } }],
    ['typedef string TestStringVariableArray<7>;', { array: { kind: 'variable' } }],
    ['typedef opaque TestOpaqueFixedArray[9];', { array: { kind: 'fixed' } }],
    ['typedef TestStruct TestStructScalar;', { type: { kind: 'ref', name: 'TestStruct' } }],
  ])('%s', (text, shape) => {
    const t = as(only(text), 'typedef');
    expect(t.decl).toMatchObject(shape);
    expect(t.name).toBe(t.decl.name);
    expect(t.source).toBe(text);
  });
});

describe('lexing', () => {
  it('drops % pass-through lines, keeping line numbers right', () => {
    const text = '%#include "internal.h"\n  %#include <x.h>\nconst A = 1;\n';
    const defs = parse(text).definitions;
    expect(defs).toHaveLength(1);
    expect(defs[0].loc).toEqual({ file: FILE, line: 3, column: 1 });
  });

  it('treats % in the middle of a line as an error, not a pass-through', () => {
    expect(parseError(() => parse('const A = 1; %x\n')).message).toBe('test.x:1:14: unexpected character "%"');
  });

  it('skips block and line comments and counts lines inside them', () => {
    const text = '/* one\n * two\n */ // three\n\tconst A = 1;';
    expect(parse(text).definitions[0].loc).toEqual({ file: FILE, line: 4, column: 2 });
  });

  it('handles CRLF line endings', () => {
    const defs = parse('const A = 1;\r\nconst B = 2;\r\n').definitions;
    expect(defs[1].loc).toEqual({ file: FILE, line: 2, column: 1 });
  });

  it('ends with one eof token', () => {
    const tokens = tokenize(FILE, 'const A = 1;');
    expect(tokens.map((t) => t.kind)).toEqual(['ident', 'ident', 'punct', 'number', 'punct', 'eof']);
  });

  it('accepts an empty file', () => {
    expect(parse('  /* nothing */\n').definitions).toEqual([]);
  });
});

describe('parse errors name file:line:column', () => {
  const cases: [string, string, string][] = [
    ['a missing ; after a field', 'struct s {\n  int a\n  int b;\n};', 'test.x:3:3: expected ";", found "int"'],
    ['a missing ; after a definition', 'const A = 1\nconst B = 2;', 'test.x:2:1: expected ";", found "const"'],
    ['a missing = in a constant', 'const A 1;', 'test.x:1:9: expected "=", found "1"'],
    ['an unknown keyword at top level', 'program P { };', 'test.x:1:1: expected const, enum, struct, union or typedef, found "program"'],
    ['a keyword used as a name', 'struct s { int int; };', 'test.x:1:16: expected a field name, found "int"'],
    ['an unterminated comment', 'const A = 1;\n  /* never closed', 'test.x:2:3: unterminated comment'],
    ['an unexpected character', 'const A = 1 $;', 'test.x:1:13: unexpected character "$"'],
    ['a malformed number', 'const A = 09;', 'test.x:1:11: malformed number "09"'],
    ['string without <>', 'struct s { string x; };', 'test.x:1:19: x: string must be declared with <n> or <>'],
    ['opaque without a size', 'struct s { opaque x; };', 'test.x:1:19: x: opaque must be declared with [n], <n> or <>'],
    ['optional and array at once', 'struct s { int *x<4>; };', 'test.x:1:17: x: a declaration cannot be both optional and an array'],
    ['quadruple', 'struct s { quadruple q; };', 'test.x:1:12: quadruple is not supported'],
    ['two default arms', 'union u switch (int t) { default: void; default: void; };', 'test.x:1:41: expected one default arm only, found "default"'],
    ['a union arm without case', 'union u switch (int t) { int x; };', 'test.x:1:26: expected case, default or }, found "int"'],
    ['an empty struct', 'struct s { };', 'test.x:1:13: expected at least one struct field, found ";"'],
    ['end of file inside a struct', 'struct s { int a;', 'test.x:1:18: expected a type, found "<end of file>"'],
  ];
  it.each(cases)('%s', (_, text, message) => {
    const err = parseError(() => parse(text));
    expect(err.message).toBe(message);
    expect(err.name).toBe('XParseError');
    const [, line, column] = /^test\.x:(\d+):(\d+):/.exec(message)!;
    expect(err.loc).toEqual({ file: FILE, line: Number(line), column: Number(column) });
  });
});

describe('resolve-time errors name file:line:column', () => {
  const gen = (text: string): Map<string, string> =>
    generate({
      xFiles: [{ id: 'm', path: 'm.x', text }],
      apiXml: [],
      libvirtVersion: '0.0.0',
      runtimeImport: '..',
      emitClients: false,
    });

  it('an unknown type', () => {
    const err = parseError(() => gen('struct s {\n  int a;\n  no_such_type b;\n};'));
    expect(err.message).toBe('m.x:3:3: unknown type no_such_type');
  });

  it('an unknown type behind a pointer or in a typedef', () => {
    expect(parseError(() => gen('typedef missing *p;')).message).toBe('m.x:1:9: unknown type missing');
  });

  it('an unknown constant in a bound', () => {
    expect(parseError(() => gen('struct s { string x<NO_SUCH_MAX>; };')).message).toBe('m.x:1:21: unknown constant NO_SUCH_MAX');
  });

  it('an unknown constant in a constant or an enum', () => {
    expect(parseError(() => gen('const A = 1;\nconst B = MISSING;')).message).toBe('m.x:2:11: unknown constant MISSING');
    expect(parseError(() => gen('enum e {\n  X = 1,\n  Y = NOPE\n};')).message).toBe('m.x:3:7: unknown constant NOPE');
  });

  it('a constant used as a type, and an enum type used as a constant', () => {
    expect(parseError(() => gen('const A = 1;\nstruct s { A x; };')).message).toBe('m.x:2:12: A is a constant, not a type');
    expect(parseError(() => gen('enum e { X = 1 };\nstruct s { int x[e]; };')).message).toBe('m.x:2:18: e is an enum type, not a constant');
  });

  it('a name defined twice, across modules', () => {
    const err = parseError(() => universe('const A = 1;', 'struct A { int x; };'));
    expect(err.message).toBe('m1.x:1:1: A is already defined in module m0');
  });
});

describe('the real protocol files', () => {
  const dir = fileURLToPath(new URL('../../../protocol/', import.meta.url));
  it.each(['virnetprotocol.x', 'virkeepaliveprotocol.x', 'remote_protocol.x', 'qemu_protocol.x', 'lxc_protocol.x', 'admin_protocol.x'])(
    '%s parses, and every definition’s source text is a slice of the file',
    (file) => {
      const text = readFileSync(dir + file, 'utf8');
      const parsed = parseX(file, text);
      expect(parsed.definitions.length).toBeGreaterThan(0);
      for (const d of parsed.definitions) {
        expect(text.includes(d.source)).toBe(true);
        expect(d.source.endsWith(';')).toBe(true);
        expect(text.split('\n')[d.loc.line - 1].slice(d.loc.column - 1)).toMatch(/^(const|enum|struct|union|typedef)\b/);
      }
    },
  );
});
