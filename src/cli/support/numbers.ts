/**
 * Numbers as virsh reads them from its options: the C library's strtol
 * family as libvirt wraps it (src/util/virstring.c virStrToLong_*), the
 * scaled integers of sizes (src/util/virutil.c virScaleInteger), and the
 * option readers built on them (tools/vsh.c vshCommandOptInt and friends,
 * vshCommandOptScaledInt).
 */
import { CliError, type ParsedOptions } from '../command.js';
import { VshFailure } from './failures.js';

/** 2^32 - 1 (UINT_MAX). */
export const UINT_MAX = 0xffffffffn;
/** 2^64 - 1 (ULLONG_MAX, and ULONG_MAX on the 64-bit hosts virsh runs on). */
export const ULLONG_MAX = 0xffffffffffffffffn;
const U64 = 1n << 64n;

/** The C integer types virsh reads options into (virStrToLong_i, _uip, _ui, _ll, _ullp, _ull). */
export type CNumberKind = 'int' | 'uint' | 'uint-wrap' | 'llong' | 'ullong' | 'ullong-wrap';

/**
 * A number parsed as libvirt's virStrToLong_* do: optional blanks and sign,
 * decimal digits, nothing after; null when malformed or out of range. The
 * `-wrap` kinds take a negative number as its two's complement, the others
 * refuse a minus sign.
 */
export function cNumber(text: string, kind: CNumberKind): bigint | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(text);
  if (!m) return null;
  const neg = m[1] === '-';
  const mag = BigInt(m[2]);
  const signed = (bits: bigint): bigint | null => {
    const v = neg ? -mag : mag;
    return v >= -(1n << (bits - 1n)) && v < 1n << (bits - 1n) ? v : null;
  };
  switch (kind) {
    case 'int':
      return signed(32n);
    case 'llong':
      return signed(64n);
    case 'uint':
      return neg || mag > UINT_MAX ? null : mag;
    case 'uint-wrap':
      if (mag > UINT_MAX) return null;
      return neg ? (0x100000000n - mag) & UINT_MAX : mag;
    case 'ullong':
      return neg || mag >= U64 ? null : mag;
    case 'ullong-wrap':
      if (mag >= U64) return null;
      return neg ? (U64 - mag) % U64 : mag;
  }
}

/** An `int` as C's strtol with base 0 reads it (`0x` hex, leading `0` octal, blanks and a sign before), whole text only; null when malformed or out of range. */
export function cIntBase0(text: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return null;
  const body = m[2];
  const mag = /^0[xX]/.test(body) ? BigInt(body) : body.length > 1 && body[0] === '0' ? BigInt(`0o${body.slice(1)}`) : BigInt(body);
  const v = m[1] === '-' ? -mag : mag;
  return v >= -(1n << 31n) && v < 1n << 31n ? Number(v) : null;
}

/** What strtoul/strtoull read from a position. */
export interface StrtoulResult {
  readonly value: bigint;
  /** Index after the last character used; `start` when no number was found. */
  readonly end: number;
  readonly negative: boolean;
}

/** strtoul/strtoull from `start`: blanks, a sign, then digits of `base` (0: by prefix; 16 takes `0x`). */
export function strtoul(s: string, start: number, base: number): StrtoulResult {
  let i = start;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
  let b = base;
  const hexPrefix = s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '');
  if ((b === 0 || b === 16) && hexPrefix) {
    b = 16;
    i += 2;
  } else if (b === 0) {
    b = s[i] === '0' ? 8 : 10;
  }
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b);
  const from = i;
  let value = 0n;
  while (i < s.length && digits.includes(s[i].toLowerCase())) value = value * BigInt(b) + BigInt(digits.indexOf(s[i++].toLowerCase()));
  if (i === from) return { value: 0n, end: start, negative: false };
  return { value, end: i, negative };
}

/**
 * An unsigned number as virStrToLong_uip/_ullp read it: no minus sign, at
 * most `max`; with `trailing` the text may go on after it (its end is
 * returned), otherwise it must end there. Null when malformed.
 */
export function parseUnsigned(s: string, base: number, max: bigint, start = 0, trailing = false): { value: bigint; end: number } | null {
  const r = strtoul(s, start, base);
  if (r.end === start || r.negative || r.value > max || (!trailing && r.end !== s.length)) return null;
  return { value: r.value, end: r.end };
}

