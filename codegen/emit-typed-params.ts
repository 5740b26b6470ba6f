/**
 * Emits the table of typed-parameter field types (`src/api/gen/typed-param-types.gen.ts`):
 * libvirt documents each field macro's type in its description ("VIR_DOMAIN_MEMORY_HARD_LIMIT
 * ... as a ullong", "... as VIR_TYPED_PARAM_STRING"). The object layer uses it to encode a
 * record such as `{ hard_limit: 1048576 }` with the type the daemon checks
 * (virTypedParamsValidate rejects any other).
 */
import type { ApiMacro } from './api-xml.js';

const TYPE_WORDS: readonly [RegExp, string][] = [
  [/\bas (?:an? )?VIR_TYPED_PARAM_(INT|UINT|LLONG|ULLONG|DOUBLE|BOOLEAN|STRING)\b/, '$1'],
  [/\bas (?:an? )?(?:unsigned long long|ullong)\b/, 'ULLONG'],
  [/\bas (?:an? )?(?:long long|llong)\b/, 'LLONG'],
  [/\bas (?:an? )?(?:unsigned int|uint)\b/, 'UINT'],
  [/\bas (?:an? )?int\b/, 'INT'],
  [/\bas (?:an? )?double\b/, 'DOUBLE'],
  [/\bas (?:an? )?boolean\b/, 'BOOLEAN'],
  [/\bas (?:an? )?string\b/, 'STRING'],
];

/** The field name → VIR_TYPED_PARAM_* type pairs the API XML documents unambiguously. */
export function typedParamTypes(macros: readonly ApiMacro[]): Map<string, string> {
  const seen = new Map<string, Set<string>>();
  for (const m of macros) {
    if (typeof m.value !== 'string' || /%|\s|^\.|\.$/.test(m.value) || !m.value) continue;
    const info = m.info.replace(/\s+/g, ' ');
    for (const [re, rep] of TYPE_WORDS) {
      const hit = re.exec(info);
      if (!hit) continue;
      const type = rep === '$1' ? hit[1] : rep;
      const set = seen.get(m.value) ?? new Set<string>();
      set.add(type);
      seen.set(m.value, set);
      break;
    }
  }
  // A field documented with two types (in different APIs) is left out: the caller names its type.
  const out: [string, string][] = [...seen].filter(([, t]) => t.size === 1).map(([k, t]) => [k, [...t][0]]);
  return new Map(out.sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The text of the table. */
export function emitTypedParamTypes(macros: readonly ApiMacro[]): string[] {
  const table = typedParamTypes(macros);
  const q = (s: string): string => (/^[A-Za-z_$][\w$]*$/.test(s) ? s : `'${s}'`);
  return [
    '/**',
    ' * The VIR_TYPED_PARAM_* type of each typed-parameter field whose macro documents one type',
    ' * (1 INT, 2 UINT, 3 LLONG, 4 ULLONG, 5 DOUBLE, 6 BOOLEAN, 7 STRING).',
    ' */',
    'export const TYPED_PARAM_TYPES: Readonly<Record<string, number>> = {',
    ...[...table].map(([k, t]) => `  ${q(k)}: ${['INT', 'UINT', 'LLONG', 'ULLONG', 'DOUBLE', 'BOOLEAN', 'STRING'].indexOf(t) + 1},`),
    '};',
  ];
}
