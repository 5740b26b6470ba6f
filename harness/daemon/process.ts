/**
 * Starting libvirtd as the test user under the reaper (./reaper.py), and following what the
 * reaper reports: libvirtd's pid, its exit, and the reaper's own end once every descendant
 * (guests, helpers) is gone.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { killLeftovers, track, untrack, type LiveDaemon } from './bookkeeping.js';
import type { DaemonLayout } from './config.js';
import { HarnessError, LIBVIRTD, PYTHON, signalName, tailFile, TEST_USER, within, type PrivateDaemonOptions, type UserIds } from './common.js';

/** How a process ended. */
export type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

/** A libvirtd running under the reaper. */
export interface DaemonProcess {
  /** libvirtd's pid. */
  readonly pid: number;
  /** The reaper's pid. */
  readonly reaperPid: number;
  /** The bookkeeping record (killed at exit until untracked). */
  readonly record: LiveDaemon;
  /** Resolves when libvirtd has exited. */
  readonly exited: Promise<ExitStatus>;
  /** Resolves when the reaper has exited (after every descendant). */
  readonly reaperExited: Promise<ExitStatus>;
  /** Whether libvirtd still runs. */
  running(): boolean;
  /** The error spawning the reaper failed with, if it did. */
  spawnError(): Error | undefined;
}

/** The reaper program, copied into each daemon dir (the test user may not read the checkout). */
const REAPER_PY = fs.readFileSync(new URL('./reaper.py', import.meta.url), 'utf8');

/**
 * Spawns the reaper running `libvirtd --listen -f <conf>` as `user`, with a clean environment
 * (`HOME` and the XDG dirs inside the daemon dir), and waits (bounded by `startTimeoutMs`) for
 * libvirtd's pid.
 *
 * @throws HarnessError `HARNESS_START` when the reaper cannot be run or reports no pid in time
 *   (the dir is removed unless kept).
 */
export async function spawnDaemon(layout: DaemonLayout, user: UserIds, options: PrivateDaemonOptions, startTimeoutMs: number): Promise<DaemonProcess> {
  const { dir, xdg, confPath, stdioPath, keep } = layout;
  const daemonEnv: NodeJS.ProcessEnv = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: dir,
    USER: TEST_USER,
    LOGNAME: TEST_USER,
    LANG: 'C.UTF-8',
    ...xdg,
    ...options.env,
  };
  const reaperPath = path.join(dir, 'reaper.py');
  fs.writeFileSync(reaperPath, REAPER_PY, { mode: 0o644 });
  const stdioFd = fs.openSync(stdioPath, 'a', 0o644);
  let child: ChildProcess;
  try {
    child = spawn(PYTHON, ['-I', reaperPath, LIBVIRTD, '--listen', '-f', confPath], {
      cwd: dir,
      env: daemonEnv,
      uid: user.uid,
      gid: user.gid, // libuv also drops supplementary groups (setgroups(0)) when we are root
      stdio: ['ignore', 'pipe', stdioFd],
      detached: false,
    });
  } finally {
    fs.closeSync(stdioFd);
  }
  let spawnError: Error | undefined;
  const reaperExited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (e) => {
      spawnError = e;
      resolve({ code: null, signal: null });
    });
  });
  const { pidReported, exited } = followReaper(child, reaperExited);
  let running = true;
  void exited.then(() => {
    running = false;
  });

  const pid = (await within(pidReported, startTimeoutMs)) ?? -1;
  const reaperPid = child.pid ?? -1;
  const record: LiveDaemon = { pid, reaperPid, dir, keep };
  track(record);
  if (pid <= 0) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
    killLeftovers(dir, 'SIGKILL'); // a libvirtd forked just now
    untrack(record);
    const why = spawnError
      ? `could not spawn ${PYTHON}: ${spawnError.message}`
      : `did not come up within ${startTimeoutMs} ms: the reaper (${PYTHON}) did not report libvirtd's pid`;
    const tail = tailFile(stdioPath, 40);
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
    throw new HarnessError('HARNESS_START', `private libvirtd (${dir}): ${why}\n--- stdio ---\n${tail}`);
  }
  return { pid, reaperPid, record, exited, reaperExited, running: () => running, spawnError: () => spawnError };
}

/**
 * Reads the reaper's reports: `pid N` when libvirtd is forked, `exit C` (C < 0: killed by
 * signal -C) when it ends. If the reaper ends first, the pid is -1 and libvirtd's exit is the
 * reaper's.
 */
function followReaper(child: ChildProcess, reaperExited: Promise<ExitStatus>): { pidReported: Promise<number>; exited: Promise<ExitStatus> } {
  let resolvePid!: (pid: number) => void;
  const pidReported = new Promise<number>((r) => (resolvePid = r));
  let resolveExit!: (v: ExitStatus) => void;
  const exited = new Promise<ExitStatus>((r) => (resolveExit = r));
  let buf = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      const m = /^(pid|exit) (-?\d+)$/.exec(line);
      if (!m) continue;
      const n = Number(m[2]);
      if (m[1] === 'pid') resolvePid(n);
      else if (n >= 0) resolveExit({ code: n, signal: null });
      else resolveExit({ code: null, signal: signalName(-n) });
    }
  });
  void reaperExited.then((r) => {
    resolvePid(-1);
    resolveExit(r); // no-op if libvirtd's own exit was reported
  });
  return { pidReported, exited };
}
