/**
 * `npm run bench:streams`: storage volume upload and download, 1 GiB dense and 1 GiB sparse
 * (mostly holes), through the library, through tsvirsh, through virsh and through
 * python3-libvirt (`sendAll`/`sparseSendAll`, `recvAll`/`sparseRecvAll`), on one private
 * libvirtd (the session QEMU driver, a dir pool in the daemon's own directory), in one run.
 *
 * Cases: upload from a file; download into a file, into /dev/null and into a reader throttled
 * to BENCH_THROTTLE_MBPS (default 20) MB/s. The sparse volume goes `--sparse` (holes kept as
 * holes) into a file and as plain bytes into /dev/null and the throttled reader, where virsh's
 * `--sparse` cannot seek (it fails with EINVAL / ESPIPE there, and so does tsvirsh).
 *
 * Every client runs as a process of its own, measured with GNU time (wall seconds, user + system
 * CPU seconds, peak RSS). MB/s is 10^6 bytes of the volume (holes included) per wall second,
 * from the process's start (virsh, tsvirsh, python3) or, for the library, from connect() to
 * close() inside its process (`bench/streams-client.mjs`, which measures its CPU there too and
 * reports its RSS when connected and idle, so the table shows what a transfer adds to an idle
 * client). The start-up of tsvirsh and virsh (`version`: process start, connect, exit; median
 * of 7) is measured first and printed, and the table also shows each ratio with it taken out
 * of both sides, so that the reader sees how much of a gap is start-up. CPU seconds hold up on
 * a machine shared with other jobs, where wall times move by tens of percent. Each case runs BENCH_ROUNDS (default 3)
 * rounds, the clients interleaved, and the median is printed; throttled cases run once
 * (BENCH_THROTTLE=0 skips them). Downloads are checked: sizes always, sha256 for the
 * throttled reader and (first round) the file targets.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chownToTestUser, startPrivateDaemon, VIRSH, PYTHON } from '../harness/daemon.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const THROTTLE = Number(process.env.BENCH_THROTTLE_MBPS ?? 20);
const WITH_THROTTLE = process.env.BENCH_THROTTLE !== '0';
const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 1024) * 1024 * 1024;
const ROOT = new URL('..', import.meta.url).pathname;
const TSVIRSH = join(ROOT, 'dist/esm/cli/tsvirsh.js');
const CLIENT_JS = join(ROOT, 'bench/streams-client.mjs');
const CLIENT_PY = join(ROOT, 'bench/streams-client.py');
const THROTTLE_JS = join(ROOT, 'bench/streams-throttle.mjs');

type Client = 'library' | 'tsvirsh' | 'virsh' | 'python3-libvirt';
const CLIENTS: readonly Client[] = ['virsh', 'library', 'tsvirsh', 'python3-libvirt'];

interface Run {
  readonly seconds: number;
  /** User + system CPU seconds (the library: in process, connect() to close()). */
  readonly cpu: number;
  readonly peakRss: number;
  readonly idleRss: number | null;
}

