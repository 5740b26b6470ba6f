/**
 * Codecs built from a compact description (data, not code) on first use.
 *
 * A generated module lists most of its types as one short string each and gets from
 * {@link codecTable} one codec object per entry; the encoder and decoder of an entry are built,
 * as closures over the {@link XdrWriter}/{@link XdrReader} primitives, the first time the codec
 * is used. Importing a module then costs a few hundred small objects instead of compiling
 * straight-line code for every type, and a bundle carries the description instead of the code.
 * No source is evaluated at run time (no `eval`/`new Function`), so this works under a strict
 * Content Security Policy. The types decoded in bulk (the elements of arrays: domains, typed
 * parameters, ...) stay straight-line generated code, which is faster per value.
 *
 * The description of one type, `<name><body>`, where body is
 * - `=<shape>`: a typedef;
 * - `{<field>:<shape> ...}`: a struct, fields separated by spaces;
 * - `(<discriminant>:<shape> <cases>:<field>:<shape> ...)`: a union; `<cases>` are the case
 *   values separated by commas, or `*` for the default arm; an empty `<field>` (and shape) is a
 *   void arm. Without a `*` arm, an unknown discriminant is an error;
 * - `#`: an enum (an `int` on the wire).
 *
 * A shape: `i` int, `u` unsigned int, `h` hyper, `H` unsigned hyper, `b` bool, `f` float,
 * `d` double, `c`/`C`/`t`/`T` char/unsigned char/short/unsigned short (an int checked against
 * the C range); `s<max>` string and `o<max>` opaque (no digits: no bound), `O<n>` opaque[n];
 * `?<shape>` an optional value (`T *`); `a<max>,<min><shape>` a variable-length array (`max`
 * empty: no bound; `min` is the fewest bytes of one element) and `A<n><shape>` a fixed one;
 * `#<k>` entry `k` of the same table, `@<k>` codec `k` of the table's references.
 *
 * The `what` strings (error messages) are those of the generated straight-line code:
 * `<type>.<field>`, or the type's name for a typedef.
 *
 * @module
 */
import type { XdrCodec } from './codec.js';
import { invalidError, XdrError, XdrErrorCode } from './errors.js';
import type { XdrReader } from './reader.js';
import type { XdrWriter } from './writer.js';

type Enc = (w: XdrWriter, v: never) => void;
type Dec = (r: XdrReader) => unknown;
interface Built {
  readonly enc: Enc;
  readonly dec: Dec;
}

