/**
 * Domain tuning commands (tools/virsh-domain.c): scheduler, memory, block I/O,
 * NUMA and interface parameters, perf events, metadata, launch security.
 */
import {
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_MEMORY_PARAM_UNLIMITED,
  VIR_DOMAIN_METADATA_ELEMENT,
  VIR_DOMAIN_XML_INACTIVE,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteTypedParam } from '../../procedures/remote.gen.js';
import { parseXml, xmlAll, xmlAttr, xmlChildren } from '../../api/xml/reader.js';
import { editMetadata } from './edit.js';
import { CliError, ParsedOptions, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { VshFailure, orFail } from '../support/failures.js';
import {
  parseRate,
  flag,
  valueOpt,
  argvOpt,
  AFFECT_OPTS,
  exclusive,
  affectFlags,
  strOpt,
  strArg,
  isMacAddress,
  aliasOpt,
  optionAliases,
} from '../support/options.js';
import { UINT_MAX, ULLONG_MAX, cIntBase0, scaleInteger, numberOpt, smallNumberOpt, scaledOpt } from '../support/numbers.js';
import { printParams, STRING_OKAY, param, paramFromString } from '../support/params.js';
import { serializeXmlNode } from '../support/xml.js';
import { domainCommand, domainOf } from '../support/templates.js';
import { NUMA_MODES } from '../support/enum-names.js';

/**
 * The get-or-set shape of memtune, blkiotune, numatune, domiftune,
 * blkdeviotune: with no values to set, ask the daemon for the number of
 * parameters, then for them, and print them; otherwise set them.
 */
async function getOrSet(
  ctx: CommandContext,
  updates: readonly RemoteTypedParam[],
  spec: {
    readonly count: () => Promise<number>;
    readonly get: (n: number) => Promise<RemoteTypedParam[]>;
    readonly set: (params: RemoteTypedParam[]) => Promise<void>;
    readonly countFailed: string;
    readonly getFailed: string;
    readonly setFailed: string;
    readonly show?: (p: RemoteTypedParam) => string | null;
  },
): Promise<void> {
  if (updates.length) {
    await orFail(spec.setFailed, () => spec.set([...updates]));
    return;
  }
  const n = await orFail(spec.countFailed, spec.count);
  if (n === 0) return;
  printParams(ctx, await orFail(spec.getFailed, () => spec.get(n)), spec.show);
}

// --- schedinfo ------------------------------------------------------------------------------

async function schedinfo(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const raw = ctx.conn.raw;
  const flags = affectFlags(opts);
  const [live, config, current] = ['live', 'config', 'current'].map((o) => opts.bool(o));
  const withFlags = flags !== 0 || current;
  const dom = await domainOf(ctx, opts);
  let type: Awaited<ReturnType<typeof raw.domainGetSchedulerType>>;
  try {
    type = await raw.domainGetSchedulerType(dom);
  } catch (err) {
    ctx.print(`${'Scheduler'.padEnd(15)}: Unknown\n`);
    throw err;
  }
  ctx.print(`${'Scheduler'.padEnd(15)}: ${type.type}\n`);
  if (!type.nparams) return;
  // Both --live and --config cannot be queried at once: virsh asks for the current values then.
  const getFlags = live && config ? 0 : flags;
  const get = (): Promise<RemoteTypedParam[]> =>
    withFlags ? raw.domainGetSchedulerParametersFlags(dom, type.nparams, getFlags | STRING_OKAY) : raw.domainGetSchedulerParameters(dom, type.nparams);
  let params = await get();
  const updates: RemoteTypedParam[] = [];
  const update = (field: string, value: string): void => {
    const known = params.find((p) => p.field === field);
    if (!known) throw new CliError([`invalid scheduler option: ${field}`]);
    updates.push(paramFromString(field, known.value.type, value));
  };
  for (const set of opts.list('set')) {
    const eq = set.indexOf('=');
    if (eq < 0) throw new CliError(['Invalid syntax for --set, expecting name=value']);
    update(set.slice(0, eq), set.slice(eq + 1));
  }
  for (const name of ['cap', 'weight']) {
    const v = strOpt(opts, name);
    if (v !== undefined) update(name, v);
  }
  if (updates.length) {
    if (withFlags) await raw.domainSetSchedulerParametersFlags(dom, updates, flags);
    else await raw.domainSetSchedulerParameters(dom, updates);
    params = await get();
  } else if (live && config) {
    throw new CliError(['cannot query both live and config at once']);
  }
  printParams(ctx, params);
}

// --- memtune, blkiotune, numatune, blkdeviotune, domiftune -----------------------------------

const MEMTUNE_FIELDS: readonly (readonly [string, string])[] = [
  ['hard-limit', 'hard_limit'],
  ['soft-limit', 'soft_limit'],
  ['swap-hard-limit', 'swap_hard_limit'],
  ['min-guarantee', 'min_guarantee'],
];

/** A memtune size (virshMemtuneGetSize): negative is unlimited, otherwise KiB by default, rounded up. */
function memtuneSize(opts: ParsedOptions, name: string): bigint | undefined {
  const text = opts.string(name);
  if (text === undefined) return undefined;
  const bad = (libvirt: string | null = null): VshFailure => new VshFailure([`Unable to parse integer parameter ${name}`], libvirt);
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)(.*)$/s.exec(text);
  if (!m) throw bad();
  const v = BigInt(m[2]) * (m[1] === '-' ? -1n : 1n);
  if (v < -(1n << 63n) || v >= 1n << 63n) throw bad();
  if (v < 0n) return BigInt(VIR_DOMAIN_MEMORY_PARAM_UNLIMITED);
  const r = scaleInteger(v, m[3], 1024n, (1n << 63n) - 1n);
  if ('error' in r) throw bad(r.error);
  return (r.value + 1023n) / 1024n;
}