/** Start-up of a command-line client: `CLIENT -c URI version` (process start, connect, two calls, exit). */
interface StartUp {
  readonly seconds: number;
  readonly cpu: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const sh = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 4 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

async function main(): Promise<void> {
  console.log(`bench:streams: ${SIZE / 2 ** 20} MiB volumes, ${ROUNDS} round(s), throttled reader ${WITH_THROTTLE ? `${THROTTLE} MB/s` : 'off'}`);
  const d = await startPrivateDaemon({ label: 'bench-streams', warmQemu: true });
  const work = join(d.dir, 'bench');
  const poolDir = join(d.dir, 'data', 'bench-pool');
  try {
    mkdirSync(work, { recursive: true });
    mkdirSync(poolDir, { recursive: true });
    chownToTestUser(join(d.dir, 'data'));
    chownToTestUser(poolDir);
    const uri = d.uris.qemuSessionUnix;
    const virsh = (...args: string[]): string => execFileSync(VIRSH, ['-q', '-c', uri, ...args], { encoding: 'utf8' });
    virsh('pool-create-as', 'bench', 'dir', '--target', poolDir);

    // Sources: random bytes; the sparse one has 16 data extents of 1 MiB, the rest holes.
    const src = { dense: join(work, 'dense.src'), sparse: join(work, 'sparse.src') };
    execFileSync('bash', ['-c', `head -c ${SIZE} /dev/urandom > ${sh(src.dense)} && truncate -s ${SIZE} ${sh(src.sparse)}`]);
    for (let i = 0; i < 16; i++) {
      const mib = Math.floor(((SIZE / 2 ** 20 - 1) * i) / 16);
      execFileSync('dd', ['if=/dev/urandom', `of=${src.sparse}`, 'bs=1M', `seek=${mib}`, 'count=1', 'conv=notrunc', 'status=none']);
    }
    const sums = { dense: await sha256Of(src.dense), sparse: await sha256Of(src.sparse) };
    for (const kind of ['dense', 'sparse'] as const) {
      virsh('vol-create-as', 'bench', `${kind}.img`, String(SIZE), '--format', 'raw', '--allocation', '0');
    }

    const results: Array<{ case: string; client: Client; run: Run; bytes: number }> = [];
    const timeFile = join(work, 'time.txt');
    const measure = (client: Client, cmd: string, stdoutFile?: string): { run: Run; out: string } => {
      // GNU time measures the client alone (the last command of a pipeline is the reader).
      const timed = cmd.replace('@TIME', `/usr/bin/time -f '%e %M %U %S' -o ${sh(timeFile)}`);
      const r = spawnSync('bash', ['-c', timed], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`${client}: ${timed} failed (${r.status}): ${r.stderr}`);
      const [wall, rssKb, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      let seconds = wall;
      let cpu = user + sys;
      let idleRss: number | null = null;
      if (client === 'library') {
        const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number; idleRss: number };
        seconds = j.seconds;
        cpu = j.cpuSeconds;
        idleRss = j.idleRss;
      }
      return { run: { seconds, cpu, peakRss: rssKb * 1024, idleRss }, out: stdoutFile ? readFileSync(stdoutFile, 'utf8') : r.stdout };
    };

    /** The command line of one client for one case. */
    const command = (client: Client, verb: 'up' | 'down', kind: 'dense' | 'sparse', target: string, sparse: boolean, throttled: boolean): string => {
      const vol = `${kind}.img`;
      const pipeOut = throttled ? ` | node ${sh(THROTTLE_JS)} ${THROTTLE}` : '';
      const dest = throttled ? '/dev/stdout' : target;
      switch (client) {
        case 'virsh':
        case 'tsvirsh': {
          const bin = client === 'virsh' ? VIRSH : `node ${sh(TSVIRSH)}`;
          const cmd = verb === 'up' ? 'vol-upload' : 'vol-download';
          return `@TIME ${bin} -q -c ${sh(uri)} ${cmd} --pool bench ${vol} ${sh(verb === 'up' ? src[kind] : dest)}${sparse ? ' --sparse' : ''}${pipeOut}`;
        }
        case 'library':
          return `@TIME node ${sh(CLIENT_JS)} ${verb} ${sh(uri)} bench ${vol} ${sh(verb === 'up' ? src[kind] : target)} ${sparse ? 1 : 0}${throttled ? ` ${THROTTLE}` : ''}`;
        case 'python3-libvirt':
          return `@TIME ${PYTHON} ${sh(CLIENT_PY)} ${verb} ${sh(uri)} bench ${vol} ${sh(verb === 'up' ? src[kind] : throttled ? '-' : target)} ${sparse ? 1 : 0}${pipeOut}`;
      }
    };

    // Start-up of the command-line clients, so that the reader sees how much of a gap it is.
    const startUp = new Map<'tsvirsh' | 'virsh', StartUp>();
    {
      const runs = { tsvirsh: [] as Run[], virsh: [] as Run[] };
      for (let i = 0; i < 7; i++) {
        for (const client of ['tsvirsh', 'virsh'] as const) {
          const bin = client === 'virsh' ? VIRSH : `node ${sh(TSVIRSH)}`;
          runs[client].push(measure(client, `@TIME ${bin} -q -c ${sh(uri)} version > /dev/null`).run);
        }
      }
      for (const client of ['tsvirsh', 'virsh'] as const) {
        const seconds = median(runs[client].map((r) => r.seconds));
        const cpu = median(runs[client].map((r) => r.cpu));
        startUp.set(client, { seconds, cpu });
        console.log(`  start-up (${client} version, median of 7): ${(seconds * 1000).toFixed(0)} ms, CPU ${(cpu * 1000).toFixed(0)} ms`);
      }
    }

    const outFile = join(work, 'out.img');
    const throttleOut = join(work, 'throttle.json');
    const cases: Array<{ name: string; verb: 'up' | 'down'; kind: 'dense' | 'sparse'; target: string; sparse: boolean; throttled: boolean }> = [];
    for (const kind of ['dense', 'sparse'] as const)
      cases.push({ name: `upload ${kind}`, verb: 'up', kind, target: '', sparse: kind === 'sparse', throttled: false });
    for (const kind of ['dense', 'sparse'] as const) {
      cases.push({ name: `download ${kind} → file`, verb: 'down', kind, target: outFile, sparse: kind === 'sparse', throttled: false });
      cases.push({ name: `download ${kind} → /dev/null`, verb: 'down', kind, target: '/dev/null', sparse: false, throttled: false });
      if (WITH_THROTTLE) cases.push({ name: `download ${kind} → reader at ${THROTTLE} MB/s`, verb: 'down', kind, target: '', sparse: false, throttled: true });
    }

    for (const c of cases) {
      const rounds = c.throttled ? 1 : ROUNDS;
      const runs = new Map<Client, Run[]>(CLIENTS.map((k) => [k, []]));
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? CLIENTS : [...CLIENTS].reverse();
        for (const client of order) {
          rmSync(outFile, { force: true });
          let cmd = command(client, c.verb, c.kind, c.target, c.sparse, c.throttled);
          if (c.throttled && client !== 'library') cmd += ` > ${sh(throttleOut)}`;
          const { run, out } = measure(client, cmd, c.throttled && client !== 'library' ? throttleOut : undefined);
          // Checks: what arrived is the volume.
          if (c.verb === 'down') {
            if (c.throttled) {
              const got = JSON.parse(out.trim().split('\n').pop()!) as { sha256: string; bytes: number };
              if (got.sha256 !== sums[c.kind]) throw new Error(`${client} ${c.name}: sha256 ${got.sha256} is not the volume's`);
            } else if (c.target === outFile) {
              if (statSync(outFile).size !== SIZE) throw new Error(`${client} ${c.name}: ${statSync(outFile).size} bytes`);
              if (round === 0 && (await sha256Of(outFile)) !== sums[c.kind]) throw new Error(`${client} ${c.name}: the file differs`);
            }
          }
          runs.get(client)!.push(run);
          process.stdout.write(
            `  ${c.name}, ${client}: ${(SIZE / 1e6 / run.seconds).toFixed(0)} MB/s, CPU ${run.cpu.toFixed(2)} s, peak RSS ${(run.peakRss / 2 ** 20).toFixed(0)} MiB\n`,
          );
        }
      }
      for (const client of CLIENTS) {
        const rs = runs.get(client)!.sort((a, b) => a.seconds - b.seconds);
        results.push({ case: c.name, client, run: rs[Math.floor(rs.length / 2)], bytes: SIZE });
      }
    }

    // The table (README's Performance section shows it).
    // "start-ups excluded": each command-line client's time less its median `version` time (its
    // process start, connect and exit), against virsh's time less virsh's; the library is
    // already timed from connect() to close() in its process.
    const lines = [
      '| case | client | MB/s | vs virsh | vs virsh, start-ups excluded | CPU s | peak RSS | RSS added to the idle client |',
      '| --- | --- | --: | --: | --: | --: | --: | --: |',
    ];
    const net = (client: Client, seconds: number): number | null => {
      if (client === 'python3-libvirt') return null;
      const s0 = client === 'library' ? 0 : startUp.get(client)!.seconds;
      return seconds - s0 > 0 ? seconds - s0 : null;
    };
    for (const c of cases) {
      const base = results.find((r) => r.case === c.name && r.client === 'virsh')!;
      for (const client of CLIENTS) {
        const r = results.find((x) => x.case === c.name && x.client === client)!;
        const rate = r.bytes / 1e6 / r.run.seconds;
        const ratio = base.run.seconds / r.run.seconds;
        const [nb, nr] = [net('virsh', base.run.seconds), net(client, r.run.seconds)];
        const netRatio = nb === null || nr === null ? '' : `${(nb / nr).toFixed(2)}x`;
        const added = r.run.idleRss === null ? '' : `${((r.run.peakRss - r.run.idleRss) / 2 ** 20).toFixed(0)} MiB`;
        lines.push(
          `| ${c.name} | ${client} | ${rate.toFixed(0)} | ${ratio.toFixed(2)}x | ${netRatio} | ${r.run.cpu.toFixed(2)} | ${(r.run.peakRss / 2 ** 20).toFixed(0)} MiB | ${added} |`,
        );
      }
    }
    const su = (k: 'tsvirsh' | 'virsh'): string => `${(startUp.get(k)!.seconds * 1000).toFixed(0)} ms (CPU ${(startUp.get(k)!.cpu * 1000).toFixed(0)} ms)`;
    lines.push('', `Start-up (\`version\`, median of 7): tsvirsh ${su('tsvirsh')}, virsh ${su('virsh')}.`);
    const table = lines.join('\n');
    console.log(`\n${table}`);
    if (process.env.BENCH_TABLE_OUT) writeFileSync(process.env.BENCH_TABLE_OUT, `${table}\n`);

    // A download held paused behind a stalled reader, on this daemon (libvirt's default
    // keepalive: 5 s, count 5): it must survive and complete, and calls on it wait meanwhile.
    const stallS = Number(process.env.BENCH_STALL_SECONDS ?? 60);
    if (stallS > 0) {
      const r = spawnSync('node', [CLIENT_JS, 'stall', uri, 'bench', 'dense.img', String(stallS)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`stalled download failed: ${r.stderr}`);
      const j = JSON.parse(r.stdout.trim()) as { bytes: number; sha256: string; pausedAfter1s: boolean; pausedCallMs: number; secondCallMs: number };
      if (j.sha256 !== sums.dense || j.bytes !== SIZE) throw new Error(`stalled download: ${j.bytes} bytes, sha256 ${j.sha256}`);
      console.log(
        `\nstalled reader: paused ${stallS} s (reading paused: ${j.pausedAfter1s}), neither keepalive closed the connection, the download completed (sha256 equal); ` +
          `a call on the paused connection waited ${(j.pausedCallMs / 1000).toFixed(1)} s, one on a second connection ${j.secondCallMs.toFixed(1)} ms`,
      );
    }
  } finally {
    await d.stop();
  }
}

await main();
