/**
 * Property tests over every generated codec of the libvirt protocols.
 *
 * The value generators are built from the parsed `.x` definitions themselves
 * (codegen's parser and `Universe`), independently of the emitted code, so a
 * codec that disagrees with its `.x` declaration fails here. For every
 * exported `*Codec`:
 * - decode(encode(x)) deep-equals x, and re-encoding gives the same bytes;
 * - every strict prefix of an encoding fails with `XDR_TRUNCATED`, and extra
 *   bytes after it fail with `XDR_TRAILING`;
 * - corrupted encodings and random bytes either decode or fail with an
 *   `XdrError`, never any other exception.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readApiXml } from '../../../codegen/api-xml.js';
import type { Definition } from '../../../codegen/ast.js';
import { apiConstants } from '../../../codegen/emit-api.js';
import { type ModuleInput, type Shape, Universe } from '../../../codegen/model.js';
import { parseX } from '../../../codegen/parser.js';
import * as adminGen from '../../../src/procedures/admin.gen.js';
import * as keepaliveGen from '../../../src/procedures/keepalive.gen.js';
import * as lxcGen from '../../../src/procedures/lxc.gen.js';
import * as qemuGen from '../../../src/procedures/qemu.gen.js';
import * as remoteGen from '../../../src/procedures/remote.gen.js';
import * as virnetGen from '../../../src/procedures/virnet.gen.js';
import { decodeXdr, encodeXdr, XdrError, XdrErrorCode, type XdrCodec } from '../../../src/xdr/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

/** The `.x` modules, in the order `codegen/main.ts` compiles them, with their generated modules. */
const MODULES: readonly { id: string; file: string; gen: Record<string, unknown> }[] = [
  { id: 'virnet', file: 'virnetprotocol.x', gen: virnetGen },
  { id: 'keepalive', file: 'virkeepaliveprotocol.x', gen: keepaliveGen },
  { id: 'remote', file: 'remote_protocol.x', gen: remoteGen },
  { id: 'qemu', file: 'qemu_protocol.x', gen: qemuGen },
  { id: 'lxc', file: 'lxc_protocol.x', gen: lxcGen },
  { id: 'admin', file: 'admin_protocol.x', gen: adminGen },
];

const inputs: ModuleInput[] = MODULES.map((m) => ({
  id: m.id,
  path: `protocol/${m.file}`,
  parsed: parseX(`protocol/${m.file}`, read(`protocol/${m.file}`)),
}));
const api = readApiXml(['libvirt-api.xml', 'libvirt-qemu-api.xml', 'libvirt-lxc-api.xml', 'libvirt-admin-api.xml'].map((f) => read(`protocol/api-xml/${f}`)));
const universe = new Universe(inputs, apiConstants(api));

// Sizes stay small for speed whatever the `.x` bound says (bounds smaller than these are honoured).
const MAX_ARRAY = 3;
const MAX_STRING_UNITS = 8;
const MAX_OPAQUE = 12;

const SMALL_INT: Record<string, [number, number]> = {
  char: [-128, 127],
  'unsigned char': [0, 255],
  short: [-32768, 32767],
  'unsigned short': [0, 65535],
};

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Builds fast-check arbitraries for `.x` types from their parsed declarations. */
class ArbitraryBuilder {
  private readonly named = new Map<string, fc.Arbitrary<unknown>>();
  private readonly building = new Set<string>();

  constructor(private readonly u: Universe) {}

  /** The arbitrary of a named type (struct, union, enum or typedef). */
  ofName(name: string): fc.Arbitrary<unknown> {
    const known = this.named.get(name);
    if (known) return known;
    const found = this.u.find(name);
    if (!found) throw new Error(`unknown type ${name}`);
    this.building.add(name);
    const arb = this.ofDefinition(found.def);
    this.building.delete(name);
    this.named.set(name, arb);
    return arb;
  }

