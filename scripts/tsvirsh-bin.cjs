#!/usr/bin/env node
// The `tsvirsh` executable as the package ships it (scripts/build.mjs copies this file to
// dist/esm/cli/tsvirsh.js and fills in BUNDLE_HASH). tsvirsh itself is one CommonJS bundle beside
// it (tsvirsh.bundle.cjs); most of a cold start is V8 compiling that code, so this loader keeps
// V8's code cache for it, as Node 22's module.enableCompileCache() does for modules: the first
// run writes the cache (with the functions that run compiled), later runs skip the compiling.
// The cache is a file under $XDG_CACHE_HOME/libvirt-rpc (~/.cache/libvirt-rpc), named by the
// bundle's hash, Node's version and the CPU; V8 checks it against the source and its flags and
// rejects a stale one (then it is rewritten). NODE_DISABLE_COMPILE_CACHE (Node's own switch)
// turns it off; any failure to read or write it only costs the time it would have saved.
// This loader is CommonJS (scripts/build.mjs puts a {"type": "commonjs"} package.json beside it):
// a CommonJS main module spares Node the start of its ES module loader, about 6 ms of CPU of the
// ~40 ms tsvirsh adds to `node -e 0` (measured with bench/cpu-usage.cjs).
'use strict';
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { homedir } = require('node:os');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const BUNDLE_HASH = '@BUNDLE_HASH@';
const bundle = join(__dirname, 'tsvirsh.bundle.cjs');

function cacheFile() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return null;
  let base = process.env.XDG_CACHE_HOME;
  if (!base) {
    try {
      base = join(homedir(), '.cache');
    } catch {
      return null;
    }
  }
  return join(base, 'libvirt-rpc', `tsvirsh-${BUNDLE_HASH}-${process.version}-${process.arch}.v8cache`);
}

const cache = cacheFile();
let cachedData;
if (cache) {
  try {
    cachedData = readFileSync(cache);
  } catch {
    // none yet: this run writes it
  }
}
// The CommonJS wrapper, plus the bundle's import.meta.url (scripts/build.mjs defines it so).
const source = `(function (exports, require, module, __filename, __dirname, __tsvirsh_url) {${readFileSync(bundle, 'utf8')}\n})`;
// The bundle has no import() (scripts/build.mjs turns them into require()): a script compiled from
// a code cache would not keep a dynamic-import callback.
const script = new Script(source, { filename: bundle, cachedData });
if (cache && (cachedData === undefined || script.cachedDataRejected)) {
  process.once('exit', () => {
    try {
      mkdirSync(dirname(cache), { recursive: true });
      const tmp = `${cache}.${process.pid}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cache);
    } catch {
      // a read-only or missing home: run without a cache
    }
  });
}
const bundleModule = { exports: {} };
script.runInThisContext()(bundleModule.exports, createRequire(bundle), bundleModule, bundle, dirname(bundle), pathToFileURL(bundle).href);
