// One entry of an esbuild build with code splitting, re-chunked by Rollup (used by
// scripts/build.mjs for the root entry and `libvirt-rpc/calls`, by scripts/build-browser.mjs for
// the browser build). esbuild puts every module that the entry shares with a chunk it loads on
// demand (a transport, SCRAM, the XML model, the migration drivers) in a chunk of its own, so an
// import reads and links many files; an ES module costs Node about 0.4 ms beyond its bytes
// (`npm run bench:import`), a page a request. Here everything the entry's import evaluates but the
// entry's own module goes to one chunk, and the entry's module stays the entry file: no other
// chunk imports from the entry file, so Rollup keeps it as it is instead of adding a facade that
// names every export once more. Chunks loaded on demand import what they share from that chunk.
import { dirname, join, relative } from 'node:path';
import { rollup } from 'rollup';

/**
 * Re-chunks `entry` (a file of `dir`, esbuild's output). `files` (name → text, relative to `dir`)
 * serves an in-memory build; without it the files are read from `dir`. Package and built-in
 * imports stay imports. Returns Rollup's output for each of `formats` (`es`, `cjs`; the CommonJS
 * files take the names of the ES modules of the same modules).
 */
export async function rechunk({ dir, entry, files, chunkFileNames, formats = ['es'] }) {
  const entryId = join(dir, entry);
  const inMemory = files && {
    name: 'in-memory',
    resolveId: (source, importer) => (source.startsWith('.') ? join(importer ? dirname(importer) : dir, source) : source.startsWith(`${dir}/`) ? source : null),
    load: (id) => files.get(relative(dir, id)) ?? null,
  };
  const bundle = await rollup({
    input: entryId,
    external: (id) => !id.startsWith('.') && !id.startsWith('/'),
    plugins: inMemory ? [inMemory] : [],
    onwarn: (w) => {
      if (w.code !== 'UNUSED_EXTERNAL_IMPORT') throw new Error(`rollup (${entry}): ${w.message}`);
    },
  });
  let evaluated = null;
  const manualChunks = (id, { getModuleInfo }) => {
    if (!evaluated) {
      evaluated = new Set();
      const visit = (m) => {
        const info = getModuleInfo(m);
        if (evaluated.has(m) || !info || info.isExternal) return;
        evaluated.add(m);
        for (const d of info.importedIds) visit(d);
      };
      visit(entryId);
      evaluated.delete(entryId);
    }
    return evaluated.has(id) ? entry.replace(/\.js$/, '') : undefined;
  };
  const options = { entryFileNames: entry, generatedCode: 'es2015', minifyInternalExports: true, manualChunks };
  const out = {};
  const es = (await bundle.generate({ ...options, chunkFileNames, format: 'es' })).output;
  out.es = es;
  if (formats.includes('cjs')) {
    const nameOf = new Map(es.map((o) => [o.moduleIds.join('\n'), o.fileName]));
    out.cjs = (await bundle.generate({ ...options, chunkFileNames: (c) => nameOf.get(c.moduleIds.join('\n')), format: 'cjs', interop: 'compat' })).output;
    for (const o of out.cjs) if (o.type === 'chunk') o.code = dictionaryExports(o.code);
  }
  await bundle.close();
  return out;
}

/** A CommonJS file with at least this many `exports.NAME = ...` lines gets {@link dictionaryExports}. */
const MANY_EXPORTS = 64;
const STRICT = "'use strict';\n";

/**
 * Rollup's CommonJS output adds each export to `exports` with an assignment, one after the other.
 * V8 keeps `exports` in "fast" mode, where each new property copies the object's whole property
 * list: the root entry's 1,780 exports cost O(n²), about 27 M instructions of a `require` (a
 * sixth; `npm run bench:import`). Deleting a property that is not the last one added turns the
 * object into a hash table (dictionary mode), where each addition is O(1); nothing a caller sees
 * changes (the properties, their order and attributes are the same).
 */
export function dictionaryExports(code) {
  const count = code.match(/^exports\.[\w$]+ = /gm)?.length ?? 0;
  if (count < MANY_EXPORTS) return code;
  if (!code.startsWith(STRICT)) throw new Error("rechunk: a CommonJS chunk that does not start with 'use strict'");
  const toDictionary = 'exports.__toDictionary0 = 0;\nexports.__toDictionary1 = 0;\ndelete exports.__toDictionary0;\ndelete exports.__toDictionary1;\n';
  return `${STRICT}${toDictionary}${code.slice(STRICT.length)}`;
}
