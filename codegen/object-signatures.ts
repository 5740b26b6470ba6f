/**
 * Derives the object layer's method signatures from libvirt's C API: which
 * arguments of a procedure's args struct are the C function's inputs (named
 * and typed for TypeScript), which are wire-only counts computed here as
 * libvirt's client and libvirt-python compute them, and how the ret struct
 * becomes the result a user wants (objects, records, strings, booleans).
 *
 * Matching is by name: a wire field is the C argument of the same name
 * (case and underscores ignored), or the one {@link WIRE_NAME_ALIASES} gives.
 * A C argument no wire field matches is an output or a count the wire carries
 * as an array length; it is not a parameter.
 */
import type { Declaration } from './ast.js';
import type { ApiArg, ApiFunction } from './api-xml.js';
import type { ProcedureModel } from './procedures.js';

/**
 * Wire fields that are not C inputs but counts the protocol needs. `need_results` is 1 (the
 * client wants the list); `max*` is the bound of the ret array in the `.x` file (the daemon
 * allocates no more than it returns); `nparams` in a getter's args is the two-call pattern of
 * libvirt-python (ask for the count with 0, then for that many).
 */
export const WIRE_ONLY_COUNTS: Readonly<Record<string, 'one' | 'bound' | 'count-then-fetch'>> = {
  need_results: 'one',
  need_map: 'one',
  need_online: 'one',
  maxnames: 'bound',
  maxids: 'bound',
  maxuuids: 'bound',
  maxStats: 'bound',
  maxerrors: 'bound',
  nparams: 'count-then-fetch',
};

/**
 * Wire field names that differ from the C argument they carry, per C API when the
 * difference is local (`disk` is the `path` field of the block APIs).
 */
export const WIRE_NAME_ALIASES: Readonly<Record<string, string>> = {
  // C name (normalised) -> wire name (normalised)
  disk: 'path',
  start: 'offset',
  iothreadid: 'iothreadsid',
  vcpumap: 'cpumap',
  portdev: 'name',
  macstr: 'mac',
  xmldesc: 'xml',
  xmlcpu: 'xmlcpu',
  nameslen: 'maxnames',
  nrstats: 'maxstats',
  dxml: 'xml',
  dev: 'name',
  device: 'path',
  cpunum: 'cpunum',
};

const norm = (s: string): string => s.replace(/_/g, '').toLowerCase();

/** camelCase of a C argument name (`iothread_id` → `iothreadId`, `xmlDesc` stays). */
export function cParamName(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** One wire field of the args struct and what carries it. */
export type WireSource =
  | { readonly kind: 'object' }
  | { readonly kind: 'param'; readonly c: ApiArg }
  | { readonly kind: 'count'; readonly how: 'one' | 'bound' | 'count-then-fetch' };

/** The C-side view of one procedure: each wire field's source, in wire order. */
export interface CSignature {
  readonly fn: ApiFunction;
  readonly sources: ReadonlyMap<string, WireSource>;
  /** The parameters, in C order: the C arguments some wire field carries. */
  readonly params: readonly { readonly c: ApiArg; readonly field: Declaration }[];
}

/**
 * Matches the wire fields of `p`'s args struct to its C arguments. `hasObject`: the first
 * field is the object the method belongs to. Returns null (with `why`) when a wire field
 * matches nothing: such a procedure needs a hand-written method.
 */
export function cSignature(p: ProcedureModel, fn: ApiFunction, hasObject: boolean): CSignature | { why: string } {
  const fields = p.args?.fields ?? [];
  const cArgs = fn.args.filter((a, i) => !(i === 0 && /^(virConnectPtr|vir\w+Ptr)$/.test(a.type) && (hasObject || a.type === 'virConnectPtr')));
  const byWire = new Map<string, ApiArg>();
  for (const a of cArgs) {
    const n = norm(a.name);
    byWire.set(n, a);
    const alias = WIRE_NAME_ALIASES[n];
    if (alias && !cArgs.some((b) => norm(b.name) === alias)) byWire.set(alias, a);
  }
  const sources = new Map<string, WireSource>();
  const params: { c: ApiArg; field: Declaration }[] = [];
  const used = new Set<ApiArg>();
  fields.forEach((f, i) => {
    if (i === 0 && hasObject) {
      sources.set(f.name, { kind: 'object' });
      return;
    }
    const count = WIRE_ONLY_COUNTS[f.name];
    const c = byWire.get(norm(f.name));
    if (count) {
      sources.set(f.name, { kind: 'count', how: count });
      if (c) used.add(c);
      return;
    }
    if (!c || used.has(c)) return; // reported below
    used.add(c);
    sources.set(f.name, { kind: 'param', c });
    params.push({ c, field: f });
  });
  const unmatched = fields.filter((f) => !sources.has(f.name));
  if (unmatched.length) return { why: `wire field(s) ${unmatched.map((f) => f.name).join(', ')} match no C argument of ${fn.name}` };
  params.sort((a, b) => fn.args.indexOf(a.c) - fn.args.indexOf(b.c));
  return { fn, sources, params };
}
