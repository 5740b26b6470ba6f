/**
 * Which types get straight-line codecs: {@link bulkTypes}. emit-xdr.ts emits those as code and
 * every other type as a description in its module's codec table.
 *
 * @module
 */
import type { Shape, Universe } from './model.js';

/**
 * The structs and unions decoded in bulk: the element types of arrays, and every struct or union
 * they contain. Their codecs are straight-line code (faster per value than a built codec).
 */
export function bulkTypes(universe: Universe): Set<string> {
  const hot = new Set<string>();
  const mark = (s: Shape): void => {
    if (s.k === 'named') {
      if (hot.has(s.name)) return;
      hot.add(s.name);
      const def = universe.find(s.name)!.def;
      if (def.kind === 'struct') for (const f of def.fields) mark(universe.shape(f));
      if (def.kind === 'union') {
        mark(universe.shape(def.discriminant));
        for (const a of def.arms) if (a.decl) mark(universe.shape(a.decl));
        if (def.defaultArm) mark(universe.shape(def.defaultArm));
      }
    } else if (s.k === 'optional' || s.k === 'fixedArray' || s.k === 'varArray') {
      mark(s.of);
    }
  };
  const visit = (s: Shape): void => {
    if (s.k === 'fixedArray' || s.k === 'varArray') mark(s.of);
    else if (s.k === 'optional') visit(s.of);
  };
  for (const m of universe.modules) {
    for (const def of m.parsed.definitions) {
      if (def.kind === 'typedef') visit(universe.shape(def.decl));
      if (def.kind === 'struct') for (const f of def.fields) visit(universe.shape(f));
      if (def.kind === 'union') {
        for (const a of def.arms) if (a.decl) visit(universe.shape(a.decl));
        if (def.defaultArm) visit(universe.shape(def.defaultArm));
      }
    }
  }
  return hot;
}