async function memtune(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const dom = await domainOf(ctx, opts);
  const updates: RemoteTypedParam[] = [];
  for (const [opt, field] of MEMTUNE_FIELDS) {
    const v = memtuneSize(opts, opt);
    if (v !== undefined) updates.push(param.ullong(field, v));
  }
  const raw = ctx.conn.raw;
  await getOrSet(ctx, updates, {
    count: async () => (await raw.domainGetMemoryParameters(dom, 0, flags | STRING_OKAY)).nparams,
    get: async (n) => (await raw.domainGetMemoryParameters(dom, n, flags | STRING_OKAY)).params,
    set: (p) => raw.domainSetMemoryParameters(dom, p, flags),
    countFailed: 'Unable to get number of memory parameters',
    getFailed: 'Unable to get memory parameters',
    setFailed: 'Unable to change memory parameters',
    show: (p) => (p.value.type === 4 && p.value.ul === BigInt(VIR_DOMAIN_MEMORY_PARAM_UNLIMITED) ? 'unlimited' : null),
  });
}

const BLKIO_FIELDS: readonly (readonly [string, string])[] = [
  ['device-weights', 'device_weight'],
  ['device-read-iops-sec', 'device_read_iops_sec'],
  ['device-write-iops-sec', 'device_write_iops_sec'],
  ['device-read-bytes-sec', 'device_read_bytes_sec'],
  ['device-write-bytes-sec', 'device_write_bytes_sec'],
];

async function blkiotune(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const dom = await domainOf(ctx, opts);
  const updates: RemoteTypedParam[] = [];
  const weight = smallNumberOpt(opts, 'weight', 'int');
  if (weight !== undefined) {
    if (weight <= 0) throw new CliError([`Invalid value of ${weight} for I/O weight`]);
    updates.push(param.uint('weight', weight));
  }
  for (const [opt, field] of BLKIO_FIELDS) {
    const v = opts.string(opt);
    if (v === '') throw new CliError(['Unable to parse string parameter']);
    if (v !== undefined) updates.push(param.string(field, v));
  }
  const raw = ctx.conn.raw;
  await getOrSet(ctx, updates, {
    count: async () => (await raw.domainGetBlkioParameters(dom, 0, flags | STRING_OKAY)).nparams,
    get: async (n) => (await raw.domainGetBlkioParameters(dom, n, flags | STRING_OKAY)).params,
    set: (p) => raw.domainSetBlkioParameters(dom, p, flags),
    countFailed: 'Unable to get number of blkio parameters',
    getFailed: 'Unable to get blkio parameters',
    setFailed: 'Unable to change blkio parameters',
  });
}

