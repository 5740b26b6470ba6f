import { describe, expect, it } from 'vitest';
import { CliError, ParsedOptions } from '../../../src/cli/command.js';
import { VshFailure } from '../../../src/cli/support/failures.js';
import {
  cIntBase0,
  cNumber,
  numberOpt,
  parseScaled,
  parseSigned,
  parseUnsigned,
  scaledKiBOpt,
  scaledOpt,
  scaleInteger,
  ULLONG_MAX,
} from '../../../src/cli/support/numbers.js';

const opts = (values: Record<string, string>): ParsedOptions => new ParsedOptions(new Map(Object.entries(values)));

/** The lines a failing reader throws. */
function lines(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return (err as CliError).lines;
  }
  throw new Error('no error');
}

describe('virStrToLong_* (cNumber)', () => {
  it('reads decimal digits after blanks and a sign, nothing after them', () => {
    expect(cNumber(' \t+42', 'int')).toBe(42n);
    expect(cNumber('-7', 'int')).toBe(-7n);
    expect(cNumber('42 ', 'int')).toBeNull();
    expect(cNumber('4x', 'int')).toBeNull();
    expect(cNumber('', 'int')).toBeNull();
    expect(cNumber('0x10', 'int')).toBeNull();
  });
  it('keeps each C type’s range', () => {
    expect(cNumber('2147483647', 'int')).toBe(2147483647n);
    expect(cNumber('2147483648', 'int')).toBeNull();
    expect(cNumber('-2147483648', 'int')).toBe(-2147483648n);
    expect(cNumber('4294967295', 'uint')).toBe(4294967295n);
    expect(cNumber('4294967296', 'uint')).toBeNull();
    expect(cNumber('9223372036854775807', 'llong')).toBe(9223372036854775807n);
    expect(cNumber('9223372036854775808', 'llong')).toBeNull();
    expect(cNumber('18446744073709551615', 'ullong')).toBe(ULLONG_MAX);
    expect(cNumber('18446744073709551616', 'ullong')).toBeNull();
  });
  it('refuses a minus sign for unsigned types unless they wrap (the _ui/_ull readers take -1 as the largest value)', () => {
    expect(cNumber('-1', 'uint')).toBeNull();
    expect(cNumber('-1', 'uint-wrap')).toBe(0xffffffffn);
    expect(cNumber('-1', 'ullong')).toBeNull();
    expect(cNumber('-1', 'ullong-wrap')).toBe(ULLONG_MAX);
    expect(cNumber('-0', 'ullong-wrap')).toBe(0n);
  });
});

describe('strtol with base 0 and strtoul', () => {
  it('reads hex after 0x and octal after a leading 0 (cIntBase0)', () => {
    expect(cIntBase0('0x1f')).toBe(31);
    expect(cIntBase0('010')).toBe(8);
    expect(cIntBase0('0')).toBe(0);
    expect(cIntBase0('-12')).toBe(-12);
    expect(cIntBase0('08')).toBeNull();
    expect(cIntBase0('0x80000000')).toBeNull();
  });
  it('reads a number inside a longer text when told (parseUnsigned with trailing) and whole texts otherwise', () => {
    expect(parseUnsigned('pci:0x1f.2', 16, 0xffffffffn, 4, true)).toEqual({ value: 0x1fn, end: 8 });
    expect(parseUnsigned('12ab', 10, 100n)).toBeNull();
    expect(parseUnsigned('101', 10, 100n)).toBeNull();
    expect(parseUnsigned('-1', 10, 100n)).toBeNull();
    expect(parseUnsigned('017', 0, 100n)).toEqual({ value: 15n, end: 3 });
    expect(parseSigned('-2147483648', 32)).toBe(-2147483648n);
    expect(parseSigned('2147483648', 32)).toBeNull();
  });
});

