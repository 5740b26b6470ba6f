/**
 * vCPU, emulator and IOThread placement commands (tools/virsh-domain.c):
 * cpu-stats, vcpupin, emulatorpin, setvcpu, guestvcpus, iothread*.
 */
import { VIR_DOMAIN_AFFECT_CONFIG, VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_VCPU_MAXIMUM } from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain, RemoteTypedParam } from '../../procedures/remote.gen.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec } from '../command.js';
import { orFail } from '../support/failures.js';
import { flag, valueOpt, AFFECT_OPTS, exclusive, affectFlags, requireOption, strOpt, strArg } from '../support/options.js';
import { numberOpt, smallNumberOpt } from '../support/numbers.js';
import { printParams, STRING_OKAY, paramText, param } from '../support/params.js';
import { formatCpuMap, parseCpuList, nodeCpuCount } from '../support/cpumap.js';
import { formatTable } from '../support/table.js';
import { domainCommand, domainOf } from '../support/templates.js';

// --- cpu-stats ------------------------------------------------------------------------------

const TIME_FIELDS = new Set(['cpu_time', 'vcpu_time', 'user_time', 'system_time']);

function cpuStatsField(p: RemoteTypedParam): string {
  const head = `\t${p.field.padEnd(12)} `;
  if (TIME_FIELDS.has(p.field) && p.value.type === 4) {
    const v = p.value.ul;
    return `${head}${String(v / 1_000_000_000n).padStart(9)}.${String(v % 1_000_000_000n).padStart(9, '0')} seconds\n`;
  }
  return `${head}${paramText(p.value)}\n`;
}

async function cpuStats(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const raw = ctx.conn.raw;
  let showTotal = opts.bool('total');
  let showPerCpu = false;
  let cpu = smallNumberOpt(opts, 'start', 'int');
  if (cpu !== undefined) {
    if (cpu < 0) throw new CliError(['Invalid value for start CPU']);
    showPerCpu = true;
  }
  let count = smallNumberOpt(opts, 'count', 'int');
  if (count !== undefined) {
    if (count < 0) throw new CliError(['Invalid value for number of CPUs to show']);
    showPerCpu = true;
  }
  if (!showTotal && !showPerCpu) showTotal = showPerCpu = true;
  const stats = (nparams: number, start: number, ncpus: number) =>
    orFail(`Failed to retrieve CPU statistics for domain '${dom.name}'`, () => raw.domainGetCPUStats(dom, nparams, start, ncpus, STRING_OKAY));
  if (showPerCpu) {
    const maxId = (await stats(0, 0, 0)).nparams;
    cpu ??= 0;
    if (cpu >= maxId) throw new CliError([`Start CPU ${cpu} is out of range (min: 0, max: ${maxId - 1})`]);
    if (count === undefined || count > maxId) {
      if (count !== undefined) ctx.print(`Only ${maxId} CPUs available to show\n`);
      count = maxId - cpu;
    }
    const nparams = (await stats(0, 0, 1)).nparams;
    if (!nparams) {
      ctx.print('No per-CPU stats available');
      if (!showTotal) return;
    } else {
      while (count > 0) {
        const ncpus = Math.min(count, 128);
        const got = (await stats(nparams, cpu, ncpus)).params;
        for (let i = 0; i < ncpus; i++) {
          const slice = got.slice(i * nparams, (i + 1) * nparams);
          if (!slice.length) continue;
          ctx.print(`CPU${cpu + i}:\n${slice.map(cpuStatsField).join('')}`);
        }
        cpu += ncpus;
        count -= ncpus;
      }
      if (!showTotal) return;
    }
  }
  const n = (await stats(0, -1, 1)).nparams;
  if (!n) {
    ctx.print('No total stats available');
    return;
  }
  const total = (await stats(n, -1, 1)).params;
  ctx.print(`Total:\n${total.map(cpuStatsField).join('')}`);
}

// --- vCPUs, emulator and IOThreads ----------------------------------------------------------

