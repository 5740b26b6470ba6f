/**
 * The way virsh writes values: UUIDs, sizes, domain states and their reasons
 * (tools/virsh-domain-monitor.c, tools/vsh.c vshPrettyCapacity).
 */

import { fixedString } from '../api/values.js';
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

/** A C `char[]` that travelled as 4-byte chars, up to its NUL, as text. */
export const cString = fixedString;

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

/** An element of a parsed XML document (enough of XML for libvirt's own output). */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** The element's own text, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', apos: "'", quot: '"' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e] ?? m),
  );
}

/** Parses an XML document (libvirt's XML: no DTD) and returns its root element. */
export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const tag = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<(\/?)([^\s/>]+)((?:\s+[^\s=]+\s*=\s*(?:'[^']*'|"[^"]*"))*)\s*(\/?)>|([^<]+)/g;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    const top = stack[stack.length - 1];
    if (m[6] !== undefined) top.text += decodeEntities(m[6]);
    else if (m[1] !== undefined) top.text += m[1];
    else if (m[3] === undefined) continue;
    else if (m[2]) stack.pop();
    else {
      const attrs: Record<string, string> = {};
      for (const a of (m[4] ?? '').matchAll(/([^\s=]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g)) attrs[a[1]] = decodeEntities(a[2] ?? a[3]);
      const el: XmlElement = { name: m[3], attrs, children: [], text: '' };
      top.children.push(el);
      if (!m[5]) stack.push(el);
    }
  }
  const doc = root.children[0];
  if (!doc) throw new Error('empty XML document');
  return doc;
}

/** The children of `el` named `name`, or, with a path (`devices/disk`), the elements it reaches. */
export function xmlAll(el: XmlElement, path: string): XmlElement[] {
  let found = [el];
  for (const step of path.split('/')) found = found.flatMap((e) => e.children.filter((c) => c.name === step));
  return found;
}

/** The first element `path` reaches, or undefined. */
export function xmlFirst(el: XmlElement, path: string): XmlElement | undefined {
  return xmlAll(el, path)[0];
}
