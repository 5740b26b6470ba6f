/**
 * `--progress` (tsvirsh's own, off by default): how far a transfer or a domain job has gone, on
 * standard error, stdout untouched. One line a report:
 *
 *     LABEL: DONE/TOTAL bytes (PCT%) at RATE/s, ETA M:SS
 *     LABEL: DONE bytes at RATE/s                           (total unknown)
 *     LABEL: DONE/TOTAL bytes (100%) at RATE/s, done in M:SS  (the last line)
 *
 * DONE and TOTAL are exact byte counts; RATE is the average since the start, scaled as virsh
 * scales sizes (`12.50 MiB`). Into a pipe or file each report is a line (at most one every
 * {@link PROGRESS_INTERVAL_MS}, and always the first and the last); on a terminal one line is
 * rewritten in place (`\r`). Transfers report what has moved through the stream
 * (vol-upload, vol-download); domain jobs (save, managedsave, restore, blockcopy, blockpull, and
 * migrate once it exists: {@link watchJob}) what the daemon's job statistics say.
 */
import { VIR_DOMAIN_JOB_STATS_COMPLETED, VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED } from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain, RemoteTypedParam } from '../../procedures/remote.gen.js';
import { delay } from '../../util/deadline.js';
import type { CommandContext, ParsedOptions } from '../command.js';
import { prettyCapacity } from './format.js';

/** The least time between two reports (the first and last are always made). */
export const PROGRESS_INTERVAL_MS = 500;

/** True when the command line asked for progress (`--progress`, the `progress` extension). */
export const wantsProgress = (opts: ParsedOptions): boolean => opts.bool('progress');

/** Reports of one transfer. */
export interface ProgressReport {
  /** `done` bytes so far (of `total`, when known now and not before); reported when the interval has passed. */
  update(done: number, total?: number | null): void;
  /** The last report: `done` bytes in all (the total too when it was unknown). */
  finish(done?: number): void;
}