const UINT32_MAX = 0xffffffff;
/** Where a description's body starts (after the type's name): `=`, `{`, `(` or `#`. */
const BODY_START = /[={(#]/;

/**
 * A codec of a table entry: builds its encoder and decoder when first called, then uses them.
 * Until then it holds only its description: an import creates one small object per entry and
 * reads none of them (the name, too, is read from the description on first use).
 */
class SchemaCodec {
  private built: Built | null = null;
  private building = false;
  private cachedName: string | null = null;

  constructor(
    private readonly desc: string,
    private readonly table: Table,
  ) {}

  /** The `.x` name of the type: the description up to its body. */
  get name(): string {
    if (this.cachedName === null) {
      const end = this.desc.search(BODY_START);
      this.cachedName = end < 0 ? this.desc : this.desc.slice(0, end);
    }
    return this.cachedName;
  }

  /** The built encoder and decoder; while this entry is being built (a recursive type), forwarders. */
  resolve(): Built {
    if (this.built) return this.built;
    if (this.building) return { enc: (w, v) => this.encode(w, v), dec: (r) => this.decode(r) };
    this.building = true;
    try {
      const b = buildBody(this.name, this.desc.slice(this.name.length), this.table);
      this.built = b;
      this.encode = b.enc as (w: XdrWriter, v: never) => void;
      this.decode = b.dec as (r: XdrReader) => never;
      return b;
    } finally {
      this.building = false;
    }
  }

  encode(w: XdrWriter, v: never): void {
    this.resolve().enc(w, v);
  }

  decode(r: XdrReader): never {
    return this.resolve().dec(r) as never;
  }
}

interface Table {
  readonly codecs: SchemaCodec[];
  readonly refs: readonly XdrCodec<unknown>[];
}

/**
 * The codecs of a generated module's type table: entry `i` is described by `defs[i]` (see the
 * module comment); `@k` in a description names `refs[k]` (a codec of straight-line code, or of
 * another module). Nothing is built until a codec is used.
 */
export function codecTable(refs: readonly XdrCodec<unknown>[], defs: readonly string[]): readonly XdrCodec<never>[] {
  const table: Table = { codecs: [], refs };
  for (const d of defs) table.codecs.push(new SchemaCodec(d, table));
  return table.codecs;
}

/**
 * A codec written as an object literal, for code that must not carry a whole table (the
 * standalone procedures of `libvirt-rpc/calls`, src/procedures/remote-procs.gen.ts): `name` and
 * `body` are a table entry's description split after the name, `@k` in it names `refs()[k]`
 * (no `#k`), and `encode`/`decode` are {@link encodeDescribed}/{@link decodeDescribed}. An
 * object literal has no side effects, so a bundler drops those nobody names; `refs` is read
 * when the codec is first used, so codecs may name each other (recursive types).
 */
export interface DescribedCodec extends XdrCodec<never> {
  readonly body: string;
  readonly refs?: () => readonly XdrCodec<unknown>[];
}

/** The built codec of each {@link DescribedCodec} used so far. */
const described = new WeakMap<DescribedCodec, SchemaCodec>();

function builtOf(c: DescribedCodec): SchemaCodec {
  let built = described.get(c);
  if (built === undefined) {
    const refs = c.refs;
    let got: readonly XdrCodec<unknown>[] | null = null;
    const table: Table = {
      codecs: [],
      get refs() {
        got ??= refs ? refs() : [];
        return got;
      },
    };
    built = new SchemaCodec(c.name + c.body, table);
    table.codecs.push(built);
    described.set(c, built);
  }
  return built;
}

/** The `encode` of a {@link DescribedCodec}: builds the codec on first use. */
export function encodeDescribed(this: DescribedCodec, w: XdrWriter, v: never): void {
  builtOf(this).encode(w, v);
}

/** The `decode` of a {@link DescribedCodec}: builds the codec on first use. */
export function decodeDescribed(this: DescribedCodec, r: XdrReader): never {
  return builtOf(this).decode(r);
}

function buildBody(name: string, body: string, table: Table): Built {
  switch (body[0]) {
    case '=':
      return new ShapeParser(body, 1, table).shape(name);
    case '#':
      return { enc: (w: XdrWriter, v: number) => w.int(v, name), dec: (r) => r.int(name) } as Built;
    case '{':
      return struct(name, body, table);
    case '(':
      return union(name, body, table);
    default:
      throw new Error(`bad codec description of ${name}: ${body}`);
  }
}

/** Reads one shape of a description and builds its closures. */
class ShapeParser {
  constructor(
    private readonly s: string,
    public pos: number,
    private readonly table: Table,
  ) {}

  private digits(): number | null {
    const start = this.pos;
    while (this.pos < this.s.length && this.s.charCodeAt(this.pos) >= 48 && this.s.charCodeAt(this.pos) <= 57) this.pos++;
    return this.pos === start ? null : Number(this.s.slice(start, this.pos));
  }

  shape(what: string): Built {
    const c = this.s[this.pos++];
    switch (c) {
      case 'i':
        return { enc: (w: XdrWriter, v: number) => w.int(v, what), dec: (r) => r.int(what) } as Built;
      case 'u':
        return { enc: (w: XdrWriter, v: number) => w.uint(v, what), dec: (r) => r.uint(what) } as Built;
      case 'h':
        return { enc: (w: XdrWriter, v: bigint) => w.hyper(v, what), dec: (r) => r.hyper(what) } as Built;
      case 'H':
        return { enc: (w: XdrWriter, v: bigint) => w.uhyper(v, what), dec: (r) => r.uhyper(what) } as Built;
      case 'b':
        return { enc: (w: XdrWriter, v: boolean) => w.bool(v, what), dec: (r) => r.bool(what) } as Built;
      case 'f':
        return { enc: (w: XdrWriter, v: number) => w.float(v, what), dec: (r) => r.float(what) } as Built;
      case 'd':
        return { enc: (w: XdrWriter, v: number) => w.double(v, what), dec: (r) => r.double(what) } as Built;
      case 'c':
        return smallInt(what, -128, 127);
      case 'C':
        return smallInt(what, 0, 255);
      case 't':
        return smallInt(what, -32768, 32767);
      case 'T':
        return smallInt(what, 0, 65535);
      case 's': {
        const max = this.digits() ?? UINT32_MAX;
        return { enc: (w: XdrWriter, v: string) => w.string(v, what, max), dec: (r) => r.string(what, max) } as Built;
      }
      case 'o': {
        const max = this.digits() ?? UINT32_MAX;
        return { enc: (w: XdrWriter, v: Uint8Array) => w.opaque(v, what, max), dec: (r) => r.opaque(what, max) } as Built;
      }
      case 'O': {
        const n = this.digits()!;
        return { enc: (w: XdrWriter, v: Uint8Array) => w.fixedOpaque(v, what, n), dec: (r) => r.fixedOpaque(what, n) } as Built;
      }
      case '?': {
        const { enc, dec } = this.shape(what);
        return {
          enc: (w: XdrWriter, v: unknown) => {
            if (v == null) {
              w.bool(false, what);
            } else {
              w.bool(true, what);
              enc(w, v as never);
            }
          },
          dec: (r) => (r.bool(what) ? dec(r) : null),
        } as Built;
      }
      case 'a': {
        const max = this.digits() ?? UINT32_MAX;
        this.pos++; // ','
        const min = this.digits()!;
        const { enc, dec } = this.shape(what);
        return {
          enc: (w: XdrWriter, v: readonly unknown[]) => {
            const a = w.array(v, what, max, min);
            for (let i = 0; i < a.length; i++) enc(w, a[i] as never);
          },
          dec: (r) => {
            const n = r.length(what, max, min);
            const a: unknown[] = new Array(n);
            for (let i = 0; i < n; i++) a[i] = dec(r);
            return a;
          },
        } as Built;
      }
      case 'A': {
        const n = this.digits()!;
        const { enc, dec } = this.shape(what);
        return {
          enc: (w: XdrWriter, v: readonly unknown[]) => {
            const a = w.fixedArray(v, what, n);
            for (let i = 0; i < a.length; i++) enc(w, a[i] as never);
          },
          dec: (r) => {
            const a: unknown[] = new Array(n);
            for (let i = 0; i < n; i++) a[i] = dec(r);
            return a;
          },
        } as Built;
      }
      case '#':
        return this.table.codecs[this.digits()!]!.resolve();
      case '@': {
        const ref = this.table.refs[this.digits()!]!;
        if (ref instanceof SchemaCodec) return ref.resolve();
        if (ref.encode === encodeDescribed) return builtOf(ref as DescribedCodec).resolve();
        return { enc: ref.encode, dec: ref.decode } as Built;
      }
      default:
        throw new Error(`bad codec description at ${this.pos - 1}: ${this.s}`);
    }
  }
}

function smallInt(what: string, min: number, max: number): Built {
  return { enc: (w: XdrWriter, v: number) => w.smallInt(v, what, min, max), dec: (r) => r.smallInt(what, min, max) } as Built;
}

/** `name:shape` items of a struct or union body, up to the closing bracket. */
function struct(name: string, body: string, table: Table): Built {
  const keys: string[] = [];
  const encs: Enc[] = [];
  const decs: Dec[] = [];
  let pos = 1;
  while (body[pos] !== '}') {
    const colon = body.indexOf(':', pos);
    const key = body.slice(pos, colon);
    const p = new ShapeParser(body, colon + 1, table);
    const { enc, dec } = p.shape(`${name}.${key}`);
    keys.push(key);
    encs.push(enc);
    decs.push(dec);
    pos = body[p.pos] === ' ' ? p.pos + 1 : p.pos;
  }
  const n = keys.length;
  return {
    enc: (w: XdrWriter, v: Record<string, never>) => {
      if (typeof v !== 'object' || v === null) invalidError(name, 'an object', v);
      for (let i = 0; i < n; i++) encs[i]!(w, v[keys[i]!]!);
    },
    dec: (r) => {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) o[keys[i]!] = decs[i]!(r);
      return o;
    },
  } as Built;
}

interface Arm {
  readonly field: string;
  readonly enc: Enc | null;
  readonly dec: Dec | null;
}

function union(name: string, body: string, table: Table): Built {
  const colon = body.indexOf(':');
  const disc = body.slice(1, colon);
  const dp = new ShapeParser(body, colon + 1, table);
  const discCodec = dp.shape(`${name}.${disc}`);
  const arms = new Map<unknown, Arm>();
  let fallback: Arm | undefined;
  let pos = dp.pos;
  while (body[pos] === ' ') {
    const c1 = body.indexOf(':', pos + 1);
    const c2 = body.indexOf(':', c1 + 1);
    const cases = body.slice(pos + 1, c1);
    const field = body.slice(c1 + 1, c2);
    let arm: Arm = { field: '', enc: null, dec: null };
    pos = c2 + 1;
    if (field !== '') {
      const p = new ShapeParser(body, pos, table);
      const { enc, dec } = p.shape(`${name}.${field}`);
      arm = { field, enc, dec };
      pos = p.pos;
    }
    if (cases === '*') fallback = arm;
    else for (const c of cases.split(',')) arms.set(Number(c), arm);
  }
  const discEnc = discCodec.enc as (w: XdrWriter, v: unknown) => void;
  const discDec = discCodec.dec;
  return {
    enc: (w: XdrWriter, v: Record<string, unknown>) => {
      if (typeof v !== 'object' || v === null) invalidError(name, 'an object', v);
      const d = v[disc];
      discEnc(w, d);
      const arm = arms.get(d) ?? fallback;
      if (arm === undefined) throw new XdrError(XdrErrorCode.BAD_DISCRIMINANT, name, `no arm for ${disc} ${d} and no default arm`);
      if (arm.enc !== null) arm.enc(w, v[arm.field] as never);
    },
    dec: (r) => {
      const d = discDec(r);
      const arm = arms.get(d) ?? fallback;
      if (arm === undefined) throw new XdrError(XdrErrorCode.BAD_DISCRIMINANT, name, `no arm for ${disc} ${d} and no default arm`);
      return arm.dec === null ? { [disc]: d } : { [disc]: d, [arm.field]: arm.dec(r) };
    },
  } as Built;
}
