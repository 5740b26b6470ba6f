/**
 * Block job commands (blockjob, blockcopy, blockcommit, blockpull,
 * blockresize), with virsh's output (tools/virsh-domain.c). The commands
 * that wait (`--wait`, `--pivot`, `--timeout`, ...) follow virshBlockJobWait:
 * they listen for the block job events of the domain, poll the job every
 * half second, print progress on standard error with `--verbose`, and abort
 * the job on timeout or interrupt (support/block-job-wait.ts).
 */
import {
  VIR_DOMAIN_BLOCK_COMMIT_ACTIVE,
  VIR_DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES,
  VIR_DOMAIN_BLOCK_COMMIT_DELETE,
  VIR_DOMAIN_BLOCK_COMMIT_RELATIVE,
  VIR_DOMAIN_BLOCK_COMMIT_SHALLOW,
  VIR_DOMAIN_BLOCK_COPY_BANDWIDTH,
  VIR_DOMAIN_BLOCK_COPY_BUF_SIZE,
  VIR_DOMAIN_BLOCK_COPY_GRANULARITY,
  VIR_DOMAIN_BLOCK_COPY_SYNCHRONOUS_WRITES,
  VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB,
  VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC,
  VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT,
  VIR_DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES,
  VIR_DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES,
  VIR_DOMAIN_BLOCK_PULL_BANDWIDTH_BYTES,
  VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES,
  VIR_DOMAIN_BLOCK_REBASE_COPY,
  VIR_DOMAIN_BLOCK_REBASE_COPY_DEV,
  VIR_DOMAIN_BLOCK_REBASE_COPY_RAW,
  VIR_DOMAIN_BLOCK_REBASE_RELATIVE,
  VIR_DOMAIN_BLOCK_REBASE_REUSE_EXT,
  VIR_DOMAIN_BLOCK_REBASE_SHALLOW,
  VIR_DOMAIN_BLOCK_RESIZE_BYTES,
  VIR_ERR_INVALID_ARG,
  VIR_ERR_OVERFLOW,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteDomainGetBlockJobInfoRet, RemoteNonnullDomain, RemoteTypedParam } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { blockJobTypeName, timeoutMs } from './event.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { VshFailure, daemonError, vshFail } from '../support/failures.js';
import { flag, valueOpt, DOMAIN, exclusive, requireOption, strOpt, strArg, aliasOpt } from '../support/options.js';
import { ULLONG_MAX, parseScaled, numberOpt } from '../support/numbers.js';
import { lookupDomain } from '../support/lookup.js';
import { closing, conclude, ended, printProgress, runJob, unwatch, waitForJob, watchJob } from '../support/block-job-wait.js';
import { progressReport, wantsProgress } from '../support/progress.js';

const GROUP = 'Domain Management';

// ---------------------------------------------------------------------------
// Reading the options as virsh does

/** `--bandwidth` as vshBlockJobOptionBandwidth reads it: a plain (wrapping) number, or a scaled size in bytes (MiB without `--bytes`). */
function bandwidthOption(opts: ParsedOptions, bytes: boolean): bigint {
  const text = opts.string('bandwidth');
  if (text === undefined) return 0n;
  // virStrToLong_ul: blanks, a sign (a minus wraps around), decimal digits, nothing after.
  const plain = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(text);
  if (plain && BigInt(plain[2]) <= ULLONG_MAX) return plain[1] === '-' ? (ULLONG_MAX + 1n - BigInt(plain[2])) & ULLONG_MAX : BigInt(plain[2]);
  const bw = parseScaled(text);
  if ('error' in bw) throw new VshFailure([`Scaled numeric value '${text}' for <--bandwidth> option is malformed or out of range`], bw.error);
  return bytes ? bw.value : bw.value >> 20n;
}

// ---------------------------------------------------------------------------
// blockjob

