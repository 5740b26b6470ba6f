// `npm run build`: the package's dist/ as users install it.
// - dist/esm: ES modules (the library), bundled by esbuild from the entry points of the package's
//   exports map with code splitting: each entry is one file, what several entries share is in
//   dist/esm/chunks/, and what is loaded on demand (a transport, the XML model) is in chunks of its
//   own. A process then reads and links a few modules instead of a hundred (about a third of the
//   import's cost: `npm run bench:import`). Comments, type syntax and layout whitespace stripped,
//   names kept for readable stack traces; `npm test` type-checks the sources separately; no
//   source maps (the sources are not shipped). Dependencies stay package imports;
// - dist/cjs: CommonJS, the same files each turned into a CommonJS module (`import` becomes
//   `require`), so both builds have the same one copy of every module;
// - dist/esm/cli/tsvirsh.bundle.cjs: tsvirsh as one minified CommonJS bundle (the CLI, the
//   library parts it uses and @rgrove/parse-xml; ssh2 and ws stay package imports, loaded only by
//   an SSH connection and a WebSocket one), run by dist/esm/cli/tsvirsh.js (scripts/tsvirsh-bin.cjs, CommonJS by the package.json beside it), which keeps V8's
//   code cache for it. A process that reads one file instead of a hundred, and compiles it only
//   once, starts sooner: see `npm run bench:cold-start`;
// - one tsc pass emits the declarations (with their TSDoc) into dist/esm, copied to dist/cjs,
//   whose package.json makes them CommonJS declarations there.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, transform } from 'esbuild';

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
const esm = await build({
  ...common,
  entryPoints,
  outbase: src,
  outdir: join(root, 'dist/esm'),
  format: 'esm',
  bundle: true,
  splitting: true,
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
});
for (const out of Object.keys(esm.metafile.outputs)) {
  const rel = relative(join(root, 'dist/esm'), join(root, out));
  const { code } = await transform(readFileSync(join(root, out), 'utf8'), { ...common, format: 'cjs' });
  mkdirSync(join(root, 'dist/cjs', rel, '..'), { recursive: true });
  writeFileSync(join(root, 'dist/cjs', rel), code);
}
writeFileSync(join(root, 'dist/cjs/package.json'), '{"type":"commonjs"}\n');
const cli = await build({
  entryPoints: [join(src, 'cli/tsvirsh.ts')],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  external: ['ssh2', 'ws'],
  // The loader (scripts/tsvirsh-bin.cjs) passes the bundle's URL; import() becomes require()
  // (Node's modules and ssh2, a CommonJS package), which a script run from a code cache keeps.
  define: { 'import.meta.url': '__tsvirsh_url' },
  supported: { 'dynamic-import': false },
  write: false,
  logLevel: 'warning',
});
const bundleText = cli.outputFiles[0].text.replace(/^#!.*\n/, '');
mkdirSync(join(root, 'dist/esm/cli'), { recursive: true });
writeFileSync(join(root, 'dist/esm/cli/tsvirsh.bundle.cjs'), bundleText);
const hash = createHash('sha256').update(bundleText).digest('hex').slice(0, 16);
const bin = join(root, 'dist/esm/cli/tsvirsh.js');
writeFileSync(bin, readFileSync(join(root, 'scripts/tsvirsh-bin.cjs'), 'utf8').replace('@BUNDLE_HASH@', hash));
// The bin is CommonJS (no ES module loader to start); nothing else in dist/esm/cli is JavaScript.
writeFileSync(join(root, 'dist/esm/cli/package.json'), '{"type":"commonjs"}\n');
chmodSync(bin, 0o755);

execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.types.json')], { stdio: 'inherit' });
for (const f of list(join(root, 'dist/esm'))) {
  const rel = relative(join(root, 'dist/esm'), f);
  if (!f.endsWith('.d.ts') || rel.startsWith('cli/')) continue;
  mkdirSync(join(root, 'dist/cjs', rel, '..'), { recursive: true });
  cpSync(f, join(root, 'dist/cjs', rel));
}
