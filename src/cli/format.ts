/**
 * The way virsh writes values: UUIDs, sizes, domain states and their reasons
 * (tools/virsh-domain-monitor.c, tools/vsh.c vshPrettyCapacity).
 */

import { formatUuid } from '../api/uuid.js';

/** `6695eb01-f6a4-8304-79aa-97f2502e193f` from 16 bytes (virUUIDFormat). */
export { formatUuid };

/** 16 bytes from a UUID string with or without dashes, or null when it is not one. */
export function parseUuid(text: string): Uint8Array | null {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex) || !/^[0-9a-fA-F-]+$/.test(text)) return null;
  return Buffer.from(hex, 'hex');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** `100.00 GiB`, as vshPrettyCapacity and `%.2lf %s` print a byte count. */
export function prettyCapacity(bytes: bigint | number): string {
  let v = Number(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)} ${UNITS[u]}`;
}


/**
 * The lines of a `*-list --uuid` / `--name` listing: the UUID, the name, or
 * both separated by a space. `nameWidth` pads the name as `%-Ns` does
 * (pool-list pads it to 20 columns, net-list not at all).
 */
export function uuidNameLines(
  items: readonly { readonly name: string; readonly uuid: Uint8Array }[],
  show: { readonly uuid: boolean; readonly name: boolean },
  nameWidth = 0,
): string {
  return items
    .map((o) => [show.uuid ? formatUuid(o.uuid) : null, show.name ? o.name.padEnd(nameWidth) : null].filter((x) => x !== null).join(' ') + '\n')
    .join('');
}

/**
 * A scaled integer as virsh reads sizes (virScaleInteger): digits, then an
 * optional suffix `B`, `K`, `M`, `G`, `T`, `P`, `E` (powers of 1024), with
 * `iB` (1024) or `B` (1000) after it. Null when the number itself is bad
 * (virsh then has no detail), a message when the suffix or size is.
 */
export function parseScaled(text: string): { value: bigint } | { error: string | null } {
  const m = /^\s*\+?(\d+)(.*)$/s.exec(text);
  if (!m) return { error: null };
  let value = BigInt(m[1]);
  if (value > 0xffffffffffffffffn) return { error: null };
  const suffix = m[2];
  if (suffix === '') return { value };
  const base = suffix.length === 1 || suffix.slice(1).toLowerCase() === 'ib' ? 1024n : suffix.slice(1).toLowerCase() === 'b' ? 1000n : 0n;
  const power = 'bkmgtpe'.indexOf(suffix[0].toLowerCase());
  if (base === 0n || power < 0) return { error: `invalid argument: unknown suffix '${suffix}'` };
  const scale = base ** BigInt(power);
  if (value > 0xffffffffffffffffn / scale) return { error: `numerical overflow: value too large: ${m[1]}${suffix}` };
  value *= scale;
  return { value };
}
