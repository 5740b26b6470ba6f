/**
 * The object layer's values: what users pass in place of wire values (64-bit
 * numbers as `number | bigint`, typed parameters as records) and what wire
 * results become (records, strings from fixed char arrays, JSON-safe objects).
 *
 * The 64-bit rule: results in libvirt's usual units (KiB, bytes, milliseconds,
 * counts) are `number`s, far below 2^53 (libvirt's own "unlimited" is
 * 2^53 - 1 for that reason); nanosecond counters (`cpuTime`) are `bigint`s, and
 * an object holding one has a `toJSON`; records (typed parameters, CPU and
 * memory statistics) hold a 64-bit value as a `number` when it is a safe
 * integer, else as a `bigint`, and have a `toJSON` too.
 *
 * @module
 */
import {
  VIR_TYPED_PARAM_BOOLEAN,
  VIR_TYPED_PARAM_DOUBLE,
  VIR_TYPED_PARAM_INT,
  VIR_TYPED_PARAM_LLONG,
  VIR_TYPED_PARAM_STRING,
  VIR_TYPED_PARAM_UINT,
  VIR_TYPED_PARAM_ULLONG,
} from '../procedures/libvirt-api.gen.js';
import type { RemoteTypedParam, RemoteTypedParamValue } from '../procedures/remote.gen.js';
import { invalidError } from '../xdr/errors.js';
import { TYPED_PARAM_TYPES } from './gen/typed-param-types.gen.js';

/** A value in a record of typed parameters or statistics. */
export type TypedParamValue = number | bigint | string | boolean;

/** Typed parameters (or statistics) as a record keyed by field name. A repeated field is an array. */
export type TypedParams = Record<string, TypedParamValue | TypedParamValue[]>;

/** A typed parameter whose type is given explicitly (`VIR_TYPED_PARAM_*`). */
export interface TypedParamExplicit {
  readonly type: number;
  readonly value: TypedParamValue;
}

/**
 * Typed parameters to send: a record keyed by field name. A value's type is the one libvirt
 * documents for that field (generated from the API XML); where none is documented it follows
 * the value (a string, a boolean, a bigint as ullong), and a plain number needs its type
 * given as `{ type: VIR_TYPED_PARAM_*, value }`. An array sends the field once per element
 * (as libvirt's multi-value string fields, e.g. `migrate_disks`). An array of wire typed
 * parameters is taken as it is.
 */
export type TypedParamsInput =
  | Readonly<Record<string, TypedParamValue | TypedParamExplicit | readonly (TypedParamValue | TypedParamExplicit)[]>>
  | readonly RemoteTypedParam[];

const U32 = 0xffff_ffff;

/** A 64-bit argument from a `number` (a safe integer) or a `bigint`; `what` names it in errors. */
export function int64(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  return invalidError(what, 'a safe integer or a bigint', v);
}

/** A 64-bit result as a number when exact, else the bigint itself. */
function exact(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return exact(v) === v ? v.toString() : Number(v);
  return v;
}

/**
 * The prototype of object-layer results that may hold bigints: its `toJSON` writes them as
 * numbers when exact, else as decimal strings, so `JSON.stringify` works on every result.
 */
const JSON_SAFE: object = Object.create(Object.prototype, {
  toJSON: {
    value(this: Record<string, unknown>): Record<string, unknown> {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(this)) out[k] = Array.isArray(v) ? v.map(jsonValue) : jsonValue(v);
      return out;
    },
  },
});

/** An empty result object whose `toJSON` handles bigints (fill it, then return it). */
export function jsonObject<T>(): T {
  return Object.create(JSON_SAFE) as T;
}

/** `obj`'s fields in a result object whose `toJSON` handles bigints. */
export function withJson<T extends object>(obj: T): T {
  return Object.assign(jsonObject<T>(), obj);
}

/** The bits of a CPU map from byte `offset`, one boolean per host CPU (libvirt-python's tuples of bools). */
export function cpuMapBits(map: Uint8Array, offset: number, cpus: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < cpus; i++) out.push((map[offset + (i >> 3)]! & (1 << (i & 7))) !== 0);
  return out;
}

const utf8 = new TextDecoder();

/** A C `char[N]` sent as an array of char codes, cut at its first NUL, as UTF-8 text (`virNodeInfo.model`). */
export function fixedString(chars: readonly number[] | Uint8Array): string {
  const end = chars.indexOf(0);
  const bytes = Uint8Array.from(end < 0 ? chars : chars.slice(0, end), (c) => c & 0xff);
  return utf8.decode(bytes);
}

