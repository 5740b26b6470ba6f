/**
 * `npm run bench:cold-start`: how long a tsvirsh process takes from exec to exit, against virsh
 * (the C client) and against `node -e 0` (the floor any Node program pays), in one run.
 *
 * A private libvirtd is started (test driver over a unix socket, see harness/daemon.ts) unless a
 * URI is given as the first argument. Each command (`version`, `list --all`, `dominfo test`) runs
 * as `node dist/esm/cli/tsvirsh.js -c URI ...` and as `virsh -c URI ...`, interleaved with
 * `node -e 0`, BENCH_RUNS times (default 15); each process is timed from spawn to exit
 * (wall clock). It prints the medians and the ratios tsvirsh / `node -e 0` (the target is at
 * most 1.5) and tsvirsh / virsh. Every run's output is checked against virsh's, so a failing
 * command cannot look fast. The Node processes also report the CPU time they used
 * (bench/cpu-usage.cjs, preloaded into both tsvirsh and `node -e 0`): on a loaded machine the
 * CPU ratio is the steadier figure.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { clientEnv, startPrivateDaemon, VIRSH, type PrivateDaemon } from '../harness/daemon.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const root = fileURLToPath(new URL('..', import.meta.url));
const TSVIRSH = `${root}dist/esm/cli/tsvirsh.js`;

const CPU_PRELOAD = ['--require', `${root}bench/cpu-usage.cjs`];

interface Timed {
  ms: number;
  /** CPU time (ms) a Node process reported, NaN for others. */
  cpu: number;
  stdout: string;
}

function timed(cmd: string, args: string[]): Timed {
  const node = cmd === process.execPath;
  const t0 = performance.now();
  const r = spawnSync(cmd, node ? [...CPU_PRELOAD, ...args] : args, { env: clientEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, cpu: node ? Number(String(r.output[3])) / 1000 : Number.NaN, stdout: r.stdout };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

// virsh prints the library it was built with, tsvirsh the protocol it speaks; the test driver's
// CPU time follows the clock; the rest must agree.
const comparable = (out: string): string =>
  out
    .replace(/^Compiled against library: .*\n/m, '')
    .replace(/^Using library: .*\n/m, '')
    .replace(/^(CPU time:\s+)[\d.]+s$/m, '$1');

async function main(): Promise<void> {
  let daemon: PrivateDaemon | null = null;
  let uri = process.argv[2] ?? null;
  if (uri === null) {
    daemon = await startPrivateDaemon({ label: 'cold-start' });
    uri = daemon.uris.testDefaultUnix;
  }
  try {
    const commands = [['version'], ['list', '--all'], ['dominfo', 'test']];
    const bare: number[] = [];
    const bareCpu: number[] = [];
    const ours = commands.map(() => [] as number[]);
    const oursCpu = commands.map(() => [] as number[]);
    const theirs = commands.map(() => [] as number[]);
    for (const args of commands) {
      const a = comparable(timed(process.execPath, [TSVIRSH, '-c', uri, ...args]).stdout);
      const b = comparable(timed(VIRSH, ['-c', uri, ...args]).stdout);
      if (a !== b) throw new Error(`tsvirsh ${args.join(' ')} differs from virsh:\n${a}\n---\n${b}`);
    }
    for (let run = 0; run < RUNS; run++) {
      const b = timed(process.execPath, ['-e', '0']);
      bare.push(b.ms);
      bareCpu.push(b.cpu);
      for (const [i, args] of commands.entries()) {
        const tsvirsh = (): void => {
          const t = timed(process.execPath, [TSVIRSH, '-c', uri, ...args]);
          ours[i]!.push(t.ms);
          oursCpu[i]!.push(t.cpu);
        };
        // Alternate which client goes first, so neither always runs on a warmer machine.
        if (run % 2 === 0) tsvirsh();
        theirs[i]!.push(timed(VIRSH, ['-c', uri, ...args]).ms);
        if (run % 2 === 1) tsvirsh();
      }
    }
    const floor = median(bare);
    const floorCpu = median(bareCpu);
    console.log(`cold start, ${RUNS} interleaved runs, medians (wall: spawn to exit; CPU: user + system):`);
    console.log(`  node -e 0        wall ${floor.toFixed(1).padStart(6)} ms   CPU ${floorCpu.toFixed(1).padStart(6)} ms`);
    console.log('  command          tsvirsh wall   virsh wall   tsvirsh/node-e-0 wall   CPU (target <= 1.5)   tsvirsh/virsh wall');
    for (const [i, args] of commands.entries()) {
      const a = median(ours[i]!);
      const b = median(theirs[i]!);
      const cpu = median(oursCpu[i]!);
      console.log(
        `  ${args.join(' ').padEnd(14)} ${a.toFixed(1).padStart(9)} ms ${b.toFixed(1).padStart(9)} ms ${(a / floor).toFixed(2).padStart(21)}x ${(cpu / floorCpu).toFixed(2).padStart(20)}x ${(a / b).toFixed(2).padStart(20)}x`,
      );
    }
  } finally {
    await daemon?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
