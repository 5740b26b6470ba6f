// `npm run build`: the package's dist/ as users install it.
// - dist/esm: ES modules (the library), bundled by esbuild from the entry points of the package's
//   exports map with code splitting: each entry is one file, what several entries share is in
//   dist/esm/chunks/, and what is loaded on demand (a transport, the XML model) is in chunks of its
//   own. A process then reads and links a few modules instead of a hundred (about a third of the
//   import's cost: `npm run bench:import`); the root entry and `libvirt-rpc/calls` are then
//   re-chunked by Rollup into two files each plus what they load on demand (rechunkLightEntries
//   below, scripts/rechunk.mjs). Comments, type syntax and layout whitespace stripped,
//   syntax minified (constants inlined: see constantsOnlyAtRoot below), names kept for readable
//   stack traces; `npm test` type-checks the sources separately; no
//   source maps (the sources are not shipped). Dependencies stay package imports, except
//   @rgrove/parse-xml (the XML reader the root entry exports, a CommonJS package of 14 files): it
//   is bundled into a chunk as ES module code, so that importing the root entry does not load 14
//   CommonJS files through Node's CommonJS-from-ESM path (about a tenth of the import's cost);
//   its ISC notice is kept with it (legal comment at the end of the chunk);
// - dist/cjs: CommonJS, the same files each turned into a CommonJS module (`import` becomes
//   `require`; Rollup's own CommonJS output for the re-chunked entries, under the same names), so
//   both builds have the same one copy of every module;
// - dist/esm/cli/tsvirsh.js and tsvirsh-chunks/: tsvirsh as minified CommonJS packs loaded on
//   demand with V8's code cache (scripts/build-tsvirsh.mjs), so a process compiles little and
//   evaluates only the command it runs: see `npm run bench:cold-start`;
// - one tsc pass emits the declarations (with their TSDoc) into dist/esm, copied to dist/cjs,
//   whose package.json makes them CommonJS declarations there.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build, transform } from 'esbuild';
import { rechunk } from './rechunk.mjs';
import { buildTsvirsh } from './build-tsvirsh.mjs';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');
const list = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(join(dir, e.name)) : [join(dir, e.name)]));
// The library's entry points: every `import` target of the exports map, and the bins other than
// tsvirsh (built below), from their sources.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const entryPoints = [...Object.values(pkg.exports).map((e) => e.import?.default), ...Object.values(pkg.bin)]
  .filter((f) => f?.startsWith('./dist/esm/') && !f.startsWith('./dist/esm/cli/'))
  .map((f) => join(src, f.slice('./dist/esm/'.length).replace(/\.js$/, '.ts')));

