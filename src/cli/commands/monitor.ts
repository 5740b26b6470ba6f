/**
 * Domain monitoring commands (vcpuinfo, vcpucount, dommemstat, domblklist,
 * domiflist, domblkstat, domifstat, domcontrol, domtime, domhostname,
 * domstats, domblkinfo, domblkerror, domifaddr, domif-getlink), with
 * virsh's output (tools/virsh-domain-monitor.c, tools/virsh-domain.c).
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
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_GET_HOSTNAME_AGENT,
  VIR_DOMAIN_GET_HOSTNAME_LEASE,
  VIR_DOMAIN_TIME_SYNC,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { DISK_WITHOUT_DETAILS, type DomainDiskRow, type DomainInterfaceRow, domainDisks, domainInterfaces } from '../../api/domain-devices.js';
import { parseXml, xmlAll, xmlFirst, XmlErrorCode, XmlReadError, type XmlElement } from '../../api/xml/reader.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { call, orFail, isLibvirtError, vshFail } from '../support/failures.js';
import { flag, valueOpt, argvOpt, DOMAIN, AFFECT_OPTS, affectFlags, exclusive, strOpt, strArg, isMacAddress, aliasOpt } from '../support/options.js';
import { numberOpt, smallNumberOpt } from '../support/numbers.js';
import { paramText } from '../support/params.js';
import { formatAffinity } from '../support/cpumap.js';
import { field, prettyCapacity3 } from '../support/format.js';
import { formatTable } from '../support/table.js';
import { jsonNumber, printJson, wantsJson } from '../support/json-output.js';
import { wireParamValue } from '../../api/values.js';
import { lookupDomain } from '../support/lookup.js';
import { ADDRESS_SOURCES } from '../support/enum-names.js';

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

async function domainXml(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<XmlElement> {
  return parseXml(await ctx.conn.raw.domainGetXMLDesc(dom, opts.bool('inactive') ? VIR_DOMAIN_XML_INACTIVE : 0));
}

async function domblklist(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const details = opts.bool('details');
  let disks: DomainDiskRow[];
  try {
    disks = domainDisks(await domainXml(ctx, dom, opts), { details });
  } catch (err) {
    if (!(err instanceof XmlReadError) || err.code !== XmlErrorCode.CONTENT) throw err;
    // virsh prints this one with vshPrint (stdout, no newline) and fails without an error line.
    if (err.message === DISK_WITHOUT_DETAILS) {
      ctx.print(err.message);
      throw new CliError([]);
    }
    throw new CliError([err.message.replace(/^(Unable to query NVMe disk address):.*$/s, '$1')]);
  }
  if (wantsJson(opts)) {
    printJson(
      ctx,
      disks.map(({ type, device, target, source }) =>
        details ? { type: type ?? null, device: device ?? null, target, source: source ?? null } : { target, source: source ?? null },
      ),
    );
    return;
  }
  const rows = disks.map(({ type, device, target, source }) => (details ? [type ?? '', device ?? '', target, source ?? '-'] : [target, source ?? '-']));
  ctx.print(formatTable(details ? ['Type', 'Device', 'Target', 'Source'] : ['Target', 'Source'], rows, ctx.quiet));
}

async function domiflist(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  let nics: DomainInterfaceRow[];
  try {
    nics = domainInterfaces(await domainXml(ctx, dom, opts));
  } catch (err) {
    if (!(err instanceof XmlReadError) || err.code !== XmlErrorCode.CONTENT) throw err;
    // virsh's table refuses the row a missing type cuts short.
    throw new CliError(['Incorrect number of cells in a table row']);
  }
  if (wantsJson(opts)) {
    printJson(
      ctx,
      nics.map((n) => ({ interface: n.interface ?? null, type: n.type, source: n.source ?? null, model: n.model ?? null, mac: n.mac ?? null })),
    );
    return;
  }
  const rows = nics.map((n) => [n.interface ?? '-', n.type, n.source ?? '-', n.model ?? '-', n.mac ?? '-']);
  ctx.print(formatTable(['Interface', 'Type', 'Source', 'Model', 'MAC'], rows, ctx.quiet));
}

const BLOCK_STATS: readonly (readonly [string, string])[] = [
  ['rd_req', 'number of read operations:'],
  ['rd_bytes', 'number of bytes read:'],
  ['wr_req', 'number of write operations:'],
  ['wr_bytes', 'number of bytes written:'],
  ['errs', 'error count:'],
];

async function domblkstat(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const device = opts.string('device') ?? '';
  const human = opts.bool('human');
  try {
    await ctx.conn.raw.domainBlockStatsFlags(dom, device, 0, 0);
    // The typed-parameter form is not printed yet: only drivers without it (the legacy form) are.
    throw new CliError(['domblkstat: typed block statistics are not supported by tsvirsh yet']);
  } catch (err) {
    if (!(err instanceof LibvirtError) || err.code !== 'VIR_ERR_NO_SUPPORT') throw err;
  }
  let stats: Record<string, bigint>;
  try {
    stats = { ...(await ctx.conn.raw.domainBlockStats(dom, device)) };
  } catch (err) {
    throw vshFail(`Failed to get block stats ${dom.name} ${device}`, err);
  }
  if (wantsJson(opts)) {
    printJson(ctx, { device, ...Object.fromEntries(BLOCK_STATS.filter(([key]) => stats[key] >= 0n).map(([key]) => [key, stats[key]])) });
    return;
  }
  let prefix = device;
  if (human) {
    ctx.print(`Device: ${device}\n`);
    prefix = '';
  }
  for (const [key, label] of BLOCK_STATS) {
    if (stats[key] >= 0n) ctx.print(`${prefix} ${human ? label.padEnd(31) : key} ${stats[key]}\n`);
  }
}

const IF_STATS = ['rx_bytes', 'rx_packets', 'rx_errs', 'rx_drop', 'tx_bytes', 'tx_packets', 'tx_errs', 'tx_drop'] as const;

async function domifstat(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const device = opts.required('interface');
  let stats: Awaited<ReturnType<typeof ctx.conn.raw.domainInterfaceStats>>;
  try {
    stats = await ctx.conn.raw.domainInterfaceStats(dom, device);
  } catch (err) {
    throw vshFail(`Failed to get interface stats ${dom.name} ${device}`, err);
  }
  const present = IF_STATS.filter((key) => stats[key] >= 0n);
  if (wantsJson(opts)) printJson(ctx, { interface: device, ...Object.fromEntries(present.map((key) => [key, stats[key]])) });
  else for (const key of present) ctx.print(`${device} ${key} ${stats[key]}\n`);
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

// --- domblkinfo, domblkerror ----------------------------------------------------------------

/** Capacity, allocation and physical size as domblkinfo prints them (`-` when all are zero). */
function blockSizes(info: { capacity: bigint; allocation: bigint; physical: bigint }, human: boolean): string[] {
  const sizes = [info.capacity, info.allocation, info.physical];
  if (sizes.every((v) => v === 0n)) return ['-', '-', '-'];
  return sizes.map((v) => (human ? prettyCapacity3(v) : String(v)));
}

