/**
 * `npm run bench:import`: what importing the package costs a process, and how big a small agent
 * bundles. Measured on the built package (dist/), in one run:
 *
 * - import: the wall time of `node` importing the root entry against `node -e 0`, interleaved
 *   BENCH_RUNS times (default 20); medians and the difference;
 * - bundle: bench/fixtures/agent.ts (connect, list domains, read their XML) bundled by esbuild for
 *   Node, minified; its size, and the largest inputs in it;
 * - tsvirsh: the size of its bundle (one minified file, scripts/build.mjs).
 *
 * Targets (issue 15): import at most 30 ms over `node -e 0`, the agent bundle at most 300 KB
 * (300,000 bytes). The README's "Size and start-up" table tracks these figures.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
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
  const importEsm = ['--input-type=module', '-e', `await import(${JSON.stringify(`${root}dist/esm/index.js`)})`];
  const requireCjs = ['-e', `require(${JSON.stringify(`${root}dist/cjs/index.js`)})`];
  for (let i = 0; i < RUNS; i++) {
    bare.push(run(['-e', '0']));
    esm.push(run(importEsm));
    cjs.push(run(requireCjs));
  }
  const line = (label: string, xs: { wall: number; cpu: number }[]): void => {
    const wall = median(xs.map((x) => x.wall));
    const cpu = median(xs.map((x) => x.cpu));
    const over =
      xs === bare
        ? ''
        : `  (+${(wall - median(bare.map((x) => x.wall))).toFixed(1)} ms wall, +${(cpu - median(bare.map((x) => x.cpu))).toFixed(1)} ms CPU; target +30 ms)`;
    console.log(`  ${label.padEnd(25)} wall ${wall.toFixed(1).padStart(6)} ms  CPU ${cpu.toFixed(1).padStart(6)} ms${over}`);
  };
  console.log(`import cost, ${RUNS} interleaved runs, medians (CPU: user + system, the steadier figure on a busy machine):`);
  line('node -e 0', bare);
  line('import (ESM) root entry', esm);
  line('require (CJS) root entry', cjs);

  const result = await build({
    entryPoints: [`${root}bench/fixtures/agent.ts`],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    alias: { 'libvirt-rpc': `${root}dist/esm/index.js` },
    external: ['ssh2', 'cpu-features'],
    logLevel: 'error',
  });
  const out = Object.values(result.metafile.outputs)[0]!;
  console.log(
    `\nbundle of a small agent (connect, listAllDomains, getXMLDesc), esbuild --minify, ESM for Node: ${(out.bytes / 1000).toFixed(0)} KB = ${(out.bytes / 1024).toFixed(0)} KiB (target 300 KB)`,
  );
  const inputs = Object.entries(out.inputs)
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .slice(0, 8);
  for (const [file, info] of inputs) console.log(`  ${(info.bytesInOutput / 1024).toFixed(0).padStart(5)} KiB  ${file.replace(root, '')}`);
  const cli = statSync(`${root}dist/esm/cli/tsvirsh.bundle.cjs`).size;
  console.log(`\ntsvirsh (dist/esm/cli/tsvirsh.bundle.cjs, one minified file run by the bin's loader): ${(cli / 1024).toFixed(0)} KiB`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