/** virshCPUCountCollect for vcpupin: the maximum vCPU count (-1 when the domain cannot have one). */
async function maxVcpus(ctx: CommandContext, dom: RemoteNonnullDomain, flags: number): Promise<number> {
  const raw = ctx.conn.raw;
  if (
    (flags & VIR_DOMAIN_AFFECT_LIVE && (await raw.domainIsActive(dom)) < 1) ||
    (flags & VIR_DOMAIN_AFFECT_CONFIG && (await raw.domainIsPersistent(dom)) < 1)
  ) {
    return -1;
  }
  return raw.domainGetVcpusFlags(dom, flags | VIR_DOMAIN_VCPU_MAXIMUM);
}

async function vcpupin(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const cpulist = opts.string('cpulist');
  if (cpulist === undefined) exclusive(opts, ['live', 'config']);
  const vcpu = smallNumberOpt(opts, 'vcpu', 'uint');
  if (cpulist !== undefined && vcpu === undefined) throw new CliError(['vcpupin: Missing vCPU number in pin mode.']);
  const maxcpu = await nodeCpuCount(ctx.conn);
  const dom = await domainOf(ctx, opts);
  const raw = ctx.conn.raw;
  if (cpulist === undefined) {
    const ncpus = await maxVcpus(ctx, dom, flags);
    if (ncpus < 0) {
      throw new CliError([flags & VIR_DOMAIN_AFFECT_LIVE ? 'cannot get vcpupin for offline domain' : 'cannot get vcpupin for transient domain']);
    }
    if (vcpu !== undefined && vcpu >= ncpus) {
      const live = flags & VIR_DOMAIN_AFFECT_LIVE || (!(flags & VIR_DOMAIN_AFFECT_CONFIG) && (await raw.domainIsActive(dom)) === 1);
      throw new CliError([`vcpu ${vcpu} is out of range of ${live ? 'live' : 'persistent'} cpu count ${ncpus}`]);
    }
    const maplen = (maxcpu + 7) >> 3;
    const pins = await raw.domainGetVcpuPinInfo(dom, ncpus, maplen, flags);
    const rows: string[][] = [];
    for (let i = 0; i < pins.num; i++) {
      if (vcpu !== undefined && i !== vcpu) continue;
      rows.push([String(i), formatCpuMap(pins.cpumaps, i * maplen, maplen)]);
    }
    ctx.print(formatTable(['VCPU', 'CPU Affinity'], rows, ctx.quiet));
    return;
  }
  const map = parseCpuList(cpulist, maxcpu);
  // Without --config/--live/--current virsh uses the old call.
  if (flags === 0 && !opts.bool('current')) await raw.domainPinVcpu(dom, vcpu!, map);
  else await raw.domainPinVcpuFlags(dom, vcpu!, map, flags);
}

async function emulatorpin(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const none = !opts.bool('current') && !opts.bool('live') && !opts.bool('config');
  const dom = await domainOf(ctx, opts);
  const cpulist = opts.string('cpulist');
  const maxcpu = await nodeCpuCount(ctx.conn);
  const raw = ctx.conn.raw;
  if (cpulist === undefined) {
    const maplen = (maxcpu + 7) >> 3;
    const info = await raw.domainGetEmulatorPinInfo(dom, maplen, flags);
    if (!ctx.quiet) ctx.print('emulator: CPU Affinity\n----------------------------------\n       *: ');
    ctx.print(`${formatCpuMap(info.cpumaps, 0, maplen)}\n`);
    return;
  }
  const map = parseCpuList(cpulist, maxcpu);
  // With none of --config/--live/--current, pinning affects the running domain.
  await raw.domainPinEmulator(dom, map, none ? VIR_DOMAIN_AFFECT_LIVE : flags);
}

async function setvcpu(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  exclusive(opts, ['enable', 'disable'], ['current', 'live'], ['current', 'config']);
  const flags = affectFlags(opts);
  if (!opts.bool('enable') && !opts.bool('disable')) throw new CliError(['one of --enable, --disable is required']);
  const vcpulist = strArg(opts, 'vcpulist');
  const dom = await domainOf(ctx, opts);
  await ctx.conn.raw.domainSetVcpu(dom, vcpulist, opts.bool('enable') ? 1 : 0, flags);
}

