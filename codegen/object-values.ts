/**
 * How values cross the object layer: what a TypeScript user passes for a wire
 * argument (objects, `number | bigint`, booleans, typed-parameter records) and
 * what a wire result becomes (objects, camelCase structs, strings from fixed
 * char arrays, records from typed parameters, numbers from 64-bit values).
 *
 * The 64-bit rule: a 64-bit result is a `number` (libvirt's units, KiB, bytes,
 * milliseconds and counts, keep it far below 2^53; libvirt's own "unlimited"
 * is 2^53 - 1 for that reason), except nanosecond counters
 * ({@link BIGINT_FIELDS}), which are `bigint`; a result object holding a
 * bigint has a `toJSON`. Typed-parameter and statistics records hold a 64-bit
 * value as a `number` when it is a safe integer, else as a `bigint`.
 */
import type { Declaration } from './ast.js';
import type { ModuleEmitter } from './emit-xdr.js';
import { camelCase, pascalCase, type Shape, type Universe } from './model.js';

/** The libvirt objects: their wire reference type and class name. */
export const OBJECT_KINDS: readonly { readonly ref: string; readonly className: string; readonly what: string }[] = [
  { ref: 'remote_nonnull_domain', className: 'Domain', what: 'a domain (virtual machine)' },
  { ref: 'remote_nonnull_network', className: 'Network', what: 'a virtual network' },
  { ref: 'remote_nonnull_network_port', className: 'NetworkPort', what: 'a port of a virtual network' },
  { ref: 'remote_nonnull_nwfilter', className: 'NWFilter', what: 'a network filter' },
  { ref: 'remote_nonnull_nwfilter_binding', className: 'NWFilterBinding', what: 'a network filter binding' },
  { ref: 'remote_nonnull_interface', className: 'Interface', what: 'a host network interface' },
  { ref: 'remote_nonnull_storage_pool', className: 'StoragePool', what: 'a storage pool' },
  { ref: 'remote_nonnull_storage_vol', className: 'StorageVol', what: 'a storage volume' },
  { ref: 'remote_nonnull_node_device', className: 'NodeDevice', what: 'a host device' },
  { ref: 'remote_nonnull_secret', className: 'Secret', what: 'a secret' },
  { ref: 'remote_nonnull_domain_checkpoint', className: 'DomainCheckpoint', what: 'a domain checkpoint' },
  { ref: 'remote_nonnull_domain_snapshot', className: 'DomainSnapshot', what: 'a domain snapshot' },
];

const kindByRef = new Map(OBJECT_KINDS.map((k) => [k.ref, k]));

/** Wire fields holding nanosecond counters: results keep them as `bigint` (2^53 ns is 104 days). */
export const BIGINT_FIELDS: ReadonlySet<string> = new Set(['cpuTime', 'cpu_time']);

/** Wire struct fields holding a C int boolean (`virSecurityLabel.enforcing`): results make them `boolean`s. */
export const BOOLEAN_FIELDS: ReadonlySet<string> = new Set(['enforcing', 'found']);

/** Wire structs that are lists of `{ field, value }` statistics: results are records. */
const STAT_RECORDS = new Set(['remote_typed_param', 'remote_node_get_cpu_stats', 'remote_node_get_memory_stats']);

/** The object kind a declaration holds (directly, optionally or as an array), if any. */
export function objectOf(d: Declaration): { kind: (typeof OBJECT_KINDS)[number]; shape: 'one' | 'optional' | 'array' } | null {
  if (d.type.kind !== 'ref') return null;
  // remote_domain & co. are optional references (typedef remote_nonnull_domain *remote_domain).
  const name = d.type.name.replace(/^remote_(?!nonnull_)/, 'remote_nonnull_');
  const kind = kindByRef.get(name);
  if (!kind) return null;
  if (name !== d.type.name || d.optional) return { kind, shape: 'optional' };
  return { kind, shape: d.array.kind === 'none' ? 'one' : 'array' };
}

/** The TypeScript type of an object declaration. */
export function objectType(o: NonNullable<ReturnType<typeof objectOf>>): string {
  const c = o.kind.className;
  return o.shape === 'array' ? `${c}[]` : o.shape === 'optional' ? `${c} | null` : c;
}

