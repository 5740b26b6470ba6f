/**
 * `npm run bench:import`: what importing the package costs a process, and how big a small agent
 * bundles. Measured on the built package (dist/), in one run:
 *
 * - import: the wall time of `node` importing the root entry against `node -e 0`, interleaved
 *   BENCH_RUNS times (default 30); medians, and the median of the rounds' differences; then how many of the package's
 *   modules that import loads (static imports from the entry) and which of Node's built-in
 *   modules it loads beyond those `node -e 0` has;
 * - bundle: bench/fixtures/agent.ts (connect, list domains, read their XML) bundled by esbuild for
 *   Node, minified, into one file; its size, and the largest inputs in it; then the same agent
 *   built with code splitting: what it loads at start and what only on demand (a transport, the
 *   XML model, ws);
 * - the same agent written with `libvirt-rpc/calls` (bench/fixtures/calls-agent.ts), bundled
 *   into one file; the import cost of that entry is measured beside the root entry's;
 * - tsvirsh: the size of its bundle (one minified file, scripts/build.mjs).
 *
 * Targets (issue 15): import at most 30 ms over `node -e 0`, the agent bundle at most 300 KB
 * (300,000 bytes). The README's "Size and start-up" table tracks these figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleAgent } from './fixtures/bundle-agent.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const root = fileURLToPath(new URL('..', import.meta.url));

/** Wall time of a node process, and the CPU time it reports (bench/cpu-usage.cjs, preloaded). */
function run(args: string[]): { wall: number; cpu: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', `${root}bench/cpu-usage.cjs`, ...args], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed`);
  return { wall: performance.now() - t0, cpu: Number(String(r.output[3])) / 1000 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  const bare: { wall: number; cpu: number }[] = [];
  const esm: { wall: number; cpu: number }[] = [];
  const cjs: { wall: number; cpu: number }[] = [];
  const callsEsm: { wall: number; cpu: number }[] = [];
  const callsCjs: { wall: number; cpu: number }[] = [];
  const importCalls = ['--input-type=module', '-e', `await import(${JSON.stringify(`${root}dist/esm/calls.js`)})`];
  const requireCalls = ['-e', `require(${JSON.stringify(`${root}dist/cjs/calls.js`)})`];
  const importEsm = ['--input-type=module', '-e', `await import(${JSON.stringify(`${root}dist/esm/index.js`)})`];
  const requireCjs = ['-e', `require(${JSON.stringify(`${root}dist/cjs/index.js`)})`];
  for (let i = 0; i < RUNS; i++) {
    bare.push(run(['-e', '0']));
    esm.push(run(importEsm));
    cjs.push(run(requireCjs));
    callsEsm.push(run(importCalls));
    callsCjs.push(run(requireCalls));
  }
  // The cost over `node -e 0` is the median of each round's difference: a round runs the five
  // processes back to back, so a spell in which the (virtual) machine runs slower moves both
  // sides of a difference alike.
  const line = (label: string, xs: { wall: number; cpu: number }[]): void => {
    const wall = median(xs.map((x) => x.wall));
    const cpu = median(xs.map((x) => x.cpu));
    const over =
      xs === bare
        ? ''
        : `  (+${median(xs.map((x, i) => x.wall - bare[i]!.wall)).toFixed(1)} ms wall, +${median(xs.map((x, i) => x.cpu - bare[i]!.cpu)).toFixed(1)} ms CPU; target +30 ms)`;
    console.log(`  ${label.padEnd(25)} wall ${wall.toFixed(1).padStart(6)} ms  CPU ${cpu.toFixed(1).padStart(6)} ms${over}`);
  };
  console.log(`import cost, ${RUNS} interleaved rounds, medians (CPU: user + system, the steadier figure on a busy machine):`);
  line('node -e 0', bare);
  line('import (ESM) root entry', esm);
  line('require (CJS) root entry', cjs);
  line('import (ESM) /calls', callsEsm);
  line('require (CJS) /calls', callsCjs);
  instructions([
    ['node -e 0', ['-e', '0']],
    ['import (ESM) root entry', importEsm],
    ['require (CJS) root entry', requireCjs],
  ]);
  await loadedModules();

  // The agent bundled from the built package (what users get), then from the sources, only to
  // name the largest modules in it (the built package's files are bundles of several).
  const agent = (libvirtRpc: string) => bundleAgent(`${root}bench/fixtures/agent.ts`, { 'libvirt-rpc': libvirtRpc });
  const out = Object.values((await agent(`${root}dist/esm/index.js`)).metafile.outputs)[0]!;
  console.log(
    `\nbundle of a small agent (connect, listAllDomains, getXMLDesc), esbuild --minify, ESM for Node: ${(out.bytes / 1000).toFixed(0)} KB = ${(out.bytes / 1024).toFixed(0)} KiB (target 300 KB)`,
  );
  const inputs = Object.entries(Object.values((await agent(`${root}src/index.ts`)).metafile.outputs)[0]!.inputs)
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .slice(0, 8);
  for (const [file, info] of inputs) console.log(`  ${(info.bytesInOutput / 1024).toFixed(0).padStart(5)} KiB  ${file.replace(root, '')}`);
  await splitAgent();
  // The same agent written with libvirt-rpc/calls (bench/fixtures/calls-agent.ts), from the built package.
  const calls = await bundleAgent(`${root}bench/fixtures/calls-agent.ts`, { 'libvirt-rpc/calls': `${root}dist/esm/calls.js` });
  const callsBytes = Object.values(calls.metafile.outputs)[0]!.bytes;
  console.log(
    `\nthe same agent with libvirt-rpc/calls (open, connectListAllDomains, domainGetXMLDesc), esbuild --minify, ESM for Node: ${(callsBytes / 1000).toFixed(0)} KB = ${(callsBytes / 1024).toFixed(0)} KiB (target 300 KB)`,
  );
  // tsvirsh: the packs its bin's loader reads (the entry on every start, a command's pack when it runs).
  const packs = `${root}dist/esm/cli/tsvirsh-chunks`;
  const all = readdirSync(packs, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const total = all.reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
  const entry = statSync(join(packs, 'tsvirsh.js')).size;
  console.log(
    `\ntsvirsh (dist/esm/cli/tsvirsh-chunks, run by the bin's loader): entry pack ${(entry / 1024).toFixed(0)} KiB read on every start; ${all.length} files, ${(total / 1024).toFixed(0)} KiB in all`,
  );
}

/**
 * The instructions each process executes (valgrind's callgrind; Node single-threaded so that
 * helper threads do not count), a figure a busy machine does not move: one run each. Printed
 * when valgrind is installed (Debian: `apt-get install valgrind`).
 */
function instructions(cases: [string, string[]][]): void {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('  instructions: valgrind is not installed (apt-get install valgrind), not measured');
    return;
  }
  const counts = cases.map(([label, args]) => {
    const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', ...args], {
      encoding: 'utf8',
    });
    const m = /Collected : (\d+)/.exec(r.stderr);
    if (!m) throw new Error(`valgrind ${label}: ${r.stderr.slice(-300)}`);
    return [label, Number(m[1]) / 1e6] as const;
  });
  const base = counts[0]![1];
  for (const [label, n] of counts)
    console.log(`  ${label.padEnd(25)} ${n.toFixed(0).padStart(5)} M instructions${n === base ? '' : ` (+${(n - base).toFixed(0)} M)`}`);
}

