/**
 * Differential tests against `@stellar/js-xdr`, an independent XDR
 * implementation: for primitives and a few libvirt types (declared again in
 * js-xdr's type DSL, mirroring `remote_protocol.x`), the same value encodes to
 * the same bytes in both, and each decodes the other's bytes to that value.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  REMOTE_STRING_MAX,
  remoteConnectListAllDomainsRetCodec,
  remoteDomainGetXmlDescArgsCodec,
  remoteNonnullDomainCodec,
  remoteStringCodec,
  remoteTypedParamCodec,
  remoteTypedParamValueCodec,
  remoteUuidCodec,
  type RemoteConnectListAllDomainsRet,
  type RemoteDomainGetXmlDescArgs,
  type RemoteNonnullDomain,
  type RemoteTypedParam,
  type RemoteTypedParamValue,
} from '../../../src/procedures/remote.gen.js';
import { decodeXdr, encodeXdr, XdrError, type XdrReader, XdrWriter, type XdrCodec } from '../../../src/xdr/index.js';
import {
  libvirtTypes,
  sized,
  xdr,
  type JsLargeInt,
  type JsStruct,
  type JsStructClass,
  type JsType,
  type JsUnion,
  type JsUnionClass,
} from '../../support/js-xdr.js';

const js = libvirtTypes;
const JsDomain = js.remote_nonnull_domain as JsStructClass;
const JsTypedParamValue = js.remote_typed_param_value as JsUnionClass;
const JsTypedParam = js.remote_typed_param as JsStructClass;
const JsListAllDomainsRet = js.remote_connect_list_all_domains_ret as JsStructClass;
const JsGetXmlDescArgs = js.remote_domain_get_xml_desc_args as JsStructClass;

// Conversions between our plain values and js-xdr's objects.
const attrs = (v: unknown): Record<string, unknown> => (v as JsStruct)._attributes;
const text = (v: unknown): string => (v as Buffer).toString('utf8');
const big = (v: unknown): bigint => (v as JsLargeInt).toBigInt();

const domainToJs = (d: RemoteNonnullDomain): JsStruct => new JsDomain({ name: d.name, uuid: Buffer.from(d.uuid), id: d.id });
const domainFromJs = (v: unknown): RemoteNonnullDomain => {
  const a = attrs(v);
  return { name: text(a.name), uuid: a.uuid as Buffer, id: a.id as number };
};
const TYPED_ARM = { 1: 'i', 2: 'ui', 3: 'l', 4: 'ul', 5: 'd', 6: 'b', 7: 's' } as const;
const typedValueToJs = (v: RemoteTypedParamValue): JsUnion => new JsTypedParamValue(v.type, (v as Record<string, unknown>)[TYPED_ARM[v.type]]);
const typedValueFromJs = (v: unknown): RemoteTypedParamValue => {
  const u = v as JsUnion;
  const type = u.switch() as RemoteTypedParamValue['type'];
  const raw = u.value();
  const value = type === 3 || type === 4 ? big(raw) : type === 7 ? text(raw) : raw;
  return { type, [TYPED_ARM[type]]: value } as RemoteTypedParamValue;
};
const typedParamToJs = (p: RemoteTypedParam): JsStruct => new JsTypedParam({ field: p.field, value: typedValueToJs(p.value) });
const typedParamFromJs = (v: unknown): RemoteTypedParam => {
  const a = attrs(v);
  return { field: text(a.field), value: typedValueFromJs(a.value) };
};

// ---------------------------------------------------------------------------
// Helpers.

/** Replaces byte arrays by hex strings, so Buffer and Uint8Array compare by content. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

/** One side of the comparison: how this runtime and js-xdr encode and decode a `T`. */
interface Pair<T> {
  ours: XdrCodec<T>;
  theirs: JsType;
  toJs?: (v: T) => unknown;
  fromJs?: (v: unknown) => T;
}

/** Same bytes both ways, and each side decodes the other's bytes to the value. */
function agree<T>(pair: Pair<T>, value: T): void {
  const toJs = pair.toJs ?? ((v: T) => v);
  const fromJs = pair.fromJs ?? ((v: unknown) => v as T);
  const ourBytes = encodeXdr(pair.ours, value);
  const theirBytes = pair.theirs.toXDR(toJs(value));
  expect(Buffer.from(ourBytes).toString('hex')).toBe(Buffer.from(theirBytes).toString('hex'));
  expect(normalize(decodeXdr(pair.ours, theirBytes))).toEqual(normalize(value));
  expect(normalize(fromJs(pair.theirs.fromXDR(ourBytes)))).toEqual(normalize(value));
}

/** A codec made of runtime calls, for the primitives. */
function codec<T>(name: string, encode: (w: XdrWriter, v: T) => void, decode: (r: XdrReader) => T): XdrCodec<T> {
  return { name, encode, decode };
}