/** The expression that wraps wire reference(s) `expr` into objects on `caller`. */
export function wrapObject(o: NonNullable<ReturnType<typeof objectOf>>, caller: string, expr: string): string {
  const make = `objectClasses.${o.kind.className}`;
  if (o.shape === 'array') return `${expr}.map((r) => new ${make}(${caller}, r))`;
  if (o.shape === 'optional') return `${expr} === null ? null : new ${make}(${caller}, ${expr})`;
  return `new ${make}(${caller}, ${expr})`;
}

function isStatRecord(d: Declaration): boolean {
  return d.type.kind === 'ref' && STAT_RECORDS.has(d.type.name) && d.array.kind !== 'none';
}

/** A parameter of the object layer: its TypeScript type and the wire value made from it. */
export function inputOf(e: ModuleEmitter, universe: Universe, d: Declaration, name: string): { type: string; expr: string } {
  const o = objectOf(d);
  if (o) {
    const expr = o.shape === 'array' ? `${name}.map((o) => o.ref)` : o.shape === 'optional' ? `${name}?.ref ?? null` : `${name}.ref`;
    return { type: objectType(o), expr };
  }
  if (d.type.kind === 'ref' && d.type.name === 'remote_typed_param' && d.array.kind !== 'none') {
    return { type: 'TypedParamsInput', expr: `typedParamsToWire(${name}, '${name}')` };
  }
  const s = universe.shape(d);
  if (s.k === 'prim' && (s.prim === 'hyper' || s.prim === 'unsigned hyper')) {
    return { type: 'number | bigint', expr: `int64(${name}, '${name}')` };
  }
  if (s.k === 'varArray' && s.of.k === 'prim' && (s.of.prim === 'hyper' || s.of.prim === 'unsigned hyper')) {
    return { type: '(number | bigint)[]', expr: `${name}.map((v, i) => int64(v, \`${name}[\${i}]\`))` };
  }
  if (name === 'autostart' && s.k === 'prim' && s.prim === 'int') return { type: 'boolean | number', expr: `Number(${name})` };
  return { type: e.declType(d), expr: name };
}

/** Collects the result types and converters a module needs (one per wire struct). */
export class ResultTypes {
  readonly types: string[] = [];
  private readonly done = new Map<string, { name: string; bigint: boolean }>();
  private readonly typeShapes = new Map<string, string>();

  constructor(
    private readonly e: ModuleEmitter,
    private readonly universe: Universe,
  ) {}

  /** The converted value of the wire value `expr` of declaration `d`: its type and expression. */
  output(d: Declaration, expr: string, caller: string, fieldName = d.name): { type: string; expr: string; bigint: boolean } {
    const o = objectOf(d);
    if (o) return { type: objectType(o), expr: wrapObject(o, caller, expr), bigint: false };
    if (isStatRecord(d)) return { type: 'TypedParams', expr: `recordOf(${expr})`, bigint: false };
    return this.shapeOutput(this.universe.shape(d), expr, caller, fieldName);
  }

