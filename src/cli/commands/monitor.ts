/**
 * Domain monitoring commands (vcpuinfo, vcpucount, dommemstat, domblklist,
 * domiflist, domblkstat, domifstat, domcontrol, domtime, domhostname,
 * domstats, domblkinfo, domblkerror, domifaddr, domif-getlink), with
 * virsh's output (tools/virsh-domain-monitor.c, tools/virsh-domain.c).
 * Those about disks and interfaces are run by monitor-devices.ts; this
 * module lists every one and runs the others.
 */
import { domainControlStateName, vcpuStateName } from '../../api/names.js';
import {
  VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING,
  VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS,
  VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT,
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_VCPU_GUEST,
  VIR_DOMAIN_VCPU_MAXIMUM,
  VIR_DOMAIN_STATS_BALLOON,
  VIR_DOMAIN_STATS_BLOCK,
  VIR_DOMAIN_STATS_CPU_TOTAL,
  VIR_DOMAIN_STATS_DIRTYRATE,
  VIR_DOMAIN_STATS_INTERFACE,
  VIR_DOMAIN_STATS_IOTHREAD,
  VIR_DOMAIN_STATS_MEMORY,
  VIR_DOMAIN_STATS_PERF,
  VIR_DOMAIN_STATS_STATE,
  VIR_DOMAIN_STATS_VCPU,
  VIR_DOMAIN_STATS_VM,
  VIR_DOMAIN_GET_HOSTNAME_AGENT,
  VIR_DOMAIN_GET_HOSTNAME_LEASE,
  VIR_DOMAIN_TIME_SYNC,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { call, orFail, vshFail } from '../support/failures.js';
import { flag, valueOpt, argvOpt, DOMAIN, AFFECT_OPTS, affectFlags, exclusive, strOpt, strArg, aliasOpt } from '../support/options.js';
import { numberOpt, smallNumberOpt } from '../support/numbers.js';
import { paramText } from '../support/params.js';
import { formatAffinity } from '../support/cpumap.js';
import { field } from '../support/format.js';
import { printJson, wantsJson } from '../support/json-output.js';
import { wireParamValue } from '../../api/values.js';
import { lookupDomain } from '../support/lookup.js';
import { domblkerror, domblkinfo, domblklist, domblkstat, domifaddr, domifGetlink, domifstat, domiflist } from './monitor-devices.js';

/** The monitoring commands virsh files under Domain Management (its `help` shows them there). */
const MANAGEMENT_GROUP = new Set(['vcpuinfo', 'vcpucount', 'domhostname']);

/** A monitoring command on one domain: `check` reads the options first, then the domain is looked up and `run` gets it. */
function monitor(spec: {
  readonly name: string;
  readonly help: string;
  readonly description?: string;
  readonly options: readonly OptionSpec[];
  readonly run: (ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions) => Promise<void>;
  readonly check?: (opts: ParsedOptions) => void;
  readonly extensions?: CommandSpec['extensions'];
}): CommandSpec {
  return {
    name: spec.name,
    group: MANAGEMENT_GROUP.has(spec.name) ? 'Domain Management' : 'Domain Monitoring',
    help: spec.help,
    description: spec.description,
    options: [DOMAIN, ...spec.options],
    ...(spec.extensions ? { extensions: spec.extensions } : {}),
    async run(ctx, opts) {
      spec.check?.(opts);
      await spec.run(ctx, await lookupDomain(ctx.conn, opts.required('domain')), opts);
    },
  };
}

async function vcpuinfo(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const raw = ctx.conn.raw;
  const pretty = opts.bool('pretty');
  const info = await raw.domainGetInfo(dom);
  const maxcpu = (await raw.nodeGetCPUMap(0, 0, 0)).ret;
  const maplen = (maxcpu + 7) >> 3;
  let blocks: string[];
  let records: Record<string, unknown>[];
  try {
    const { info: vcpus, cpumaps } = await raw.domainGetVcpus(dom, info.nrVirtCpu, maplen);
    records = vcpus.map((v, i) => ({
      vcpu: v.number,
      cpu: v.cpu,
      state: vcpuStateName(v.state),
      cpu_time: Number(v.cpu_time) / 1e9,
      affinity: formatAffinity(cpumaps, i * maplen, maxcpu, pretty),
    }));
    blocks = vcpus.map(
      (v, i) =>
        field('VCPU:', v.number) +
        field('CPU:', v.cpu) +
        field('State:', vcpuStateName(v.state)) +
        field('CPU time:', `${(Number(v.cpu_time) / 1e9).toFixed(1)}s`) +
        field('CPU Affinity:', formatAffinity(cpumaps, i * maplen, maxcpu, pretty)),
    );
  } catch (err) {
    // An inactive domain has no vCPU threads: virsh shows the configured pinning.
    if (!(err instanceof LibvirtError) || err.code !== 'VIR_ERR_OPERATION_INVALID') throw err;
    const pins = await raw.domainGetVcpuPinInfo(dom, info.nrVirtCpu, maplen, VIR_DOMAIN_AFFECT_CONFIG);
    records = Array.from({ length: pins.num }, (_, i) => ({
      vcpu: i,
      cpu: null,
      state: null,
      cpu_time: null,
      affinity: formatAffinity(pins.cpumaps, i * maplen, maxcpu, pretty),
    }));
    blocks = Array.from(
      { length: pins.num },
      (_, i) =>
        field('VCPU:', i) +
        field('CPU:', 'N/A') +
        field('State:', 'N/A') +
        field('CPU time', 'N/A') +
        field('CPU Affinity:', formatAffinity(pins.cpumaps, i * maplen, maxcpu, pretty)),
    );
  }
  if (wantsJson(opts)) printJson(ctx, records);
  else ctx.print(blocks.join('\n'));
}

async function vcpucount(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const raw = ctx.conn.raw;
  const [maximum, live, config, guest] = ['maximum', 'live', 'config', 'guest'].map((n) => opts.bool(n));
  const single = maximum || live || config || guest || opts.bool('active') || opts.bool('current');
  if (single) {
    let flags = 0;
    if (maximum) flags |= VIR_DOMAIN_VCPU_MAXIMUM;
    if (live) flags |= VIR_DOMAIN_AFFECT_LIVE;
    if (config) flags |= VIR_DOMAIN_AFFECT_CONFIG;
    if (guest) flags |= VIR_DOMAIN_VCPU_GUEST;
    try {
      ctx.print(`${await raw.domainGetVcpusFlags(dom, flags)}\n`);
    } catch (err) {
      if (guest) throw vshFail('Failed to retrieve vCPU count from the guest', err);
      throw err;
    }
    return;
  }
  const active = (await raw.domainIsActive(dom)) === 1;
  const rows: [string, string, number][] = [
    ['maximum', 'config', VIR_DOMAIN_VCPU_MAXIMUM | VIR_DOMAIN_AFFECT_CONFIG],
    ['maximum', 'live', VIR_DOMAIN_VCPU_MAXIMUM | VIR_DOMAIN_AFFECT_LIVE],
    ['current', 'config', VIR_DOMAIN_AFFECT_CONFIG],
    ['current', 'live', VIR_DOMAIN_AFFECT_LIVE],
  ];
  for (const [what, where, flags] of rows) {
    if (where === 'live' && !active) continue;
    ctx.print(`${what.padEnd(12)} ${where.padEnd(12)} ${String(await raw.domainGetVcpusFlags(dom, flags)).padStart(3)}\n`);
  }
}

const MEMORY_STATS = [
  'swap_in',
  'swap_out',
  'major_fault',
  'minor_fault',
  'unused',
  'available',
  'actual',
  'rss',
  'usable',
  'last_update',
  'disk_caches',
  'hugetlb_pgalloc',
  'hugetlb_pgfail',
];

/**
 * dommemstat (cmdDomMemStat): the balloon's statistics, or with `--period`
 * the collection period set (for the running domain when it runs and no
 * --config/--live/--current says otherwise).
 */
async function dommemstat(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  let flags = affectFlags(opts);
  const text = opts.required('domain');
  const dom = await lookupDomain(ctx.conn, text);
  const raw = ctx.conn.raw;
  if (!opts.bool('current') && !opts.bool('live') && !opts.bool('config') && (await raw.domainIsActive(dom).catch(() => -1)) === 1) {
    flags |= VIR_DOMAIN_AFFECT_LIVE;
  }
  const period = smallNumberOpt(opts, 'period', 'int');
  if (period !== undefined) {
    if (period < 0) throw new CliError([`Invalid collection period value '${period}'`]);
    await orFail('Unable to change balloon collection period.', () => raw.domainSetMemoryStatsPeriod(dom, period, flags));
    return;
  }
  let stats: Awaited<ReturnType<typeof raw.domainMemoryStats>>;
  try {
    stats = await raw.domainMemoryStats(dom, MEMORY_STATS.length, 0);
  } catch (err) {
    throw vshFail(`Failed to get memory statistics for domain ${text}`, err);
  }
  const known = stats.filter((s) => MEMORY_STATS[s.tag] !== undefined);
  if (wantsJson(opts)) printJson(ctx, Object.fromEntries(known.map((s) => [MEMORY_STATS[s.tag], s.val])));
  else for (const s of known) ctx.print(`${MEMORY_STATS[s.tag]} ${s.val}\n`);
}

const CONTROL_ERRORS = ['', 'unknown', 'monitor failure', 'internal (locking) error'];

async function domcontrol(ctx: CommandContext, dom: RemoteNonnullDomain): Promise<void> {
  const info = await ctx.conn.raw.domainGetControlInfo(dom, 0);
  const state = domainControlStateName(info.state);
  if (info.state !== 0 && info.state !== 3) ctx.print(`${state} (${(Number(info.stateTime) / 1000).toFixed(3)}s)\n`);
  else if (info.state === 3 && info.details > 0) ctx.print(`${state}: ${CONTROL_ERRORS[info.details] ?? 'unknown'}\n`);
  else ctx.print(`${state}\n`);
}

/** domtime (cmdDomTime): the guest's time, or set it (`--time`, `--now`) or have it synced from its RTC (`--sync`). */
async function domtime(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const now = opts.bool('now');
  const sync = opts.bool('sync');
  const time = numberOpt(opts, 'time', 'llong');
  if (time !== undefined || now || sync) {
    const seconds = now ? BigInt(Math.floor(Date.now() / 1000)) : (time ?? 0n);
    await call(() => ctx.conn.raw.domainSetTime(dom, seconds, 0, sync ? VIR_DOMAIN_TIME_SYNC : 0));
    return;
  }
  const { seconds } = await call(() => ctx.conn.raw.domainGetTime(dom, 0));
  // virsh leaves the line to its closing newline.
  if (!opts.bool('pretty')) ctx.print(`Time: ${seconds}`);
  else ctx.print(`Time: ${new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace('T', ' ')}`);
}

/** Where domhostname asks (virshDomainHostnameSource): the guest agent or the DHCP leases. */
const HOSTNAME_SOURCES: Readonly<Record<string, number>> = { agent: VIR_DOMAIN_GET_HOSTNAME_AGENT, lease: VIR_DOMAIN_GET_HOSTNAME_LEASE };

async function domhostname(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const source = strOpt(opts, 'source');
  let flags = 0;
  if (source !== undefined) {
    if (!Object.hasOwn(HOSTNAME_SOURCES, source)) throw new CliError([`Unknown data source '${source}'`]);
    flags = HOSTNAME_SOURCES[source];
  }
  let name: string;
  try {
    name = await ctx.conn.raw.domainGetHostname(dom, flags);
  } catch (err) {
    throw vshFail('failed to get hostname', err);
  }
  ctx.print(`${name}\n`);
}

// --- domstats -------------------------------------------------------------------------------

/** domstats' statistics groups: [option, VIR_DOMAIN_STATS_* bit, help]. */
const STATS_GROUPS: readonly (readonly [string, number, string])[] = [
  ['state', VIR_DOMAIN_STATS_STATE, 'report domain state'],
  ['cpu-total', VIR_DOMAIN_STATS_CPU_TOTAL, 'report domain physical cpu usage'],
  ['balloon', VIR_DOMAIN_STATS_BALLOON, 'report domain balloon statistics'],
  ['vcpu', VIR_DOMAIN_STATS_VCPU, 'report domain virtual cpu information'],
  ['interface', VIR_DOMAIN_STATS_INTERFACE, 'report domain network interface information'],
  ['block', VIR_DOMAIN_STATS_BLOCK, 'report domain block device statistics'],
  ['perf', VIR_DOMAIN_STATS_PERF, 'report domain perf event statistics'],
  ['iothread', VIR_DOMAIN_STATS_IOTHREAD, 'report domain IOThread information'],
  ['memory', VIR_DOMAIN_STATS_MEMORY, 'report domain memory usage'],
  ['dirtyrate', VIR_DOMAIN_STATS_DIRTYRATE, 'report domain dirty rate information'],
  ['vm', VIR_DOMAIN_STATS_VM, 'report hypervisor-specific statistics'],
];

/**
 * domstats' domain filters and flags: [option, VIR_CONNECT_GET_ALL_DOMAINS_STATS_* bit, help].
 * The filter bits are the VIR_CONNECT_LIST_DOMAINS_* ones (spelled out: the generated
 * constants derived from them are not numbers).
 */
const STATS_FLAGS: readonly (readonly [string, number, string])[] = [
  ['list-active', 1, 'list only active domains'],
  ['list-inactive', 2, 'list only inactive domains'],
  ['list-persistent', 4, 'list only persistent domains'],
  ['list-transient', 8, 'list only transient domains'],
  ['list-running', 16, 'list only running domains'],
  ['list-paused', 32, 'list only paused domains'],
  ['list-shutoff', 64, 'list only shutoff domains'],
  ['list-other', 128, 'list only domains in other states'],
  ['raw', 0, 'do not pretty-print the fields'],
  ['enforce', VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS, 'enforce requested stats parameters'],
  ['backing', VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING, 'add backing chain information to block stats'],
  ['nowait', VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT, 'report only stats that are accessible instantly'],
];

const domstats: CommandSpec = {
  name: 'domstats',
  group: 'Domain Monitoring',
  help: 'get statistics about one or multiple domains',
  description: 'Gets statistics about one or more (or all) domains',
  options: [...[...STATS_GROUPS, ...STATS_FLAGS].map(([name, , help]) => flag(name, help)), argvOpt('domain', 'list of domains to get stats for')],
  extensions: ['json'],
  async run(ctx, opts) {
    const stats = STATS_GROUPS.reduce((s, [o, bit]) => (opts.bool(o) ? s | bit : s), 0);
    // The flags use the top bits of an unsigned int: keep the sum unsigned.
    const flags = STATS_FLAGS.reduce((f, [o, bit]) => (opts.bool(o) ? f + bit : f), 0);
    const doms: RemoteNonnullDomain[] = [];
    for (const name of opts.list('domain')) doms.push(await lookupDomain(ctx.conn, name));
    // --raw changes nothing: virsh 9.0 has no pretty printing yet.
    const records = await ctx.conn.raw.connectGetAllDomainStats(doms, stats, flags);
    if (wantsJson(opts)) {
      printJson(
        ctx,
        records.map((r) => ({ domain: r.dom.name, stats: Object.fromEntries(r.params.map((p) => [p.field, wireParamValue(p.value)])) })),
      );
      return;
    }
    ctx.print(records.map((r) => `Domain: '${r.dom.name}'\n${r.params.map((p) => `  ${p.field}=${paramText(p.value)}\n`).join('')}`).join('\n'));
  },
};

/** Domain monitoring commands. */
export const monitorCommands: readonly CommandSpec[] = [
  monitor({
    name: 'vcpuinfo',
    extensions: ['json'],
    help: 'detailed domain vcpu information',
    description: 'Returns basic information about the domain virtual CPUs.',
    options: [flag('pretty', 'return human readable output')],
    run: vcpuinfo,
  }),
  monitor({
    name: 'vcpucount',
    help: 'domain vcpu counts',
    description: 'Returns the number of virtual CPUs used by the domain.',
    options: [
      flag('maximum', 'get maximum count of vcpus'),
      flag('active', 'get number of currently active vcpus'),
      flag('live', 'get value from running domain'),
      flag('config', 'get value to be used on next boot'),
      flag('current', 'get value according to current domain state'),
      flag('guest', 'retrieve vcpu count from the guest instead of the hypervisor'),
    ],
    run: vcpucount,
    check: (opts) => exclusive(opts, ['current', 'live'], ['current', 'config'], ['live', 'config'], ['active', 'maximum'], ['guest', 'config']),
  }),
  {
    name: 'dommemstat',
    group: 'Domain Monitoring',
    help: 'get memory statistics for a domain',
    description: 'Get memory statistics for a running domain.',
    options: [DOMAIN, valueOpt('period', 'int', 'period in seconds to set collection', { named: true }), ...AFFECT_OPTS],
    run: dommemstat,
    extensions: ['json'],
  },
  monitor({
    name: 'domblklist',
    extensions: ['json'],
    help: 'list all domain blocks',
    description: 'Get the summary of block devices for a domain.',
    options: [flag('inactive', 'get inactive rather than running configuration'), flag('details', 'additionally display the type and device value')],
    run: domblklist,
  }),
  monitor({
    name: 'domiflist',
    extensions: ['json'],
    help: 'list all domain virtual interfaces',
    description: 'Get the summary of virtual interfaces for a domain.',
    options: [flag('inactive', 'get inactive rather than running configuration')],
    run: domiflist,
  }),
  monitor({
    name: 'domblkstat',
    extensions: ['json'],
    help: 'get device block stats for a domain',
    description: 'Get device block stats for a running domain. See man page or use --human for explanation of fields',
    options: [valueOpt('device', 'string', 'block device'), flag('human', 'print a more human readable output')],
    run: domblkstat,
  }),
  monitor({
    name: 'domifstat',
    extensions: ['json'],
    help: 'get network interface stats for a domain',
    description: 'Get network interface stats for a running domain.',
    options: [valueOpt('interface', 'string', 'interface device specified by name or MAC Address', { required: true })],
    run: domifstat,
  }),
  monitor({
    name: 'domcontrol',
    help: 'domain control interface state',
    description: 'Returns state of a control interface to the domain.',
    options: [],
    run: domcontrol,
  }),
  monitor({
    name: 'domtime',
    help: 'domain time',
    description: "Gets or sets the domain's system time",
    options: [
      flag('now', 'set to the time of the host running virsh'),
      flag('pretty', "print domain's time in human readable form"),
      flag('sync', "instead of setting given time, synchronize from domain's RTC"),
      valueOpt('time', 'int', 'time to set'),
    ],
    run: domtime,
    check: (opts) => exclusive(opts, ['time', 'now'], ['time', 'sync'], ['now', 'sync']),
  }),
  monitor({
    name: 'domhostname',
    help: "print the domain's hostname",
    options: [valueOpt('source', 'string', "address source: 'lease' or 'agent'")],
    run: domhostname,
  }),
  domstats,
  monitor({
    name: 'domblkinfo',
    extensions: ['json'],
    help: 'domain block device size information',
    description: 'Get block device size info for a domain.',
    options: [valueOpt('device', 'string', 'block device'), flag('human', 'Human readable output'), flag('all', 'display all block devices info')],
    run: domblkinfo,
    check: (opts) => {
      if (opts.bool('all') && opts.string('device') !== undefined) throw new CliError(['Options --all and --device are mutually exclusive']);
    },
  }),
  monitor({ name: 'domblkerror', help: 'Show errors on block devices', description: 'Show block device errors', options: [], run: domblkerror }),
  domifaddr,
  monitor({
    name: 'domif-getlink',
    help: 'get link state of a virtual interface',
    description: "Get link state of a domain's virtual interface.",
    options: [
      valueOpt('interface', 'string', 'interface device (MAC Address)', { required: true }),
      aliasOpt('persistent', 'bool', 'config'),
      flag('config', 'Get persistent interface state'),
    ],
    run: domifGetlink,
    check: (opts) => void strArg(opts, 'interface'),
  }),
];