async function numatune(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const dom = await domainOf(ctx, opts);
  const updates: RemoteTypedParam[] = [];
  const nodeset = strOpt(opts, 'nodeset');
  if (nodeset !== undefined) updates.push(param.string('numa_nodeset', nodeset));
  const mode = strOpt(opts, 'mode');
  if (mode !== undefined) {
    const m = NUMA_MODES.includes(mode) ? NUMA_MODES.indexOf(mode) : cIntBase0(mode);
    if (m === null) throw new CliError([`Invalid mode: ${mode}`]);
    updates.push(param.int('numa_mode', m));
  }
  const raw = ctx.conn.raw;
  await getOrSet(ctx, updates, {
    count: async () => (await raw.domainGetNumaParameters(dom, 0, flags | STRING_OKAY)).nparams,
    get: async (n) => (await raw.domainGetNumaParameters(dom, n, flags | STRING_OKAY)).params,
    set: (p) => raw.domainSetNumaParameters(dom, p, flags),
    countFailed: 'Unable to get number of memory parameters',
    getFailed: 'Unable to get numa parameters',
    setFailed: 'Unable to change numa parameters',
    // An unknown mode number prints as C's "%s" of NULL.
    show: (p) => (p.field === 'numa_mode' && p.value.type === 1 ? (NUMA_MODES[p.value.i] ?? '(null)') : null),
  });
}

/** blkdeviotune's options: [option, typed parameter field, scaled]. */
const IOTUNE_FIELDS: readonly (readonly [string, string, boolean])[] = [
  ['total-bytes-sec', 'total_bytes_sec', true],
  ['read-bytes-sec', 'read_bytes_sec', true],
  ['write-bytes-sec', 'write_bytes_sec', true],
  ['total-iops-sec', 'total_iops_sec', false],
  ['read-iops-sec', 'read_iops_sec', false],
  ['write-iops-sec', 'write_iops_sec', false],
  ['total-bytes-sec-max', 'total_bytes_sec_max', true],
  ['read-bytes-sec-max', 'read_bytes_sec_max', true],
  ['write-bytes-sec-max', 'write_bytes_sec_max', true],
  ['total-iops-sec-max', 'total_iops_sec_max', false],
  ['read-iops-sec-max', 'read_iops_sec_max', false],
  ['write-iops-sec-max', 'write_iops_sec_max', false],
  ['size-iops-sec', 'size_iops_sec', false],
  ['total-bytes-sec-max-length', 'total_bytes_sec_max_length', false],
  ['read-bytes-sec-max-length', 'read_bytes_sec_max_length', false],
  ['write-bytes-sec-max-length', 'write_bytes_sec_max_length', false],
  ['total-iops-sec-max-length', 'total_iops_sec_max_length', false],
  ['read-iops-sec-max-length', 'read_iops_sec_max_length', false],
  ['write-iops-sec-max-length', 'write_iops_sec_max_length', false],
];

const IOTUNE_HELP: Record<string, string> = {
  'total-bytes-sec': 'total throughput limit, as scaled integer (default bytes)',
  'read-bytes-sec': 'read throughput limit, as scaled integer (default bytes)',
  'write-bytes-sec': 'write throughput limit, as scaled integer (default bytes)',
  'total-iops-sec': 'total I/O operations limit per second',
  'read-iops-sec': 'read I/O operations limit per second',
  'write-iops-sec': 'write I/O operations limit per second',
  'total-bytes-sec-max': 'total max, as scaled integer (default bytes)',
  'read-bytes-sec-max': 'read max, as scaled integer (default bytes)',
  'write-bytes-sec-max': 'write max, as scaled integer (default bytes)',
  'total-iops-sec-max': 'total I/O operations max',
  'read-iops-sec-max': 'read I/O operations max',
  'write-iops-sec-max': 'write I/O operations max',
  'size-iops-sec': 'I/O size in bytes',
  'total-bytes-sec-max-length': 'duration in seconds to allow total max bytes',
  'read-bytes-sec-max-length': 'duration in seconds to allow read max bytes',
  'write-bytes-sec-max-length': 'duration in seconds to allow write max bytes',
  'total-iops-sec-max-length': 'duration in seconds to allow total I/O operations max',
  'read-iops-sec-max-length': 'duration in seconds to allow read I/O operations max',
  'write-iops-sec-max-length': 'duration in seconds to allow write I/O operations max',
};

