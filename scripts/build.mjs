// `npm run build`: the package's dist/ as users install it.
// - dist/esm: ES modules (the library), dist/cjs: CommonJS (the library), transpiled file by file
//   by esbuild (comments, type syntax and layout whitespace stripped, names kept for readable stack
//   traces; `npm test` type-checks the sources separately), no source maps (the sources are not
//   shipped);
// - dist/esm/cli/tsvirsh.js: the tsvirsh executable as one minified ES module (the CLI, the
//   library parts it uses and @rgrove/parse-xml; ssh2 stays a package import, loaded only by an
//   SSH connection). A
//   process that resolves, reads and compiles one file instead of a hundred starts sooner: see
//   `npm run bench:cold-start`;
// - one tsc pass emits the declarations (with their TSDoc) into dist/esm, copied to dist/cjs,
//   whose package.json makes them CommonJS declarations there.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');
const list = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(join(dir, e.name)) : [join(dir, e.name)]));
const sources = list(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
const library = sources.filter((f) => !relative(src, f).startsWith('cli/'));

rmSync(join(root, 'dist'), { recursive: true, force: true });
const common = { outbase: src, platform: 'node', target: 'node20', logLevel: 'warning', minifyWhitespace: true };
await build({ ...common, entryPoints: library, outdir: join(root, 'dist/esm'), format: 'esm' });
await build({ ...common, entryPoints: library, outdir: join(root, 'dist/cjs'), format: 'cjs' });
writeFileSync(join(root, 'dist/cjs/package.json'), '{"type":"commonjs"}\n');
await build({
  entryPoints: [join(src, 'cli/tsvirsh.ts')],
  outfile: join(root, 'dist/esm/cli/tsvirsh.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  external: ['ssh2'],
  logLevel: 'warning',
});

execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.types.json')], { stdio: 'inherit' });
for (const f of list(join(root, 'dist/esm'))) {
  const rel = relative(join(root, 'dist/esm'), f);
  if (!f.endsWith('.d.ts') || rel.startsWith('cli/')) continue;
  mkdirSync(join(root, 'dist/cjs', rel, '..'), { recursive: true });
  cpSync(f, join(root, 'dist/cjs', rel));
}
