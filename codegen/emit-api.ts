/**
 * Emits libvirt's public enums, flags and macros from the API XML: one
 * constant per value (with its description as TSDoc) and one object per C
 * enum type, for name lookups (`virErrorNumber`, `virDomainState`, ...).
 */
import type { ApiDescription } from './api-xml.js';
import { summary } from './emit-procedures.js';

/** The lines of `libvirt-api.gen.ts`. */
export function emitApi(api: ApiDescription): string[] {
  const out: string[] = [];
  const seen = new Map<string, number | string>();
  const groups = new Map<string, { name: string; value: number }[]>();
  for (const e of api.enums) {
    const prev = seen.get(e.name);
    if (prev !== undefined) {
      if (prev !== e.value) throw new Error(`${e.name} has two values: ${prev} and ${e.value}`);
      continue;
    }
    seen.set(e.name, e.value);
    let g = groups.get(e.type);
    if (!g) groups.set(e.type, (g = []));
    g.push({ name: e.name, value: e.value });
    const doc = summary(e.info);
    if (doc.length) out.push('/**', ...doc.map((l) => ` * ${l}`), ` * (enum \`${e.type}\`)`, ' */');
    else out.push(`/** A value of enum \`${e.type}\`. */`);
    out.push(`export const ${e.name} = ${e.value};`);
  }
  for (const m of api.macros) {
    if (m.value === null || seen.has(m.name)) continue;
    seen.set(m.name, m.value);
    const doc = summary(m.info);
    out.push(doc.length ? ['/**', ...doc.map((l) => ` * ${l}`), ' */'].join('\n') : `/** libvirt macro \`${m.name}\`. */`);
    const literal = typeof m.value === 'number' ? String(m.value) : `'${m.value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    out.push(`export const ${m.name} = ${literal};`);
  }
  for (const [type, members] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out.push(
      '',
      `/** Every value of the C enum \`${type}\`, by name. */`,
      `export const ${type} = {`,
      ...members.map((m) => `  ${m.name}: ${m.value},`),
      '} as const;',
    );
  }
  return out;
}

/** The numeric constants the `.x` files may use (enum values and numeric macros). */
export function apiConstants(api: ApiDescription): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of api.enums) out.set(e.name, e.value);
  for (const m of api.macros) if (typeof m.value === 'number' && !out.has(m.name)) out.set(m.name, m.value);
  return out;
}