/** How many files of the package the root entry loads, and Node's built-ins beyond `node -e 0`'s. */
async function loadedModules(): Promise<void> {
  const entry = `${root}dist/esm/index.js`;
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    logLevel: 'error',
  });
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file) || !metafile.inputs[file]) return;
    seen.add(file);
    for (const i of metafile.inputs[file]!.imports) if (i.kind === 'import-statement') visit(i.path);
  };
  visit(Object.keys(metafile.inputs).find((f) => `${root}${f}` === entry || f === entry)!);
  // An empty module file is imported first, so that what Node's ES module loader loads for any
  // file (its resolver, and node:fs/promises, which brings readline and string_decoder) is not
  // counted as the package's.
  const dir = mkdtempSync(join(tmpdir(), 'lvrpc-probe-'));
  const empty = join(dir, 'empty.mjs');
  writeFileSync(empty, '');
  const probe = `await import(${JSON.stringify(empty)}); const before = new Set(process.moduleLoadList); await import(${JSON.stringify(entry)}); console.log(process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ') && !m.includes('internal/')).map((m) => m.slice(13)).join(' '))`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  console.log(`  modules of the package loaded by the import: ${seen.size}; Node built-ins it loads: ${r.stdout.trim() || '(none)'}`);
}

/** The agent built with code splitting: the bytes it loads at start, and those only some connections load. */
async function splitAgent(): Promise<void> {
  const outdir = mkdtempSync(join(tmpdir(), 'lvrpc-agent-'));
  try {
    const { metafile } = await build({
      entryPoints: [`${root}bench/fixtures/agent.ts`],
      bundle: true,
      splitting: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outdir,
      metafile: true,
      alias: { 'libvirt-rpc': `${root}dist/esm/index.js` },
      external: ['ssh2', 'cpu-features'],
      logLevel: 'error',
    });
    const outputs = metafile.outputs;
    const closure = (kinds: string[]): Set<string> => {
      const seen = new Set<string>();
      const visit = (f: string): void => {
        if (seen.has(f)) return;
        seen.add(f);
        for (const i of outputs[f]!.imports) if (kinds.includes(i.kind) && outputs[i.path]) visit(i.path);
      };
      // A prebuilt package's dynamic imports are entry points of their own: start from the agent's.
      visit(Object.keys(outputs).find((f) => outputs[f]!.entryPoint?.endsWith('agent.ts'))!);
      return seen;
    };
    const size = (files: Iterable<string>): string => `${([...files].reduce((n, f) => n + outputs[f]!.bytes, 0) / 1000).toFixed(0)} KB`;
    const eager = closure(['import-statement']);
    const lazy = [...closure(['import-statement', 'dynamic-import'])].filter((f) => !eager.has(f));
    console.log(`  the same agent with code splitting: ${size(eager)} loaded at start, ${size(lazy)} in chunks loaded on demand (transports, XML model, ws)`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
