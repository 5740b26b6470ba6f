/**
 * How tsvirsh's block job commands (commands/blockjob.ts: blockcommit, blockcopy, blockpull)
 * wait for their job, as virshBlockJobWaitInit and virshBlockJobWait (tools/virsh-domain.c) do:
 * they listen for the block job events of the domain, poll the job every half second, print
 * progress on standard error with `--verbose`, and abort the job on timeout or interrupt; and
 * the lines that end a waited-for job.
 */
import type { Unsubscribe } from '../../api/events.js';
import {
  VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC,
  VIR_DOMAIN_BLOCK_JOB_CANCELED,
  VIR_DOMAIN_BLOCK_JOB_COMPLETED,
  VIR_DOMAIN_BLOCK_JOB_FAILED,
  VIR_DOMAIN_BLOCK_JOB_READY,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteDomainGetBlockJobInfoRet, RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { CliError, type CommandContext } from '../command.js';
import { daemonError, vshFail } from './failures.js';
import type { ProgressReport } from './progress.js';

/** `label: [ 42 %]` on standard error, as virshPrintJobProgress writes it. */
export function printProgress(ctx: CommandContext, label: string, remaining: bigint, total: bigint): void {
  let progress = 100;
  if (remaining !== 0n) {
    progress = Math.trunc(100 - (Number(remaining) * 100) / Number(total));
    if (progress >= 100) progress = 99;
  }
  ctx.printError?.(`\r${label}: [${String(progress).padStart(3)} %]`);
}

/** What a waiting command watches: the job's events, registered before the job starts. */
export interface JobWatch {
  /** The status the last matching event reported, or -1. */
  status: number;
  /** How many of the two block job events could be registered. */
  readonly registered: number;
  readonly off: readonly Unsubscribe[];
}

/** Registers for the domain's block job events (either may fail: virsh then polls). */
export async function watchJob(ctx: CommandContext, dom: RemoteNonnullDomain, path: string): Promise<JobWatch> {
  const off: Unsubscribe[] = [];
  const watch = { status: -1, registered: 0, off };
  // virsh matches the disk string of both events against the path it was given.
  const register = async (subscribe: () => Promise<Unsubscribe>): Promise<void> => {
    try {
      off.push(await subscribe());
      watch.registered++;
    } catch (err) {
      if (!(err instanceof LibvirtError)) throw err;
    }
  };
  await register(() => ctx.conn.events.onDomain('block-job', (ev) => void (ev.path === path && (watch.status = ev.status)), { domain: dom }));
  await register(() => ctx.conn.events.onDomain('block-job-2', (ev) => void (ev.dst === path && (watch.status = ev.status)), { domain: dom }));
  return watch;
}

export async function unwatch(watch: JobWatch | null): Promise<void> {
  for (const off of watch?.off ?? []) await off().catch(() => {});
}

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** How a command waits for its job: virsh's --verbose label and --timeout, and tsvirsh's --progress report. */
export interface JobHow {
  readonly label: string;
  readonly verbose: boolean;
  readonly timeout: number;
  readonly async: boolean;
  readonly progress?: ProgressReport;
}

/**
 * Waits for the job on `path` as virshBlockJobWait does and resolves with
 * its end: COMPLETED, READY (two-phase jobs), FAILED or CANCELED (timeout or
 * interrupt, after aborting the job).
 */
export async function waitForJob(ctx: CommandContext, dom: RemoteNonnullDomain, path: string, watch: JobWatch, how: JobHow): Promise<number> {
  // Without events, a job at 100% gets a few more polls before it counts as ready.
  let retries = 5;
  const start = Date.now();
  let last: Pick<RemoteDomainGetBlockJobInfoRet, 'cur' | 'end'> = { cur: 0n, end: 0n };
  let result: number;
  for (;;) {
    let info: RemoteDomainGetBlockJobInfoRet;
    try {
      info = await ctx.conn.raw.domainGetBlockJobInfo(dom, path, 0);
    } catch (err) {
      throw vshFail(`failed to query job for disk ${path}`, err);
    }
    if (watch.registered > 0 && watch.status !== -1) {
      result = watch.status;
      break;
    }
    if (watch.registered < 2) {
      if (info.found === 0) {
        result = VIR_DOMAIN_BLOCK_JOB_COMPLETED;
        break;
      }
      if (info.end === info.cur && (watch.registered === 0 || --retries === 0)) {
        result = VIR_DOMAIN_BLOCK_JOB_READY;
        break;
      }
    }
    if (how.verbose && (info.cur !== last.cur || info.end !== last.end)) printProgress(ctx, how.label, info.end - info.cur, info.end);
    if (info.found !== 0) how.progress?.update(Number(info.cur), Number(info.end));
    last = info;
    if (ctx.interrupted?.aborted || (how.timeout && Date.now() - start > how.timeout)) {
      try {
        await ctx.conn.raw.domainBlockJobAbort(dom, path, how.async ? VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC : 0);
      } catch (err) {
        throw vshFail(`failed to abort job for disk '${path}'`, err);
      }
      result = VIR_DOMAIN_BLOCK_JOB_CANCELED;
      break;
    }
    await sleep(500, ctx.interrupted);
  }
  if (how.verbose && (result === VIR_DOMAIN_BLOCK_JOB_COMPLETED || result === VIR_DOMAIN_BLOCK_JOB_READY)) printProgress(ctx, how.label, 0n, 1n);
  if (result === VIR_DOMAIN_BLOCK_JOB_COMPLETED || result === VIR_DOMAIN_BLOCK_JOB_READY) how.progress?.finish(Number(last.end));
  return result;
}

/**
 * Starts a job (`start`), then, when `blocking`, waits for it with the
 * events registered beforehand. Resolves with the job's end, or null when
 * the command does not wait.
 */
export async function runJob(
  ctx: CommandContext,
  dom: RemoteNonnullDomain,
  path: string,
  blocking: boolean,
  how: JobHow,
  start: () => Promise<unknown>,
): Promise<number | null> {
  const watch = blocking ? await watchJob(ctx, dom, path) : null;
  try {
    try {
      await start();
    } catch (err) {
      throw daemonError(err);
    }
    return watch ? await waitForJob(ctx, dom, path, watch, how) : null;
  } finally {
    await unwatch(watch);
  }
}

/** `\nMESSAGE` (a waiting job's closing line, after its progress), unless quiet. */
export function closing(ctx: CommandContext, message: string): void {
  if (!ctx.quiet) ctx.print(`\n${message}`);
}

/** The end of a waited-for job: aborted and failed jobs print their line and fail quietly. */
export function ended(ctx: CommandContext, status: number, noun: 'Pull' | 'Copy' | 'Commit'): void {
  if (status === VIR_DOMAIN_BLOCK_JOB_CANCELED || status === VIR_DOMAIN_BLOCK_JOB_FAILED) {
    closing(ctx, `${noun} ${status === VIR_DOMAIN_BLOCK_JOB_CANCELED ? 'aborted' : 'failed'}`);
    throw new CliError([]);
  }
}

/** Ends a two-phase job with `flags` (pivot or finish), or `failed to VERB job for disk PATH`. */
export async function conclude(ctx: CommandContext, dom: RemoteNonnullDomain, path: string, flags: number, verb: 'pivot' | 'finish'): Promise<void> {
  try {
    await ctx.conn.raw.domainBlockJobAbort(dom, path, flags);
  } catch (err) {
    throw vshFail(`failed to ${verb} job for disk ${path}`, err);
  }
}
