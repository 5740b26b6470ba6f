/**
 * The import statements of a generated module: {@link Imports} collects the names a module
 * emitted by emit-xdr.ts (and the emitters built on it) needs from other modules.
 *
 * @module
 */

/** Collects the names a module needs from other modules. */
export class Imports {
  private readonly values = new Map<string, Set<string>>();
  private readonly types = new Map<string, Set<string>>();

  constructor(private readonly self: string) {}

  value(module: string, name: string): string {
    if (module !== this.self) add(this.values, module, name);
    return name;
  }

  type(module: string, name: string): string {
    if (module !== this.self) add(this.types, module, name);
    return name;
  }

  /** The module a value imported by {@link value} comes from, or undefined when it was not imported. */
  moduleOfValue(name: string): string | undefined {
    for (const [m, names] of this.values) if (names.has(name)) return m;
    return undefined;
  }

  /**
   * The import statements, sorted for stable output. Values of a module in `split` (one whose
   * codec table went to `<id>-core.gen.ts`, see {@link ModuleEmitter.codecTable}) come from its
   * core file, so that the importer does not load the codecs' named exports.
   */
  render(from = './', split: ReadonlySet<string> = new Set()): string[] {
    const out: string[] = [];
    for (const m of [...new Set([...this.types.keys(), ...this.values.keys()])].sort()) {
      const types = [...(this.types.get(m) ?? [])].filter((t) => !this.values.get(m)?.has(t)).sort();
      const values = [...(this.values.get(m) ?? [])].sort();
      if (types.length) out.push(`import type { ${types.join(', ')} } from '${from}${m}.gen.js';`);
      if (values.length) out.push(`import { ${values.join(', ')} } from '${from}${coreModule(m, split)}.gen.js';`);
    }
    return out;
  }
}

/** The module the values of `.x` module `id` are imported from: its core file when it has one. */
export function coreModule(id: string, split: ReadonlySet<string>): string {
  return split.has(id) ? `${id}-core` : id;
}

function add(map: Map<string, Set<string>>, key: string, v: string): void {
  let s = map.get(key);
  if (!s) map.set(key, (s = new Set()));
  s.add(v);
}