const RUNS = { numRuns: 200 };
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const hyper = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const uhyper = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const anyString = (maxLength: number) =>
  fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme', maxLength }));

// ---------------------------------------------------------------------------

describe('differential against @stellar/js-xdr: primitives', () => {
  it('int', () => {
    const pair = {
      ours: codec(
        'int',
        (w, v: number) => w.int(v, 'int'),
        (r) => r.int('int'),
      ),
      theirs: xdr.Int,
    };
    fc.assert(
      fc.property(fc.oneof(int32, fc.constantFrom(0, -1, 0x7fffffff, -0x80000000)), (v) => agree(pair, v)),
      RUNS,
    );
  });

  it('unsigned int', () => {
    const pair = {
      ours: codec(
        'uint',
        (w, v: number) => w.uint(v, 'uint'),
        (r) => r.uint('uint'),
      ),
      theirs: xdr.UnsignedInt,
    };
    fc.assert(
      fc.property(fc.oneof(uint32, fc.constantFrom(0, 0xffffffff, 0x80000000)), (v) => agree(pair, v)),
      RUNS,
    );
  });

  it('hyper', () => {
    const pair: Pair<bigint> = {
      ours: codec(
        'hyper',
        (w, v: bigint) => w.hyper(v, 'hyper'),
        (r) => r.hyper('hyper'),
      ),
      theirs: xdr.Hyper,
      fromJs: big,
    };
    fc.assert(
      fc.property(fc.oneof(hyper, fc.constantFrom(0n, -1n, -(1n << 63n), (1n << 63n) - 1n)), (v) => agree(pair, v)),
      RUNS,
    );
  });

  it('unsigned hyper', () => {
    const pair: Pair<bigint> = {
      ours: codec(
        'uhyper',
        (w, v: bigint) => w.uhyper(v, 'uhyper'),
        (r) => r.uhyper('uhyper'),
      ),
      theirs: xdr.UnsignedHyper,
      fromJs: big,
    };
    fc.assert(
      fc.property(fc.oneof(uhyper, fc.constantFrom(0n, (1n << 64n) - 1n, 1n << 63n)), (v) => agree(pair, v)),
      RUNS,
    );
  });

  it('bool', () => {
    const pair = {
      ours: codec(
        'bool',
        (w, v: boolean) => w.bool(v, 'bool'),
        (r) => r.bool('bool'),
      ),
      theirs: xdr.Bool,
    };
    agree(pair, true);
    agree(pair, false);
  });

  it('float', () => {
    const pair = {
      ours: codec(
        'float',
        (w, v: number) => w.float(v, 'float'),
        (r) => r.float('float'),
      ),
      theirs: xdr.Float,
    };
    fc.assert(
      fc.property(fc.float(), (v) => agree(pair, v)),
      RUNS,
    );
  });

  it('double', () => {
    const pair = {
      ours: codec(
        'double',
        (w, v: number) => w.double(v, 'double'),
        (r) => r.double('double'),
      ),
      theirs: xdr.Double,
    };
    fc.assert(
      fc.property(fc.double(), (v) => agree(pair, v)),
      RUNS,
    );
  });

  it('string<N>, UTF-8 with padding, unbounded and bounded', () => {
    const unbounded = {
      ours: codec(
        'string',
        (w, v: string) => w.string(v, 'string'),
        (r) => r.string('string'),
      ),
      theirs: sized(new xdr.String()),
      fromJs: text,
    };
    fc.assert(
      fc.property(anyString(40), (v) => agree(unbounded, v)),
      RUNS,
    );
    const bounded = {
      ours: codec(
        'string',
        (w, v: string) => w.string(v, 's', 64),
        (r) => r.string('s', 64),
      ),
      theirs: sized(new xdr.String(64)),
      fromJs: text,
    };
    fc.assert(
      fc.property(
        anyString(16).filter((v) => Buffer.byteLength(v) <= 64),
        (v) => agree(bounded, v),
      ),
      RUNS,
    );
  });

  it('string: lengths around the fast paths (short ASCII, long ASCII) with and without non-ASCII characters', () => {
    const pair = {
      ours: codec(
        'string',
        (w, v: string) => w.string(v, 'string'),
        (r) => r.string('string'),
      ),
      theirs: sized(new xdr.String()),
      fromJs: text,
    };
    const length = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1000, max: 1100 }), fc.integer({ min: 3000, max: 5000 }));
    const value = fc
      .tuple(length, fc.constantFrom('x', '<a/>', 'Az09 \n\t'), fc.option(fc.tuple(fc.nat(), fc.constantFrom('é', '€', '😀', '\u0141', '\u00ff', '\u0080'))))
      .map(([n, unit, insert]) => {
        let s = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
        if (insert) {
          const at = insert[0] % (s.length + 1);
          s = s.slice(0, at) + insert[1] + s.slice(at);
        }
        return s;
      });
    fc.assert(
      fc.property(value, (v) => agree(pair, v)),
      RUNS,
    );
    // A bound counts bytes, whichever path wrote them.
    const w = new XdrWriter();
    expect(() => w.string('é'.repeat(600), 's', 1100)).toThrow(XdrError);
    expect(w.pos).toBe(0);
    w.string('é'.repeat(550), 's', 1100);
    expect(
      decodeXdr(
        codec(
          's',
          () => {},
          (r) => r.string('s', 1100),
        ),
        w.written(),
      ),
    ).toBe('é'.repeat(550));
  });

  it('fixed opaque[n] for n = 0..9 and remote_uuid', () => {
    for (let n = 0; n < 10; n++) {
      const pair = {
        ours: codec(
          'fixed',
          (w, v: Uint8Array) => w.fixedOpaque(v, 'fixed', n),
          (r) => r.fixedOpaque('fixed', n),
        ),
        theirs: sized(new xdr.Opaque(n)),
        toJs: (v: Uint8Array) => Buffer.from(v),
      };
      fc.assert(
        fc.property(fc.uint8Array({ minLength: n, maxLength: n }), (v) => agree(pair, v)),
        { numRuns: 20 },
      );
    }
    const uuid = { ours: remoteUuidCodec, theirs: sized(new xdr.Opaque(16)), toJs: (v: Uint8Array) => Buffer.from(v) };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (v) => agree(uuid, v)),
      RUNS,
    );
  });

  it('variable opaque<N>', () => {
    const pair = {
      ours: codec(
        'var',
        (w, v: Uint8Array) => w.opaque(v, 'var', 32),
        (r) => r.opaque('var', 32),
      ),
      theirs: sized(new xdr.VarOpaque(32)),
      toJs: (v: Uint8Array) => Buffer.from(v),
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), (v) => agree(pair, v)),
      RUNS,
    );
    // Around the runtime's small-copy limit, and large.
    const big = {
      ours: codec(
        'var',
        (w, v: Uint8Array) => w.opaque(v, 'var'),
        (r) => r.opaque('var'),
      ),
      theirs: sized(new xdr.VarOpaque()),
      toJs: (v: Uint8Array) => Buffer.from(v),
    };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 60, maxLength: 70 }), (v) => agree(big, v)),
      { numRuns: 50 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4000, maxLength: 5000 }), (v) => agree(big, v)),
      { numRuns: 10 },
    );
  });

  it('optional (remote_string: remote_nonnull_string *)', () => {
    const pair: Pair<string | null> = {
      ours: remoteStringCodec,
      theirs: sized(new xdr.Option(new xdr.String(REMOTE_STRING_MAX))),
      toJs: (v) => v,
      fromJs: (v) => (v === undefined ? null : text(v)),
    };
    fc.assert(
      fc.property(fc.option(anyString(20), { nil: null }), (v) => agree(pair, v)),
      RUNS,
    );
  });

  it('fixed and variable arrays', () => {
    const fixed = {
      ours: codec(
        'fixed',
        (w, v: number[]) => {
          const a = w.fixedArray(v, 'fixed', 5);
          for (const x of a) w.uint(x, 'fixed');
        },
        (r) => Array.from({ length: 5 }, () => r.uint('fixed')),
      ),
      theirs: sized(new xdr.Array(xdr.UnsignedInt, 5)),
    };
    fc.assert(
      fc.property(fc.array(uint32, { minLength: 5, maxLength: 5 }), (v) => agree(fixed, v)),
      RUNS,
    );
    const variable: Pair<bigint[]> = {
      ours: codec(
        'var',
        (w, v: bigint[]) => {
          for (const x of w.array(v, 'var', 10)) w.hyper(x, 'var');
        },
        (r) => Array.from({ length: r.length('var', 10, 8) }, () => r.hyper('var')),
      ),
      theirs: sized(new xdr.VarArray(xdr.Hyper, 10)),
      fromJs: (v) => (v as unknown[]).map(big),
    };
    fc.assert(
      fc.property(fc.array(hyper, { maxLength: 10 }), (v) => agree(variable, v)),
      RUNS,
    );
    const strings: Pair<string[]> = {
      ours: codec(
        'strs',
        (w, v: string[]) => {
          for (const x of w.array(v, 'strs', 4)) w.string(x, 'strs');
        },
        (r) => Array.from({ length: r.length('strs', 4, 4) }, () => r.string('strs')),
      ),
      theirs: sized(new xdr.VarArray(new xdr.String(), 4)),
      fromJs: (v) => (v as unknown[]).map(text),
    };
    fc.assert(
      fc.property(fc.array(anyString(9), { maxLength: 4 }), (v) => agree(strings, v)),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------

const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 });
const domain: fc.Arbitrary<RemoteNonnullDomain> = fc.record({ name: anyString(24), uuid, id: int32 });
const typedValue: fc.Arbitrary<RemoteTypedParamValue> = fc.oneof(
  fc.record({ type: fc.constant(1 as const), i: int32 }),
  fc.record({ type: fc.constant(2 as const), ui: uint32 }),
  fc.record({ type: fc.constant(3 as const), l: hyper }),
  fc.record({ type: fc.constant(4 as const), ul: uhyper }),
  fc.record({ type: fc.constant(5 as const), d: fc.double() }),
  fc.record({ type: fc.constant(6 as const), b: int32 }),
  fc.record({ type: fc.constant(7 as const), s: anyString(24) }),
);
const typedParam: fc.Arbitrary<RemoteTypedParam> = fc.record({ field: anyString(16), value: typedValue });

const domainPair: Pair<RemoteNonnullDomain> = { ours: remoteNonnullDomainCodec, theirs: JsDomain, toJs: domainToJs, fromJs: domainFromJs };
const typedValuePair: Pair<RemoteTypedParamValue> = {
  ours: remoteTypedParamValueCodec,
  theirs: JsTypedParamValue,
  toJs: typedValueToJs,
  fromJs: typedValueFromJs,
};
const typedParamPair: Pair<RemoteTypedParam> = { ours: remoteTypedParamCodec, theirs: JsTypedParam, toJs: typedParamToJs, fromJs: typedParamFromJs };

describe('differential against @stellar/js-xdr: libvirt types', () => {
  it('remote_nonnull_domain', () => {
    fc.assert(
      fc.property(domain, (v) => agree(domainPair, v)),
      RUNS,
    );
  });

  it('remote_typed_param_value: every arm of the union', () => {
    fc.assert(
      fc.property(typedValue, (v) => agree(typedValuePair, v)),
      RUNS,
    );
  });

  it('remote_typed_param', () => {
    fc.assert(
      fc.property(typedParam, (v) => agree(typedParamPair, v)),
      RUNS,
    );
  });

  it('remote_connect_list_all_domains_ret', () => {
    const pair: Pair<RemoteConnectListAllDomainsRet> = {
      ours: remoteConnectListAllDomainsRetCodec,
      theirs: JsListAllDomainsRet,
      toJs: (v) => new JsListAllDomainsRet({ domains: v.domains.map(domainToJs), ret: v.ret }),
      fromJs: (v) => ({ domains: (attrs(v).domains as unknown[]).map(domainFromJs), ret: attrs(v).ret as number }),
    };
    fc.assert(
      fc.property(fc.record({ domains: fc.array(domain, { maxLength: 8 }), ret: uint32 }), (v) => agree(pair, v)),
      RUNS,
    );
  });

  it('remote_domain_get_xml_desc_args', () => {
    const pair: Pair<RemoteDomainGetXmlDescArgs> = {
      ours: remoteDomainGetXmlDescArgsCodec,
      theirs: JsGetXmlDescArgs,
      toJs: (v) => new JsGetXmlDescArgs({ dom: domainToJs(v.dom), flags: v.flags }),
      fromJs: (v) => ({ dom: domainFromJs(attrs(v).dom), flags: attrs(v).flags as number }),
    };
    fc.assert(
      fc.property(fc.record({ dom: domain, flags: uint32 }), (v) => agree(pair, v)),
      RUNS,
    );
  });

  it('random bytes: where both accept a remote_typed_param they agree, and js-xdr rejects only what we reject or non-zero padding', () => {
    // Mostly well-formed words (small discriminants and lengths) so decoding gets past the first field.
    const word = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 0xffffffff }));
    const input = fc.oneof(
      fc.array(word, { maxLength: 10 }).map((ws) => {
        const b = Buffer.alloc(ws.length * 4);
        ws.forEach((x, i) => {
          b.writeUInt32BE(x, i * 4);
        });
        return b;
      }),
      fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        let ours: RemoteTypedParam | Error;
        let theirs: RemoteTypedParam | Error;
        try {
          ours = decodeXdr(remoteTypedParamCodec, bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(XdrError);
          ours = e as Error;
        }
        try {
          theirs = typedParamFromJs(JsTypedParam.fromXDR(bytes));
        } catch (e) {
          theirs = e as Error;
        }
        if (!(ours instanceof Error) && !(theirs instanceof Error)) {
          expect(normalize(ours)).toEqual(normalize(theirs));
        } else if (!(ours instanceof Error)) {
          // glibc's xdr (and so this runtime) does not check that padding is zero; js-xdr does.
          expect((theirs as Error).message).toMatch(/padding/);
        } else {
          expect(theirs).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 500 },
    );
  });
});
