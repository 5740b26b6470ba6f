import { describe, expect, it } from 'vitest';
import { byName, caseOrder, field, localTime, prettyCapacity, prettyCapacity3, yesNo } from '../../../src/cli/support/format.js';
import { splitCommaList } from '../../../src/cli/support/options.js';
import { formatG, paramFromString, paramText, rawParamText } from '../../../src/cli/support/params.js';
import { VshFailure } from '../../../src/cli/support/failures.js';
import { echoText, shellQuote, splitCommas } from '../../../src/cli/shell/builtins.js';
import { escapeXml } from '../../../src/cli/support/xml.js';
import { ParsedOptions } from '../../../src/cli/command.js';

describe('fields and values as virsh prints them', () => {
  it('pads a label as %-15s (nodeinfo: %-20s) before the value', () => {
    expect(field('Name:', 'vm1')).toBe('Name:           vm1\n');
    expect(field('CPU(s):', 4, 20)).toBe('CPU(s):              4\n');
    expect(field('A-very-long-label-here:', 1n)).toBe('A-very-long-label-here: 1\n');
    expect(yesNo(1)).toBe('yes');
    expect(yesNo(0)).toBe('no');
  });
  it('prints sizes as vshPrettyCapacity with two or three decimals', () => {
    expect(prettyCapacity(1536)).toBe('1.50 KiB');
    expect(prettyCapacity3(1023n)).toBe('1023.000 B');
    expect(prettyCapacity3(1024n)).toBe('1.000 KiB');
    expect(prettyCapacity3((1n << 40n) - 1n)).toBe('1024.000 GiB');
  });
  it('orders names as vshStrcasecmp: ASCII case folded', () => {
    expect(['b', 'A', 'a', 'C'].sort(caseOrder)).toEqual(['A', 'a', 'b', 'C']);
    expect([{ name: 'Zed' }, { name: 'alpha' }].sort(byName).map((o) => o.name)).toEqual(['alpha', 'Zed']);
  });
  it('prints local time with strftime’s %Y-%m-%d %H:%M:%S, and %z when asked', () => {
    const t = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;
    const d = new Date(t * 1000);
    const two = (n: number): string => String(n).padStart(2, '0');
    const local = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:05`;
    expect(localTime(t)).toBe(local);
    expect(localTime(BigInt(t), true)).toMatch(new RegExp(`^${local} [+-]\\d{4}$`));
  });
  it('prints typed parameters as vshGetTypedParamValue, and raw ones as virTypedParameterToString', () => {
    expect(paramText({ type: 5, d: 1.5 })).toBe('1.500000');
    expect(paramText({ type: 6, b: 1 })).toBe('yes');
    expect(rawParamText({ type: 6, b: 1 })).toBe('1');
    expect(rawParamText({ type: 5, d: 0.0001234 })).toBe('0.0001234');
    expect(formatG(1234567)).toBe('1.23457e+06');
    expect(formatG(100000)).toBe('100000');
    expect(formatG(0.00001)).toBe('1e-05');
  });
  it('reads typed parameters from text as virTypedParamsAddFromString', () => {
    expect(paramFromString('cap', 2, '-1')).toEqual({ field: 'cap', value: { type: 2, ui: 0xffffffff } });
    expect(paramFromString('on', 6, 'TRUE')).toEqual({ field: 'on', value: { type: 6, b: 1 } });
    expect(() => paramFromString('weight', 1, '1.5')).toThrow(VshFailure);
    try {
      paramFromString('weight', 1, 'x');
    } catch (err) {
      expect((err as VshFailure).lines).toEqual(["invalid argument: Invalid value for field 'weight': expected int"]);
    }
  });
});

describe('comma lists and echo’s escapes', () => {
  it('splits on , with ,, for a literal comma (vshStringToArray)', () => {
    expect(splitCommaList('a,,b,c,')).toEqual(['a,b', 'c', '']);
    expect(splitCommaList('a,,,b')).toEqual(['a,', 'b']);
    expect(splitCommas('')).toEqual([]);
    expect(splitCommas('a,,b,c,')).toEqual(['a,b', 'c', '']);
  });
  it('quotes for a shell and escapes for XML as virsh’s echo does', () => {
    // virsh "echo --shell 'a b' c\'d ''" prints: 'a b' 'c'\''d' ''
    expect(['a b', "c'd", '', 'plain'].map(shellQuote)).toEqual(["'a b'", "'c'\\''d'", "''", 'plain']);
    // virsh "echo --xml '<a&b>' \"'\"" prints: &lt;a&amp;b&gt; &apos;
    expect(escapeXml(`<a&b>'"`)).toBe('&lt;a&amp;b&gt;&apos;&quot;');
    expect(escapeXml('a\x01b\tc')).toBe('ab\tc');
    const echo = (args: string[], flags: string[] = []): string | null =>
      echoText(new ParsedOptions(new Map(flags.map((f) => [f, true] as [string, true])), new Map([['string', args]])));
    expect(echo(['a,,b,c,'], ['split'])).toBe('a,b\nc\n\n');
    expect(echo(['x', 'y'])).toBe('x y');
  });
});
