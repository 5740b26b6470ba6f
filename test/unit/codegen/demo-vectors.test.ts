/**
 * Conformance against upstream's own XDR generator vectors
 * (libvirt `scripts/rpcgen/tests/`): every `test_demo_<case>.bin` decodes, with
 * the codec generated from `demo.x`, to the value upstream's `test_demo.c`
 * encoded, and that value encodes back to the same bytes. The cases upstream
 * expects to fail (`*_overflow`, `union_no_default_default`) fail here too,
 * on encode and on decode.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeXdr, encodeXdr, type XdrCodec } from '../../../src/xdr/codec.js';
import { XdrError, XdrErrorCode } from '../../../src/xdr/errors.js';
import { XdrWriter } from '../../../src/xdr/writer.js';
import { generate } from '../../../codegen/generate.js';
import * as demo from '../../generated/demo.gen.js';
import type { TestEnum, TestStruct, TestStructAllTypes, TestUnion } from '../../generated/demo.gen.js';

const vectorDir = fileURLToPath(new URL('../../fixtures/upstream/test-vectors/rpcgen/', import.meta.url));
const bin = (name: string): Buffer => readFileSync(`${vectorDir}test_demo_${name}.bin`);

// Values from upstream's test_demo.c (the 11.3.0 version that wrote these .bin files).
const ONE = demo.TestEnum.TEST_ENUM_ONE;
const TWO = demo.TestEnum.TEST_ENUM_TWO;
/** TEST_STRUCT_INIT and TEST_STRUCT_INIT_ALT. */
const SI: TestStruct = { c1: 0x4a, c2: 0x7e };
const SA: TestStruct = { c1: 0x09, c2: 0x07 };
/** TEST_UNION_INIT and TEST_UNION_INIT_ALT (the second takes the default arm). */
const UI: TestUnion = { type: 20, i1: 1729 };
const UA: TestUnion = { type: 1729, i3: 87539319 };
/** A zero-initialised TestUnion: discriminant 0, so the default arm with i3 = 0. */
const UZ: TestUnion = { type: 0, i3: 0 };

/** The order in which test_demo.c lists INIT (true) and INIT_ALT (false) in its fixed arrays. */
const PATTERN = [true, false, true, false, false, true, false, true, true, true, true, true, false, false, true, true];
const cycle = <T>(n: number, init: T, alt: T): T[] => Array.from({ length: n }, (_, i) => (PATTERN[i % 16] ? init : alt));
const alternate = (n: number): TestEnum[] => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? ONE : TWO));
const zeros = (n: number): number[] => new Array<number>(n).fill(0);

const allTypes: TestStructAllTypes = {
  sc: 'x'.charCodeAt(0),
  suc: 'y'.charCodeAt(0),
  ss: -7,
  sus: 14,
  si: -1729,
  sui: 1729,
  sh: -87539319n,
  suh: (1n << 64n) - 87539319n, // -87539319 stored in an unsigned 64-bit field
  sb: true,
  sf: Math.fround(0.1729),
  sd: 8753.9319,
  ip: 1729,
  ifa: [1, 2, 3, ...zeros(22)],
  iva: [7, 8, 9],
  stva: 'hello',
  ofa: new Uint8Array([
    ...[0x1, 0x2, 0x3, 0xff, 0xff, 0xff, 0xff, 0x1],
    ...[0x1, 0x2, 0x3, 0xff, 0xff, 0xff, 0xff, 0x1],
    ...[0x1, 0x2, 0x3, 0xff, 0xff, 0xff, 0xff, 0x1],
    ...[0x1, 0x2, 0x3, 0xff, 0xff, 0xff, 0xff, 0x1],
    0xff,
  ]),
  ova: new Uint8Array([0x1, 0xca, 0xfe]),
  e1: ONE,
  e2: TWO,
  ep: TWO,
  efa: alternate(37),
  eva: [TWO, ONE, TWO],
  s: SI,
  sp: SI,
  sfa: cycle(41, SI, SA),
  sva: [SI, SA, SI],
  u: UI,
  up: UI,
  ufa: cycle<TestUnion>(45, UI, UA),
  uva: [UI, UA, UA],
  tis: 1729,
  tip: 1729,
  tifa: [1, 2, 3],
  tiva: [7, 8, 9],
  tstva: 'hello',
  tofa: new Uint8Array([0x1, 0x2, 0x3, 0xff, 0xff, 0xff, 0xff, 0x1, 0xff]),
  tova: new Uint8Array([0x1, 0xca, 0xfe]),
  tes: ONE,
  tep: TWO,
  tefa: alternate(13),
  teva: [TWO, ONE, TWO],
  tss: SI,
  tsp: SI,
  tsfa: cycle(17, SI, SA),
  tsva: [SI, SA, SI],
  tu: UI,
  tup: UI,
  tufa: cycle<TestUnion>(21, UI, UA),
  tuva: [UI, UA, UA],
};