describe('scaled integers (virScaleInteger)', () => {
  it('takes powers of 1024 for k, KiB, M, MiB..., of 1000 for KB, MB..., 1 for b, byte, bytes', () => {
    expect(scaleInteger(2n, 'k', 1n, ULLONG_MAX)).toEqual({ value: 2048n });
    expect(scaleInteger(2n, 'KiB', 1n, ULLONG_MAX)).toEqual({ value: 2048n });
    expect(scaleInteger(2n, 'KB', 1n, ULLONG_MAX)).toEqual({ value: 2000n });
    expect(scaleInteger(3n, 'G', 1n, ULLONG_MAX)).toEqual({ value: 3n << 30n });
    expect(scaleInteger(1n, 'e', 1n, ULLONG_MAX)).toEqual({ value: 1n << 60n });
    expect(scaleInteger(5n, 'bytes', 1024n, ULLONG_MAX)).toEqual({ value: 5n });
    expect(scaleInteger(5n, '', 1024n, ULLONG_MAX)).toEqual({ value: 5120n });
  });
  it('names an unknown suffix and an overflow as libvirt does', () => {
    expect(scaleInteger(1n, 'kib2', 1n, ULLONG_MAX)).toEqual({ error: "invalid argument: unknown suffix 'kib2'" });
    expect(scaleInteger(1n, 'x', 1n, ULLONG_MAX)).toEqual({ error: "invalid argument: unknown suffix 'x'" });
    expect(scaleInteger(16n, 'E', 1n, ULLONG_MAX)).toEqual({ error: 'numerical overflow: value too large: 16E' });
    expect(scaleInteger(0n, 'E', 1n, 0n)).toEqual({ value: 0n });
  });
  it('reads the number first (parseScaled): no detail when it is malformed', () => {
    expect(parseScaled(' +10M')).toEqual({ value: 10n << 20n });
    expect(parseScaled('-1')).toEqual({ error: null });
    expect(parseScaled('M')).toEqual({ error: null });
    expect(parseScaled('18446744073709551616')).toEqual({ error: null });
    expect(parseScaled('1', 1024n, 1023n)).toEqual({ error: 'numerical overflow: value too large: 1' });
  });
});

describe('number options (vshCommandOpt*)', () => {
  it('are undefined when absent and fail with virsh’s message when bad', () => {
    expect(numberOpt(opts({}), 'weight', 'int')).toBeUndefined();
    expect(numberOpt(opts({ weight: '12' }), 'weight', 'uint')).toBe(12n);
    expect(lines(() => numberOpt(opts({ weight: '-1' }), 'weight', 'uint'))).toEqual(["Numeric value '-1' for <weight> option is malformed or out of range"]);
  });
  it('scale sizes, with libvirt’s reason after virsh’s line when the unit or size was the problem', () => {
    expect(scaledOpt(opts({ size: '1M' }), 'size', 1024n, ULLONG_MAX)).toBe(1n << 20n);
    expect(lines(() => scaledOpt(opts({ size: '1Q' }), 'size', 1024n, ULLONG_MAX))).toEqual([
      "Scaled numeric value '1Q' for <size> option is malformed or out of range",
      "invalid argument: unknown suffix 'Q'",
    ]);
    expect(lines(() => scaledOpt(opts({ size: 'x' }), 'size', 1024n, ULLONG_MAX))).toEqual([
      "Scaled numeric value 'x' for <size> option is malformed or out of range",
    ]);
    let err: unknown;
    try {
      scaledOpt(opts({ size: '1Q' }), 'size', 1024n, ULLONG_MAX);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VshFailure);
    expect((err as VshFailure).libvirt).toBe("invalid argument: unknown suffix 'Q'");
  });
  it('read memory sizes in KiB by default, rounding bytes up to whole KiB', () => {
    expect(scaledKiBOpt(opts({ size: '512' }), 'size')).toBe(512n);
    expect(scaledKiBOpt(opts({ size: '1G' }), 'size')).toBe(1048576n);
    expect(scaledKiBOpt(opts({ size: '1025b' }), 'size')).toBe(2n);
  });
});
