/**
 * Typed parameters as virsh prints and reads them (tools/vsh.c
 * vshGetTypedParamValue, src/util/virtypedparam.c virTypedParamsAddFromString
 * and virTypedParameterToString).
 */
import type { TypedParamValue } from '../../api/values.js';
import type { RemoteTypedParam, RemoteTypedParamValue } from '../../procedures/remote.gen.js';
import { VshFailure } from './failures.js';
import { cNumber, type CNumberKind } from './numbers.js';

/**
 * The flag libvirt's client library adds to calls whose answer may hold
 * string parameters (VIR_TYPED_PARAM_STRING_OKAY): without it the daemon
 * leaves those parameters out.
 */
export const STRING_OKAY = 4;

/** A typed parameter's value as virsh prints it (vshGetTypedParamValue). */
export function paramText(v: RemoteTypedParamValue): string {
  switch (v.type) {
    case 1:
      return String(v.i);
    case 2:
      return String(v.ui);
    case 3:
      return String(v.l);
    case 4:
      return String(v.ul);
    case 5:
      return v.d.toFixed(6);
    case 6:
      return v.b ? 'yes' : 'no';
    case 7:
      return v.s;
  }
}

/** `field : value` lines as virsh prints parameter lists (`%-15s: %s`). */
export function paramLines(params: readonly RemoteTypedParam[], width = 15): string {
  return params.map((p) => `${p.field.padEnd(width)}: ${paramText(p.value)}\n`).join('');
}

/** Prints typed parameters, each as `%-15s: %s`, `show` turning some values into words. */
export function printParams(ctx: { print(text: string): void }, params: readonly RemoteTypedParam[], show?: (p: RemoteTypedParam) => string | null): void {
  ctx.print(params.map((p) => `${p.field.padEnd(15)}: ${show?.(p) ?? paramText(p.value)}\n`).join(''));
}

/** Typed parameter builders (virTypedParamsAdd*). */
export const param = {
  int: (field: string, i: number): RemoteTypedParam => ({ field, value: { type: 1, i } }),
  uint: (field: string, ui: number): RemoteTypedParam => ({ field, value: { type: 2, ui } }),
  ullong: (field: string, ul: bigint): RemoteTypedParam => ({ field, value: { type: 4, ul } }),
  bool: (field: string, b: boolean): RemoteTypedParam => ({ field, value: { type: 6, b: b ? 1 : 0 } }),
  string: (field: string, s: string): RemoteTypedParam => ({ field, value: { type: 7, s } }),
};

const TYPE_NAMES = ['', 'int', 'unsigned int', 'long long int', 'unsigned long long int', 'double', 'boolean', 'string'];

/**
 * A parameter of `type` from text, as virTypedParamsAddFromString reads it;
 * libvirt's `Invalid value for field` error when the text does not fit.
 */
export function paramFromString(field: string, type: number, text: string): RemoteTypedParam {
  const bad = (): VshFailure => new VshFailure([], `invalid argument: Invalid value for field '${field}': expected ${TYPE_NAMES[type] ?? 'unknown'}`);
  const num = (kind: CNumberKind): bigint => {
    const v = cNumber(text, kind);
    if (v === null) throw bad();
    return v;
  };
  switch (type) {
    case 1:
      return param.int(field, Number(num('int')));
    case 2:
      return param.uint(field, Number(num('uint-wrap')));
    case 3:
      return { field, value: { type: 3, l: num('llong') } };
    case 4:
      return param.ullong(field, num('ullong-wrap'));
    case 5: {
      const d = Number(text);
      if (text.trim() === '' || Number.isNaN(d)) throw bad();
      return { field, value: { type: 5, d } };
    }
    case 6:
      if (text.toLowerCase() === 'true' || text === '1') return param.bool(field, true);
      if (text.toLowerCase() === 'false' || text === '0') return param.bool(field, false);
      throw bad();
    default:
      return param.string(field, text);
  }
}

/** A double as C's `%g` writes it: six significant digits, exponent form outside 1e-4 .. 1e6, no trailing zeros. */
export function formatG(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const trim = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  const [mantissa, e] = d.toExponential(5).split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(d.toFixed(5 - exp));
}

/** A typed parameter's value as libvirt's virTypedParameterToString writes it (domjobinfo --rawstats): booleans as 1/0, doubles as `%g`. */
export function rawParamText(v: RemoteTypedParamValue): string {
  if (v.type === 6) return String(v.b);
  if (v.type === 5) return formatG(v.d);
  return paramText(v);
}

/** An object-layer typed parameter value as virTypedParameterToString writes it (the event commands print these). */
export function typedValueText(v: TypedParamValue): string {
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number' && !Number.isInteger(v)) return formatG(v);
  return String(v);
}
