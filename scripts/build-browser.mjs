// The browser build: src/browser.ts bundled by esbuild (platform browser, ESM, minified, with
// its dependencies) into dist/browser/index.js, the file the package's `browser` export
// condition and `libvirt-rpc/browser` point at (types: dist/esm/browser.d.ts). What the sources
// load with import() (the typed XML model of getDefinition()/define*()) goes into chunks of its
// own beside it (`chunk-*.js`), loaded on first use.
//
// A module `x.ts` with a sibling `x.browser.ts` is replaced by it here (src/util/bytes,
// src/util/platform, src/rpc/diagnostics-channel, src/api/stream): same exports, no Node.
//
// Then the output is checked, and the build fails when it imports or requires anything but its
// own chunks (a Node built-in, `node:*`, any package left external), or names `Buffer`,
// `process` or `require`.
// It prints the size, minified and gzipped.
//
//   node scripts/build-browser.mjs                  build into dist/browser/ and check
//   node scripts/build-browser.mjs --out DIR        build into DIR instead (replacing index.js and chunk-*.js there)
//   node scripts/build-browser.mjs --check FILE     only check FILE (exit 1 with the reasons)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { rechunk } from './rechunk.mjs';

const root = new URL('..', import.meta.url).pathname;

/** Replaces `./x.js` by `./x.browser.ts` where that file exists. */
const browserTwins = {
  name: 'browser-twins',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      const twin = resolve(args.resolveDir, args.path).replace(/\.js$/, '.browser.ts');
      return existsSync(twin) ? { path: twin } : undefined;
    });
  },
};

/** Reasons the bundle `text` is not fit for a browser (empty when it is). */
export function browserProblems(text) {
  const problems = [];
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const specifiers = [
    ...text.matchAll(/\bimport\s*(?:[\w*${}\s,]+from\s*)?["']([^"']+)["']/g),
    ...text.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
    ...text.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]);
  for (const s of new Set(specifiers)) {
    if (/^\.\/chunk-[\w-]+\.js$/.test(s)) continue; // the build's own chunks
    problems.push(builtins.has(s) || s.startsWith('node:') ? `imports the Node built-in ${s}` : `imports ${s} (the bundle must be self-contained)`);
  }
  // Buffer anywhere; the others where code uses them (not inside a word or a string like "process-id").
  const uses = {
    Buffer: /(?<![\w$])Buffer(?![\w$])/,
    process: /(?<![\w$."'-])process\s*\./,
    require: /(?<![\w$."'-])require\s*\(/,
    __dirname: /(?<![\w$])__dirname(?![\w$])/,
    setImmediate: /(?<![\w$."'-])setImmediate\s*\(/,
  };
  for (const [word, re] of Object.entries(uses)) {
    const at = text.search(re);
    if (at >= 0) problems.push(`names ${word} (at offset ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))})`);
  }
  return problems;
}

/** Builds the bundle; returns its files (`index.js` first) as `{ name, text }`. */
export async function buildBrowser() {
  const out = await build({
    entryPoints: { index: join(root, 'src/browser.ts') },
    bundle: true,
    splitting: true,
    outdir: '/browser',
    chunkNames: 'chunk-[hash]',
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
    minify: true,
    // Names stay readable in stack traces and error.name checks (the error classes set theirs).
    keepNames: true,
    legalComments: 'none',
    plugins: [browserTwins],
    write: false,
    logLevel: 'warning',
  });
  // Re-chunked (scripts/rechunk.mjs): the page loads index.js and one chunk at start, and the
  // chunks of what it loads on demand (the XML model, the migration drivers) when it first uses them.
  const esbuildFiles = new Map(out.outputFiles.map((f) => [f.path.slice('/browser/'.length), f.text]));
  const { es } = await rechunk({ dir: '/browser', entry: 'index.js', files: esbuildFiles, chunkFileNames: 'chunk-[hash].js' });
  const files = es.map((o) => ({ name: o.fileName, text: o.code, static: o.isEntry || !o.isDynamicEntry }));
  return files.sort((a, b) => (a.name === 'index.js' ? -1 : b.name === 'index.js' ? 1 : a.name.localeCompare(b.name)));
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const sizes = (text) => `${kib(Buffer.byteLength(text))} minified, ${kib(gzipSync(text, { level: 9 }).length)} gzipped`;

/** Prints the problems of each file and exits 1 if any has one; else prints the sizes. */
function report(files, where) {
  const bad = files.map((f) => ({ ...f, problems: browserProblems(f.text) })).filter((f) => f.problems.length > 0);
  if (bad.length > 0) {
    for (const f of bad) console.error(`${join(where, f.name)}: not fit for a browser:\n${f.problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  const [entry, ...chunks] = files;
  const atStart = chunks.filter((c) => c.static);
  const onUse = chunks.filter((c) => !c.static);
  const also = atStart.length ? ` (+ ${atStart.length} chunk(s) it imports: ${sizes(atStart.map((c) => c.text).join(''))})` : '';
  const lazy = onUse.length ? `; loaded on use: ${onUse.length} chunk(s), ${sizes(onUse.map((c) => c.text).join(''))}` : '';
  console.log(`${join(where, entry.name)}: ${sizes(entry.text)}${also}${lazy}; no Node built-in, no Buffer`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const args = process.argv.slice(2);
  const checkAt = args.indexOf('--check');
  if (checkAt >= 0) {
    const file = args[checkAt + 1];
    report([{ name: basename(file), text: readFileSync(file, 'utf8') }], dirname(file));
  } else {
    const outAt = args.indexOf('--out');
    const dir = outAt >= 0 ? resolve(args[outAt + 1]) : join(root, 'dist/browser');
    const files = await buildBrowser();
    mkdirSync(dir, { recursive: true });
    // The previous build's files only (chunk names change with their contents).
    for (const name of readdirSync(dir)) if (name === 'index.js' || /^chunk-[\w-]+\.js$/.test(name)) rmSync(join(dir, name));
    for (const f of files) writeFileSync(join(dir, f.name), f.text);
    report(files, dir.startsWith(root) ? dir.slice(root.length) : dir);
  }
}
