/**
 * Host and hypervisor commands (version, hostname, uri, nodeinfo,
 * capabilities, sysinfo, maxvcpus, cpu-models, freecell, freepages,
 * allocpages, nodecpustats, nodememstats, nodecpumap, node-memory-tune,
 * nodesuspend, cpu-baseline, cpu-compare, hypervisor-cpu-baseline,
 * hypervisor-cpu-compare, domcapabilities, nodesevinfo), with virsh's output
 * (tools/virsh-host.c).
 */
import {
  LIBVIRT_PROTOCOL_VERSION,
  VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES,
  VIR_CONNECT_BASELINE_CPU_MIGRATABLE,
  VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE,
  VIR_CONNECT_COMPARE_CPU_VALIDATE_XML,
  VIR_NODE_ALLOC_PAGES_ADD,
  VIR_NODE_ALLOC_PAGES_SET,
  VIR_NODE_CPU_STATS_ALL_CPUS,
  VIR_NODE_MEMORY_STATS_ALL_CELLS,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteTypedParam } from '../../procedures/remote.gen.js';
import { parseXml, xmlAll, xmlAttr, xmlChildren, type XmlElement } from '../../api/xml/reader.js';
import { fixedString } from '../../api/values.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { orFail, vshFail } from '../support/failures.js';
import { flag, valueOpt, strOpt, strArg, given } from '../support/options.js';
import { numberOpt, smallNumberOpt, scaledOpt } from '../support/numbers.js';
import { STRING_OKAY, paramText, paramLines, param } from '../support/params.js';
import { formatCpuMap } from '../support/cpumap.js';
import { serializeXmlNode } from '../support/xml.js';
import { field } from '../support/format.js';
import { SUSPEND_TARGETS } from '../support/enum-names.js';
import { infoFields, jsonNumber, printJson, wantsJson } from '../support/json-output.js';

const GROUP = 'Host and Hypervisor';

