#!/usr/bin/env node
// The `tsvirsh` executable as the package ships it (scripts/build-tsvirsh.mjs copies this file to
// dist/esm/cli/tsvirsh.js and fills in BUNDLE_HASH). tsvirsh itself is CommonJS modules in packs
// in tsvirsh-chunks/ beside it: the entry's pack, one per command module, and one per module the
// sources import() (a pack holds a module and those it requires). This loader runs them as a small
// module system of its own: a module runs when it is first required, its pack is read then, so a
// process evaluates only the command it runs and what that needs.
// Much of what is left of a cold start is V8 compiling that code, so the loader keeps V8's code
// cache of each pack, as Node 22's module.enableCompileCache() does for modules: the first run
// that loads a pack writes its cache (with the functions that ran compiled), later runs skip the
// compiling. The caches are files in $XDG_CACHE_HOME/libvirt-rpc (~/.cache/libvirt-rpc), in a
// folder named by the build's hash, Node's version and the CPU; V8 checks each against its source
// and flags and rejects a stale one (then it is rewritten). A new build prunes the folders of
// older ones. NODE_DISABLE_COMPILE_CACHE (Node's own switch) turns the cache off; any failure to
// read or write it only costs the time it would have saved.
// Node's modules that only some commands use (child_process, readline, tty, os, crypto, ...) are
// required when first used, not when a file that names them is loaded.
// This loader is CommonJS (a package.json beside it says so): a CommonJS main module spares Node
// the start of its ES module loader.
'use strict';
const fs = require('node:fs');
const { join, dirname } = require('node:path');
const { Script } = require('node:vm');

const BUNDLE_HASH = '@BUNDLE_HASH@';
const CHUNKS = join(__dirname, 'tsvirsh-chunks');
const CACHE_PREFIX = 'tsvirsh-';
const CACHE_NAME = `${CACHE_PREFIX}${BUNDLE_HASH}-${process.version}-${process.arch}`;
/** How many other builds' caches a new build leaves (other installed copies of the package may still use them). */
const KEEP_OTHER_CACHES = 3;

/** The folder of caches of this build (null: none kept). */
function cacheBase() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return null;
  let base = process.env.XDG_CACHE_HOME;
  if (!base) {
    try {
      // os.homedir() is $HOME when set: reading it spares loading node:os.
      base = join(process.env.HOME || require('node:os').homedir(), '.cache');
    } catch {
      return null;
    }
  }
  return join(base, 'libvirt-rpc');
}
const cacheRoot = cacheBase();
const cacheDir = cacheRoot && join(cacheRoot, CACHE_NAME);

/** Node's modules required on first use: a proxy whose first property read loads the module. */
const LAZY_BUILTINS = new Set([
  'node:child_process',
  'node:crypto',
  'node:dgram',
  'node:dns',
  'node:fs/promises',
  'node:os',
  'node:perf_hooks',
  'node:readline',
  'node:tls',
  'node:tty',
  'node:util',
  'node:zlib',
]);
const lazyBuiltins = new Map();
function lazyBuiltin(id) {
  let proxy = lazyBuiltins.get(id);
  if (!proxy) {
    let mod;
    const load = () => {
      mod ??= require(id);
      return mod;
    };
    proxy = new Proxy(
      {},
      {
        get: (_, key) => load()[key],
        has: (_, key) => key in load(),
        ownKeys: () => Reflect.ownKeys(load()),
        getOwnPropertyDescriptor: (_, key) => {
          const d = Reflect.getOwnPropertyDescriptor(load(), key);
          return d && { ...d, configurable: true };
        },
        getPrototypeOf: () => Object.getPrototypeOf(load()),
      },
    );
    lazyBuiltins.set(id, proxy);
  }
  return proxy;
}

const packageRequire = require('node:module').createRequire(join(CHUNKS, 'tsvirsh.js'));
/** The module functions of the packs read so far, by file. */
const factories = new Map();
const loaded = new Map();
/** Packs compiled without an accepted cache this run: their caches are written at exit. */
const uncached = [];

/** Reads and runs the pack `rel` (a file of tsvirsh-chunks), which holds the module functions of `rel` and of the files it requires. */
function readPack(rel) {
  const file = join(CHUNKS, rel);
  const cacheFile = cacheDir && join(cacheDir, `${rel.replace(/\//g, '_')}.v8cache`);
  let cachedData;
  if (cacheFile) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      // none yet: this run writes it
    }
  }
  // Latin-1: the packs are ASCII (scripts/build-tsvirsh.mjs checks), and Latin-1 needs no decoding.
  const script = new Script(fs.readFileSync(file, 'latin1'), { filename: file, cachedData });
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) uncached.push({ script, cacheFile });
  // Each module's import.meta.url is its pack's (main.ts looks for the package.json above it).
  const url = require('node:url').pathToFileURL(file).href;
  for (const [name, factory] of Object.entries(script.runInThisContext())) if (!factories.has(name)) factories.set(name, { factory, url });
}

/** Runs (once) the file `rel` of tsvirsh-chunks and returns its exports. */
function load(rel) {
  const known = loaded.get(rel);
  if (known) return known.exports;
  if (!factories.has(rel)) readPack(rel);
  const module = { exports: {} };
  loaded.set(rel, module);
  const dir = dirname(rel);
  const requireHere = (id) => {
    if (id.startsWith('./') || id.startsWith('../')) return load(join(dir, id));
    if (LAZY_BUILTINS.has(id)) return lazyBuiltin(id);
    return packageRequire(id);
  };
  const file = join(CHUNKS, rel);
  const { factory, url } = factories.get(rel);
  factory(module.exports, requireHere, module, file, dirname(file), url, load);
  return module.exports;
}

/** Writes the caches this run made, and (for a new build) prunes other builds' caches. */
function writeCaches() {
  if (uncached.length === 0) return;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    for (const { script, cacheFile } of uncached) {
      const tmp = `${cacheFile}.${process.pid}`;
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    }
    const others = fs
      .readdirSync(cacheRoot)
      .filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE_NAME)
      .map((n) => ({ n, t: fs.statSync(join(cacheRoot, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { n } of others.slice(KEEP_OTHER_CACHES)) fs.rmSync(join(cacheRoot, n), { recursive: true, force: true });
  } catch {
    // a read-only or missing home: run without a cache
  }
}
if (cacheDir) process.once('exit', writeCaches);

load('tsvirsh.js');