/** blkdeviotune's options in virsh's order (each `a-b` also as its old alias `a_b`). */
const IOTUNE_OPTS: readonly OptionSpec[] = (() => {
  const order = [
    'total-bytes-sec',
    'read-bytes-sec',
    'write-bytes-sec',
    'total-iops-sec',
    'read-iops-sec',
    'write-iops-sec',
    'total-bytes-sec-max',
    'read-bytes-sec-max',
    'write-bytes-sec-max',
    'total-iops-sec-max',
    'read-iops-sec-max',
    'write-iops-sec-max',
    'size-iops-sec',
    'group-name',
    'total-bytes-sec-max-length',
    'read-bytes-sec-max-length',
    'write-bytes-sec-max-length',
    'total-iops-sec-max-length',
    'read-iops-sec-max-length',
    'write-iops-sec-max-length',
  ];
  const out: OptionSpec[] = [];
  for (const o of order) {
    const kind = o === 'group-name' ? 'string' : 'int';
    const help = o === 'group-name' ? 'group name to share I/O quota between multiple drives' : IOTUNE_HELP[o];
    out.push(valueOpt(o, kind, help));
  }
  // The aliases take no positional arguments (virsh skips VSH_OT_ALIAS there).
  for (const o of order) out.push(aliasOpt(o.replaceAll('-', '_'), o === 'group-name' ? 'string' : 'int', o));
  return out;
})();

/** An option given under its name or its `_` alias (virsh resolves VSH_OT_ALIAS while parsing). */
function aliased(opts: ParsedOptions, name: string): string | undefined {
  const a = opts.string(name);
  const b = opts.string(name.replaceAll('-', '_'));
  if (a !== undefined && b !== undefined) throw new CliError([`option --${name} already seen`]);
  return a ?? b;
}

/** The options with each blkdeviotune alias read as its option. */
function withAliases(opts: ParsedOptions): ParsedOptions {
  const values = new Map<string, string | true>();
  for (const o of IOTUNE_OPTS) {
    if (o.name.includes('_')) continue;
    const v = aliased(opts, o.name);
    if (v !== undefined) values.set(o.name, v);
  }
  return new ParsedOptions(values);
}

async function blkdeviotune(ctx: CommandContext, typed: ParsedOptions): Promise<void> {
  const flags = affectFlags(typed);
  const opts = withAliases(typed);
  const dom = await domainOf(ctx, typed);
  const disk = strArg(typed, 'device');
  const updates: RemoteTypedParam[] = [];
  for (const [opt, field, scaled] of IOTUNE_FIELDS) {
    let v: bigint | undefined;
    try {
      v = scaled ? scaledOpt(opts, opt, 1n, ULLONG_MAX) : numberOpt(opts, opt, 'ullong');
    } catch (err) {
      if (err instanceof VshFailure) throw err.plus('Unable to parse integer parameter');
      if (err instanceof CliError) throw new VshFailure([...err.lines, 'Unable to parse integer parameter']);
      throw err;
    }
    if (v !== undefined) updates.push(param.ullong(field, v));
  }
  let group: string | undefined;
  try {
    group = strOpt(opts, 'group-name');
  } catch (err) {
    throw new CliError([...(err as CliError).lines, 'Unable to parse group-name parameter']);
  }
  if (group !== undefined) updates.push(param.string('group_name', group));
  const raw = ctx.conn.raw;
  await getOrSet(ctx, updates, {
    count: async () => (await raw.domainGetBlockIoTune(dom, null, 0, flags | STRING_OKAY)).nparams,
    get: async (n) => (await raw.domainGetBlockIoTune(dom, disk, n, flags | STRING_OKAY)).params,
    set: (p) => raw.domainSetBlockIoTune(dom, disk, p, flags),
    countFailed: 'Unable to get number of block I/O throttle parameters',
    getFailed: 'Unable to get block I/O throttle parameters',
    setFailed: 'Unable to change block I/O throttle',
  });
}