async function guestvcpus(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  exclusive(opts, ['enable', 'disable']);
  requireOption(opts, 'enable', 'cpulist');
  requireOption(opts, 'disable', 'cpulist');
  const cpulist = strOpt(opts, 'cpulist');
  if (cpulist !== undefined && !opts.bool('enable') && !opts.bool('disable')) {
    throw new CliError(['One of options --enable or --disable is required by option --cpulist']);
  }
  const dom = await domainOf(ctx, opts);
  if (cpulist !== undefined) await ctx.conn.raw.domainSetGuestVcpus(dom, cpulist, opts.bool('enable') ? 1 : 0, 0);
  else printParams(ctx, await ctx.conn.raw.domainGetGuestVcpus(dom, 0));
}

/** An IOThread id option: a positive `int` (virsh's `Invalid IOThread id value`). */
function iothreadId(opts: ParsedOptions): number {
  const id = smallNumberOpt(opts, 'id', 'int') ?? 0;
  if (id <= 0) throw new CliError([`Invalid IOThread id value: '${id}'`]);
  return id;
}

async function iothreadinfo(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const dom = await domainOf(ctx, opts);
  const info = await orFail('Unable to get domain IOThreads information', () => ctx.conn.raw.domainGetIOThreadInfo(dom, flags));
  if (!info.info.length) {
    if (!ctx.quiet) ctx.print('No IOThreads found for the domain');
    return;
  }
  const rows = info.info.map((t) => [String(t.iothread_id), formatCpuMap(t.cpumap)]);
  ctx.print(formatTable(['IOThread ID', 'CPU Affinity'], rows, ctx.quiet));
}

async function iothreadpin(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const dom = await domainOf(ctx, opts);
  const id = smallNumberOpt(opts, 'iothread', 'uint') ?? 0;
  const cpulist = strArg(opts, 'cpulist');
  const map = parseCpuList(cpulist, await nodeCpuCount(ctx.conn));
  await ctx.conn.raw.domainPinIOThread(dom, id, map, flags);
}

async function iothreadAddDel(ctx: CommandContext, opts: ParsedOptions, add: boolean): Promise<void> {
  const flags = affectFlags(opts);
  const dom = await domainOf(ctx, opts);
  const id = iothreadId(opts);
  if (add) await ctx.conn.raw.domainAddIOThread(dom, id, flags);
  else await ctx.conn.raw.domainDelIOThread(dom, id, flags);
}

async function iothreadset(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const dom = await domainOf(ctx, opts);
  const id = iothreadId(opts);
  const params: RemoteTypedParam[] = [];
  const pollMax = numberOpt(opts, 'poll-max-ns', 'ullong');
  if (pollMax !== undefined) params.push(param.ullong('poll_max_ns', pollMax));
  for (const [opt, field] of [
    ['poll-grow', 'poll_grow'],
    ['poll-shrink', 'poll_shrink'],
  ]) {
    const v = smallNumberOpt(opts, opt, 'uint');
    if (v !== undefined) params.push(param.uint(field, v));
  }
  for (const [opt, field] of [
    ['thread-pool-min', 'thread_pool_min'],
    ['thread-pool-max', 'thread_pool_max'],
  ]) {
    const v = smallNumberOpt(opts, opt, 'int');
    if (v !== undefined) params.push(param.int(field, v));
  }
  if (!params.length) throw new CliError(['Not enough arguments passed, nothing to set']);
  await ctx.conn.raw.domainSetIOThreadParams(dom, id, params, flags);
}

