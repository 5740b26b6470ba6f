/**
 * Domain job commands (tools/virsh-domain.c): domjobinfo, domjobabort,
 * domdirtyrate-calc.
 */
import {
  VIR_DOMAIN_ABORT_JOB_POSTCOPY,
  VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP,
  VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING,
  VIR_DOMAIN_JOB_STATS_COMPLETED,
  VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteTypedParam } from '../../procedures/remote.gen.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec } from '../command.js';
import { vshFail, isLibvirtError } from '../support/failures.js';
import { flag, valueOpt, requireOption, strOpt } from '../support/options.js';
import { smallNumberOpt } from '../support/numbers.js';
import { rawParamText } from '../support/params.js';
import { prettyCapacity3 } from '../support/format.js';
import { domainCommand, domainOf } from '../support/templates.js';

// --- jobs -----------------------------------------------------------------------------------

const JOB_TYPES = ['None', 'Bounded', 'Unbounded', 'Completed', 'Failed', 'Cancelled'];
const JOB_OPERATIONS = [
  'Unknown',
  'Start',
  'Save',
  'Restore',
  'Incoming migration',
  'Outgoing migration',
  'Snapshot',
  'Snapshot revert',
  'Dump',
  'Backup',
  'Snapshot delete',
];

async function domjobinfo(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  requireOption(opts, 'keep-completed', 'completed');
  const rawstats = opts.bool('rawstats');
  const dom = await domainOf(ctx, opts);
  const flags = (opts.bool('completed') ? VIR_DOMAIN_JOB_STATS_COMPLETED : 0) | (opts.bool('keep-completed') ? VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED : 0);
  let type: number;
  let params: RemoteTypedParam[] = [];
  const info: Record<string, bigint> = {};
  try {
    const stats = await ctx.conn.raw.domainGetJobStats(dom, flags);
    type = stats.type;
    params = stats.params;
  } catch (err) {
    if (!isLibvirtError(err, 'VIR_ERR_NO_SUPPORT')) throw err;
    if (flags || rawstats) throw vshFail('Optional flags or --rawstats are not supported by the daemon', err);
    const old = await ctx.conn.raw.domainGetJobInfo(dom);
    type = old.type;
    Object.assign(info, {
      time_elapsed: old.timeElapsed,
      time_remaining: old.timeRemaining,
      data_total: old.dataTotal,
      data_processed: old.dataProcessed,
      data_remaining: old.dataRemaining,
      memory_total: old.memTotal,
      memory_processed: old.memProcessed,
      memory_remaining: old.memRemaining,
      disk_total: old.fileTotal,
      disk_processed: old.fileProcessed,
      disk_remaining: old.fileRemaining,
    });
  }
  if (rawstats) {
    ctx.print(`Job type: ${type}\n\n${params.map((p) => `${p.field}: ${rawParamText(p.value)}\n`).join('')}`);
    return;
  }
  const num = (field: string): bigint | undefined => {
    const p = params.find((q) => q.field === field);
    if (p === undefined) return info[field];
    if (p.value.type === 4) return p.value.ul;
    if (p.value.type === 3) return p.value.l;
    if (p.value.type === 1) return BigInt(p.value.i);
    if (p.value.type === 2) return BigInt(p.value.ui);
    return undefined;
  };
  const line = (label: string, value: string): void => ctx.print(`${label.padEnd(17)} ${value}\n`);
  const ms = (label: string, v: bigint): void => line(label, `${String(v).padEnd(12)} ms`);
  const size = (label: string, v: bigint, unit = ''): void => line(label, `${prettyCapacity3(v)}${unit}`);
  line('Job type:', (JOB_TYPES[type] ?? 'unknown').padEnd(12));
  if (type === 0) return;
  const op = num('operation');
  line('Operation:', (JOB_OPERATIONS[Number(op ?? 0n)] ?? 'unknown').padEnd(12));
  if (!opts.bool('anystats') && type !== 1 && type !== 2 && (!(flags & VIR_DOMAIN_JOB_STATS_COMPLETED) || type !== 3)) return;
  ms('Time elapsed:', num('time_elapsed') ?? 0n);
  const opt = (field: string, f: (v: bigint) => void, nonzero = false): void => {
    const v = num(field);
    if (v !== undefined && (!nonzero || v !== 0n)) f(v);
  };
  opt('time_elapsed_net', (v) => ms('Time elapsed w/o network:', v));
  if (type === 1) ms('Time remaining:', num('time_remaining') ?? 0n);
  const trio = (prefix: string, label: string): boolean => {
    const [t, r, p] = ['total', 'remaining', 'processed'].map((s) => num(`${prefix}_${s}`) ?? 0n);
    if (!t && !r && !p) return false;
    size(`${label} processed:`, p);
    size(`${label} remaining:`, r);
    size(`${label} total:`, t);
    return true;
  };
  trio('data', 'Data');
  if (trio('memory', 'Memory')) {
    opt('memory_bps', (v) => size('Memory bandwidth:', v, '/s'), true);
    opt('memory_dirty_rate', (v) => line('Dirty rate:', `${String(v).padEnd(12)} pages/s`));
    opt('memory_page_size', (v) => line('Page size:', `${String(v).padEnd(12)} bytes`));
    opt('memory_iteration', (v) => line('Iteration:', String(v).padEnd(12)));
    opt('memory_postcopy_requests', (v) => line('Postcopy requests:', String(v).padEnd(12)));
  }
  if (trio('disk', 'File')) opt('disk_bps', (v) => size('File bandwidth:', v, '/s'), true);
  opt('memory_constant', (v) => line('Constant pages:', String(v).padEnd(12)));
  opt('memory_normal', (v) => line('Normal pages:', String(v).padEnd(12)));
  opt('memory_normal_bytes', (v) => size('Normal data:', v));
  opt('downtime', (v) => ms(type === 3 ? 'Total downtime:' : 'Expected downtime:', v));
  opt('downtime_net', (v) => ms('Downtime w/o network:', v));
  opt('setup_time', (v) => ms('Setup time:', v));
  opt('compression_cache', (v) => size('Compression cache:', v));
  opt('compression_bytes', (v) => size('Compressed data:', v));
  opt('compression_pages', (v) => line('Compressed pages:', String(v).padEnd(13)));
  opt('compression_cache_misses', (v) => line('Compression cache misses:', String(v).padEnd(13)));
  opt('compression_overflow', (v) => line('Compression overflows:', String(v).padEnd(13)));
  opt('auto_converge_throttle', (v) => line('Auto converge throttle:', String(v).padEnd(13)));
  opt('disk_temp_used', (v) => size('Temporary disk space use:', v));
  opt('disk_temp_total', (v) => size('Temporary disk space total:', v));
  const err = params.find((p) => p.field === 'errmsg');
  if (err && err.value.type === 7) line('Error message:', err.value.s);
}