interface VectorCase {
  readonly name: string;
  readonly codec: XdrCodec<never>;
  readonly value: unknown;
}
const vector = <T>(name: string, codec: XdrCodec<T>, value: T): VectorCase => ({
  name,
  codec: codec as unknown as XdrCodec<never>,
  value,
});

const cases: VectorCase[] = [
  vector('enum', demo.testEnumCodec, TWO),
  vector('struct', demo.testStructCodec, { c1: 'a'.charCodeAt(0), c2: 'b'.charCodeAt(0) }),
  vector('union_case', demo.testUnionCodec, { type: 20, i1: 1729 }),
  vector('union_default', demo.testUnionCodec, { type: 87539319, i3: 1729 }),
  vector('union_void_default_case', demo.testUnionVoidDefaultCodec, { type: 21, i1: 1729 }),
  vector('union_void_default_default', demo.testUnionVoidDefaultCodec, { type: 87539319 }),
  vector('union_no_default_case', demo.testUnionNoDefaultCodec, { type: 22, i1: 1729 }),
  vector('int_scalar', demo.testIntScalarCodec, 1729),
  vector('int_pointer_set', demo.testIntPointerCodec, 1729),
  vector('int_pointer_null', demo.testIntPointerCodec, null),
  vector('int_fixed_array', demo.testIntFixedArrayCodec, [1729, 0, 87539319]),
  vector('int_variable_array_set', demo.testIntVariableArrayCodec, [1729, 0, 87539319]),
  vector('int_variable_array_empty', demo.testIntVariableArrayCodec, []),
  vector('string_variable_array_set', demo.testStringVariableArrayCodec, 'taxis'),
  vector('string_variable_array_empty', demo.testStringVariableArrayCodec, ''),
  vector('opaque_fixed_array', demo.testOpaqueFixedArrayCodec, new Uint8Array([0xca, 0xfe, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78])),
  vector('opaque_variable_array_set', demo.testOpaqueVariableArrayCodec, new Uint8Array([0xca, 0xfe, 0x12])),
  vector('opaque_variable_array_empty', demo.testOpaqueVariableArrayCodec, new Uint8Array(0)),
  vector('enum_scalar', demo.testEnumScalarCodec, TWO),
  vector('enum_pointer_set', demo.testEnumPointerCodec, TWO),
  vector('enum_pointer_null', demo.testEnumPointerCodec, null),
  // 11 initialisers for 13 elements: C zero-fills the rest, with 0 (no TestEnum member).
  vector('enum_fixed_array', demo.testEnumFixedArrayCodec, [...alternate(11), 0 as TestEnum, 0 as TestEnum]),
  vector('enum_variable_array_set', demo.testEnumVariableArrayCodec, [ONE, TWO, ONE]),
  vector('enum_variable_array_empty', demo.testEnumVariableArrayCodec, []),
  vector('struct_scalar', demo.testStructScalarCodec, SI),
  vector('struct_pointer_set', demo.testStructPointerCodec, SI),
  vector('struct_pointer_null', demo.testStructPointerCodec, null),
  // Unlike the arrays inside TestStructAllTypes, the 17th element here is INIT_ALT.
  vector('struct_fixed_array', demo.testStructFixedArrayCodec, [...cycle(16, SI, SA), SA]),
  vector('struct_variable_array_set', demo.testStructVariableArrayCodec, [SI, SA, SA]),
  vector('struct_variable_array_empty', demo.testStructVariableArrayCodec, []),
  vector('union_scalar', demo.testUnionScalarCodec, UI),
  vector('union_pointer_set', demo.testUnionPointerCodec, UI),
  vector('union_pointer_null', demo.testUnionPointerCodec, null),
  // 17 initialisers for 21 elements: the zero-filled rest take the default arm.
  vector('union_fixed_array', demo.testUnionFixedArrayCodec, [...cycle<TestUnion>(16, UI, UA), UA, UZ, UZ, UZ, UZ]),
  vector('union_variable_array_set', demo.testUnionVariableArrayCodec, [UI, UA, UA]),
  vector('union_variable_array_empty', demo.testUnionVariableArrayCodec, []),
  vector('test_struct_all_types', demo.testStructAllTypesCodec, allTypes),
];

