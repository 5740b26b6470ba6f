/**
 * Reads libvirt's API description XML (`libvirt-api.xml` and the qemu, lxc and
 * admin ones, produced by upstream's apibuild.py): the public functions, the
 * enum values with their C enum type and description, and the macros.
 *
 * The files are machine-written with a fixed shape (one element per line,
 * attributes in single quotes, descriptions in CDATA), which is all this
 * reader relies on.
 */

/** One value of a public C enum. */
export interface ApiEnum {
  readonly name: string;
  readonly value: number;
  /** The C enum type, e.g. `virDomainState`. */
  readonly type: string;
  readonly info: string;
  readonly file: string;
}

/** A macro: a number, a string, or (when neither can be worked out) neither. */
export interface ApiMacro {
  readonly name: string;
  readonly value: number | string | null;
  readonly info: string;
}

/** One argument of a public function, as the C prototype declares it. */
export interface ApiArg {
  readonly name: string;
  /** The C type, e.g. `virDomainPtr`, `const char *`, `unsigned long long *`. */
  readonly type: string;
  readonly info: string;
}

/** A public function. */
export interface ApiFunction {
  readonly name: string;
  readonly info: string;
  /** The C arguments in prototype order (empty for documents without them). */
  readonly args: readonly ApiArg[];
  /** The C return type and its description. */
  readonly returns: { readonly type: string; readonly info: string } | null;
  /** The libvirt release that introduced it (`version='0.8.5'`), when the XML says. */
  readonly since: string | null;
}

/** Everything read from one or more API XML files. */
export interface ApiDescription {
  readonly enums: ApiEnum[];
  readonly macros: ApiMacro[];
  readonly functions: ApiFunction[];
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d)))
    .replace(/&amp;/g, '&');
}

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([a-z_]+)='([^']*)'/g)) out.set(m[1], unescapeXml(m[2]));
  return out;
}

function infoOf(body: string): string {
  const m = /<info><!\[CDATA\[([\s\S]*?)\]\]><\/info>/.exec(body) ?? /<info>([\s\S]*?)<\/info>/.exec(body);
  return m ? m[1].trim() : '';
}

/**
 * Evaluates a macro's C expression when it is integer arithmetic over literals
 * and names already known; returns null otherwise.
 */