async function domjobabort(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  if (opts.bool('postcopy')) await ctx.conn.raw.domainAbortJobFlags(dom, VIR_DOMAIN_ABORT_JOB_POSTCOPY);
  else await ctx.conn.raw.domainAbortJob(dom);
}

async function domdirtyrateCalc(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const seconds = smallNumberOpt(opts, 'seconds', 'int') ?? 1;
  const mode = strOpt(opts, 'mode');
  let flags = 0;
  if (mode !== undefined) {
    const modes: Record<string, number> = {
      'page-sampling': 0,
      'dirty-bitmap': VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP,
      'dirty-ring': VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING,
    };
    if (!(mode in modes)) throw new CliError([`Unknown calculation mode '${mode}'`]);
    flags = modes[mode];
  }
  await ctx.conn.raw.domainStartDirtyRateCalc(dom, seconds, flags);
  if (!ctx.quiet) ctx.print("Start to calculate domain's memory dirty rate successfully.\n");
}

/** The commands of this group. */
export const jobCommands: readonly CommandSpec[] = [
  domainCommand({
    name: 'domjobinfo',
    help: 'domain job information',
    description: 'Returns information about jobs running on a domain.',
    options: [
      flag('completed', 'return statistics of a recently completed job'),
      flag('keep-completed', "don't destroy statistics of a recently completed job when reading"),
      flag('anystats', 'print statistics for any kind of job (even failed ones)'),
      flag('rawstats', 'print the raw data returned by libvirt'),
    ],
    run: domjobinfo,
  }),
  domainCommand({
    name: 'domjobabort',
    help: 'abort active domain job',
    description: 'Aborts the currently running domain job',
    options: [flag('postcopy', 'interrupt post-copy migration')],
    run: domjobabort,
  }),
  domainCommand({
    name: 'domdirtyrate-calc',
    help: "Calculate a vm's memory dirty rate",
    description:
      "Calculate memory dirty rate of a domain in order to decide whether it's proper to be migrated out or not.\nThe calculated dirty rate information is available by calling 'domstats --dirtyrate'.",
    options: [
      valueOpt('seconds', 'int', 'calculate memory dirty rate within specified seconds, the supported value range from 1 to 60, default to 1.'),
      valueOpt('mode', 'string', "dirty page rate calculation mode, either of these 3 options 'page-sampling, dirty-bitmap, dirty-ring' can be specified."),
    ],
    run: domdirtyrateCalc,
  }),
];