/** The commands of this group. */
export const cpuCommands: readonly CommandSpec[] = [
  domainCommand({
    name: 'cpu-stats',
    help: 'show domain cpu statistics',
    description: "Display per-CPU and total statistics about the domain's CPUs",
    options: [
      flag('total', 'Show total statistics only'),
      valueOpt('start', 'int', 'Show statistics from this CPU'),
      valueOpt('count', 'int', 'Number of shown CPUs at most'),
    ],
    run: cpuStats,
  }),
  domainCommand({
    name: 'vcpupin',
    help: 'control or query domain vcpu affinity',
    description: 'Pin domain VCPUs to host physical CPUs.',
    options: [valueOpt('vcpu', 'int', 'vcpu number'), valueOpt('cpulist', 'string', 'host cpu number(s) to set, or omit option to query'), ...AFFECT_OPTS],
    run: vcpupin,
  }),
  domainCommand({
    name: 'emulatorpin',
    help: 'control or query domain emulator affinity',
    description: 'Pin domain emulator threads to host physical CPUs.',
    options: [valueOpt('cpulist', 'string', 'host cpu number(s) to set, or omit option to query'), ...AFFECT_OPTS],
    run: emulatorpin,
  }),
  domainCommand({
    name: 'setvcpu',
    help: 'attach/detach vcpu or groups of threads',
    description: 'Add or remove vcpus',
    options: [
      valueOpt('vcpulist', 'string', 'ids of vcpus to manipulate', { required: true }),
      flag('enable', 'enable cpus specified by cpumap'),
      flag('disable', 'disable cpus specified by cpumap'),
      ...AFFECT_OPTS,
    ],
    run: setvcpu,
  }),
  domainCommand({
    name: 'guestvcpus',
    help: 'query or modify state of vcpu in the guest (via agent)',
    description: "Use the guest agent to query or set cpu state from guest's point of view",
    options: [
      valueOpt('cpulist', 'string', 'list of cpus to enable or disable'),
      flag('enable', 'enable cpus specified by cpulist'),
      flag('disable', 'disable cpus specified by cpulist'),
    ],
    run: guestvcpus,
  }),
  domainCommand({
    name: 'iothreadinfo',
    help: 'view domain IOThreads',
    description: 'Returns basic information about the domain IOThreads.',
    options: AFFECT_OPTS,
    run: iothreadinfo,
  }),
  domainCommand({
    name: 'iothreadpin',
    help: 'control domain IOThread affinity',
    description: 'Pin domain IOThreads to host physical CPUs.',
    options: [
      valueOpt('iothread', 'int', 'IOThread ID number', { required: true }),
      valueOpt('cpulist', 'string', 'host cpu number(s) to set', { required: true }),
      ...AFFECT_OPTS,
    ],
    run: iothreadpin,
  }),
  domainCommand({
    name: 'iothreadadd',
    help: 'add an IOThread to the guest domain',
    description: 'Add an IOThread to the guest domain.',
    options: [valueOpt('id', 'int', 'iothread for the new IOThread', { required: true }), ...AFFECT_OPTS],
    run: (ctx, opts) => iothreadAddDel(ctx, opts, true),
  }),
  domainCommand({
    name: 'iothreadset',
    help: 'modifies an existing IOThread of the guest domain',
    description: 'Modifies an existing IOThread of the guest domain.',
    options: [
      valueOpt('id', 'int', 'iothread id of existing IOThread', { required: true }),
      valueOpt('poll-max-ns', 'int', 'set the maximum IOThread polling time in ns'),
      valueOpt('poll-grow', 'int', 'set the value to increase the IOThread polling time'),
      valueOpt('poll-shrink', 'int', 'set the value for reduction of the IOThread polling time'),
      valueOpt('thread-pool-min', 'int', 'lower boundary for worker thread pool'),
      valueOpt('thread-pool-max', 'int', 'upper boundary for worker thread pool'),
      ...AFFECT_OPTS,
    ],
    run: iothreadset,
  }),
  domainCommand({
    name: 'iothreaddel',
    help: 'delete an IOThread from the guest domain',
    description: 'Delete an IOThread from the guest domain.',
    options: [valueOpt('id', 'int', 'iothread_id for the IOThread to delete', { required: true }), ...AFFECT_OPTS],
    run: (ctx, opts) => iothreadAddDel(ctx, opts, false),
  }),
];
