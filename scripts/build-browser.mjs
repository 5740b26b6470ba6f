// The browser build: src/browser.ts bundled by esbuild (platform browser, ESM, minified, with
// its dependencies) into dist/browser/index.js, the file the package's `browser` export
// condition and `libvirt-rpc/browser` point at (types: dist/esm/browser.d.ts).
//
// A module `x.ts` with a sibling `x.browser.ts` is replaced by it here (src/util/bytes,
// src/util/platform, src/rpc/diagnostics-channel, src/api/stream): same exports, no Node.
//
// Then the output is checked, and the build fails when it imports or requires anything (a Node
// built-in, `node:*`, any package left external), or names `Buffer`, `process` or `require`.
// It prints the size, minified and gzipped.
//
//   node scripts/build-browser.mjs                  build into dist/browser/ and check
//   node scripts/build-browser.mjs --out DIR        build into DIR instead
//   node scripts/build-browser.mjs --check FILE     only check FILE (exit 1 with the reasons)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

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

/** Builds the bundle; returns its text. */
export async function buildBrowser() {
  const out = await build({
    entryPoints: [join(root, 'src/browser.ts')],
    bundle: true,
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
  return out.outputFiles[0].text;
}

function report(text, problems, where) {
  const bytes = Buffer.byteLength(text);
  const gz = gzipSync(text, { level: 9 }).length;
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  if (problems.length > 0) {
    console.error(`${where}: not fit for a browser:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`${where}: ${kib(bytes)} minified, ${kib(gz)} gzipped; no Node built-in, no Buffer`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const args = process.argv.slice(2);
  const checkAt = args.indexOf('--check');
  if (checkAt >= 0) {
    const file = args[checkAt + 1];
    const text = readFileSync(file, 'utf8');
    report(text, browserProblems(text), file);
  } else {
    const outAt = args.indexOf('--out');
    const dir = outAt >= 0 ? resolve(args[outAt + 1]) : join(root, 'dist/browser');
    const text = await buildBrowser();
    const file = join(dir, 'index.js');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    report(text, browserProblems(text), file.startsWith(root) ? file.slice(root.length) : file);
  }
}
