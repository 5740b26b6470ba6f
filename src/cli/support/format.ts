/**
 * The way virsh writes values: `label: value` fields, yes/no, sizes, local
 * times, UUID listings, and the order of its lists (tools/vsh.c
 * vshPrettyCapacity, vshStrcasecmp; the `%-15s %s` lines of the info
 * commands).
 */

import { formatUuid } from '../../api/uuid.js';

/** `6695eb01-f6a4-8304-79aa-97f2502e193f` from 16 bytes (virUUIDFormat). */
export { formatUuid };

/** One line of an info command: the label padded as `%-15s` (`%-20s` for nodeinfo's), a space, the value. */
export const field = (label: string, value: string | number | bigint, width = 15): string => `${label.padEnd(width)} ${value}\n`;

/** `yes` or `no` for a C boolean. */
export const yesNo = (v: number | boolean): string => (v ? 'yes' : 'no');

/** ASCII case-insensitive order of two strings, as vshStrcasecmp sorts virsh's lists. */
export function caseOrder(a: string, b: string): number {
  const x = a.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const y = b.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Objects in {@link caseOrder} of their names. */
export const byName = (a: { readonly name: string }, b: { readonly name: string }): number => caseOrder(a.name, b.name);

/**
 * Seconds since the epoch as local time, strftime's `%Y-%m-%d %H:%M:%S`, and
 * ` %z` (`+0100`) after it with `zone` (the snapshot and checkpoint lists).
 */
export function localTime(seconds: number | bigint, zone = false): string {
  const d = new Date(Number(seconds) * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  const text = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  if (!zone) return text;
  const off = -d.getTimezoneOffset();
  const abs = Math.abs(off);
  return `${text} ${off < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
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

/** A byte count as vshPrettyCapacity scales it and `%.3lf %s` prints it (`1023.995 GiB`). */
export function prettyCapacity3(bytes: bigint): string {
  let unit = 0;
  let limit = 1024n;
  while (unit < UNITS.length - 1 && bytes >= limit) {
    unit++;
    limit *= 1024n;
  }
  return `${(Number(bytes) / Number(limit / 1024n)).toFixed(3)} ${UNITS[unit]}`;
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

/** Prints `text` unless virsh runs quiet (vshPrintExtra). */
export function printExtra(ctx: { readonly quiet: boolean; print(text: string): void }, text: string): void {
  if (!ctx.quiet) ctx.print(text);
}
