/**
 * CPU lists and maps as virsh reads and writes them (src/util/virbitmap.c
 * virBitmapParse, virBitmapFormat, virBitmapDataFormat; tools/virsh-domain.c
 * virshParseCPUList, virshNodeGetCPUCount).
 */
import type { Connection } from '../../api/connection.js';
import { LibvirtError } from '../../rpc/errors.js';
import { CliError } from '../command.js';
import { VshFailure } from './failures.js';

/** Ranges of set bits (`0-3,6`), as virBitmapFormat writes them. */
export function bitmapRanges(bits: readonly boolean[]): string {
  const parts: string[] = [];
  for (let i = 0; i < bits.length; i++) {
    if (!bits[i]) continue;
    let j = i;
    while (bits[j + 1]) j++;
    parts.push(i === j ? `${i}` : `${i}-${j}`);
    i = j;
  }
  return parts.join(',');
}

/** The bits of a CPU map (`maplen` bytes from `offset`). */
export function mapBits(map: Uint8Array, offset = 0, maplen = map.length - offset): boolean[] {
  return Array.from({ length: maplen * 8 }, (_, c) => (map[offset + (c >> 3)] & (1 << (c & 7))) !== 0);
}

/** A CPU map as virBitmapDataFormat writes it. */
export function formatCpuMap(map: Uint8Array, offset = 0, maplen = map.length - offset): string {
  return bitmapRanges(mapBits(map, offset, maplen));
}

/** The set bits of a bitmap string (`0-3,^2,5`) as virBitmapParse reads it, or null when malformed. */
export function parseBitmap(text: string, size = 1024): Set<number> | null {
  const set = new Set<number>();
  let i = 0;
  const blanks = (): void => {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n') i++;
  };
  const number = (): number | null => {
    const m = /^[0-9]+/.exec(text.slice(i));
    if (!m) return null;
    i += m[0].length;
    const v = Number(m[0]);
    return v < size ? v : null;
  };
  blanks();
  if (i >= text.length) return null;
  for (;;) {
    const neg = text[i] === '^';
    if (neg) i++;
    const start = number();
    if (start === null) return null;
    blanks();
    if (text[i] === '-') {
      if (neg) return null;
      i++;
      blanks();
      const last = number();
      if (last === null || last < start) return null;
      for (let c = start; c <= last; c++) set.add(c);
      blanks();
    } else if (neg) {
      set.delete(start);
    } else {
      set.add(start);
    }
    if (text[i] === ',') {
      i++;
      blanks();
      continue;
    }
    if (i >= text.length) return set;
    return null;
  }
}

/** A set of CPUs as the bytes of a CPU map (as virBitmapToData: up to the last set bit). */
function cpuMapBytes(cpus: Set<number>, nbits?: number): Uint8Array {
  const last = Math.max(-1, ...cpus);
  const len = nbits !== undefined ? (nbits + 7) >> 3 : last < 0 ? 1 : (last + 8) >> 3;
  const map = new Uint8Array(len);
  for (const c of cpus) map[c >> 3] |= 1 << (c & 7);
  return map;
}

/**
 * The CPU map of a `cpulist` option, as virshParseCPUList reads it: `r` for
 * every CPU, else a bitmap string with at least one CPU below `maxcpu`.
 */
export function parseCpuList(cpulist: string, maxcpu: number): Uint8Array {
  if (cpulist[0] === 'r') return cpuMapBytes(new Set(Array.from({ length: maxcpu }, (_, i) => i)), maxcpu);
  const set = parseBitmap(cpulist);
  if (set === null) throw new VshFailure([`Invalid cpulist '${cpulist}'`], `invalid argument: Failed to parse bitmap '${cpulist}'`);
  if (set.size === 0) throw new CliError([`Invalid cpulist '${cpulist}'`]);
  const last = Math.max(...set);
  if (last >= maxcpu) throw new CliError([`CPU ${last} in cpulist '${cpulist}' exceed the maxcpu ${maxcpu}`]);
  return cpuMapBytes(set);
}

/** The host's CPU count as virsh finds it (virshNodeGetCPUCount: the CPU map, else node info). */
export async function nodeCpuCount(conn: Connection): Promise<number> {
  try {
    return (await conn.raw.nodeGetCPUMap(0, 0, 0)).ret;
  } catch (err) {
    if (!(err instanceof LibvirtError)) throw err;
    const i = await conn.raw.nodeGetInfo();
    return i.nodes * i.sockets * i.cores * i.threads;
  }
}

/** A CPU affinity as vcpuinfo prints it: `y` or `-` for each host CPU, or with --pretty its ranges and `(out of N)`. */
export function formatAffinity(map: Uint8Array, offset: number, maxcpu: number, pretty: boolean): string {
  const bits = Array.from({ length: maxcpu }, (_, c) => (map[offset + (c >> 3)] & (1 << (c & 7))) !== 0);
  return pretty ? `${bitmapRanges(bits)} (out of ${maxcpu})` : bits.map((b) => (b ? 'y' : '-')).join('');
}
