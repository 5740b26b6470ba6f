import { describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/command.js';
import { bitmapRanges, formatAffinity, formatCpuMap, mapBits, parseBitmap, parseCpuList } from '../../../src/cli/support/cpumap.js';

describe('CPU maps as virsh writes them (virBitmapFormat, vcpuinfo)', () => {
  it('writes set bits as ranges', () => {
    expect(bitmapRanges([true, true, true, false, true, false, true, true])).toBe('0-2,4,6-7');
    expect(bitmapRanges([false, false])).toBe('');
    expect(bitmapRanges([false, true])).toBe('1');
  });
  it('reads a map’s bytes least significant bit first, from an offset', () => {
    const map = Uint8Array.from([0b0000_0101, 0b1000_0000, 0xff]);
    expect(mapBits(map, 0, 1)).toEqual([true, false, true, false, false, false, false, false]);
    expect(formatCpuMap(map, 0, 2)).toBe('0,2,15');
    expect(formatCpuMap(map, 2, 1)).toBe('0-7');
  });
  it('prints vcpuinfo’s affinity as y/- or, with --pretty, ranges out of the host’s CPUs', () => {
    const map = Uint8Array.from([0b0000_1011]);
    expect(formatAffinity(map, 0, 6, false)).toBe('yy-y--');
    expect(formatAffinity(map, 0, 6, true)).toBe('0-1,3 (out of 6)');
  });
});

describe('CPU lists as virsh reads them (virBitmapParse, virshParseCPUList)', () => {
  it('takes single CPUs, ranges and ^exclusions, with blanks around them', () => {
    expect([...parseBitmap('0-3,^2,5')!].sort()).toEqual([0, 1, 3, 5]);
    expect([...parseBitmap(' 1 , 3 - 4 ')!].sort()).toEqual([1, 3, 4]);
    expect([...parseBitmap('^1')!]).toEqual([]);
  });
  it('refuses what virBitmapParse refuses', () => {
    for (const bad of ['', '3-1', '^1-2', '1,', 'a', '1-', '1;2', '2000']) expect(parseBitmap(bad), bad).toBeNull();
  });
  it('makes the bytes of a CPU map up to the last CPU, or every CPU for r', () => {
    expect(parseCpuList('0,9', 16)).toEqual(Uint8Array.from([0b1, 0b10]));
    expect(parseCpuList('r', 12)).toEqual(Uint8Array.from([0xff, 0x0f]));
  });
  it('names a bad list, an empty one and a CPU beyond the host’s as virsh does', () => {
    const fail = (text: string, max: number): readonly string[] => {
      try {
        parseCpuList(text, max);
      } catch (err) {
        expect(err).toBeInstanceOf(CliError);
        return (err as CliError).lines;
      }
      throw new Error('no error');
    };
    expect(fail('x', 4)).toEqual(["Invalid cpulist 'x'", "invalid argument: Failed to parse bitmap 'x'"]);
    expect(fail('^0', 4)).toEqual(["Invalid cpulist '^0'"]);
    expect(fail('0-4', 4)).toEqual(["CPU 4 in cpulist '0-4' exceed the maxcpu 4"]);
  });
});