async function domiftune(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const dom = await domainOf(ctx, opts);
  const device = strArg(opts, 'interface');
  const updates: RemoteTypedParam[] = [];
  const inbound = strOpt(opts, 'inbound');
  if (inbound !== undefined) {
    const { average, peak, burst, floor } = parseRate(inbound);
    if (average > UINT_MAX || peak > UINT_MAX || burst > UINT_MAX) throw new CliError([`inbound rate larger than maximum ${UINT_MAX}`]);
    if (!average && (burst || peak) && !floor) throw new CliError(['either inbound average or floor is mandatory']);
    updates.push(param.uint('inbound.average', Number(average)));
    if (peak) updates.push(param.uint('inbound.peak', Number(peak)));
    if (burst) updates.push(param.uint('inbound.burst', Number(burst)));
    if (floor) updates.push(param.uint('inbound.floor', Number(floor)));
  }
  const outbound = strOpt(opts, 'outbound');
  if (outbound !== undefined) {
    const { average, peak, burst, floor } = parseRate(outbound);
    if (average > UINT_MAX || peak > UINT_MAX || burst > UINT_MAX) throw new CliError([`outbound rate larger than maximum ${UINT_MAX}`]);
    if (!average && (burst || peak)) throw new CliError(['outbound average is mandatory']);
    if (floor) throw new CliError(['outbound floor is unsupported yet']);
    updates.push(param.uint('outbound.average', Number(average)));
    if (peak) updates.push(param.uint('outbound.peak', Number(peak)));
    if (burst) updates.push(param.uint('outbound.burst', Number(burst)));
  }
  const raw = ctx.conn.raw;
  await getOrSet(ctx, updates, {
    count: async () => (await raw.domainGetInterfaceParameters(dom, device, 0, flags | STRING_OKAY)).nparams,
    get: async (n) => (await raw.domainGetInterfaceParameters(dom, device, n, flags | STRING_OKAY)).params,
    set: (p) => raw.domainSetInterfaceParameters(dom, device, p, flags),
    countFailed: 'Unable to get number of interface parameters',
    getFailed: 'Unable to get interface parameters',
    setFailed: 'Unable to set interface parameters',
  });
}

// --- perf -----------------------------------------------------------------------------------

async function perf(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const enable = strOpt(opts, 'enable');
  const disable = strOpt(opts, 'disable');
  const dom = await domainOf(ctx, opts);
  const params: RemoteTypedParam[] = [];
  for (const [list, on] of [
    [enable, true],
    [disable, false],
  ] as const) {
    if (list === undefined) continue;
    for (const ev of list.split(',')) if (ev !== '') params.push(param.bool(ev, on));
  }
  const status = (ps: readonly RemoteTypedParam[]): void => {
    if (ctx.quiet) return;
    ctx.print(ps.map((p) => `${p.field.padEnd(15)}: ${p.value.type === 6 && p.value.b ? 'enabled' : 'disabled'}\n`).join(''));
  };
  if (!params.length) {
    status(await orFail('Unable to get perf events', () => ctx.conn.raw.domainGetPerfEvents(dom, flags)));
  } else {
    await orFail('Unable to enable/disable perf events', () => ctx.conn.raw.domainSetPerfEvents(dom, params, flags));
    status(params);
  }
}

// --- metadata -------------------------------------------------------------------------------

async function metadata(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  exclusive(opts, ['edit', 'set'], ['remove', 'set'], ['remove', 'edit']);
  const dom = await domainOf(ctx, opts);
  const uri = strArg(opts, 'uri');
  const key = strOpt(opts, 'key');
  const set = strOpt(opts, 'set');
  if ((set !== undefined || opts.bool('edit')) && key === undefined) throw new CliError(['namespace key is required when modifying metadata']);
  if (opts.bool('edit')) {
    await editMetadata(ctx, dom, uri, key!, flags);
    return;
  }
  if (set !== undefined || opts.bool('remove')) {
    await ctx.conn.raw.domainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, set ?? null, key ?? null, uri, flags);
    if (!ctx.quiet) ctx.print(set !== undefined ? 'Metadata modified\n' : 'Metadata removed\n');
    return;
  }
  ctx.print(`${await ctx.conn.raw.domainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, uri, flags)}\n`);
}

// --- domif-setlink --------------------------------------------------------------------------

