// tsvirsh as the package ships it (called by scripts/build.mjs): dist/esm/cli/tsvirsh.js, the
// loader (scripts/tsvirsh-bin.cjs), and dist/esm/cli/tsvirsh-chunks/, the CLI and the library parts
// it uses as minified CommonJS files that the loader runs with V8's code cache, each on demand:
// - tsvirsh.js: the entry (global options, parser, session, virsh's own commands, connecting);
// - commands/<module>.js: one per command module of src/cli/commands, loaded when one of its
//   commands runs. Which commands exist, their groups, flags and options are data in the entry
//   (src/cli/lazy-commands.ts), read from the modules here, so parsing, completion and `help` need
//   no command's code; texts.js holds what `help` prints (help lines, DESCRIPTIONs, options' help);
// - chunks/: what several of them share, and what the sources import() on demand (a transport,
//   the interactive shell, ...).
// esbuild splits an ES module build into these files; each is then turned into CommonJS (import()
// becomes require(): a script compiled from a code cache keeps no dynamic-import callback).
// @rgrove/parse-xml is bundled; ssh2 and ws stay package imports (SSH and WebSocket connections).
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, transform } from 'esbuild';

/** The fields of a CommandSpec and an OptionSpec that src/cli/lazy-commands.ts keeps (a new field must be added there). */
const COMMAND_FIELDS = new Set([
  'name',
  'group',
  'help',
  'description',
  'aliasNames',
  'options',
  'hidden',
  'connects',
  'quits',
  'extensions',
  'aliases',
  'run',
]);
const OPTION_FIELDS = new Set(['name', 'kind', 'positional', 'required', 'help', 'hidden', 'aliasOf']);

/** Every command of src/cli/commands/index.ts, found in the export of its module, as lazy-commands' data. */
async function commandData(root, tmp) {
  const dir = join(root, 'src/cli/commands');
  const modules = readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => basename(f, '.ts'))
    .sort();
  const entry = [
    ...modules.map((m, i) => `import * as m${i} from ${JSON.stringify(join(dir, `${m}.ts`))};`),
    `export { COMMANDS } from ${JSON.stringify(join(dir, 'index.ts'))};`,
    `export const modules = [${modules.map((_, i) => `m${i}`).join(', ')}];`,
  ].join('\n');
  const file = join(tmp, 'read-commands.mjs');
  await build({
    stdin: { contents: entry, resolveDir: root, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outfile: file,
    logLevel: 'warning',
  });
  const { COMMANDS, modules: namespaces } = await import(pathToFileURL(file).href);
  // Where each command is exported; a module that gathers another's commands (iface: iface-bridge's)
  // exports them too: the smallest export is where the command is defined.
  const home = new Map();
  for (const [m, ns] of namespaces.entries()) {
    for (const [name, value] of Object.entries(ns)) {
      const specs = Array.isArray(value) ? value : [value];
      for (const spec of specs) {
        if (!COMMANDS.includes(spec)) continue;
        if ((home.get(spec)?.size ?? Infinity) > specs.length) home.set(spec, { m, e: name, size: specs.length });
      }
    }
  }
  // src/cli/lazy-commands.ts reads this data: keep the two in step.
  const KINDS = ['bool', 'string', 'int', 'argv'];
  const groups = [];
  const texts = { help: [], description: [], options: [] };
  const entries = COMMANDS.map((spec) => {
    const { size, m, e } = home.get(spec) ?? {};
    if (size === undefined) throw new Error(`build-tsvirsh: command ${spec.name} is in no export of src/cli/commands/*.ts`);
    for (const k of Object.keys(spec))
      if (!COMMAND_FIELDS.has(k)) throw new Error(`build-tsvirsh: ${spec.name} has a field ${k} that src/cli/lazy-commands.ts does not keep`);
    if (!groups.includes(spec.group)) groups.push(spec.group);
    const flags = (spec.hidden ? 1 : 0) | (spec.connects === false ? 2 : 0) | (spec.quits ? 4 : 0) | (spec.aliases ? 8 : 0) | (spec.description ? 16 : 0);
    const options = spec.options.map((o) => {
      for (const k of Object.keys(o))
        if (!OPTION_FIELDS.has(k)) throw new Error(`build-tsvirsh: ${spec.name} --${o.name} has a field ${k} that src/cli/lazy-commands.ts does not keep`);
      if (!KINDS.includes(o.kind)) throw new Error(`build-tsvirsh: ${spec.name} --${o.name}: unknown kind ${o.kind}`);
      const entry = [o.name, KINDS.indexOf(o.kind), (o.positional ? 1 : 0) | (o.required ? 2 : 0) | (o.hidden ? 4 : 0)];
      return o.aliasOf === undefined ? entry : [...entry, o.aliasOf];
    });
    texts.help.push(spec.help);
    texts.description.push(spec.description ?? '');
    texts.options.push(spec.options.map((o) => o.help));
    return [
      spec.name,
      groups.indexOf(spec.group),
      flags,
      options,
      m,
      e,
      spec.aliasNames?.length ? spec.aliasNames : 0,
      spec.extensions?.length ? spec.extensions : 0,
    ];
  });
  return { modules, groups, entries, texts };
}