/** `major.minor.micro` from libvirt's packed version number. */
export function versionText(v: bigint | number): string {
  const n = Number(v);
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1000) % 1000}.${n % 1000}`;
}

/** A host command. */
function hostCommand(spec: Omit<CommandSpec, 'group'>): CommandSpec {
  return { ...spec, group: GROUP };
}

/** The NUMA cells of the host's capabilities (`/capabilities/host/topology/cells/cell`). */
async function capabilityCells(ctx: CommandContext): Promise<XmlElement[]> {
  const caps = await orFail('unable to get node capabilities', () => ctx.conn.raw.connectGetCapabilities());
  return xmlAll(parseXml(caps), 'host/topology/cells/cell');
}

/** A cell id as virsh reads it from the capabilities (an unsigned long). */
function cellId(cell: XmlElement): number {
  const id = cell.attrs.id;
  if (id === undefined || !/^[ \t]*\+?\d+$/.test(id)) throw new CliError(['conversion from string failed']);
  return Number(id);
}

async function freecell(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const all = opts.bool('all');
  const cellno = given(opts, 'cellno');
  if (all && cellno) throw new CliError(['Options --all and --cellno are mutually exclusive']);
  const cell = cellno ? smallNumberOpt(opts, 'cellno', 'int')! : -1;
  const raw = ctx.conn.raw;
  if (all) {
    let total = 0n;
    let out = '';
    for (const c of await capabilityCells(ctx)) {
      const id = cellId(c);
      const free = await orFail(`failed to get free memory for NUMA node number: ${id}`, () => raw.nodeGetCellsFreeMemory(id, 1));
      out += `${String(id).padStart(5)}: ${String(free[0] / 1024n).padStart(10)} KiB\n`;
      total += free[0];
    }
    ctx.print(out);
    if (!ctx.quiet) ctx.print(`--------------------\n${'Total'.padStart(5)}: ${String(total / 1024n).padStart(10)} KiB\n`);
  } else if (cellno) {
    const free = await raw.nodeGetCellsFreeMemory(cell, 1);
    ctx.print(`${cell}: ${free[0] / 1024n} KiB\n`);
  } else {
    ctx.print(`Total: ${(await raw.nodeGetFreeMemory()) / 1024n} KiB\n`);
  }
}

/** A page size option: scaled (KiB by default), in KiB rounded up. */
function pageSizeKiB(opts: ParsedOptions): number | undefined {
  const bytes = scaledOpt(opts, 'pagesize', 1024n, 0xffffffffn);
  return bytes === undefined ? undefined : Number((bytes + 1023n) / 1024n);
}

async function freepages(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const all = opts.bool('all');
  const cellno = given(opts, 'cellno');
  if (all && cellno) throw new CliError(['Options --all and --cellno are mutually exclusive']);
  const kib = pageSizeKiB(opts);
  const raw = ctx.conn.raw;
  if (!all) {
    if (!cellno) throw new CliError(['missing cellno argument']);
    const cell = smallNumberOpt(opts, 'cellno', 'int')!;
    if (cell < -1) throw new CliError(['cell number must be non-negative integer or -1']);
    if (kib === undefined) throw new CliError(['missing pagesize argument']);
    const counts = await raw.nodeGetFreePages([kib], cell, 1, 0);
    ctx.print(`${kib}KiB: ${BigInt.asIntN(64, counts[0])}\n`);
    return;
  }
  const caps = parseXml(await orFail('unable to get node capabilities', () => raw.connectGetCapabilities()));
  let sizes: number[];
  if (kib === undefined) {
    let pages = xmlAll(caps, 'host/cpu/pages');
    // Some drivers list page sizes only under the NUMA cells.
    if (!pages.length) pages = xmlAll(caps, 'host/topology/cells/cell/pages');
    if (!pages.length) throw new CliError(['could not get information about supported page sizes']);
    sizes = pages.map((p) => {
      const v = p.attrs.size;
      if (v === undefined || !/^[ \t]*\+?\d+$/.test(v) || Number(v) > 0xffffffff) throw new CliError([`unable to parse page size: ${v ?? '(null)'}`]);
      return Number(v);
    });
    sizes = [...new Set(sizes)].sort((a, b) => a - b);
  } else {
    sizes = [kib];
  }
  for (const c of xmlAll(caps, 'host/topology/cells/cell')) {
    const id = c.attrs.id;
    if (id === undefined || !/^[ \t]*[+-]?\d+$/.test(id)) throw new CliError([`unable to parse numa node id: ${id ?? '(null)'}`]);
    const counts = await raw.nodeGetFreePages(sizes, Number(id), 1, 0);
    ctx.print(`Node ${Number(id)}:\n${sizes.map((sz, j) => `${sz}KiB: ${BigInt.asIntN(64, counts[j])}\n`).join('')}\n`);
  }
}

async function allocpages(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const all = opts.bool('all');
  const cellno = given(opts, 'cellno');
  if (all && cellno) throw new CliError(['Options --all and --cellno are mutually exclusive']);
  const start = cellno ? smallNumberOpt(opts, 'cellno', 'int')! : -1;
  const kib = pageSizeKiB(opts) ?? 0;
  const count = numberOpt(opts, 'pagecount', 'ullong') ?? 0n;
  const flags = opts.bool('add') ? VIR_NODE_ALLOC_PAGES_ADD : VIR_NODE_ALLOC_PAGES_SET;
  const raw = ctx.conn.raw;
  if (all) {
    for (const c of await capabilityCells(ctx)) await raw.nodeAllocPages([kib], [count], cellId(c), 1, flags);
  } else {
    await raw.nodeAllocPages([kib], [count], start, 1, flags);
  }
}

/** nodecpustats' fields in virsh's order: [field, label]. */
const CPU_STATS: readonly (readonly [string, string])[] = [
  ['user', 'user:'],
  ['kernel', 'system:'],
  ['idle', 'idle:'],
  ['iowait', 'iowait:'],
  ['intr', 'intr:'],
  ['utilization', 'usage:'],
];

async function nodecpustats(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const percent = opts.bool('percent');
  const cpu = smallNumberOpt(opts, 'cpu', 'int') ?? VIR_NODE_CPU_STATS_ALL_CPUS;
  const raw = ctx.conn.raw;
  const n = (await orFail('Unable to get number of cpu stats', () => raw.nodeGetCPUStats(cpu, 0, 0))).nparams;
  if (!n) return;
  const stats: (bigint | undefined)[] = [];
  for (let pass = 0; pass < 2; pass++) {
    const got = (await orFail('Unable to get node cpu stats', () => raw.nodeGetCPUStats(cpu, n, 0))).params;
    for (const p of got) {
      const i = CPU_STATS.findIndex(([f]) => f === p.field);
      if (i < 0) continue;
      if (pass === 0) stats[i] = p.value;
      else if (stats[i] !== undefined) stats[i] = BigInt.asUintN(64, p.value - stats[i]!);
    }
    if (stats[5] !== undefined || !percent) break;
    // --percent compares two samples taken a second apart.
    await new Promise((r) => setTimeout(r, 1000));
  }
  let out = '';
  if (!percent) {
    for (let i = 0; i < 5; i++) if (stats[i] !== undefined) out += field(CPU_STATS[i][1], String(stats[i]).padStart(20));
  } else if (stats[5] !== undefined) {
    out += field('usage:', `${String(stats[5]).padStart(5)}%`);
    out += field('idle:', `${String(BigInt.asUintN(64, 100n - stats[5])).padStart(5)}%`);
  } else {
    const total = stats.slice(0, 5).reduce<number>((t, v) => t + Number(v ?? 0n), 0);
    // Identical samples divide 0 by 0: C prints the x86 default NaN as "-nan".
    const pct = (v: number): string => {
      const x = (v / total) * 100;
      return `${(Number.isNaN(x) ? '-nan' : Number.isFinite(x) ? x.toFixed(1) : x > 0 ? 'inf' : '-inf').padStart(5)}%`;
    };
    out += field('usage:', pct(Number(stats[0] ?? 0n) + Number(stats[1] ?? 0n)));
    for (let i = 0; i < 5; i++) if (stats[i] !== undefined) out += field(CPU_STATS[i][1], pct(Number(stats[i])));
  }
  ctx.print(out);
}

async function nodememstats(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const cell = smallNumberOpt(opts, 'cell', 'int') ?? VIR_NODE_MEMORY_STATS_ALL_CELLS;
  const raw = ctx.conn.raw;
  const n = (await orFail('Unable to get number of memory stats', () => raw.nodeGetMemoryStats(0, cell, 0))).nparams;
  const params = n ? (await orFail('Unable to get memory stats', () => raw.nodeGetMemoryStats(n, cell, 0))).params : [];
  if (wantsJson(opts)) {
    printJson(ctx, Object.fromEntries(params.map((p) => [p.field, jsonNumber(p.value)])));
    return;
  }
  ctx.print(params.map((p) => `${p.field.padEnd(7)}: ${String(p.value).padStart(20)} KiB\n`).join(''));
}

async function nodecpumap(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const map = await orFail('Unable to get cpu map', () => ctx.conn.raw.nodeGetCPUMap(1, 1, 0));
  const maplen = (map.ret + 7) >> 3;
  const shown = opts.bool('pretty')
    ? formatCpuMap(map.cpumap, 0, maplen)
    : Array.from({ length: map.ret }, (_, c) => (map.cpumap[c >> 3] & (1 << (c & 7)) ? 'y' : '-')).join('');
  ctx.print(`${'CPUs present:'.padEnd(15)} ${map.ret}\n${'CPUs online:'.padEnd(15)} ${map.online}\n${'CPU map:'.padEnd(15)} ${shown}\n`);
}

const SHM_OPTS: readonly (readonly [string, string])[] = [
  ['shm-pages-to-scan', 'shm_pages_to_scan'],
  ['shm-sleep-millisecs', 'shm_sleep_millisecs'],
  ['shm-merge-across-nodes', 'shm_merge_across_nodes'],
];

async function nodeMemoryTune(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const updates: RemoteTypedParam[] = [];
  for (const [opt, field] of SHM_OPTS) {
    const v = smallNumberOpt(opts, opt, 'uint');
    if (v !== undefined) updates.push(param.uint(field, v));
  }
  const raw = ctx.conn.raw;
  if (updates.length) {
    await orFail('Unable to change memory parameters', () => raw.nodeSetMemoryParameters(updates, 0));
    return;
  }
  const n = (await orFail('Unable to get number of memory parameters', () => raw.nodeGetMemoryParameters(0, STRING_OKAY))).nparams;
  if (!n) return;
  const params = (await orFail('Unable to get memory parameters', () => raw.nodeGetMemoryParameters(n, STRING_OKAY))).params;
  ctx.print(`Shared memory:\n${params.map((p) => `\t${p.field.padEnd(15)} ${paramText(p.value)}\n`).join('')}`);
}

async function nodesuspend(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const target = strArg(opts, 'target');
  const duration = numberOpt(opts, 'duration', 'llong') ?? 0n;
  const t = SUSPEND_TARGETS.indexOf(target);
  if (t < 0) throw new CliError(['Invalid target']);
  if (duration < 0n) throw new CliError(['Invalid duration']);
  await orFail('The host was not suspended', () => ctx.conn.raw.nodeSuspendForDuration(t, duration, 0));
}

/**
 * The CPU definitions of a file (vshExtractCPUDefXMLs): bare `<cpu>`
 * elements, or those of domain, capabilities or domain capabilities XML,
 * each written back out on its own.
 */
async function cpuDefinitions(ctx: CommandContext, file: string): Promise<string[]> {
  let text = await ctx.readFile(file);
  if (text.startsWith('<?xml') && text.includes('?>')) text = text.slice(text.indexOf('?>') + 2);
  // virsh reads the file inside a <container> element, so it may hold several <cpu> elements.
  const container = parseXml(`<container>${text}</container>`);
  const cpus = xmlChildren(container).flatMap((n) => {
    if (n.name === 'cpu') return [n];
    if (n.name === 'domain') return xmlChildren(n, 'cpu');
    if (n.name === 'capabilities') return xmlAll(n, 'host/cpu');
    if (n.name === 'domainCapabilities') {
      // A host-model mode becomes a plain <cpu> element without attributes.
      return xmlAll(n, 'cpu/mode')
        .filter((m) => xmlAttr(m, 'name') === 'host-model' && xmlAttr(m, 'supported') === 'yes')
        .map((m): XmlElement => ({ ...m, name: 'cpu', attrs: Object.create(null) as Record<string, string> }));
    }
    return [];
  });
  if (!cpus.length) {
    throw new CliError([`File '${file}' does not contain any <cpu> element or valid domain XML, host capabilities XML, or domain capabilities XML`]);
  }
  return cpus.map((cpu) => serializeXmlNode(cpu, { nonAscii: 'keep' }));
}

/** The XML text of a `--model` for hypervisor-cpu-baseline. */
function modelCpu(model: string): string {
  return `<cpu><model>${model.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</model></cpu>`;
}

/** cpu-compare / hypervisor-cpu-compare: what the result means, in virsh's words; incompatible fails quietly. */
function printComparison(ctx: CommandContext, result: number, words: readonly [string, string, string]): void {
  if (result === 0) {
    ctx.print(words[0]);
    throw new CliError([]);
  }
  ctx.print(result === 1 ? words[1] : words[2]);
}

const HYPERVISOR_OPTS: readonly OptionSpec[] = [
  valueOpt('virttype', 'string', 'virtualization type (/domain/@type)'),
  valueOpt('emulator', 'string', 'path to emulator binary (/domain/devices/emulator)'),
  valueOpt('arch', 'string', 'CPU architecture (/domain/os/type/@arch)'),
  valueOpt('machine', 'string', 'machine type (/domain/os/type/@machine)'),
];

const FILE_OPT = (help: string): OptionSpec => valueOpt('file', 'string', help, { required: true });

const compareFlags = (opts: ParsedOptions): number =>
  (opts.bool('error') ? VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE : 0) | (opts.bool('validate') ? VIR_CONNECT_COMPARE_CPU_VALIDATE_XML : 0);
const baselineFlags = (opts: ParsedOptions): number =>
  (opts.bool('features') ? VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES : 0) | (opts.bool('migratable') ? VIR_CONNECT_BASELINE_CPU_MIGRATABLE : 0);
/** --virttype, --emulator, --arch, --machine, read in virsh's order; in the order the calls take them. */
function hypervisorArgs(opts: ParsedOptions): [string | null, string | null, string | null, string | null] {
  const [virttype, emulator, arch, machine] = ['virttype', 'emulator', 'arch', 'machine'].map((o) => strOpt(opts, o) ?? null);
  return [emulator, arch, machine, virttype];
}

/** The host commands added to virsh's basic ones: NUMA memory, node statistics, CPU models, capabilities. */
const moreHostCommands: readonly CommandSpec[] = [
  hostCommand({
    name: 'freecell',
    help: 'NUMA free memory',
    description: 'display available free memory for the NUMA cell.',
    options: [valueOpt('cellno', 'int', 'NUMA cell number'), flag('all', 'show free memory for all NUMA cells')],
    run: freecell,
  }),
  hostCommand({
    name: 'freepages',
    help: 'NUMA free pages',
    description: 'display available free pages for the NUMA cell.',
    options: [
      valueOpt('cellno', 'int', 'NUMA cell number'),
      valueOpt('pagesize', 'int', 'page size (in kibibytes)'),
      flag('all', 'show free pages for all NUMA cells'),
    ],
    run: freepages,
  }),
  hostCommand({
    name: 'allocpages',
    help: 'Manipulate pages pool size',
    description: 'Allocate or free some pages in the pool for NUMA cell.',
    options: [
      valueOpt('pagesize', 'int', 'page size (in kibibytes)', { required: true }),
      valueOpt('pagecount', 'int', 'page count', { required: true }),
      valueOpt('cellno', 'int', 'NUMA cell number'),
      flag('add', 'instead of setting new pool size add pages to it'),
      flag('all', 'set on all NUMA cells'),
    ],
    run: allocpages,
  }),
  hostCommand({
    name: 'nodecpustats',
    help: 'Prints cpu stats of the node.',
    description: 'Returns cpu stats of the node, in nanoseconds.',
    options: [valueOpt('cpu', 'int', 'prints specified cpu statistics only.'), flag('percent', 'prints by percentage during 1 second.')],
    run: nodecpustats,
  }),
  hostCommand({
    name: 'nodememstats',
    help: 'Prints memory stats of the node.',
    description: 'Returns memory stats of the node, in kilobytes.',
    options: [valueOpt('cell', 'int', 'prints specified cell statistics only.')],
    run: nodememstats,
    extensions: ['json'],
  }),
  hostCommand({
    name: 'nodecpumap',
    help: 'node cpu map',
    description: "Displays the node's total number of CPUs, the number of online CPUs and the list of online CPUs.",
    options: [flag('pretty', 'return human readable output')],
    run: nodecpumap,
  }),
  hostCommand({
    name: 'node-memory-tune',
    help: 'Get or set node memory parameters',
    description: 'Get or set node memory parameters\n    To get the memory parameters, use following command: \n\n    virsh # node-memory-tune',
    options: [
      valueOpt('shm-pages-to-scan', 'int', 'number of pages to scan before the shared memory service goes to sleep'),
      valueOpt('shm-sleep-millisecs', 'int', 'number of millisecs the shared memory service should sleep before next scan'),
      valueOpt('shm-merge-across-nodes', 'int', 'Specifies if pages from different numa nodes can be merged'),
    ],
    run: nodeMemoryTune,
  }),
  hostCommand({
    name: 'nodesuspend',
    help: 'suspend the host node for a given time duration',
    description: 'Suspend the host node for a given time duration and attempt to resume thereafter.',
    options: [
      valueOpt('target', 'string', 'mem(Suspend-to-RAM), disk(Suspend-to-Disk), hybrid(Hybrid-Suspend)', { required: true }),
      valueOpt('duration', 'int', 'Suspend duration in seconds, at least 60', { required: true }),
    ],
    run: nodesuspend,
  }),
  hostCommand({
    name: 'cpu-baseline',
    help: 'compute baseline CPU',
    description: 'Compute baseline CPU for a set of given CPUs.',
    options: [
      FILE_OPT('file containing XML CPU descriptions'),
      flag('features', 'Show features that are part of the CPU model type'),
      flag('migratable', 'Do not include features that block migration'),
    ],
    run: async (ctx, opts) => {
      const cpus = await cpuDefinitions(ctx, strArg(opts, 'file'));
      ctx.print(await ctx.conn.raw.connectBaselineCPU(cpus, baselineFlags(opts)));
    },
  }),
  hostCommand({
    name: 'cpu-compare',
    help: 'compare host CPU with a CPU described by an XML file',
    description: 'compare CPU with host CPU',
    options: [
      FILE_OPT('file containing an XML CPU description'),
      flag('error', 'report error if CPUs are incompatible'),
      flag('validate', 'validate the XML document against schema'),
    ],
    run: async (ctx, opts) => {
      const file = strArg(opts, 'file');
      const cpus = await cpuDefinitions(ctx, file);
      const result = await orFail(`Failed to compare host CPU with ${file}`, () => ctx.conn.raw.connectCompareCPU(cpus[0], compareFlags(opts)));
      printComparison(ctx, result, [
        `CPU described in ${file} is incompatible with host CPU\n`,
        `CPU described in ${file} is identical to host CPU\n`,
        `Host CPU is a superset of CPU described in ${file}\n`,
      ]);
    },
  }),
  hostCommand({
    name: 'hypervisor-cpu-baseline',
    help: 'compute baseline CPU usable by a specific hypervisor',
    description: 'Compute baseline CPU for a set of given CPUs. The result will be tailored to the specified hypervisor.',
    options: [
      valueOpt('file', 'string', 'file containing XML CPU descriptions'),
      ...HYPERVISOR_OPTS,
      flag('features', 'Show features that are part of the CPU model type'),
      flag('migratable', 'Do not include features that block migration'),
      valueOpt('model', 'string', 'Shortcut for calling the command with a single CPU model and no additional features'),
    ],
    run: async (ctx, opts) => {
      const file = strOpt(opts, 'file');
      const model = strOpt(opts, 'model');
      if (file !== undefined && model !== undefined) throw new CliError(['Options --file and --model are mutually exclusive']);
      if (file === undefined && model === undefined) throw new CliError(['Either --file or --model must be provided']);
      const args = hypervisorArgs(opts);
      const cpus = file !== undefined ? await cpuDefinitions(ctx, file) : [modelCpu(model!)];
      ctx.print(await ctx.conn.raw.connectBaselineHypervisorCPU(...args, cpus, baselineFlags(opts)));
    },
  }),
  hostCommand({
    name: 'hypervisor-cpu-compare',
    help: 'compare a CPU with the CPU created by a hypervisor on the host',
    description: 'compare CPU with hypervisor CPU',
    options: [
      FILE_OPT('file containing an XML CPU description'),
      ...HYPERVISOR_OPTS,
      flag('error', 'report error if CPUs are incompatible'),
      flag('validate', 'validate the XML document against schema'),
    ],
    run: async (ctx, opts) => {
      const file = strArg(opts, 'file');
      const args = hypervisorArgs(opts);
      const cpus = await cpuDefinitions(ctx, file);
      const result = await orFail(`Failed to compare hypervisor CPU with ${file}`, () =>
        ctx.conn.raw.connectCompareHypervisorCPU(...args, cpus[0], compareFlags(opts)),
      );
      printComparison(ctx, result, [
        `CPU described in ${file} is incompatible with the CPU provided by hypervisor on the host\n`,
        `CPU described in ${file} is identical to the CPU provided by hypervisor on the host\n`,
        `The CPU provided by hypervisor on the host is a superset of CPU described in ${file}\n`,
      ]);
    },
  }),
  hostCommand({
    name: 'domcapabilities',
    help: 'domain capabilities',
    description: 'Returns capabilities of emulator with respect to host and libvirt.',
    options: [
      valueOpt('virttype', 'string', 'virtualization type (/domain/@type)'),
      valueOpt('emulatorbin', 'string', 'path to emulator binary (/domain/devices/emulator)'),
      valueOpt('arch', 'string', 'domain architecture (/domain/os/type/@arch)'),
      valueOpt('machine', 'string', 'machine type (/domain/os/type/@machine)'),
    ],
    run: async (ctx, opts) => {
      const [virttype, emulatorbin, arch, machine] = ['virttype', 'emulatorbin', 'arch', 'machine'].map((o) => strOpt(opts, o) ?? null);
      const caps = await orFail('failed to get emulator capabilities', () =>
        ctx.conn.raw.connectGetDomainCapabilities(emulatorbin, arch, machine, virttype, 0),
      );
      ctx.print(`${caps}\n`);
    },
  }),
  hostCommand({
    name: 'nodesevinfo',
    help: 'node SEV information',
    description: 'Returns basic SEV information about the node.',
    options: [],
    run: async (ctx) => {
      // libvirt's client asks for up to REMOTE_NODE_SEV_INFO_MAX parameters.
      const info = await orFail('Unable to get host SEV information', () => ctx.conn.raw.nodeGetSEVInfo(64, 0));
      ctx.print(paramLines(info.params));
    },
  }),
];

/** Host commands. */
export const hostCommands: readonly CommandSpec[] = [
  {
    name: 'version',
    group: 'Host and Hypervisor',
    help: 'show version',
    description: 'Display the system version information.',
    options: [flag('daemon', 'report daemon version too')],
    async run(ctx, opts) {
      const [type, lib, hv] = await Promise.all([ctx.conn.raw.connectGetType(), ctx.conn.raw.connectGetLibVersion(), ctx.conn.raw.connectGetVersion()]);
      // This client is not libvirt: it speaks the protocol of the release it was generated from.
      ctx.print(`Compiled against library: libvirt ${LIBVIRT_PROTOCOL_VERSION}\n`);
      ctx.print(`Using library: libvirt ${LIBVIRT_PROTOCOL_VERSION}\n`);
      ctx.print(`Using API: ${type} ${versionText(lib)}\n`);
      ctx.print(`Running hypervisor: ${type} ${versionText(hv)}\n`);
      if (opts.bool('daemon')) ctx.print(`Running against daemon: ${versionText(lib)}\n`);
    },
  },
  {
    name: 'hostname',
    group: 'Host and Hypervisor',
    help: 'print the hypervisor hostname',
    options: [],
    async run(ctx) {
      ctx.print(`${await ctx.conn.raw.connectGetHostname()}\n`);
    },
  },
  {
    name: 'uri',
    group: 'Host and Hypervisor',
    help: 'print the hypervisor canonical URI',
    options: [],
    async run(ctx) {
      ctx.print(`${ctx.conn.uri}\n`);
    },
  },
  {
    name: 'nodeinfo',
    group: 'Host and Hypervisor',
    help: 'node information',
    description: 'Returns basic information about the node.',
    options: [],
    extensions: ['json'],
    async run(ctx, opts) {
      const i = await ctx.conn.raw.nodeGetInfo();
      const out = infoFields(ctx, wantsJson(opts));
      out.add('CPU model:', fixedString(i.model), 'cpu_model', undefined, 20);
      out.add('CPU(s):', i.cpus, 'cpus', undefined, 20);
      out.add('CPU frequency:', `${i.mhz} MHz`, 'cpu_frequency', i.mhz, 20);
      out.add('CPU socket(s):', i.sockets, 'cpu_sockets', undefined, 20);
      out.add('Core(s) per socket:', i.cores, 'cores_per_socket', undefined, 20);
      out.add('Thread(s) per core:', i.threads, 'threads_per_core', undefined, 20);
      out.add('NUMA cell(s):', i.nodes, 'numa_cells', undefined, 20);
      out.add('Memory size:', `${i.memory} KiB`, 'memory_size', jsonNumber(i.memory), 20);
      out.done();
    },
  },
  {
    name: 'capabilities',
    group: 'Host and Hypervisor',
    help: 'capabilities',
    description: 'Returns capabilities of hypervisor/driver.',
    options: [],
    async run(ctx) {
      ctx.print(`${await ctx.conn.raw.connectGetCapabilities()}\n`);
    },
  },
  {
    name: 'sysinfo',
    group: 'Host and Hypervisor',
    help: 'print the hypervisor sysinfo',
    description: 'output an XML string for the hypervisor sysinfo, if available',
    options: [],
    async run(ctx) {
      ctx.print(`${await ctx.conn.raw.connectGetSysinfo(0)}\n`);
    },
  },
  {
    name: 'maxvcpus',
    group: 'Host and Hypervisor',
    help: 'connection vcpu maximum',
    description: 'Show maximum number of virtual CPUs for guests on this connection.',
    options: [valueOpt('type', 'string', 'domain type')],
    async run(ctx, opts) {
      ctx.print(`${await ctx.conn.raw.connectGetMaxVcpus(opts.string('type') ?? null)}\n`);
    },
  },
  {
    name: 'cpu-models',
    group: 'Host and Hypervisor',
    help: 'CPU models',
    description: 'Get the CPU models for an arch.',
    options: [valueOpt('arch', 'string', 'architecture', { required: true })],
    async run(ctx, opts) {
      let models: string[];
      try {
        models = (await ctx.conn.raw.connectGetCPUModelNames(opts.required('arch'), 1, 0)).models;
      } catch (err) {
        throw vshFail('failed to get CPU model names', err);
      }
      ctx.print(models.map((m) => `${m}\n`).join(''));
    },
  },
  ...moreHostCommands,
];