async function domifSetlink(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const iface = strArg(opts, 'interface');
  const state = strArg(opts, 'state');
  const config = opts.bool('config');
  if (state !== 'up' && state !== 'down') throw new CliError([`invalid link state '${state}'`]);
  let flags = config ? VIR_DOMAIN_AFFECT_CONFIG : VIR_DOMAIN_AFFECT_LIVE;
  if ((await ctx.conn.raw.domainIsActive(dom)) === 0) flags = VIR_DOMAIN_AFFECT_CONFIG;
  const xml = await ctx.conn.raw.domainGetXMLDesc(dom, config ? VIR_DOMAIN_XML_INACTIVE : 0);
  const root = parseXml(xml);
  const interfaces = root.name === 'domain' ? xmlAll(root, 'devices/interface') : [];
  if (!interfaces.length) throw new CliError(['Failed to extract interface information or no interfaces found']);
  const [element, attr] = isMacAddress(iface) ? ['mac', 'address'] : ['target', 'dev'];
  const hit = interfaces.find((n) => xmlChildren(n, element).some((c) => xmlAttr(c, attr)?.toLowerCase() === iface.toLowerCase()));
  if (!hit) throw new CliError([`interface '${iface}' not found`]);
  const link = xmlChildren(hit, 'link')[0];
  if (link) link.attrs.state = state;
  else hit.children.push({ kind: 'element', name: 'link', attrs: Object.assign(Object.create(null) as Record<string, string>, { state }), children: [] });
  const device = serializeXmlNode(hit);
  if (opts.bool('print-xml')) {
    ctx.print(device);
    return;
  }
  await orFail('Failed to update interface link state', () => ctx.conn.raw.domainUpdateDeviceFlags(dom, device, flags));
  if (!ctx.quiet) ctx.print('Device updated successfully\n');
}

async function domlaunchsecinfo(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const params = await orFail('Unable to get launch security parameters', () => ctx.conn.raw.domainGetLaunchSecurityInfo(dom, 0));
  printParams(ctx, params);
}

async function domsetlaunchsecstate(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const hdrFile = strOpt(opts, 'secrethdr');
  const secretFile = strOpt(opts, 'secret');
  if (hdrFile === undefined || secretFile === undefined) throw new CliError(['Both secret and the secret header are required']);
  const params = [param.string('sev-secret-header', await ctx.readFile(hdrFile)), param.string('sev-secret', await ctx.readFile(secretFile))];
  const address = numberOpt(opts, 'set-address', 'ullong');
  if (address !== undefined) params.push(param.ullong('sev-secret-set-address', address));
  await orFail('Unable to set launch security state', () => ctx.conn.raw.domainSetLaunchSecurityState(dom, params, 0));
}