rmSync(join(root, 'dist'), { recursive: true, force: true });
const common = { platform: 'node', target: 'node20', logLevel: 'warning', minifyWhitespace: true };
/** The dependency bundled into dist (see above); every other package stays an import. */
const BUNDLED = '@rgrove/parse-xml';
const bundleParseXml = {
  name: 'bundle-parse-xml',
  setup(b) {
    // src/api/xml/reader.ts imports the package through a module that requires it at the first
    // parse: esbuild evaluates a bundled CommonJS package where it is required, so an import no
    // longer runs its 14 modules (~3 M instructions). `XmlError` is a live binding, set by then.
    b.onResolve({ filter: /^@rgrove\/parse-xml$/ }, (args) =>
      args.importer === join(src, 'api/xml/reader.ts') ? { path: BUNDLED, namespace: 'parse-xml-on-first-use' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'parse-xml-on-first-use' }, () => ({
      contents: [
        'let lib = null;',
        'export let XmlError;',
        'export function parseXml(text, options) {',
        `  if (lib === null) { lib = require(${JSON.stringify(BUNDLED)}); XmlError = lib.XmlError; }`,
        '  return lib.parseXml(text, options);',
        '}',
      ].join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path === BUNDLED || args.path.startsWith(`${BUNDLED}/`) || args.importer.includes(`/node_modules/${BUNDLED}/`) ? undefined : { external: true },
    );
    // The package's license asks for its notice in every copy.
    b.onLoad({ filter: /node_modules\/@rgrove\/parse-xml\/dist\/index\.js$/ }, (args) => {
      const notice = readFileSync(join(root, 'node_modules', BUNDLED, 'LICENSE'), 'utf8').trim();
      return {
        contents: `/*! ${BUNDLED}, bundled by libvirt-rpc's build.\n${notice.replace(/\*\//g, '* /')}\n*/\n${readFileSync(args.path, 'utf8')}`,
        loader: 'js',
      };
    });
  },
};
/**
 * libvirt's ~1,500 constants (src/procedures/libvirt-api.gen.ts) are exported by the root entry
 * alone; the library's own modules use a few of them. Were they one module, the build would put
 * it in a chunk shared by every entry, and the root entry would import and export each name
 * again: four lists of 1,500 names to parse and link on every import. So only src/index.ts
 * imports the file itself (its constants are then declared in dist/esm/index.js); every other
 * importer gets a copy of the module, from which the build (minifySyntax) inlines the numbers
 * and keeps only the few enum objects the code names (`virErrorNumber`, ...).
 */
const API_CONSTANTS = join(src, 'procedures/libvirt-api.gen.ts');
const constantsOnlyAtRoot = {
  name: 'constants-only-at-root',
  setup(b) {
    b.onResolve({ filter: /\/libvirt-api\.gen\.js$/ }, (args) => {
      const path = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      if (path !== API_CONSTANTS) return undefined;
      return args.importer === join(src, 'index.ts') ? { path } : { path, namespace: 'library-copy' };
    });
    b.onLoad({ filter: /.*/, namespace: 'library-copy' }, (args) => ({
      contents: readFileSync(args.path, 'utf8'),
      loader: 'ts',
      resolveDir: dirname(args.path),
    }));
  },
};
const esm = await build({
  ...common,
  minifySyntax: true,
  entryPoints,
  outbase: src,
  outdir: join(root, 'dist/esm'),
  format: 'esm',
  bundle: true,
  splitting: true,
  plugins: [bundleParseXml, constantsOnlyAtRoot],
  legalComments: 'eof',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
});
const light = await rechunkLightEntries(esm.metafile);
for (const out of Object.keys(esm.metafile.outputs)) {
  const rel = relative(join(root, 'dist/esm'), join(root, out));
  if (!light.kept.has(rel)) continue;
  const { code } = await transform(readFileSync(join(root, out), 'utf8'), { ...common, format: 'cjs' });
  writeOut(join(root, 'dist/cjs', rel), code);
}
for (const [rel, code] of light.cjs) writeOut(join(root, 'dist/cjs', rel), code);
writeFileSync(join(root, 'dist/cjs/package.json'), '{"type":"commonjs"}\n');
await buildTsvirsh(root);

execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.types.json')], { stdio: 'inherit' });
for (const f of list(join(root, 'dist/esm'))) {
  const rel = relative(join(root, 'dist/esm'), f);
  if (!f.endsWith('.d.ts') || rel.startsWith('cli/')) continue;
  mkdirSync(join(root, 'dist/cjs', rel, '..'), { recursive: true });
  cpSync(f, join(root, 'dist/cjs', rel));
}

/**
 * The root entry and `libvirt-rpc/calls` re-chunked by Rollup from esbuild's output
 * (scripts/rechunk.mjs), each into its own files: the entry's module, one file with everything
 * else its import evaluates, and the chunks it loads on demand. The other entries keep esbuild's
 * chunks; a module shared with them is then a second copy, which is why every class the package
 * exports is branded (src/errors/brand.ts): `instanceof` holds across copies. Returns the esbuild
 * files still used (the others are deleted) and the CommonJS twins of Rollup's files.
 */
async function rechunkLightEntries(metafile) {
  const esmDir = join(root, 'dist/esm');
  const LIGHT = ['index.js', 'calls.js'];
  const outputs = [];
  const cjs = new Map();
  for (const entry of LIGHT) {
    // esbuild's names carry its hash (`dial-D2LSQ5MH`); Rollup adds its own.
    const chunkFileNames = (c) => `${entry.replace(/\.js$/, '')}-chunks/${c.name.replace(/-[A-Z0-9]{8}$/, '')}-[hash].js`;
    const out = await rechunk({ dir: esmDir, entry, chunkFileNames, formats: ['es', 'cjs'] });
    outputs.push(...out.es);
    for (const o of out.cjs) cjs.set(o.fileName, o.code);
  }
  const byFile = new Map(Object.entries(metafile.outputs).map(([out, info]) => [relative(esmDir, join(root, out)), info]));
  // What the other entries still load from esbuild's output (statically or on demand).
  const kept = new Set();
  const visit = (rel) => {
    if (kept.has(rel) || !byFile.has(rel)) return;
    kept.add(rel);
    for (const i of byFile.get(rel).imports) if (!i.external) visit(relative(esmDir, join(root, i.path)));
  };
  const entries = new Set(entryPoints.map((f) => relative(root, f)));
  for (const [rel, info] of byFile) if (entries.has(info.entryPoint) && !LIGHT.includes(rel)) visit(rel);
  for (const rel of byFile.keys()) if (!kept.has(rel)) rmSync(join(esmDir, rel));
  for (const o of outputs) writeOut(join(esmDir, o.fileName), o.code);
  return { kept, cjs };
}

/** Writes `text` to `path`, making its directory first. */
function writeOut(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