  private ofDefinition(def: Definition): fc.Arbitrary<unknown> {
    switch (def.kind) {
      case 'const':
        throw new Error(`${def.name} is a constant`);
      case 'enum':
        return fc.constantFrom(...def.members.map((m) => this.u.value(m.value)));
      case 'typedef':
        return this.ofShape(this.u.shape(def.decl));
      case 'struct': {
        const fields: Record<string, fc.Arbitrary<unknown>> = {};
        for (const f of def.fields) fields[f.name] = this.ofShape(this.u.shape(f));
        return fc.record(fields);
      }
      case 'union': {
        const discName = def.discriminant.name;
        const discShape = this.u.shape(def.discriminant);
        const used = new Set<number>();
        const arms: fc.Arbitrary<unknown>[] = [];
        for (const arm of def.arms) {
          const field = arm.decl ? { name: arm.decl.name, arb: this.ofShape(this.u.shape(arm.decl)) } : null;
          for (const c of arm.cases) {
            const d = this.u.value(c);
            used.add(d);
            arms.push(field ? fc.record({ [discName]: fc.constant(d), [field.name]: field.arb }) : fc.constant({ [discName]: d }));
          }
        }
        if (def.defaultArm !== undefined) {
          const others = this.discriminantValues(discShape).filter((d) => !used.has(d));
          const dflt = def.defaultArm;
          if (dflt === null) arms.push(others.map((d) => ({ [discName]: d })));
          else arms.push(fc.record({ [discName]: others, [dflt.name]: this.ofShape(this.u.shape(dflt)) }));
        }
        return fc.oneof(...arms);
      }
    }
  }

  /** Discriminant values for a default arm (filtered by the caller against the case labels). */
  private discriminantValues(s: Shape): fc.Arbitrary<number> {
    if (s.k === 'enum') {
      const def = this.u.find(s.name)!.def;
      if (def.kind !== 'enum') throw new Error(`${s.name} is not an enum`);
      return fc.constantFrom(...def.members.map((m) => this.u.value(m.value)));
    }
    if (s.k === 'prim' && s.prim === 'unsigned int') return fc.integer({ min: 0, max: 0xffffffff });
    return fc.integer({ min: -0x80000000, max: 0x7fffffff });
  }

  /** The arbitrary of one declaration's shape. */
  ofShape(s: Shape): fc.Arbitrary<unknown> {
    switch (s.k) {
      case 'prim':
        return this.ofPrimitive(s.prim);
      case 'string': {
        const max = s.max ?? Infinity;
        const str = fc.oneof(fc.string({ maxLength: MAX_STRING_UNITS }), fc.string({ unit: 'binary', maxLength: MAX_STRING_UNITS }));
        return max >= MAX_STRING_UNITS * 4 ? str : str.filter((x) => utf8Length(x) <= max);
      }
      case 'opaque':
        return fc.uint8Array({ maxLength: Math.min(s.max ?? Infinity, MAX_OPAQUE) });
      case 'fixedOpaque':
        return fc.uint8Array({ minLength: s.size, maxLength: s.size });
      case 'enum':
      case 'named':
        return this.ofName(s.name);
      case 'optional':
        // A pointer back into a type under construction (a linked list) ends the chain.
        if (s.of.k === 'named' && this.building.has(s.of.name)) return fc.constant(null);
        return fc.option(this.ofShape(s.of), { nil: null, freq: 3 });
      case 'fixedArray':
        return fc.array(this.ofShape(s.of), { minLength: s.size, maxLength: s.size });
      case 'varArray':
        if (s.of.k === 'named' && this.building.has(s.of.name)) return fc.constant([]);
        return fc.array(this.ofShape(s.of), { maxLength: Math.min(s.max ?? Infinity, MAX_ARRAY) });
    }
  }

  private ofPrimitive(prim: Extract<Shape, { k: 'prim' }>['prim']): fc.Arbitrary<unknown> {
    const small = SMALL_INT[prim];
    if (small) return fc.integer({ min: small[0], max: small[1] });
    switch (prim) {
      case 'int':
        return fc.integer({ min: -0x80000000, max: 0x7fffffff });
      case 'unsigned int':
        return fc.integer({ min: 0, max: 0xffffffff });
      case 'hyper':
        return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
      case 'unsigned hyper':
        return fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
      case 'bool':
        return fc.boolean();
      case 'float':
        return fc.float();
      case 'double':
        return fc.double();
      default:
        throw new Error(`no arbitrary for primitive ${prim}`);
    }
  }
}

/** Replaces byte arrays (Buffer or Uint8Array) by a tagged hex string, so values compare by bytes. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}

/** Runs `f` and fails unless it returns or throws an XdrError (returns the error, if any). */
function onlyXdrError(f: () => unknown): XdrError | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof XdrError) return e;
    throw new Error(`expected an XdrError, got ${(e as Error)?.constructor?.name}: ${String(e)}`, { cause: e });
  }
}