/** `M:SS` (`H:MM:SS` from an hour) for a duration in seconds. */
export function clockText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number): string => String(n).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}` : `${Math.floor(s / 60)}:${two(s % 60)}`;
}

/** One report's text, without line ending (exported for the tests' parser). */
export function progressLine(label: string, done: number, total: number | null, elapsedMs: number, last: boolean): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const rateText = `${prettyCapacity(Math.round(rate))}/s`;
  if (total === null) return last ? `${label}: ${done} bytes at ${rateText}, done in ${clockText(elapsedMs / 1000)}` : `${label}: ${done} bytes at ${rateText}`;
  const pct = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 100;
  const tail = last ? `done in ${clockText(elapsedMs / 1000)}` : rate > 0 ? `ETA ${clockText((total - done) / rate)}` : 'ETA -:--';
  return `${label}: ${done}/${total} bytes (${pct}%) at ${rateText}, ${tail}`;
}

/**
 * A progress report on `ctx`'s standard error, or one that says nothing when the command was not
 * asked for progress (`enabled` false).
 */
export function progressReport(
  ctx: Pick<CommandContext, 'printError' | 'stderrTerminal'>,
  label: string,
  total: number | null,
  enabled: boolean,
  now: () => number = () => performance.now(),
): ProgressReport {
  if (!enabled || !ctx.printError) return { update() {}, finish() {} };
  const print = ctx.printError;
  const start = now();
  let last = Number.NEGATIVE_INFINITY;
  let shown = -1;
  let latest = 0;
  let known = total;
  const say = (done: number, end: boolean): void => {
    const t = now();
    const line = progressLine(label, done, known, t - start, end);
    last = t;
    shown = done;
    if (ctx.stderrTerminal) print(`\r${line}\x1b[K${end ? '\n' : ''}`);
    else print(`${line}\n`);
  };
  say(0, false);
  return {
    update(done, newTotal) {
      latest = done;
      if (newTotal !== undefined && newTotal !== null) known = newTotal;
      if (now() - last >= PROGRESS_INTERVAL_MS && done !== shown) say(done, false);
    },
    finish(done = latest) {
      if (known === null) known = done;
      say(done, true);
    },
  };
}

/** What a domain job's statistics say of its progress: bytes processed and in all (virDomainGetJobInfo's data, else its memory or file figures). */
interface JobBytes {
  readonly processed: number;
  readonly total: number;
}

/** The job's bytes, or null when the daemon reports none (no job yet, or a driver without job statistics). */
async function jobBytes(ctx: CommandContext, dom: RemoteNonnullDomain): Promise<JobBytes | null> {
  try {
    const info = await ctx.conn.raw.domainGetJobInfo(dom);
    if (info.type === 0) return null; // VIR_DOMAIN_JOB_NONE
    if (info.dataTotal > 0n) return { processed: Number(info.dataProcessed), total: Number(info.dataTotal) };
    if (info.memTotal > 0n) return { processed: Number(info.memProcessed), total: Number(info.memTotal) };
    if (info.fileTotal > 0n) return { processed: Number(info.fileProcessed), total: Number(info.fileTotal) };
    return null;
  } catch {
    return null;
  }
}

/** A typed parameter's number (job statistics are unsigned longs), or null. */
function paramNumber(params: readonly RemoteTypedParam[], field: string): number | null {
  const v = params.find((p) => p.field === field)?.value;
  return v && (v.type === 3 || v.type === 4) ? Number(v.type === 3 ? v.l : v.ul) : v && (v.type === 1 || v.type === 2) ? (v.type === 1 ? v.i : v.ui) : null;
}

/**
 * The finished job's bytes from its completed statistics (virDomainGetJobStats with
 * VIR_DOMAIN_JOB_STATS_COMPLETED, kept for `domjobinfo --completed`), or null.
 */
async function completedBytes(ctx: CommandContext, dom: RemoteNonnullDomain): Promise<JobBytes | null> {
  try {
    const { params } = await ctx.conn.raw.domainGetJobStats(dom, VIR_DOMAIN_JOB_STATS_COMPLETED | VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED);
    // A finished job has done its total: what is left (data_remaining, 0 when it completed) is not.
    // (data_processed counts only the pages sent whole, not the zero pages skipped.)
    for (const kind of ['data', 'memory', 'file']) {
      const total = paramNumber(params, `${kind}_total`);
      if (total !== null && total > 0) return { processed: total - (paramNumber(params, `${kind}_remaining`) ?? 0), total };
    }
    return null;
  } catch {
    return null;
  }
}

/**
 * Runs `work` (the call that makes the daemon do a job on `dom`: save, migrate, ...) and, when
 * `enabled`, reports the job's progress from its statistics (virDomainGetJobInfo, polled every
 * {@link PROGRESS_INTERVAL_MS}, as virsh's --verbose polls) until `work` settles; the last report
 * uses the last figures seen. `dom` may be a promise (restore: the domain appears as it starts).
 * When the daemon gives no figures at all (QEMU's restore is no job it reports), the last report
 * says `fallbackTotal` bytes when the command knows what the job went through (the image's size).
 * The hook for every command that waits on a domain job: `migrate` uses it the same way.
 */
export async function watchJob<T>(
  ctx: CommandContext,
  label: string,
  dom: RemoteNonnullDomain | (() => Promise<RemoteNonnullDomain | null>) | null,
  enabled: boolean,
  work: () => Promise<T>,
  fallbackTotal: number | null = null,
  /** Whether the job leaves completed statistics of its own on `dom` (not restore: those would be an older job's). */
  completedStats = true,
): Promise<T> {
  if (!enabled) return await work();
  const report = progressReport(ctx, label, null, true);
  let settled = false;
  const running = work().finally(() => {
    settled = true;
  });
  let seen: JobBytes | null = null;
  const poll = async (): Promise<void> => {
    while (!settled) {
      await Promise.race([running.catch(() => {}), delay(PROGRESS_INTERVAL_MS)]);
      if (settled) break;
      const target = typeof dom === 'function' ? await dom().catch(() => null) : dom;
      const bytes = target ? await jobBytes(ctx, target) : null;
      if (bytes) {
        seen = bytes;
        report.update(bytes.processed, bytes.total);
      }
    }
  };
  const polling = poll();
  try {
    const result = await running;
    const target = typeof dom === 'function' ? await dom().catch(() => null) : dom;
    const seenLast = seen as JobBytes | null;
    const last =
      (target && completedStats ? await completedBytes(ctx, target) : null) ?? (seenLast ? { processed: seenLast.total, total: seenLast.total } : null);
    if (last) report.update(last.processed, last.total);
    report.finish(last ? last.processed : (fallbackTotal ?? 0));
    return result;
  } finally {
    await polling;
  }
}