  private shapeOutput(s: Shape, expr: string, caller: string, fieldName: string): { type: string; expr: string; bigint: boolean } {
    switch (s.k) {
      case 'prim':
        if (s.prim === 'hyper' || s.prim === 'unsigned hyper') {
          if (BIGINT_FIELDS.has(fieldName)) return { type: 'bigint', expr, bigint: true };
          return { type: 'number', expr: `Number(${expr})`, bigint: false };
        }
        if (s.prim === 'bool') return { type: 'boolean', expr, bigint: false };
        if (s.prim === 'int' && BOOLEAN_FIELDS.has(fieldName)) return { type: 'boolean', expr: `${expr} !== 0`, bigint: false };
        return { type: 'number', expr, bigint: false };
      case 'string':
        return { type: 'string', expr, bigint: false };
      case 'opaque':
      case 'fixedOpaque':
        return { type: 'Uint8Array', expr, bigint: false };
      case 'enum':
        return { type: 'number', expr, bigint: false };
      case 'fixedArray':
        if (s.of.k === 'prim' && s.of.prim === 'char') return { type: 'string', expr: `fixedString(${expr})`, bigint: false };
        return this.arrayOutput(s.of, expr, caller, fieldName);
      case 'varArray':
        if (s.of.k === 'prim' && s.of.prim === 'char') return { type: 'string', expr: `fixedString(${expr})`, bigint: false };
        return this.arrayOutput(s.of, expr, caller, fieldName);
      case 'optional': {
        const inner = this.shapeOutput(s.of, 'v', caller, fieldName);
        const same = inner.expr === 'v';
        return { type: `${inner.type} | null`, expr: same ? expr : `((v) => (v === null ? null : ${inner.expr}))(${expr})`, bigint: inner.bigint };
      }
      case 'named': {
        const { def } = this.universe.lookup(s.name, { file: '', line: 0, column: 0 });
        if (def.kind === 'struct') {
          const conv = this.struct(s.name);
          return { type: conv.name, expr: `${converterName(s.name)}(${expr}, ${caller})`, bigint: false };
        }
        if (def.kind === 'typedef') return this.shapeOutput(this.universe.shape(def.decl), expr, caller, fieldName);
        return { type: def.kind === 'enum' ? 'number' : this.e.shapeType(s), expr, bigint: false };
      }
    }
  }

  private arrayOutput(of: Shape, expr: string, caller: string, fieldName: string): { type: string; expr: string; bigint: boolean } {
    const inner = this.shapeOutput(of, 'v', caller, fieldName);
    const t = inner.type.includes('|') ? `(${inner.type})[]` : `${inner.type}[]`;
    return { type: t, expr: inner.expr === 'v' ? expr : `${expr}.map((v) => ${inner.expr})`, bigint: false };
  }

  /** The result type made from wire struct `name` (emitted once), e.g. `DomainDiskError`. */
  struct(name: string, typeName = resultTypeName(name)): { name: string; bigint: boolean } {
    const known = this.done.get(name);
    if (known) return known;
    const { def } = this.universe.lookup(name, { file: '', line: 0, column: 0 });
    if (def.kind !== 'struct') throw new Error(`${name} is not a struct`);
    const entry = { name: typeName, bigint: false };
    this.done.set(name, entry);
    const W = this.e.imports.type('remote', pascalCase(name));
    const fields = def.fields.map((f) => ({ f, out: this.output(f, `w.${f.name}`, 'caller') }));
    entry.bigint = fields.some((x) => x.out.bigint);
    const usesCaller = fields.some((x) => x.out.expr.includes('caller'));
    const shape = fields.map(({ f, out }) => `  readonly ${camelCase(f.name)}: ${out.type};`);
    // Two wire structs of one C type (virStorageVolGetInfo and ...GetInfoFlags) share the type.
    const twin = this.typeShapes.get(typeName);
    if (twin !== undefined && twin !== shape.join('\n')) throw new Error(`result type ${typeName}: ${name} differs from its twin`);
    if (twin === undefined) {
      this.typeShapes.set(typeName, shape.join('\n'));
      this.types.push('', `/** The object layer's form of \`${name}\`. */`, `export interface ${typeName} {`, ...shape, '}');
    }
    this.types.push(
      '',
      `function ${converterName(name)}(w: ${W}, ${usesCaller ? '' : '_'}caller: ProcedureCaller): ${typeName} {`,
      ...(entry.bigint
        ? [
            `  const out = jsonObject<{ -readonly [K in keyof ${typeName}]: ${typeName}[K] }>();`,
            ...fields.map(({ f, out }) => `  out.${camelCase(f.name)} = ${out.expr};`),
            '  return out;',
          ]
        : [`  return { ${fields.map(({ f, out }) => `${camelCase(f.name)}: ${out.expr}`).join(', ')} };`]),
      '}',
    );
    return entry;
  }
}

/** `remote_domain_disk_error` → `DomainDiskError`. */
export function resultTypeName(wireStruct: string): string {
  return pascalCase(wireStruct.replace(/^(remote|qemu|lxc)_/, '').replace(/_ret$/, ''));
}

function converterName(wireStruct: string): string {
  return `from${pascalCase(wireStruct)}`;
}