/** Leaf count of a type, capped: bigger types get fewer runs. */
function weight(u: Universe, s: Shape, depth = 0): number {
  if (depth > 8) return 1;
  switch (s.k) {
    case 'optional':
      return 1 + weight(u, s.of, depth + 1);
    case 'fixedArray':
      return Math.min(s.size, MAX_ARRAY) * weight(u, s.of, depth + 1);
    case 'varArray':
      return 1 + Math.min(s.max ?? MAX_ARRAY, MAX_ARRAY) * weight(u, s.of, depth + 1);
    case 'named': {
      const def = u.find(s.name)!.def;
      if (def.kind === 'struct') return def.fields.reduce((n, f) => n + weight(u, u.shape(f), depth + 1), 0);
      if (def.kind === 'union') {
        const arms = def.arms.map((a) => (a.decl ? weight(u, u.shape(a.decl), depth + 1) : 0));
        return 1 + Math.max(0, ...arms);
      }
      if (def.kind === 'typedef') return weight(u, u.shape(def.decl), depth + 1);
      return 1;
    }
    default:
      return 1;
  }
}

const builder = new ArbitraryBuilder(universe);

interface Case {
  readonly exportName: string;
  readonly codec: XdrCodec<unknown>;
  readonly arb: fc.Arbitrary<unknown>;
  readonly runs: number;
}

function casesOf(gen: Record<string, unknown>): Case[] {
  const out: Case[] = [];
  for (const [exportName, value] of Object.entries(gen)) {
    if (!exportName.endsWith('Codec')) continue;
    const codec = value as XdrCodec<unknown>;
    const found = universe.find(codec.name);
    if (!found) throw new Error(`${exportName} encodes ${codec.name}, which no .x file defines`);
    const w = weight(universe, { k: 'named', name: codec.name });
    out.push({ exportName, codec, arb: builder.ofName(codec.name), runs: Math.max(12, Math.min(60, Math.round(240 / w))) });
  }
  return out;
}

describe('every .x type has a generated codec', () => {
  for (const m of MODULES) {
    it(`${m.id}: one *Codec export per struct, union, enum and typedef`, () => {
      const exported = new Set(
        Object.entries(m.gen)
          .filter(([k]) => k.endsWith('Codec'))
          .map(([, c]) => (c as XdrCodec<unknown>).name),
      );
      const defined = inputs
        .find((i) => i.id === m.id)!
        .parsed.definitions.filter((d) => d.kind !== 'const')
        .map((d) => d.name);
      expect([...exported].sort()).toEqual([...defined].sort());
    });
  }
});

for (const m of MODULES) {
  describe(`${m.id}.gen.ts codecs`, () => {
    const cases = casesOf(m.gen);

    for (const { exportName, codec, arb, runs } of cases) {
      it(`${exportName} round-trips`, () => {
        fc.assert(
          fc.property(arb, (value) => {
            const bytes = encodeXdr(codec, value);
            expect(bytes.length % 4).toBe(0);
            const back = decodeXdr(codec, bytes);
            expect(normalize(back)).toEqual(normalize(value));
            expect(Buffer.from(encodeXdr(codec, back)).equals(bytes)).toBe(true);
          }),
          { numRuns: runs },
        );
      });

      it(`${exportName} rejects truncated, trailing and corrupted input only with XdrError`, () => {
        // Every strict prefix of an encoding is truncated; a longer input has trailing bytes.
        fc.assert(
          fc.property(arb, (value) => {
            const bytes = encodeXdr(codec, value);
            for (let n = 0; n < bytes.length; n++) {
              expect(onlyXdrError(() => decodeXdr(codec, bytes.subarray(0, n)))?.code).toBe(XdrErrorCode.TRUNCATED);
            }
            const longer = Buffer.concat([bytes, Buffer.alloc(4)]);
            expect(onlyXdrError(() => decodeXdr(codec, longer))?.code).toBe(XdrErrorCode.TRAILING);
          }),
          { numRuns: Math.max(3, runs >> 3) },
        );
        // Random byte changes in a valid encoding.
        fc.assert(
          fc.property(arb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (value, flips) => {
            const bytes = encodeXdr(codec, value);
            if (bytes.length === 0) return;
            for (const [at, b] of flips) bytes[at % bytes.length] = b;
            onlyXdrError(() => decodeXdr(codec, bytes));
          }),
          { numRuns: runs },
        );
        // Random bytes, including length words near the 32-bit limit.
        const word = fc.oneof(fc.constantFrom(0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
        fc.assert(
          fc.property(fc.oneof(fc.uint8Array({ maxLength: 48 }), fc.array(word, { maxLength: 12 })), (input) => {
            const bytes = input instanceof Uint8Array ? input : Buffer.alloc(input.length * 4);
            if (!(input instanceof Uint8Array))
              input.forEach((x, i) => {
                (bytes as Buffer).writeUInt32BE(x, i * 4);
              });
            onlyXdrError(() => decodeXdr(codec, bytes));
          }),
          { numRuns: Math.max(10, runs >> 1) },
        );
      });
    }
  });
}