/**
 * esbuild's CommonJS form of an ES module defines a getter per export on an object, then copies
 * every getter onto a second object (`module.exports = __toCommonJS(ns)`), and ends with an export
 * list for Node's ESM importer that never runs. The loader needs none of the copy: `ns` itself
 * (marked `__esModule`) is the module's exports.
 */
function cheaperExports(code, rel) {
  const copy = /module\.exports\s*=\s*([\w$]+)\(([\w$]+)\);/;
  const m = copy.exec(code);
  if (!m) {
    if (/\bexport\b|__toCommonJS/.test(code.slice(0, 2000)) && /module\.exports=/.test(code))
      throw new Error(`build-tsvirsh: ${rel}: exports of an unknown form`);
    return code;
  }
  const ns = m[2];
  const out = code.replace(/;?(?:\/\/[^\n]*\n)?0\s*&&\s*\(module\.exports\s*=\s*\{[^}]*\}\);?\s*$/, ';\n');
  return out.replace(copy, `Object.defineProperty(${ns},"__esModule",{value:!0}),module.exports=${ns};`);
}

/** A JavaScript expression of `value` that a JSON parser reads (faster than an object literal of this size). */
const jsonExpression = (value) => `JSON.parse(${JSON.stringify(JSON.stringify(value))})`;