describe('upstream rpcgen vectors (test_demo_*.bin)', () => {
  it('has a case for every .bin file, and a .bin file for every case', () => {
    const files = readdirSync(vectorDir)
      .filter((f) => f.endsWith('.bin'))
      .map((f) => f.replace(/^test_demo_/, '').replace(/\.bin$/, ''))
      .sort();
    expect(files).toEqual(cases.map((c) => c.name).sort());
    expect(files).toHaveLength(37);
  });

  for (const c of cases) {
    describe(c.name, () => {
      it('decodes to the value upstream encoded', () => {
        expect(decodeXdr(c.codec, bin(c.name))).toEqual(c.value);
      });

      it('encodes that value to the same bytes', () => {
        expect(Buffer.from(encodeXdr(c.codec, c.value as never)).equals(bin(c.name))).toBe(true);
      });

      it('round-trips decode → encode byte for byte', () => {
        const bytes = bin(c.name);
        expect(Buffer.from(encodeXdr(c.codec, decodeXdr(c.codec, bytes))).equals(bytes)).toBe(true);
      });

      it('rejects the same bytes with one byte missing (XDR_TRUNCATED) or one word extra (XDR_TRAILING)', () => {
        const bytes = bin(c.name);
        expectXdrError(() => decodeXdr(c.codec, bytes.subarray(0, bytes.length - 1)), XdrErrorCode.TRUNCATED);
        expectXdrError(() => decodeXdr(c.codec, Buffer.concat([bytes, Buffer.alloc(4)])), XdrErrorCode.TRAILING);
      });
    });
  }

  it('decodes opaque data as a Uint8Array view of the input, and the char fields of TestStruct as their code points', () => {
    const input = bin('test_struct_all_types');
    const v = decodeXdr(demo.testStructAllTypesCodec, input);
    expect(Object.getPrototypeOf(v.ofa)).toBe(Uint8Array.prototype);
    expect(v.ofa).toHaveLength(33);
    expect(v.ofa.buffer).toBe(input.buffer);
    expect(decodeXdr(demo.testStructCodec, bin('struct'))).toEqual({ c1: 97, c2: 98 });
  });
});

function expectXdrError(fn: () => unknown, code: string): XdrError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an XdrError').toBeInstanceOf(XdrError);
  const err = caught as XdrError;
  expect(err.code).toBe(code);
  return err;
}

/** Hand-built XDR: a length word followed by 32-bit words. */
function words(...values: number[]): Buffer {
  const w = new XdrWriter();
  for (const v of values) w.uint(v >>> 0, 'test');
  return Buffer.from(w.toBytes());
}