/** domblkinfo's sizes in JSON: bytes, null each when all are zero (virsh's `-`). */
function blockSizesJson(info: { capacity: bigint; allocation: bigint; physical: bigint }): Record<string, number | string | null> {
  const none = info.capacity === 0n && info.allocation === 0n && info.physical === 0n;
  return {
    capacity: none ? null : jsonNumber(info.capacity),
    allocation: none ? null : jsonNumber(info.allocation),
    physical: none ? null : jsonNumber(info.physical),
  };
}

async function domblkinfo(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const raw = ctx.conn.raw;
  const human = opts.bool('human');
  const device = opts.string('device');
  if (!opts.bool('all')) {
    if (device === undefined || device === '') throw new CliError(["command 'domblkinfo' requires <device> option"]);
    const info = await raw.domainGetBlockInfo(dom, device, 0);
    if (wantsJson(opts)) {
      printJson(ctx, blockSizesJson(info));
      return;
    }
    const [cap, alloc, phy] = blockSizes(info, human);
    ctx.print(field('Capacity:', cap) + field('Allocation:', alloc) + field('Physical:', phy));
    return;
  }
  const active = (await raw.domainIsActive(dom)) === 1;
  const rows: string[][] = [];
  const records: Record<string, unknown>[] = [];
  for (const disk of xmlAll(parseXml(await raw.domainGetXMLDesc(dom, 0)), 'devices/disk')) {
    const source = xmlFirst(disk, 'source');
    const target = xmlFirst(disk, 'target')?.attrs.dev ?? '';
    let info = { capacity: 0n, allocation: 0n, physical: 0n };
    if (source) {
      try {
        info = await raw.domainGetBlockInfo(dom, target, 0);
      } catch (err) {
        // A network disk of an inactive domain has no sizes: virsh shows it as empty.
        const storage = err instanceof LibvirtError && err.domainName === 'VIR_FROM_STORAGE';
        if (!(source.attrs.protocol && !active && storage && isLibvirtError(err, 'VIR_ERR_INTERNAL_ERROR'))) throw err;
      }
    }
    rows.push([target, ...blockSizes(info, human)]);
    records.push({ target, ...blockSizesJson(info) });
  }
  if (wantsJson(opts)) {
    printJson(ctx, records);
    return;
  }
  ctx.print(formatTable(['Target', 'Capacity', 'Allocation', 'Physical'], rows, ctx.quiet));
}

