/**
 * XML equality for round-trip tests: the same elements, attributes and text, where the order of
 * child elements of different names does not count (the model writes them in the schema's order;
 * libvirt's formatter has its own), but the order of same-named siblings does. Whitespace-only
 * text beside elements is layout; comments and processing instructions are not compared.
 */
import { parseXml, type XmlElement } from '../../src/api/xml/reader.js';

/** The first difference between two documents, as a path and a reason, or null when equal. */
export function xmlDifference(a: string, b: string): string | null {
  return elementDifference(parseXml(a), parseXml(b), '');
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