describe('upstream cases that must fail to encode (no .bin file)', () => {
  interface OverflowCase {
    readonly name: string;
    readonly codec: XdrCodec<never>;
    readonly value: unknown;
    readonly what: string;
    readonly limit: number;
    readonly length: number;
    /** The same overflow, as bytes a peer could send. */
    readonly bytes: Buffer;
  }
  const overflow = <T>(name: string, codec: XdrCodec<T>, value: T, what: string, limit: number, length: number, bytes: Buffer): OverflowCase => ({
    name,
    codec: codec as unknown as XdrCodec<never>,
    value,
    what,
    limit,
    length,
    bytes,
  });

  const structWords = (n: number): number[] => Array.from({ length: n }, () => [0x4a, 0x7e]).flat();
  const unionWords = (n: number): number[] => Array.from({ length: n }, () => [20, 1729]).flat();

  const overflows: OverflowCase[] = [
    // test_int_variable_array_overflow: _len 6 against <5>.
    overflow(
      'int_variable_array_overflow',
      demo.testIntVariableArrayCodec,
      [1729, 0, 87539319, 0, 1729, 0],
      'TestIntVariableArray',
      5,
      6,
      words(6, 1729, 0, 87539319, 0, 1729, 0),
    ),
    // test_opaque_variable_array_overflow: 12 bytes against <11>.
    overflow(
      'opaque_variable_array_overflow',
      demo.testOpaqueVariableArrayCodec,
      Buffer.from([0xca, 0xfe, 0x12, 0xca, 0xfe, 0x12, 0xca, 0xfe, 0x12, 0xca, 0xfe, 0x12]),
      'TestOpaqueVariableArray',
      11,
      12,
      Buffer.concat([words(12), Buffer.from([0xca, 0xfe, 0x12, 0xca, 0xfe, 0x12, 0xca, 0xfe, 0x12, 0xca, 0xfe, 0x12])]),
    ),
    // test_enum_variable_array_overflow: 16 against <15>.
    overflow('enum_variable_array_overflow', demo.testEnumVariableArrayCodec, alternate(16), 'TestEnumVariableArray', 15, 16, words(16, ...alternate(16))),
    // test_struct_variable_array_overflow: 20 against <19>.
    overflow(
      'struct_variable_array_overflow',
      demo.testStructVariableArrayCodec,
      new Array<TestStruct>(20).fill(SI),
      'TestStructVariableArray',
      19,
      20,
      words(20, ...structWords(20)),
    ),
    // test_union_variable_array_overflow: 24 against <23>.
    overflow(
      'union_variable_array_overflow',
      demo.testUnionVariableArrayCodec,
      new Array<TestUnion>(24).fill(UI),
      'TestUnionVariableArray',
      23,
      24,
      words(24, ...unionWords(24)),
    ),
    // Not in upstream's list, same rule: a string one byte past <7> ('taxicab' is exactly 7).
    overflow(
      'string_variable_array_overflow',
      demo.testStringVariableArrayCodec,
      'taxicabs',
      'TestStringVariableArray',
      7,
      8,
      Buffer.concat([words(8), Buffer.from('taxicabs')]),
    ),
  ];

  for (const c of overflows) {
    it(`${c.name}: encode fails with XDR_BOUND naming ${c.what} and the limit ${c.limit}`, () => {
      const err = expectXdrError(() => encodeXdr(c.codec, c.value as never), XdrErrorCode.BOUND);
      expect(err.what).toBe(c.what);
      expect(err.message).toContain(c.what);
      expect(err.message).toContain(`limit of ${c.limit}`);
      expect(err.message).toContain(`${c.length}`);
    });

    it(`${c.name}: the same overflow on the wire fails to decode with XDR_BOUND`, () => {
      const err = expectXdrError(() => decodeXdr(c.codec, c.bytes), XdrErrorCode.BOUND);
      expect(err.what).toBe(c.what);
      expect(err.message).toContain(`limit of ${c.limit}`);
    });
  }

  it('accepts a value exactly at each bound', () => {
    expect(decodeXdr(demo.testIntVariableArrayCodec, encodeXdr(demo.testIntVariableArrayCodec, [1, 2, 3, 4, 5]))).toEqual([1, 2, 3, 4, 5]);
    expect(decodeXdr(demo.testStringVariableArrayCodec, encodeXdr(demo.testStringVariableArrayCodec, 'taxicab'))).toBe('taxicab');
    const opaque = new Uint8Array(11).fill(7);
    expect(decodeXdr(demo.testOpaqueVariableArrayCodec, encodeXdr(demo.testOpaqueVariableArrayCodec, opaque))).toEqual(opaque);
  });

  it('names the struct and field when the overflow is inside a struct', () => {
    const bad: TestStructAllTypes = { ...allTypes, iva: zeros(40) };
    const err = expectXdrError(() => encodeXdr(demo.testStructAllTypesCodec, bad), XdrErrorCode.BOUND);
    expect(err.what).toBe('TestStructAllTypes.iva');
    expect(err.message).toContain('limit of 39'); // iva<TestConstHex>, TestConstHex = 0x27
    const badString: TestStructAllTypes = { ...allTypes, stva: 'x'.repeat(26) };
    const err2 = expectXdrError(() => encodeXdr(demo.testStructAllTypesCodec, badString), XdrErrorCode.BOUND);
    expect(err2.what).toBe('TestStructAllTypes.stva');
    expect(err2.message).toContain('limit of 25'); // stva<TestConstOct>, TestConstOct = 031
  });

  it('union_no_default_default: encode fails with XDR_BAD_DISCRIMINANT, and so does decode', () => {
    const value = { type: 87539319 } as unknown as demo.TestUnionNoDefault;
    const err = expectXdrError(() => encodeXdr(demo.testUnionNoDefaultCodec, value), XdrErrorCode.BAD_DISCRIMINANT);
    expect(err.what).toBe('TestUnionNoDefault');
    expect(err.message).toContain('87539319');
    expectXdrError(() => decodeXdr(demo.testUnionNoDefaultCodec, words(87539319)), XdrErrorCode.BAD_DISCRIMINANT);
    expectXdrError(() => decodeXdr(demo.testUnionNoDefaultCodec, words(87539319, 1729)), XdrErrorCode.BAD_DISCRIMINANT);
  });

  it('fixed arrays of the wrong length fail to encode with XDR_INVALID', () => {
    expectXdrError(() => encodeXdr(demo.testIntFixedArrayCodec, [1, 2]), XdrErrorCode.INVALID);
    expectXdrError(() => encodeXdr(demo.testOpaqueFixedArrayCodec, Buffer.alloc(10)), XdrErrorCode.INVALID);
  });

  it('char fields are range-checked like the C type (signed char)', () => {
    expectXdrError(() => encodeXdr(demo.testStructCodec, { c1: 128, c2: 0 }), XdrErrorCode.INVALID);
    expectXdrError(() => decodeXdr(demo.testStructCodec, words(0x80, 0)), XdrErrorCode.INVALID);
    expect(decodeXdr(demo.testStructCodec, words(-54, -2))).toEqual({ c1: -54, c2: -2 });
  });
});