/** The commands of this group. */
export const tuneCommands: readonly CommandSpec[] = [
  domainCommand({
    name: 'schedinfo',
    help: 'show/set scheduler parameters',
    description: 'Show/Set scheduler parameters.',
    options: [
      valueOpt('weight', 'int', 'weight for XEN_CREDIT', { named: true }),
      valueOpt('cap', 'int', 'cap for XEN_CREDIT', { named: true }),
      flag('current', 'get/set current scheduler info'),
      flag('config', 'get/set value to be used on next boot'),
      flag('live', 'get/set value from running domain'),
      argvOpt('set', 'parameter=value'),
    ],
    run: schedinfo,
  }),
  domainCommand({
    name: 'memtune',
    help: 'Get or set memory parameters',
    description:
      'Get or set the current memory parameters for a guest domain.\n    To get the memory parameters use following command: \n\n    virsh # memtune <domain>',
    options: [
      valueOpt('hard-limit', 'int', 'Max memory, as scaled integer (default KiB)'),
      valueOpt('soft-limit', 'int', 'Memory during contention, as scaled integer (default KiB)'),
      valueOpt('swap-hard-limit', 'int', 'Max memory plus swap, as scaled integer (default KiB)'),
      valueOpt('min-guarantee', 'int', 'Min guaranteed memory, as scaled integer (default KiB)'),
      ...AFFECT_OPTS,
    ],
    run: memtune,
  }),
  domainCommand({
    name: 'blkiotune',
    help: 'Get or set blkio parameters',
    description:
      'Get or set the current blkio parameters for a guest domain.\n    To get the blkio parameters use following command: \n\n    virsh # blkiotune <domain>',
    options: [
      valueOpt('weight', 'int', 'IO Weight'),
      valueOpt('device-weights', 'string', 'per-device IO Weights, in the form of /path/to/device,weight,...'),
      valueOpt('device-read-iops-sec', 'string', 'per-device read I/O limit per second, in the form of /path/to/device,read_iops_sec,...'),
      valueOpt('device-write-iops-sec', 'string', 'per-device write I/O limit per second, in the form of /path/to/device,write_iops_sec,...'),
      valueOpt('device-read-bytes-sec', 'string', 'per-device bytes read per second, in the form of /path/to/device,read_bytes_sec,...'),
      valueOpt('device-write-bytes-sec', 'string', 'per-device bytes wrote per second, in the form of /path/to/device,write_bytes_sec,...'),
      ...AFFECT_OPTS,
    ],
    run: blkiotune,
  }),
  domainCommand({
    name: 'numatune',
    help: 'Get or set numa parameters',
    description:
      'Get or set the current numa parameters for a guest domain.\n    To get the numa parameters use following command: \n\n    virsh # numatune <domain>',
    options: [
      valueOpt('mode', 'string', 'NUMA mode, one of strict, preferred and interleave \nor a number from the virDomainNumatuneMemMode enum'),
      valueOpt('nodeset', 'string', 'NUMA node selections to set'),
      ...AFFECT_OPTS,
    ],
    run: numatune,
  }),
  domainCommand({
    name: 'blkdeviotune',
    help: 'Set or query a block device I/O tuning parameters.',
    description: 'Set or query disk I/O parameters such as block throttling.',
    options: [valueOpt('device', 'string', 'block device', { required: true }), ...IOTUNE_OPTS, ...AFFECT_OPTS],
    run: blkdeviotune,
  }),
  domainCommand({
    name: 'domiftune',
    help: 'get/set parameters of a virtual interface',
    description: "Get/set parameters of a domain's virtual interface.",
    options: [
      valueOpt('interface', 'string', 'interface device (MAC Address)', { required: true }),
      valueOpt('inbound', 'string', "control domain's incoming traffics"),
      valueOpt('outbound', 'string', "control domain's outgoing traffics"),
      ...AFFECT_OPTS,
    ],
    run: domiftune,
  }),
  {
    ...domainCommand({
      name: 'domif-setlink',
      help: 'set link state of a virtual interface',
      description: "Set link state of a domain's virtual interface. This command wraps usage of update-device command.",
      options: [
        valueOpt('interface', 'string', 'interface device (MAC Address)', { required: true }),
        valueOpt('state', 'string', 'new state of the device', { required: true }),
        flag('config', 'affect next boot'),
        flag('print-xml', 'print XML document rather than set the interface link state'),
      ],
      run: domifSetlink,
    }),
    // virsh's VSH_OT_ALIAS --persistent, standing for --config.
    aliases: optionAliases({ persistent: 'config' }),
  },
  domainCommand({
    name: 'perf',
    help: 'Get or set perf event',
    description: 'Get or set the current perf events for a guest domain.\n    To get the perf events list use following command: \n\n    virsh # perf <domain>',
    options: [
      valueOpt('enable', 'string', 'perf events which will be enabled'),
      valueOpt('disable', 'string', 'perf events which will be disabled'),
      ...AFFECT_OPTS,
    ],
    run: perf,
  }),
  domainCommand({
    name: 'metadata',
    help: "show or set domain's custom XML metadata",
    description: 'Shows or modifies the XML metadata of a domain.',
    options: [
      valueOpt('uri', 'string', 'URI of the namespace', { required: true }),
      flag('live', 'modify/get running state'),
      flag('config', 'modify/get persistent configuration'),
      flag('current', 'modify/get current state configuration'),
      flag('edit', 'use an editor to change the metadata'),
      valueOpt('key', 'string', 'key to be used as a namespace identifier'),
      valueOpt('set', 'string', 'new metadata to set'),
      flag('remove', 'remove the metadata corresponding to an uri'),
    ],
    run: metadata,
  }),
  domainCommand({
    name: 'domlaunchsecinfo',
    help: 'Get domain launch security info',
    description: 'Get the launch security parameters for a guest domain',
    options: [],
    run: domlaunchsecinfo,
  }),
  domainCommand({
    name: 'domsetlaunchsecstate',
    help: 'Set domain launch security state',
    description: "Set a secret in the guest domain's memory",
    options: [
      valueOpt('secrethdr', 'string', 'path to file containing the secret header', { named: true }),
      valueOpt('secret', 'string', 'path to file containing the secret', { named: true }),
      valueOpt('set-address', 'int', "physical address within the guest domain's memory to set the secret"),
    ],
    run: domsetlaunchsecstate,
  }),
];
