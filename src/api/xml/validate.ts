/**
 * Validation of a definition against the tables generated from libvirt's
 * schemas, before anything is sent: required attributes and elements, values
 * of the allowed literals and XSD datatypes (integer ranges, patterns,
 * bounds), arrays where an element repeats, and properties the schema does not
 * have. Each problem names its path: `devices.disk[1].target.dev: required`.
 *
 * The tables flatten the schema's choices (an element's attributes are those of
 * every variant), so a definition that mixes variants (a `file` disk with a
 * network `<source>`'s attributes) passes here and is left to libvirt.
 *
 * @module
 */
import { LibvirtRpcError } from '../../errors/root.js';
import { brandClass } from '../../errors/brand.js';
import { type DocumentKind, elementInfo, MODE_FLAG, MODE_RAW, MODE_TEXT, type Facets, type Problem, typeRow } from './codec.js';
import { ROOTS } from './schema.gen.js';

/** A definition that does not follow libvirt's schema (code `XML_INVALID`); `problems` lists each. */
export class XmlValidationError extends LibvirtRpcError {
  readonly problems: readonly Problem[];
  constructor(what: string, problems: readonly Problem[]) {
    const shown = problems.slice(0, 10).map((p) => `${p.path}: ${p.message}`);
    const more = problems.length > 10 ? `; and ${problems.length - 10} more` : '';
    super('XML_INVALID', `invalid ${what}: ${shown.join('; ')}${more}`);
    this.name = 'XmlValidationError';
    this.problems = problems;
  }
}
brandClass(XmlValidationError, 'XmlValidationError');

/** Inclusive bounds of XSD's integer types (bigint: unsignedLong reaches 2^64-1). */
const INT_RANGES: Record<string, readonly [bigint | null, bigint | null]> = {
  byte: [-128n, 127n],
  unsignedByte: [0n, 255n],
  short: [-32768n, 32767n],
  unsignedShort: [0n, 65535n],
  int: [-2147483648n, 2147483647n],
  unsignedInt: [0n, 4294967295n],
  long: [-9223372036854775808n, 9223372036854775807n],
  unsignedLong: [0n, 18446744073709551615n],
  integer: [null, null],
  nonNegativeInteger: [0n, null],
  positiveInteger: [1n, null],
};

const patterns = new Map<string, RegExp>();
function pattern(p: string): RegExp {
  let re = patterns.get(p);
  if (!re) {
    // XSD patterns match the whole value.
    re = new RegExp(`^(?:${p})$`);
    patterns.set(p, re);
  }
  return re;
}

function dataAccepts(type: string, facets: Facets | undefined, text: string): boolean {
  const range = INT_RANGES[type];
  if (range) {
    if (!/^[+-]?[0-9]+$/.test(text)) return false;
    const n = BigInt(text);
    if ((range[0] !== null && n < range[0]) || (range[1] !== null && n > range[1])) return false;
    if (facets?.min !== undefined && n < BigInt(facets.min)) return false;
    if (facets?.max !== undefined && n > BigInt(facets.max)) return false;
  } else if (type === 'double') {
    if (!/^(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN)$/.test(text)) return false;
  } else if (type === 'NCName') {
    if (!/^[A-Za-z_][\w.-]*$/.test(text)) return false;
  } else if (type === 'dateTime') {
    if (!/^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?$/.test(text)) return false;
  }
  if (facets?.p && !facets.p.every((p) => pattern(p).test(text))) return false;
  if (facets?.len !== undefined && [...text].length > Number(facets.len)) return false;
  if (facets?.x?.includes(text)) return false;
  return true;
}

/** Why a value is not of type `i`, or null when it is. */
function valueProblem(value: unknown, i: number): string | null {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint')
    return `expected a string or a number, got ${value === null ? 'null' : typeof value}`;
  const text = String(value);
  const [values, datas, anyText] = typeRow(i);
  if (anyText === 1 || (values !== 0 && values.includes(text))) return null;
  if (datas !== 0 && datas.some(([t, f]) => dataAccepts(t, f, text))) return null;
  const describe = ([t, f]: readonly [string, Facets?]): string => {
    const p = f?.p?.[0];
    const bounds = f?.min !== undefined || f?.max !== undefined ? ` in ${f?.min ?? ''}..${f?.max ?? ''}` : '';
    if (p === undefined) return `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}${bounds}`;
    return `a ${t === 'string' ? 'text' : t} matching /${p.length > 60 ? `${p.slice(0, 57)}...` : p}/${bounds}`;
  };
  const allowed = [...new Set([...(values === 0 ? [] : values.map((v) => `'${v}'`)), ...(datas === 0 ? [] : datas.map(describe))])];
  return `'${text}' is not ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}`;
}

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

function check(value: unknown, row: number, path: string, out: Problem[]): void {
  const info = elementInfo(row);
  const at = (name: string): string => (path === '' ? name : `${path}.${name}`);
  if (info.mode === MODE_RAW) {
    if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'element')
      out.push({ path, message: `expected a parsed XML element (XmlElement), got ${typeName(value)}` });
    return;
  }
  if (info.mode === MODE_FLAG) {
    if (value !== true) out.push({ path, message: `expected true (an empty element), got ${typeName(value)}` });
    return;
  }
  if (info.mode === MODE_TEXT) {
    const p = valueProblem(value, info.text);
    if (p) out.push({ path, message: p });
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out.push({ path, message: `expected an object, got ${typeName(value)}` });
    return;
  }
  const obj = value as Record<string, unknown>;
  const known = new Set<string>();
  for (const a of info.attrs) {
    known.add(a.name);
    const v = obj[a.name];
    if (v === undefined) {
      if (a.required) out.push({ path: at(a.name), message: 'required' });
      continue;
    }
    const p = valueProblem(v, a.type);
    if (p) out.push({ path: at(a.name), message: p });
  }
  for (const c of info.children) {
    known.add(c.prop);
    const v = obj[c.prop];
    if (v === undefined) {
      if (c.required) out.push({ path: at(c.prop), message: 'required' });
      continue;
    }
    if (c.many) {
      if (!Array.isArray(v)) {
        out.push({ path: at(c.prop), message: `expected an array (the element may repeat), got ${typeName(v)}` });
        continue;
      }
      if (c.required && v.length === 0) out.push({ path: at(c.prop), message: 'required (at least one)' });
      for (let i = 0; i < v.length; i++) check(v[i], c.row, `${at(c.prop)}[${i}]`, out);
    } else check(v, c.row, at(c.prop), out);
  }
  if (info.text >= 0) {
    known.add('value');
    if (obj.value !== undefined) {
      const p = valueProblem(obj.value, info.text);
      if (p) out.push({ path: at('value'), message: p });
    } else if (info.textRequired) out.push({ path: at('value'), message: 'required' });
  }
  for (const k of Object.keys(obj)) if (!known.has(k) && obj[k] !== undefined) out.push({ path: at(k), message: 'not in the schema' });
}

/** The schema violations of a definition of `kind` (empty when there are none). */
export function validateDocument(kind: DocumentKind, def: unknown): Problem[] {
  const out: Problem[] = [];
  check(def, ROOTS[kind][1], '', out);
  return out;
}

/** Throws an {@link XmlValidationError} listing the violations of a definition of `kind`, if any. */
export function assertValidDocument(kind: DocumentKind, def: unknown): void {
  const problems = validateDocument(kind, def);
  if (problems.length > 0) throw new XmlValidationError(`${kind} definition`, problems);
}