describe('simple.x (upstream parser and lexer input) through generate()', () => {
  const text = readFileSync(`${vectorDir}simple.x`, 'utf8');
  const files = generate({
    xFiles: [{ id: 'simple', path: 'simple.x', text }],
    apiXml: [],
    libvirtVersion: '0.0.0',
    runtimeImport: '../../src',
    emitClients: false,
  });
  const out = files.get('simple.gen.ts') ?? '';

  it('emits one module and nothing else', () => {
    expect([...files.keys()]).toEqual(['simple.gen.ts']);
  });

  it('emits the constants with their values', () => {
    expect(out).toContain('export const MAXUSERNAME = 32;');
    expect(out).toContain('export const MAXFILELEN = 65535;');
    expect(out).toContain('export const MAXNAMELEN = 255;');
  });

  it('emits the enum as an object and a type', () => {
    expect(out).toMatch(/export const Filekind = \{\s*TEXT: 0,\s*DATA: 1,\s*EXEC: 2,\s*\} as const;/);
    expect(out).toContain('export type Filekind = (typeof Filekind)[keyof typeof Filekind];');
    expect(out).toContain('export const filekindCodec: XdrCodec<Filekind>');
  });

  it('emits the union as a discriminated union keyed by the enum discriminant', () => {
    expect(out).toContain('export type Filetype =');
    expect(out).toContain('| { kind: 0 }');
    expect(out).toContain('| { kind: 1; creator: string }');
    expect(out).toContain('| { kind: 2; interpretor: string };');
    expect(out).toContain('export const filetypeCodec: XdrCodec<Filetype>');
    // Not decoded in bulk (no array of it): one entry of the module's codec table.
    expect(out).toContain("'filetype(kind:i 0:: 1:creator:s255 2:interpretor:s255)',");
  });

  it('emits the struct with its fields, bounds resolved from the constants', () => {
    expect(out).toMatch(/export interface File \{\s*filename: string;\s*type: Filetype;\s*owner: string;\s*data: Uint8Array;\s*\}/);
    expect(out).toContain('export const fileCodec: XdrCodec<File>');
    expect(out).toContain("'file{filename:s255 type:#1 owner:s32 data:o65535}',");
  });

  it('imports the runtime from the configured path and quotes the .x source in TSDoc', () => {
    expect(out).toContain("from '../../src/xdr/codec.js'");
    expect(out).toContain(' * struct file {');
    expect(out).toContain('// @generated by libvirt-rpc codegen');
  });

  it('produces TypeScript that type-checks (strict, NodeNext) against the real runtime', async () => {
    const ts = await import('typescript');
    const dir = mkdtempSync(join(tmpdir(), 'libvirt-rpc-simple-'));
    try {
      const runtime = fileURLToPath(new URL('../../../src', import.meta.url));
      const gen = generate({
        xFiles: [{ id: 'simple', path: 'simple.x', text }],
        apiXml: [],
        libvirtVersion: '0.0.0',
        runtimeImport: runtime,
        emitClients: false,
      });
      const file = join(dir, 'simple.gen.ts');
      writeFileSync(file, gen.get('simple.gen.ts')!);
      const program = ts.createProgram([file], {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [fileURLToPath(new URL('../../../node_modules/@types', import.meta.url))],
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