/** A size as vshPrettyCapacity and `%-.3lf %s` write it. */
function prettyRate(bytes: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = Number(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(3)} ${units[u]}`;
}

/** blockjob's query (virshBlockJobInfo): bytes/s first, MiB/s when the daemon cannot say bytes. */
async function blockJobInfo(ctx: CommandContext, dom: RemoteNonnullDomain, path: string, raw: boolean, bytes: boolean): Promise<void> {
  const api = ctx.conn.raw;
  let info: RemoteDomainGetBlockJobInfoRet | null = null;
  let speed = 0n;
  if (bytes || !raw) {
    try {
      info = await api.domainGetBlockJobInfo(dom, path, VIR_DOMAIN_BLOCK_JOB_INFO_BANDWIDTH_BYTES);
      speed = info.bandwidth;
    } catch (err) {
      // An old daemon or a too large value: ask again in MiB/s, unless bytes were asked for.
      const retry = err instanceof LibvirtError && (err.errorCode === VIR_ERR_INVALID_ARG || err.errorCode === VIR_ERR_OVERFLOW) && !bytes && !raw;
      if (!retry) throw daemonError(err);
    }
  }
  if (!info) {
    try {
      info = await api.domainGetBlockJobInfo(dom, path, 0);
    } catch (err) {
      throw daemonError(err);
    }
    speed = info.bandwidth;
    if (!raw) {
      speed = (speed << 20n) & ULLONG_MAX;
      if (speed >> 20n !== info.bandwidth) throw new CliError([`overflow in converting ${info.bandwidth} MiB/s to bytes\n`]);
    }
  }
  if (info.found === 0) {
    // virsh prints this without a newline: its end-of-command blank line ends it.
    if (!raw && !ctx.quiet) ctx.print(`No current block job for ${path}`);
    return;
  }
  if (raw) {
    ctx.print(` type=${blockJobTypeName(info.type)}\n bandwidth=${info.bandwidth}\n cur=${info.cur}\n end=${info.end}\n`);
    return;
  }
  printProgress(ctx, blockJobTypeName(info.type), info.end - info.cur, info.end);
  if (speed) ctx.print(`    Bandwidth limit: ${speed} bytes/s (${prettyRate(speed)}/s)`);
  ctx.print('\n');
}

// ---------------------------------------------------------------------------
// Commands

const path = (help: string): OptionSpec => valueOpt('path', 'string', help, { required: true });
const BANDWIDTH: OptionSpec = valueOpt('bandwidth', 'int', 'bandwidth limit in MiB/s');
const BYTES = flag('bytes', 'the bandwidth limit is in bytes/s rather than MiB/s');
const VERBOSE = flag('verbose', 'with --wait, display the progress');
const ASYNC = flag('async', "with --wait, don't wait for cancel to finish");
const KEEP_RELATIVE = flag('keep-relative', 'keep the backing chain relatively referenced');
const timeout = (help: string): OptionSpec => valueOpt('timeout', 'int', help);

/** blockcopy's destination XML when virsh writes it (`--dest`, `--format`, `--blockdev`). */
function copyXml(dest: string, format: string | undefined, blockdev: boolean): string {
  const esc = (s: string): string => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
  const source = blockdev ? `  <source dev='${esc(dest)}'/>\n` : `  <source file='${esc(dest)}'/>\n`;
  const driver = format !== undefined ? `  <driver type='${esc(format)}'/>\n` : '';
  return `<disk type='${blockdev ? 'block' : 'file'}'>\n${source}${driver}</disk>\n`;
}

/** The commands of this group. */
export const blockjobCommands: readonly CommandSpec[] = [
  {
    name: 'blockcommit',
    group: GROUP,
    help: 'Start a block commit operation.',
    description: 'Commit changes from a snapshot down to its backing image.',
    options: [
      DOMAIN,
      path('fully-qualified path of disk'),
      BANDWIDTH,
      valueOpt('base', 'string', 'path of base file to commit into (default bottom of chain)'),
      flag('shallow', 'use backing file of top as base'),
      valueOpt('top', 'string', 'path of top file to commit from (default top of chain)'),
      flag('active', 'trigger two-stage active commit of top file'),
      flag('delete', 'delete files that were successfully committed'),
      flag('wait', 'wait for job to complete (with --active, wait for job to sync)'),
      VERBOSE,
      timeout('implies --wait, abort if copy exceeds timeout (in seconds)'),
      flag('pivot', 'implies --active --wait, pivot when commit is synced'),
      flag('keep-overlay', 'implies --active --wait, quit when commit is synced'),
      ASYNC,
      KEEP_RELATIVE,
      BYTES,
    ],
    async run(ctx, opts) {
      exclusive(opts, ['pivot', 'keep-overlay']);
      const pivot = opts.bool('pivot');
      const finish = opts.bool('keep-overlay');
      const active = opts.bool('active') || pivot || finish;
      let blocking = opts.bool('wait') || pivot || finish;
      const bytes = opts.bool('bytes');
      const disk = strArg(opts, 'path');
      const base = strOpt(opts, 'base') ?? null;
      const top = strOpt(opts, 'top') ?? null;
      const bandwidth = bandwidthOption(opts, bytes);
      const flags =
        (bytes ? VIR_DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES : 0) |
        (opts.bool('shallow') ? VIR_DOMAIN_BLOCK_COMMIT_SHALLOW : 0) |
        (opts.bool('delete') ? VIR_DOMAIN_BLOCK_COMMIT_DELETE : 0) |
        (active ? VIR_DOMAIN_BLOCK_COMMIT_ACTIVE : 0) |
        (opts.bool('keep-relative') ? VIR_DOMAIN_BLOCK_COMMIT_RELATIVE : 0);
      const wait = timeoutMs(opts);
      if (wait) blocking = true;
      if (!blocking) {
        if (opts.bool('verbose')) throw new CliError(['--verbose requires at least one of --timeout, --wait, --pivot, or --keep-overlay']);
        if (opts.bool('async')) throw new CliError(['--async requires at least one of --timeout, --wait, --pivot, or --keep-overlay']);
      }
      const abortFlags = opts.bool('async') ? VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC : 0;
      const dom = await lookupDomain(ctx.conn, strArg(opts, 'domain'));
      const how = { label: 'Block commit', verbose: opts.bool('verbose'), timeout: wait, async: opts.bool('async') };
      const status = await runJob(ctx, dom, disk, blocking, how, () => ctx.conn.raw.domainBlockCommit(dom, disk, base, top, bandwidth, flags));
      if (status === null) {
        if (!ctx.quiet) ctx.print(active ? 'Active Block Commit started' : 'Block Commit started');
        return;
      }
      ended(ctx, status, 'Commit');
      if (!active) return closing(ctx, 'Commit complete');
      if (pivot) {
        await conclude(ctx, dom, disk, abortFlags | VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT, 'pivot');
        closing(ctx, 'Successfully pivoted');
      } else if (finish) {
        await conclude(ctx, dom, disk, abortFlags, 'finish');
        closing(ctx, 'Commit complete, overlay image kept');
      } else {
        closing(ctx, 'Now in synchronized phase');
      }
    },
  },
  {
    name: 'blockcopy',
    group: GROUP,
    extensions: ['progress'],
    help: 'Start a block copy operation.',
    description: 'Copy a disk backing image chain to dest.',
    options: [
      DOMAIN,
      path('fully-qualified path of source disk'),
      valueOpt('dest', 'string', 'path of the copy to create'),
      BANDWIDTH,
      flag('shallow', 'make the copy share a backing chain'),
      flag('reuse-external', 'reuse existing destination'),
      flag('blockdev', 'copy destination is block device instead of regular file'),
      flag('wait', 'wait for job to reach mirroring phase'),
      VERBOSE,
      timeout('implies --wait, abort if copy exceeds timeout (in seconds)'),
      flag('pivot', 'implies --wait, pivot when mirroring starts'),
      flag('finish', 'implies --wait, quit when mirroring starts'),
      ASYNC,
      valueOpt('xml', 'string', 'filename containing XML description of the copy destination'),
      valueOpt('format', 'string', 'format of the destination file'),
      valueOpt('granularity', 'int', 'power-of-two granularity to use during the copy'),
      valueOpt('buf-size', 'int', 'maximum amount of in-flight data during the copy'),
      BYTES,
      flag('transient-job', 'the copy job is not persisted if VM is turned off'),
      flag('synchronous-writes', 'the copy job forces guest writes to be synchronously written to the destination'),
      flag('print-xml', 'print the XML used to start the copy job instead of starting the job'),
      // virsh's alias for --format=raw.
      aliasOpt('raw', 'bool', 'format=raw'),
    ],
    async run(ctx, opts) {
      const pivot = opts.bool('pivot');
      const finish = opts.bool('finish');
      const blockdev = opts.bool('blockdev');
      const bytes = opts.bool('bytes');
      const transient = opts.bool('transient-job');
      const syncWrites = opts.bool('synchronous-writes');
      const printXml = opts.bool('print-xml');
      let blocking = opts.bool('wait') || finish || pivot;
      const disk = strArg(opts, 'path');
      const dest = strOpt(opts, 'dest');
      const xmlFile = strOpt(opts, 'xml');
      const format = strOpt(opts, 'format') ?? (opts.bool('raw') ? 'raw' : undefined);
      let bandwidth = bandwidthOption(opts, bytes);
      const granularity = numberOpt(opts, 'granularity', 'uint') ?? 0n;
      const bufSize = numberOpt(opts, 'buf-size', 'ullong') ?? 0n;
      // Some VIR_DOMAIN_BLOCK_REBASE_* and VIR_DOMAIN_BLOCK_COPY_* flags share their values.
      let flags =
        (opts.bool('shallow') ? VIR_DOMAIN_BLOCK_REBASE_SHALLOW : 0) |
        (opts.bool('reuse-external') ? VIR_DOMAIN_BLOCK_REBASE_REUSE_EXT : 0) |
        (transient ? VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB : 0) |
        (syncWrites ? VIR_DOMAIN_BLOCK_COPY_SYNCHRONOUS_WRITES : 0);
      const wait = timeoutMs(opts);
      if (wait) blocking = true;
      const abortFlags = opts.bool('async') ? VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC : 0;
      const withXml = xmlFile !== undefined;
      for (const [a, clash] of [
        ['dest', dest !== undefined && withXml],
        ['format', format !== undefined && withXml],
        ['blockdev', blockdev && withXml],
      ] as const) {
        if (clash) throw new CliError([`Options --${a} and --xml are mutually exclusive`]);
      }
      exclusive(opts, ['pivot', 'finish']);
      if (dest === undefined && xmlFile === undefined) throw new CliError(['need either --dest or --xml']);
      if (!blocking) {
        if (opts.bool('verbose')) throw new CliError(['--verbose requires at least one of --timeout, --wait, --pivot, or --finish']);
        if (opts.bool('async')) throw new CliError(['--async requires at least one of --timeout, --wait, --pivot, or --finish']);
      }
      const dom = await lookupDomain(ctx.conn, strArg(opts, 'domain'));
      const watch = blocking ? await watchJob(ctx, dom, disk) : null;
      let status: number | null = null;
      try {
        const xmlText = xmlFile === undefined ? undefined : await ctx.readFile(xmlFile);
        if (granularity || bufSize || (format !== undefined && format !== 'raw') || xmlText !== undefined || transient || syncWrites || printXml) {
          // The newer API, with typed parameters.
          const params: RemoteTypedParam[] = [];
          if (bandwidth) {
            if (!bytes) {
              // MiB/s must fit in bytes/s.
              const limit = ULLONG_MAX >> 20n;
              if (bandwidth > limit) throw new CliError([`bandwidth must be less than ${limit}`]);
              bandwidth <<= 20n;
            }
            params.push({ field: VIR_DOMAIN_BLOCK_COPY_BANDWIDTH, value: { type: 4, ul: bandwidth } });
          }
          if (granularity) params.push({ field: VIR_DOMAIN_BLOCK_COPY_GRANULARITY, value: { type: 2, ui: Number(granularity) } });
          if (bufSize) params.push({ field: VIR_DOMAIN_BLOCK_COPY_BUF_SIZE, value: { type: 4, ul: bufSize } });
          const xml = xmlText ?? copyXml(dest!, format, blockdev);
          if (printXml) {
            ctx.print(xml);
            return;
          }
          try {
            await ctx.conn.raw.domainBlockCopy(dom, disk, xml, params, flags);
          } catch (err) {
            throw daemonError(err);
          }
        } else {
          // The old API: a rebase that copies.
          flags |= VIR_DOMAIN_BLOCK_REBASE_COPY;
          if (blockdev) flags |= VIR_DOMAIN_BLOCK_REBASE_COPY_DEV;
          if (format === 'raw') flags |= VIR_DOMAIN_BLOCK_REBASE_COPY_RAW;
          if (bytes) flags |= VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES;
          try {
            await ctx.conn.raw.domainBlockRebase(dom, disk, dest ?? null, bandwidth, flags);
          } catch (err) {
            throw daemonError(err);
          }
        }
        if (watch)
          status = await waitForJob(ctx, dom, disk, watch, {
            label: 'Block Copy',
            verbose: opts.bool('verbose'),
            timeout: wait,
            async: opts.bool('async'),
            progress: progressReport(ctx, 'blockcopy', null, wantsProgress(opts)),
          });
      } finally {
        await unwatch(watch);
      }
      if (status === null) {
        if (!ctx.quiet) ctx.print('Block Copy started');
        return;
      }
      ended(ctx, status, 'Copy');
      if (pivot) {
        await conclude(ctx, dom, disk, abortFlags | VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT, 'pivot');
        closing(ctx, 'Successfully pivoted');
      } else if (finish) {
        await conclude(ctx, dom, disk, abortFlags, 'finish');
        closing(ctx, 'Successfully copied');
      } else {
        closing(ctx, 'Now in mirroring phase');
      }
    },
  },
  {
    name: 'blockjob',
    group: GROUP,
    help: 'Manage active block operations',
    description: 'Query, adjust speed, or cancel active block operations.',
    options: [
      DOMAIN,
      path('fully-qualified path of disk'),
      flag('abort', 'abort the active job on the specified disk'),
      flag('async', "implies --abort; request but don't wait for job end"),
      flag('pivot', 'implies --abort; conclude and pivot a copy or commit job'),
      flag('info', 'get active job information for the specified disk'),
      flag('bytes', 'get/set bandwidth in bytes rather than MiB/s'),
      flag('raw', 'implies --info; output details rather than human summary'),
      valueOpt('bandwidth', 'int', 'set the bandwidth limit in MiB/s'),
    ],
    async run(ctx, opts) {
      for (const a of ['raw', 'info']) for (const b of ['abort', 'pivot', 'async', 'bandwidth']) exclusive(opts, [a, b]);
      for (const b of ['abort', 'pivot', 'async']) exclusive(opts, ['bytes', b]);
      const raw = opts.bool('raw');
      const bytes = opts.bool('bytes');
      const dom = await lookupDomain(ctx.conn, strArg(opts, 'domain'));
      const disk = strArg(opts, 'path');
      const api = ctx.conn.raw;
      if (opts.string('bandwidth') !== undefined) {
        const bandwidth = bandwidthOption(opts, bytes);
        await api.domainBlockJobSetSpeed(dom, disk, bandwidth, bytes ? VIR_DOMAIN_BLOCK_JOB_SPEED_BANDWIDTH_BYTES : 0).catch((err: unknown) => {
          throw daemonError(err);
        });
        return;
      }
      if (opts.bool('abort') || opts.bool('pivot') || opts.bool('async')) {
        const flags = (opts.bool('async') ? VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC : 0) | (opts.bool('pivot') ? VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT : 0);
        await api.domainBlockJobAbort(dom, disk, flags).catch((err: unknown) => {
          throw daemonError(err);
        });
        return;
      }
      await blockJobInfo(ctx, dom, disk, raw, bytes);
    },
  },
  {
    name: 'blockpull',
    group: GROUP,
    extensions: ['progress'],
    help: 'Populate a disk from its backing image.',
    description: 'Populate a disk from its backing image.',
    options: [
      DOMAIN,
      path('fully-qualified path of disk'),
      BANDWIDTH,
      valueOpt('base', 'string', 'path of backing file in chain for a partial pull'),
      flag('wait', 'wait for job to finish'),
      VERBOSE,
      timeout('with --wait, abort if pull exceeds timeout (in seconds)'),
      ASYNC,
      KEEP_RELATIVE,
      BYTES,
    ],
    async run(ctx, opts) {
      requireOption(opts, 'verbose', 'wait');
      requireOption(opts, 'progress', 'wait');
      requireOption(opts, 'async', 'wait');
      const blocking = opts.bool('wait');
      const bytes = opts.bool('bytes');
      const disk = strArg(opts, 'path');
      const base = strOpt(opts, 'base');
      const bandwidth = bandwidthOption(opts, bytes);
      const wait = timeoutMs(opts);
      let flags = opts.bool('keep-relative') ? VIR_DOMAIN_BLOCK_REBASE_RELATIVE : 0;
      const dom = await lookupDomain(ctx.conn, strArg(opts, 'domain'));
      const how = {
        label: 'Block Pull',
        verbose: opts.bool('verbose'),
        timeout: wait,
        async: opts.bool('async'),
        progress: blocking ? progressReport(ctx, 'blockpull', null, wantsProgress(opts)) : undefined,
      };
      const status = await runJob(ctx, dom, disk, blocking, how, () => {
        // A partial pull (or a relative one) is a rebase; a full one a pull.
        if (base !== undefined || flags) {
          if (bytes) flags |= VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES;
          return ctx.conn.raw.domainBlockRebase(dom, disk, base ?? null, bandwidth, flags);
        }
        return ctx.conn.raw.domainBlockPull(dom, disk, bandwidth, bytes ? VIR_DOMAIN_BLOCK_PULL_BANDWIDTH_BYTES : 0);
      });
      if (status === null) {
        if (!ctx.quiet) ctx.print('Block Pull started');
        return;
      }
      ended(ctx, status, 'Pull');
      closing(ctx, 'Pull complete');
    },
  },
  {
    name: 'blockresize',
    group: GROUP,
    help: 'Resize block device of domain.',
    description: 'Resize block device of domain.',
    options: [
      DOMAIN,
      path('Fully-qualified path of block device'),
      valueOpt('size', 'int', 'New size of the block device, as scaled integer (default KiB)', { required: true }),
    ],
    async run(ctx, opts) {
      const disk = strArg(opts, 'path');
      const text = opts.required('size');
      const scaled = parseScaled(text, 1024n);
      if ('error' in scaled) throw new VshFailure([`Scaled numeric value '${text}' for <size> option is malformed or out of range`], scaled.error);
      let size = scaled.value;
      // virsh prefers the older KiB interface when the size allows it.
      const flags = size % 1024n === 0n ? 0 : VIR_DOMAIN_BLOCK_RESIZE_BYTES;
      if (!flags) size /= 1024n;
      const dom = await lookupDomain(ctx.conn, strArg(opts, 'domain'));
      try {
        await ctx.conn.raw.domainBlockResize(dom, disk, size, flags);
      } catch (err) {
        throw vshFail(`Failed to resize block device '${disk}'`, err);
      }
      if (!ctx.quiet) ctx.print(`Block device '${disk}' is resized`);
    },
  },
];
