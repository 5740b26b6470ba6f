/**
 * `npm run bench:import`: what importing the package costs a process, and how big a small agent
 * bundles. Measured on the built package (dist/), in one run:
 *
 * - import: the wall time of `node` importing the root entry against `node -e 0`, interleaved
 *   BENCH_RUNS times (default 20); medians and the difference;
 * - bundle: bench/fixtures/agent.ts (connect, list domains, read their XML) bundled by esbuild for
 *   Node, minified; its size, and the largest inputs in it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const root = fileURLToPath(new URL('..', import.meta.url));

function wallMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed`);
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  const bare: number[] = [];
  const esm: number[] = [];
  const cjs: number[] = [];
  const importEsm = ['--input-type=module', '-e', `await import(${JSON.stringify(`${root}dist/esm/index.js`)})`];
  const requireCjs = ['-e', `require(${JSON.stringify(`${root}dist/cjs/index.js`)})`];
  for (let i = 0; i < RUNS; i++) {
    bare.push(wallMs(['-e', '0']));
    esm.push(wallMs(importEsm));
    cjs.push(wallMs(requireCjs));
  }
  console.log(`import cost, ${RUNS} interleaved runs, medians:`);
  console.log(`  node -e 0                 ${median(bare).toFixed(1)} ms`);
  console.log(`  import (ESM) root entry   ${median(esm).toFixed(1)} ms  (+${(median(esm) - median(bare)).toFixed(1)} ms)`);
  console.log(`  require (CJS) root entry  ${median(cjs).toFixed(1)} ms  (+${(median(cjs) - median(bare)).toFixed(1)} ms)`);

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
  console.log(`\nbundle of a small agent (connect, listAllDomains, getXMLDesc), esbuild --minify, ESM for Node: ${(out.bytes / 1024).toFixed(0)} KiB`);
  const inputs = Object.entries(out.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput).slice(0, 8);
  for (const [file, info] of inputs) console.log(`  ${(info.bytesInOutput / 1024).toFixed(0).padStart(5)} KiB  ${file.replace(root, '')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
