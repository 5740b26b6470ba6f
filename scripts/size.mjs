// `npm run size`: what each entry point costs a bundler's user. esbuild bundles the root entry
// and the libvirt-rpc/xml subpath from the sources (ESM, minified, code splitting), and this
// prints, per entry, the bytes loaded when it is imported (its chunk and the chunks it imports
// statically) and the bytes it may load later (dynamic imports: ssh2, the XML model behind the
// object API's typed companions), raw and gzip. Dependencies are bundled except ssh2's optional
// native add-ons. Then the two small agents (connect, list the domains, read their XML), each
// bundled into one minified file as users ship one: bench/fixtures/agent.ts with the object API
// of the root entry, and bench/fixtures/calls-agent.ts with libvirt-rpc/calls (target: 300 KB).
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const entries = { root: 'src/index.ts', calls: 'src/calls.ts', xml: 'src/api/xml/index.ts' };
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const [name, src] of Object.entries(entries)) {
  // One build per entry: with splitting, what it imports dynamically goes to chunks of its own.
  const out = mkdtempSync(join(tmpdir(), 'lvrpc-size-'));
  try {
    const { metafile } = await build({
      entryPoints: [join(root, src)],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      minify: true,
      outdir: out,
      metafile: true,
      logLevel: 'warning',
      external: ['*.node'],
    });
    const outputs = metafile.outputs;
    const measure = (files) => {
      let raw = 0;
      let gz = 0;
      for (const f of files) {
        const text = readFileSync(resolve(f));
        raw += text.length;
        gz += gzipSync(text).length;
      }
      return `${kib(raw)} (${kib(gz)} gzip)`;
    };
    const closure = (start, kinds) => {
      const seen = new Set();
      const visit = (f) => {
        if (seen.has(f)) return;
        seen.add(f);
        for (const i of outputs[f].imports) if (kinds.includes(i.kind) && outputs[i.path]) visit(i.path);
      };
      visit(start);
      return seen;
    };
    // The entry's own file (the chunks of its dynamic imports are entry points of esbuild's too).
    const file = Object.keys(outputs).find((f) => outputs[f].entryPoint && resolve(outputs[f].entryPoint) === join(root, src));
    const eager = closure(file, ['import-statement']);
    const lazy = [...closure(file, ['import-statement', 'dynamic-import'])].filter((f) => !eager.has(f));
    const label = name === 'root' ? "root entry ('libvirt-rpc')" : `'libvirt-rpc/${name}'`;
    console.log(`${label}: on import ${measure(eager)}; loaded on demand ${measure(lazy)}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

// The agents: one file each (dynamic imports inlined: every transport, ws), ssh2 left out.
for (const [label, fixture] of [
  ['small agent, object API (libvirt-rpc)', 'bench/fixtures/agent.ts'],
  ['small agent, libvirt-rpc/calls', 'bench/fixtures/calls-agent.ts'],
]) {
  const { outputFiles } = await build({
    entryPoints: [join(root, fixture)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    write: false,
    logLevel: 'warning',
    alias: { 'libvirt-rpc': join(root, 'src/index.ts'), 'libvirt-rpc/calls': join(root, 'src/calls.ts') },
    external: ['ssh2', 'cpu-features'],
  });
  const bytes = outputFiles[0].contents;
  console.log(`${label}, one file: ${(bytes.length / 1000).toFixed(0)} KB = ${kib(bytes.length)} (${kib(gzipSync(bytes).length)} gzip); target 300 KB`);
}
