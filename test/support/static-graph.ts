/**
 * The static import graph of the sources, for the tests that hold an entry point to what it
 * loads (test/unit/package/light-import.test.ts, xml-entry.test.ts).
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Every source module reachable from `entry` (a path from the repository's root) by static
 * imports and re-exports (not `import()`; type-only imports left out).
 */
export function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)) {
      if (m[1]) continue;
      visit(resolve('/', dirname(file), m[2]!.replace(/\.js$/, '.ts')).slice(1));
    }
  };
  visit(entry);
  return seen;
}
