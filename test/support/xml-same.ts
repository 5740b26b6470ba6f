/**
 * XML equality for round-trip tests: the same elements, attributes and text, where the order of
 * child elements of different names does not count (the model writes them in the schema's order;
 * libvirt's formatter has its own), but the order of same-named siblings does. Whitespace-only
 * text beside elements is layout; comments and processing instructions are not compared.
 */
import { parseXml, type XmlElement } from '../../src/api/xml/reader.js';

/** The first difference between two documents, as a path and a reason, or null when equal. */
export function xmlDifference(a: string, b: string): string | null {
  return elementDifference(expand(parseXml(a)), expand(parseXml(b)), '');
}

/**
 * The tree with element names expanded to `{namespace}local` and namespace declarations
 * dropped, as XML Namespaces compares names: the prefix an element is written with is not part
 * of its name.
 */
function expand(el: XmlElement, outer: ReadonlyMap<string, string> = new Map()): XmlElement {
  const scope = new Map(outer);
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs)) {
    if (k === 'xmlns' || k.startsWith('xmlns:')) scope.set(k.slice(6), v);
    else attrs[k] = v;
  }
  const colon = el.name.indexOf(':');
  const uri = scope.get(colon < 0 ? '' : el.name.slice(0, colon));
  const name = uri ? `{${uri}}${el.name.slice(colon + 1)}` : el.name;
  return { kind: 'element', name, attrs, children: el.children.map((c) => (c.kind === 'element' ? expand(c, scope) : c)) };
}

function text(el: XmlElement): string {
  return el.children.map((c) => (c.kind === 'text' || c.kind === 'cdata' ? c.text : '')).join('');
}

function elementDifference(a: XmlElement, b: XmlElement, path: string): string | null {
  const here = `${path}/${a.name}`;
  if (a.name !== b.name) return `${here}: element <${a.name}> became <${b.name}>`;
  const ka = Object.keys(a.attrs).sort();
  const kb = Object.keys(b.attrs).sort();
  if (ka.join('\0') !== kb.join('\0')) return `${here}: attributes [${ka}] became [${kb}]`;
  for (const k of ka) if (a.attrs[k] !== b.attrs[k]) return `${here}/@${k}: '${a.attrs[k]}' became '${b.attrs[k]}'`;
  const ea = a.children.filter((c): c is XmlElement => c.kind === 'element');
  const eb = b.children.filter((c): c is XmlElement => c.kind === 'element');
  const ta = text(a);
  const tb = text(b);
  // Whitespace-only text is layout; text beside elements is compared trimmed.
  const same = ea.length || eb.length || ta.trim() === '' ? ta.trim() === tb.trim() : ta === tb;
  if (!same) return `${here}: text '${ta.trim().slice(0, 60)}' became '${tb.trim().slice(0, 60)}'`;
  const names = [...new Set([...ea, ...eb].map((e) => e.name))];
  for (const n of names) {
    const xa = ea.filter((e) => e.name === n);
    const xb = eb.filter((e) => e.name === n);
    if (xa.length !== xb.length) return `${here}/${n}: ${xa.length} element(s) became ${xb.length}`;
    for (let i = 0; i < xa.length; i++) {
      const d = elementDifference(xa[i], xb[i], here + (xa.length > 1 ? `[${i}]` : ''));
      if (d) return d;
    }
  }
  return null;
}

/**
 * The first thing of `sent` that `dumped` lacks, or null: every element (the i-th of a name
 * matched with the i-th of that name), attribute and text of `sent` must be in `dumped`, which
 * may hold more (what libvirt adds: defaults, addresses, aliases). `ignore` names paths
 * (`/volume/allocation`) whose value libvirt computes itself.
 */
export function xmlMissing(sent: string, dumped: string, ignore: readonly string[] = []): string | null {
  return missing(parseXml(sent), parseXml(dumped), '', ignore);
}

function missing(a: XmlElement, b: XmlElement, path: string, ignore: readonly string[]): string | null {
  const here = `${path}/${a.name}`;
  if (ignore.includes(here)) return null;
  if (a.name !== b.name) return `${here}: element <${a.name}> is <${b.name}>`;
  for (const k of Object.keys(a.attrs)) if (a.attrs[k] !== b.attrs[k]) return `${here}/@${k}: sent '${a.attrs[k]}', dumped '${b.attrs[k] ?? '(none)'}'`;
  const ea = a.children.filter((c): c is XmlElement => c.kind === 'element');
  const eb = b.children.filter((c): c is XmlElement => c.kind === 'element');
  if (text(a).trim() !== '' && text(a).trim() !== text(b).trim()) return `${here}: sent text '${text(a).trim()}', dumped '${text(b).trim()}'`;
  for (const n of new Set(ea.map((e) => e.name))) {
    const xa = ea.filter((e) => e.name === n);
    const xb = eb.filter((e) => e.name === n);
    if (xb.length < xa.length) return `${here}/${n}: sent ${xa.length}, dumped ${xb.length}`;
    for (let i = 0; i < xa.length; i++) {
      const d = missing(xa[i], xb[i], here, ignore);
      if (d) return d;
    }
  }
  return null;
}