const DISK_ERRORS = ['no error', 'unspecified error', 'no space'];

async function domblkerror(ctx: CommandContext, dom: RemoteNonnullDomain): Promise<void> {
  const count = (await ctx.conn.raw.domainGetDiskErrors(dom, 0, 0)).nerrors;
  const errors = count > 0 ? (await ctx.conn.raw.domainGetDiskErrors(dom, count, 0)).errors : [];
  if (!errors.length) ctx.print('No errors found\n');
  else ctx.print(errors.map((e) => `${e.disk}: ${DISK_ERRORS[e.error] ?? 'unknown error'}\n`).join(''));
}

// --- domifaddr, domif-getlink ---------------------------------------------------------------

const domifaddr: CommandSpec = {
  name: 'domifaddr',
  group: 'Domain Monitoring',
  help: "Get network interfaces' addresses for a running domain",
  description: "Get network interfaces' addresses for a running domain",
  options: [
    DOMAIN,
    valueOpt('interface', 'string', 'network interface name'),
    flag('full', 'always display names and MACs of interfaces'),
    valueOpt('source', 'string', "address source: 'lease', 'agent', or 'arp'"),
  ],
  extensions: ['json'],
  async run(ctx, opts) {
    const name = strOpt(opts, 'interface');
    const sourceText = strOpt(opts, 'source');
    const source = sourceText === undefined ? 0 : ADDRESS_SOURCES.indexOf(sourceText);
    if (source < 0) throw new CliError([`Unknown data source '${sourceText}'`]);
    const dom = await lookupDomain(ctx.conn, opts.required('domain'));
    const ifaces = await orFail('Failed to query for interfaces addresses', () => ctx.conn.raw.domainInterfaceAddresses(dom, source, 0));
    if (wantsJson(opts)) {
      printJson(
        ctx,
        ifaces
          .filter((iface) => name === undefined || name === iface.name)
          .map((iface) => ({
            name: iface.name,
            mac: iface.hwaddr ?? null,
            addresses: iface.addrs.map((a) => ({ type: a.type === 0 ? 'ipv4' : a.type === 1 ? 'ipv6' : null, address: a.addr, prefix: a.prefix })),
          })),
      );
      return;
    }
    const full = opts.bool('full');
    let out = ctx.quiet ? '' : ` ${'Name'.padEnd(10)} ${'MAC address'.padEnd(20)} ${'Protocol'.padEnd(8)}     Address\n${'-'.repeat(79)}\n`;
    const line = (a: string, b: string, c: string): string => ` ${a.padEnd(10)} ${b.padEnd(17)}    ${c}\n`;
    for (const iface of ifaces) {
      if (name !== undefined && name !== iface.name) continue;
      if (!iface.addrs.length) {
        out += line(iface.name, iface.hwaddr ?? 'N/A', `${'N/A'.padEnd(12)} N/A`);
        continue;
      }
      iface.addrs.forEach((a, j) => {
        // An address type virsh does not know prints as C's "%s" of NULL.
        const type = a.type === 0 ? 'ipv4' : a.type === 1 ? 'ipv6' : '(null)';
        const address = `${type.padEnd(12)} ${a.addr}/${a.prefix}`;
        out += full || j === 0 ? line(iface.name, iface.hwaddr ?? '', address) : line('-', '-', address);
      });
    }
    ctx.print(out);
  },
};

/** A MAC address as virMacAddrFormat writes it (two lowercase hex digits a byte). */
function normalMac(text: string): string {
  return text
    .split(/[\x00- ]/)[0]
    .split(':')
    .map((b) => b.toLowerCase().padStart(2, '0'))
    .join(':');
}

async function domifGetlink(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const iface = strArg(opts, 'interface');
  const config = opts.bool('config') || opts.bool('persistent');
  const doc = parseXml(await ctx.conn.raw.domainGetXMLDesc(dom, config ? VIR_DOMAIN_XML_INACTIVE : 0));
  const mac = isMacAddress(iface) ? normalMac(iface) : '';
  const matches = xmlAll(doc, 'devices/interface').filter(
    (n) => xmlAll(n, 'mac').some((m) => m.attrs.address === mac) || xmlAll(n, 'target').some((t) => t.attrs.dev === iface),
  );
  if (matches.length < 1) throw new CliError([mac ? `Interface (mac: ${mac}) not found.` : `Interface (dev: ${iface}) not found.`]);
  if (matches.length > 1) throw new CliError(['multiple matching interfaces found']);
  ctx.print(`${iface} ${xmlFirst(matches[0], 'link')?.attrs.state || 'up'}`);
}

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
