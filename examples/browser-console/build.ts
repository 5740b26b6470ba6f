/**
 * Builds the example page into one directory (index.html, app.js, app.css) with esbuild for the
 * browser, minified, and prints what it weighs: app.js minified and gzipped, and how much of it is
 * libvirt-rpc and how much xterm.js. The build fails if the bundle would need a Node built-in
 * (`node:*`, `buffer`, `stream`, ...) or uses Node's global `Buffer`.
 *
 *   npm run size:browser-console            # builds into examples/browser-console/dist
 *   npx tsx examples/browser-console/build.ts OUTDIR
 *
 * In your own app, `libvirt-rpc` resolves to the package's browser build by the `browser` export
 * condition; here it is aliased to the sources.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

/** The library's browser entry in the sources. */
export const LIBRARY_ENTRY = path.join(root, 'src', 'browser.ts');

/** What a build produced and weighs. */
export interface BrowserConsoleBuild {
  readonly outdir: string;
  /** app.js: minified bytes, and gzipped. */
  readonly js: { readonly bytes: number; readonly gzip: number };
  /** app.css (xterm.js's stylesheet), minified bytes. */
  readonly cssBytes: number;
  /** Bytes of app.js that come from libvirt-rpc (with its dependencies), from xterm.js, and from the page itself. */
  readonly parts: { readonly library: number; readonly xterm: number; readonly page: number };
}

/**
 * What the library's own browser build does (scripts/build-browser.mjs): a module `x.ts` with a
 * sibling `x.browser.ts` is replaced by it. Only needed when bundling the sources.
 */
const browserTwins: Plugin = {
  name: 'browser-twins',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      const twin = path.resolve(args.resolveDir, args.path).replace(/\.js$/, '.browser.ts');
      return existsSync(twin) ? { path: twin } : undefined;
    });
  },
};

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Node's global `Buffer` used as a free variable (not `x.Buffer`, not `ArrayBuffer`). */
const NODE_BUFFER = /(?<![\w$.])Buffer(?=[.[(])/;

/** Builds the page into `outdir` and measures it; throws naming any Node built-in it needed. */
export async function buildBrowserConsole(outdir: string): Promise<BrowserConsoleBuild> {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [path.join(here, 'app.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    outdir,
    metafile: true,
    logLevel: 'silent',
    alias: { 'libvirt-rpc': LIBRARY_ENTRY },
    plugins: [browserTwins],
  });
  const needed = Object.entries(result.metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => builtins.has(i.path)).map((i) => `${file} imports ${i.path}`),
  );
  if (needed.length > 0) throw new Error(`the browser bundle needs Node built-ins:\n${needed.join('\n')}`);
  copyFileSync(path.join(here, 'index.html'), path.join(outdir, 'index.html'));
  const js = readFileSync(path.join(outdir, 'app.js'));
  const buffer = NODE_BUFFER.exec(js.toString('utf8'));
  if (buffer) throw new Error(`the browser bundle uses Node's global Buffer: ...${js.toString('utf8').slice(buffer.index - 40, buffer.index + 40)}...`);
  const parts = { library: 0, xterm: 0, page: 0 };
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (file.endsWith('.css')) continue;
      const part = file.includes('node_modules/@xterm/') ? 'xterm' : file.startsWith('examples/') ? 'page' : 'library';
      parts[part] += bytesInOutput;
    }
  }
  return {
    outdir,
    js: { bytes: js.length, gzip: gzipSync(js, { level: 9 }).length },
    cssBytes: readFileSync(path.join(outdir, 'app.css')).length,
    parts,
  };
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildBrowserConsole(path.resolve(process.argv[2] ?? path.join(here, 'dist')));
  console.log(`examples/browser-console → ${out.outdir}`);
  console.log(`app.js  ${kib(out.js.bytes)} minified, ${kib(out.js.gzip)} gzipped (no Node built-ins)`);
  console.log(`        of which libvirt-rpc ${kib(out.parts.library)}, xterm.js ${kib(out.parts.xterm)}, the page ${kib(out.parts.page)} (minified)`);
  console.log(`app.css ${kib(out.cssBytes)} minified (xterm.js's stylesheet)`);
}