/** A signed number as virStrToLong_i/_ll read it (base 10, the whole text), or null. */
export function parseSigned(s: string, bits: 32 | 64): bigint | null {
  const r = strtoul(s, 0, 10);
  if (r.end === 0 || r.end !== s.length) return null;
  const v = r.negative ? -r.value : r.value;
  const limit = 1n << BigInt(bits - 1);
  return v < -limit || v >= limit ? null : v;
}

/**
 * Scales `value` by the unit `suffix` as libvirt's virScaleInteger does
 * (`k`/`KiB` 1024, `KB` 1000, ..., `b`/`byte(s)` 1; none: `scale`); the
 * result, or libvirt's error text.
 */
export function scaleInteger(value: bigint, suffix: string, scale: bigint, limit: bigint): { value: bigint } | { error: string } {
  const lower = suffix.toLowerCase();
  if (suffix !== '') {
    if (lower === 'b' || lower === 'byte' || lower === 'bytes') {
      scale = 1n;
    } else {
      const base = suffix.length === 1 || lower.slice(1) === 'ib' ? 1024n : lower[1] === 'b' && suffix.length === 2 ? 1000n : 0n;
      const power = 'kmgtpe'.indexOf(lower[0]) + 1;
      if (base === 0n || power === 0) return { error: `invalid argument: unknown suffix '${suffix}'` };
      scale = base ** BigInt(power);
    }
  }
  if (value !== 0n && value > limit / scale) return { error: `numerical overflow: value too large: ${value}${suffix}` };
  return { value: value * scale };
}

/**
 * A scaled integer as virStrToLong_ullp and virScaleInteger read it together:
 * digits, then an optional unit (no unit: times `scale`), at most `limit`.
 * `error` is null when the number itself is bad (libvirt then has no
 * detail), else libvirt's message about the unit or the size.
 */
export function parseScaled(text: string, scale = 1n, limit = ULLONG_MAX): { value: bigint } | { error: string | null } {
  const m = /^[ \t\n\v\f\r]*\+?(\d+)(.*)$/s.exec(text);
  if (!m || BigInt(m[1]) >= U64) return { error: null };
  return scaleInteger(BigInt(m[1]), m[2], scale, limit);
}

/**
 * A number option as vshCommandOpt{Int,UInt,LongLong,ULongLong}[Wrap] read
 * it: undefined when absent, `Numeric value ... is malformed or out of range`
 * when bad.
 */
export function numberOpt(opts: ParsedOptions, name: string, kind: CNumberKind): bigint | undefined {
  const text = opts.string(name);
  if (text === undefined) return undefined;
  const v = cNumber(text, kind);
  if (v === null) throw new CliError([`Numeric value '${text}' for <${name}> option is malformed or out of range`]);
  return v;
}

/** {@link numberOpt} as a JS number (for the 32-bit kinds). */
export function smallNumberOpt(opts: ParsedOptions, name: string, kind: 'int' | 'uint' | 'uint-wrap'): number | undefined {
  const v = numberOpt(opts, name, kind);
  return v === undefined ? undefined : Number(v);
}

/**
 * A scaled option as vshCommandOptScaledInt reads it: digits with an
 * optional unit (none: times `scale`), at most `max`. A {@link VshFailure}
 * when bad (with libvirt's reason when the unit or size was the problem).
 */
export function scaledOpt(opts: ParsedOptions, name: string, scale: bigint, max: bigint): bigint | undefined {
  const text = opts.string(name);
  if (text === undefined) return undefined;
  const r = parseScaled(text, scale, max);
  if ('error' in r) throw new VshFailure([`Scaled numeric value '${text}' for <${name}> option is malformed or out of range`], r.error);
  return r.value;
}

/** A size option in KiB, rounded up, as virsh reads memory sizes (vshCommandOptScaledInt with a default unit of KiB, then VIR_DIV_UP). */
export function scaledKiBOpt(opts: ParsedOptions, name: string): bigint | undefined {
  const bytes = scaledOpt(opts, name, 1024n, ULLONG_MAX);
  return bytes === undefined ? undefined : (bytes + 1023n) / 1024n;
}