export function evaluateCExpression(raw: string, known: (name: string) => number | undefined): number | null {
  const text = raw.replace(/\/\*[\s\S]*?\*\//g, ' ').trim();
  const tokens = text.match(/0[xX][0-9a-fA-F]+|[0-9]+|[A-Za-z_][A-Za-z0-9_]*|[-+*/()]|\S/g) ?? [];
  let i = 0;
  const primary = (): number | null => {
    const t = tokens[i++];
    if (t === undefined) return null;
    if (t === '(') {
      const v = sum();
      if (tokens[i++] !== ')') return null;
      return v;
    }
    if (t === '-') {
      const v = primary();
      return v === null ? null : -v;
    }
    if (/^0[xX]/.test(t)) return parseInt(t, 16);
    if (/^[0-9]/.test(t)) {
      // Integer suffixes (LL, U, ...) follow as a separate identifier token.
      if (/^(u|U|l|L)+$/.test(tokens[i] ?? '')) i++;
      return parseInt(t, 10);
    }
    if (/^[A-Za-z_]/.test(t)) return known(t) ?? null;
    return null;
  };
  const product = (): number | null => {
    let v = primary();
    while (v !== null && (tokens[i] === '*' || tokens[i] === '/')) {
      const op = tokens[i++];
      const r = primary();
      if (r === null) return null;
      v = op === '*' ? v * r : Math.trunc(v / r);
    }
    return v;
  };
  const sum = (): number | null => {
    let v = product();
    while (v !== null && (tokens[i] === '+' || tokens[i] === '-')) {
      const op = tokens[i++];
      const r = product();
      if (r === null) return null;
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  return v !== null && i === tokens.length && Number.isSafeInteger(v) ? v : null;
}

/** Reads API XML documents (in order; later files may refer to earlier names). */
export function readApiXml(documents: readonly string[]): ApiDescription {
  // Values as written: a number, or (e.g. VIR_DOMAIN_DEVICE_MODIFY_CONFIG =
  // VIR_DOMAIN_AFFECT_CONFIG) the name of another enum value, resolved below.
  const rawEnums: (Omit<ApiEnum, 'value'> & { raw: string })[] = [];
  const functions: ApiFunction[] = [];
  const rawMacros: { name: string; raw: string | undefined; string: string | undefined; info: string }[] = [];
  for (const xml of documents) {
    for (const m of xml.matchAll(/<enum (name='[^>]*?)\/?>/g)) {
      const a = attributes(m[1]);
      const name = a.get('name');
      const value = a.get('value');
      const type = a.get('type');
      if (!name || value === undefined || !type) continue;
      rawEnums.push({ name, raw: value, type, info: a.get('info') ?? '', file: a.get('file') ?? '' });
    }
    for (const m of xml.matchAll(/<macro (name='[^>]*?)>([\s\S]*?)<\/macro>/g)) {
      const a = attributes(m[1]);
      rawMacros.push({ name: a.get('name')!, raw: a.get('raw'), string: a.get('string'), info: infoOf(m[2]) });
    }
    for (const m of xml.matchAll(/<function (name='[^>]*?)>([\s\S]*?)<\/function>/g)) {
      const a = attributes(m[1]);
      const args = [...m[2].matchAll(/<arg (name='[^>]*?)\/>/g)].map((x) => {
        const arg = attributes(x[1]);
        return { name: arg.get('name')!, type: arg.get('type') ?? '', info: arg.get('info') ?? '' };
      });
      const ret = /<return (type='[^>]*?)\/>/.exec(m[2]);
      const r = ret ? attributes(ret[1]) : null;
      functions.push({
        name: a.get('name')!,
        info: infoOf(m[2]),
        args,
        returns: r ? { type: r.get('type') ?? '', info: r.get('info') ?? '' } : null,
        since: a.get('version') ?? null,
      });
    }
  }
  const enums = resolveEnumValues(rawEnums);
  const numbers = new Map<string, number>(enums.map((e) => [e.name, e.value]));
  const macros: ApiMacro[] = [];
  // Macros may refer to macros defined later; resolve to a fixed point.
  let pending = rawMacros;
  for (let round = 0; round < 4 && pending.length > 0; round++) {
    const next: typeof rawMacros = [];
    for (const m of pending) {
      if (m.string !== undefined) {
        macros.push({ name: m.name, value: m.string, info: m.info });
        continue;
      }
      const v = m.raw === undefined ? null : evaluateCExpression(m.raw, (n) => numbers.get(n));
      if (v === null) next.push(m);
      else {
        numbers.set(m.name, v);
        macros.push({ name: m.name, value: v, info: m.info });
      }
    }
    pending = next;
  }
  for (const m of pending) macros.push({ name: m.name, value: null, info: m.info });
  return { enums, macros, functions };
}

/**
 * Turns each enum's written value into a number: a C expression over numbers
 * and the names of other enum values (in any document, in any order).
 * Throws for a value that names nothing or refers to itself, so a generated
 * constant is never NaN.
 */
function resolveEnumValues(raw: readonly (Omit<ApiEnum, 'value'> & { raw: string })[]): ApiEnum[] {
  const byName = new Map(raw.map((e) => [e.name, e]));
  const done = new Map<string, number>();
  const resolving = new Set<string>();
  const valueByName = (name: string): number | undefined => {
    const known = done.get(name);
    if (known !== undefined) return known;
    const e = byName.get(name);
    if (e === undefined || resolving.has(name)) return undefined;
    resolving.add(name);
    const v = evaluateCExpression(e.raw, valueByName);
    resolving.delete(name);
    if (v === null) return undefined;
    done.set(name, v);
    return v;
  };
  return raw.map(({ raw: text, ...e }) => {
    const value = valueByName(e.name);
    if (value === undefined) throw new Error(`API XML: cannot work out the value of enum ${e.name} (${JSON.stringify(text)})`);
    return { ...e, value };
  });
}