/** Builds dist/esm/cli/tsvirsh.js and dist/esm/cli/tsvirsh-chunks/. */
export async function buildTsvirsh(root) {
  const src = join(root, 'src');
  // Inside the package, so that the commands' modules, read here, find its dependencies.
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  const tmp = mkdtempSync(join(root, 'node_modules/.cache/build-tsvirsh-'));
  try {
    const { modules, groups, entries, texts } = await commandData(root, tmp);
    const registry = join(tmp, 'registry.mjs');
    writeFileSync(
      registry,
      [
        `import { lazyCommands } from ${JSON.stringify(join(src, 'cli/lazy-commands.ts'))};`,
        `const MODULES = ${JSON.stringify(modules.map((m) => `commands/${m}.js`))};`,
        `export const COMMANDS = lazyCommands(${JSON.stringify(groups)}, ${jsonExpression(entries)}, {`,
        '  module: (i) => __tsvirsh_load(MODULES[i]),',
        "  texts: () => __tsvirsh_load('texts.js').default,",
        '});',
      ].join('\n'),
    );
    writeFileSync(join(tmp, 'texts.mjs'), `export default ${jsonExpression(texts)};\n`);
    // main.ts takes its commands from ./commands/index.js: here, from the registry.
    const registryPlugin = {
      name: 'tsvirsh-registry',
      setup(b) {
        b.onResolve({ filter: /^\.\/commands\/index\.js$/ }, (args) => (args.importer === join(src, 'cli/main.ts') ? { path: registry } : undefined));
      },
    };
    // The library's connect() loads the session code (RPC engine, transports, authentication) on
    // its first call, so that importing the package does not; nearly every tsvirsh command
    // connects, so here it is linked statically and is in the entry's pack (a pack of its own cost
    // every command one more file read and code cache: `npm run bench:cold-start`).
    const staticSession = {
      name: 'tsvirsh-static-session',
      setup(b) {
        b.onLoad({ filter: /[\\/]src[\\/]api[\\/]connect\.ts$/ }, (args) => {
          const text = readFileSync(args.path, 'utf8');
          const lazy = "await import('./session.js')";
          if (!text.includes(lazy)) throw new Error(`build-tsvirsh: ${args.path} no longer has ${lazy}`);
          return { contents: `import * as sessionModule from './session.js';\n${text.replace(lazy, 'sessionModule')}`, loader: 'ts' };
        });
      },
    };
    const esm = await build({
      entryPoints: [
        { in: join(src, 'cli/tsvirsh.ts'), out: 'tsvirsh' },
        { in: join(tmp, 'texts.mjs'), out: 'texts' },
        ...modules.map((m) => ({ in: join(src, `cli/commands/${m}.ts`), out: `commands/${m}` })),
      ],
      outdir: join(tmp, 'out'),
      absWorkingDir: root,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      minify: !process.env.TSVIRSH_BUILD_NOMINIFY,
      charset: 'ascii',
      external: ['ssh2', 'ws'],
      chunkNames: 'chunks/[name]-[hash]',
      // The loader passes each file's URL (main.ts looks for the package.json above it).
      define: { 'import.meta.url': '__tsvirsh_url' },
      plugins: [registryPlugin, staticSession],
      metafile: true,
      write: false,
      logLevel: 'warning',
    });
    if (process.env.TSVIRSH_BUILD_META) writeFileSync(process.env.TSVIRSH_BUILD_META, JSON.stringify(esm.metafile));
    // Each output as CommonJS, by its path in the output folder.
    const base = join(tmp, 'out');
    const code = new Map();
    const metaOf = (rel) => esm.metafile.outputs[relative(root, join(base, rel))];
    for (const file of esm.outputFiles) {
      const rel = file.path.slice(base.length + 1);
      const cjs = await transform(file.text.replace(/^#!.*\n/, ''), {
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        minify: !process.env.TSVIRSH_BUILD_NOMINIFY,
        charset: 'ascii',
        supported: { 'dynamic-import': false },
        logLevel: 'warning',
      });
      code.set(rel, cheaperExports(cjs.code, rel));
    }
    // The files a file requires as it runs (its static imports), and the ones loaded on demand: the
    // entries and what the sources import().
    const staticImports = (rel) =>
      (metaOf(rel)?.imports ?? []).filter((i) => i.kind === 'import-statement' && !i.external).map((i) => relative(base, join(root, i.path)));
    const closure = (rel, seen = new Set()) => {
      if (seen.has(rel)) return seen;
      seen.add(rel);
      for (const dep of staticImports(rel)) closure(dep, seen);
      return seen;
    };
    const roots = new Set(esm.outputFiles.map((f) => f.path.slice(base.length + 1)).filter((rel) => !rel.startsWith('chunks/')));
    for (const rel of code.keys())
      for (const i of metaOf(rel)?.imports ?? []) if (i.kind === 'dynamic-import' && !i.external) roots.add(relative(base, join(root, i.path)));
    // One pack per file loaded on demand: it and every file it requires, less what the entry's pack
    // has (always loaded first); packs may share files (the loader runs each once). One file read,
    // one code cache and one compile per pack instead of one per file: a command runs from three.
    const entryPack = closure('tsvirsh.js');
    const out = join(root, 'dist/esm/cli/tsvirsh-chunks');
    rmSync(out, { recursive: true, force: true });
    const hash = createHash('sha256');
    for (const pack of [...roots].sort()) {
      const members = [...closure(pack)].filter((rel) => pack === 'tsvirsh.js' || !entryPack.has(rel)).sort();
      const text = `({${members.map((rel) => `${JSON.stringify(rel)}:function(exports,require,module,__filename,__dirname,__tsvirsh_url,__tsvirsh_load){${code.get(rel)}\n}`).join(',\n')}})\n`;
      // The loader reads packs as Latin-1 (quicker than UTF-8): esbuild's output is ASCII (charset: it escapes the rest).
      if (!process.env.TSVIRSH_BUILD_NOMINIFY && !/^[\x00-\x7f]*$/.test(text)) throw new Error(`build-tsvirsh: ${pack}: not ASCII`);
      mkdirSync(dirname(join(out, pack)), { recursive: true });
      writeFileSync(join(out, pack), text);
      hash.update(pack).update('\0').update(text).update('\0');
    }
    const bin = join(root, 'dist/esm/cli/tsvirsh.js');
    writeFileSync(bin, readFileSync(join(root, 'scripts/tsvirsh-bin.cjs'), 'utf8').replace('@BUNDLE_HASH@', hash.digest('hex').slice(0, 16)));
    // The bin and its chunks are CommonJS (no ES module loader to start); nothing else in dist/esm/cli is JavaScript.
    writeFileSync(join(root, 'dist/esm/cli/package.json'), '{"type":"commonjs"}\n');
    chmodSync(bin, 0o755);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
