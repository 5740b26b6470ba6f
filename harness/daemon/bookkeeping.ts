/**
 * Bookkeeping: every daemon this process started is killed when it exits, however it exits, and
 * daemons left behind by crashed runs (their owner process is gone) are reaped at the next start.
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every daemon dir's name starts with this. */
export const DIR_PREFIX = 'lvrpc-';
/** The file naming the test process that owns a daemon dir (and whether to keep the dir). */
export const OWNER_FILE = 'harness-owner.json';
/** A daemon this process started. */
export interface LiveDaemon {
  readonly pid: number;
  readonly reaperPid: number;
  readonly dir: string;
  readonly keep: boolean;
}

const live = new Set<LiveDaemon>();
let exitHookInstalled = false;

/** Records a daemon to kill when this process exits, however it exits. */
export function track(d: LiveDaemon): void {
  live.add(d);
  installExitHook();
}

/** Forgets a daemon that has been stopped. */
export function untrack(d: LiveDaemon): void {
  live.delete(d);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const d of live) {
      // Not the reaper: it reaps the guests killed here, then exits by itself.
      try {
        process.kill(d.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      killLeftovers(d.dir, 'SIGKILL', [d.reaperPid]);
      if (!d.keep) fs.rmSync(d.dir, { recursive: true, force: true });
    }
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Processes (other than `exceptPid`) whose command line or environment mentions `dir`: QEMU
 * guests and helpers (virtlogd, …) a daemon started. */
export function processesUsing(dir: string, exceptPids: number[] = []): number[] {
  const needle = Buffer.from(dir + '/');
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid || exceptPids.includes(pid)) continue;
    for (const f of ['cmdline', 'environ']) {
      try {
        const b = fs.readFileSync(`/proc/${pid}/${f}`);
        if (b.includes(needle)) {
          out.push(pid);
          break;
        }
      } catch {
        /* gone or not ours */
      }
    }
  }
  return out;
}

/** Sends `signal` to every process using `dir` (but `exceptPids`); returns their pids. */
export function killLeftovers(dir: string, signal: NodeJS.Signals, exceptPids: number[] = []): number[] {
  const pids = processesUsing(dir, exceptPids);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** Stops daemons (and their guests) whose owning test process no longer exists, and removes
 * their dirs. Called by {@link startPrivateDaemon}; cheap when there is nothing to reap. */
export function reapStaleDaemons(baseDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(baseDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(baseDir, name);
    let owner: { ownerPid?: number; keep?: boolean };
    try {
      owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8')) as typeof owner;
    } catch {
      continue;
    }
    if (typeof owner.ownerPid !== 'number' || isAlive(owner.ownerPid)) continue;
    killLeftovers(dir, 'SIGKILL');
    if (!owner.keep) fs.rmSync(dir, { recursive: true, force: true });
    else fs.rmSync(path.join(dir, OWNER_FILE), { force: true });
  }
}