/** A typed parameter's wire value as the object API gives it (64-bit integers as numbers when exact, else bigints). */
export function wireParamValue(v: RemoteTypedParamValue): TypedParamValue {
  switch (v.type) {
    case 1:
      return v.i;
    case 2:
      return v.ui;
    case 3:
      return exact(v.l);
    case 4:
      return exact(v.ul);
    case 5:
      return v.d;
    case 6:
      return v.b !== 0;
    case 7:
      return v.s;
  }
}

/**
 * A record from wire typed parameters (`{ field, value: { type, ... } }`) or statistics
 * (`{ field, value }`). A field that comes more than once becomes an array.
 */
export function recordOf(list: readonly { field: string; value: RemoteTypedParamValue | bigint }[]): TypedParams {
  const out = jsonObject<TypedParams>();
  for (const { field, value } of list) {
    const v = typeof value === 'bigint' ? exact(value) : wireParamValue(value);
    const prev = out[field];
    if (prev === undefined) out[field] = v;
    else out[field] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function wireValue(field: string, type: number, v: TypedParamValue, what: string): RemoteTypedParamValue {
  switch (type) {
    case VIR_TYPED_PARAM_INT:
    case VIR_TYPED_PARAM_UINT: {
      const n = typeof v === 'bigint' ? Number(v) : v;
      const [min, max] = type === VIR_TYPED_PARAM_INT ? [-0x8000_0000, 0x7fff_ffff] : [0, U32];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
        return invalidError(what, `${type === VIR_TYPED_PARAM_INT ? 'an int' : 'an unsigned int'} for '${field}'`, v);
      }
      return type === VIR_TYPED_PARAM_INT ? { type: 1, i: n } : { type: 2, ui: n };
    }
    case VIR_TYPED_PARAM_LLONG:
    case VIR_TYPED_PARAM_ULLONG: {
      if (typeof v !== 'number' && typeof v !== 'bigint') return invalidError(what, `a number or bigint for '${field}'`, v);
      const b = int64(v, what);
      return type === VIR_TYPED_PARAM_LLONG ? { type: 3, l: b } : { type: 4, ul: b };
    }
    case VIR_TYPED_PARAM_DOUBLE:
      if (typeof v !== 'number') return invalidError(what, `a number for '${field}'`, v);
      return { type: 5, d: v };
    case VIR_TYPED_PARAM_BOOLEAN:
      if (typeof v !== 'boolean' && v !== 0 && v !== 1) return invalidError(what, `a boolean for '${field}'`, v);
      return { type: 6, b: v ? 1 : 0 };
    case VIR_TYPED_PARAM_STRING:
      if (typeof v !== 'string') return invalidError(what, `a string for '${field}'`, v);
      return { type: 7, s: v };
    default:
      return invalidError(what, `a VIR_TYPED_PARAM_* type for '${field}'`, type);
  }
}

function typeFor(field: string, v: TypedParamValue, what: string): number {
  const known = TYPED_PARAM_TYPES[field];
  if (known !== undefined) return known;
  if (typeof v === 'string') return VIR_TYPED_PARAM_STRING;
  if (typeof v === 'boolean') return VIR_TYPED_PARAM_BOOLEAN;
  if (typeof v === 'bigint') return VIR_TYPED_PARAM_ULLONG;
  return invalidError(what, `'${field}' as { type: VIR_TYPED_PARAM_*, value } (libvirt documents no type for it)`, v);
}

const isExplicit = (v: unknown): v is TypedParamExplicit => typeof v === 'object' && v !== null && 'type' in v && 'value' in v;

/** Wire typed parameters from a record (see {@link TypedParamsInput}). */
export function typedParamsToWire(params: TypedParamsInput, what: string): RemoteTypedParam[] {
  if (Array.isArray(params)) return params as RemoteTypedParam[];
  const out: RemoteTypedParam[] = [];
  for (const [field, entry] of Object.entries(params as Record<string, unknown>)) {
    const values = (Array.isArray(entry) ? entry : [entry]) as (TypedParamValue | TypedParamExplicit)[];
    for (const v of values) {
      const at = `${what}.${field}`;
      if (isExplicit(v)) out.push({ field, value: wireValue(field, v.type, v.value, at) });
      else out.push({ field, value: wireValue(field, typeFor(field, v, at), v, at) });
    }
  }
  return out;
}
