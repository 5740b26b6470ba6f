/**
 * The tuning commands that get or set a domain's typed parameters (tools/virsh-domain.c):
 * memtune, blkiotune, numatune, blkdeviotune, domiftune. tune.ts lists them among the other
 * tuning commands.
 */
import { VIR_DOMAIN_MEMORY_PARAM_UNLIMITED } from '../../procedures/libvirt-api.gen.js';
import type { RemoteTypedParam } from '../../procedures/remote.gen.js';
import { CliError, ParsedOptions, type CommandContext, type OptionSpec } from '../command.js';
import { VshFailure, orFail } from '../support/failures.js';
import { parseRate, valueOpt, affectFlags, strOpt, strArg, aliasOpt } from '../support/options.js';
import { UINT_MAX, ULLONG_MAX, cIntBase0, scaleInteger, numberOpt, smallNumberOpt, scaledOpt } from '../support/numbers.js';
import { printParams, STRING_OKAY, param } from '../support/params.js';
import { domainOf } from '../support/templates.js';
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

export async function memtune(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
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

export async function blkiotune(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
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

export async function numatune(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
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
export const IOTUNE_OPTS: readonly OptionSpec[] = (() => {
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

export async function blkdeviotune(ctx: CommandContext, typed: ParsedOptions): Promise<void> {
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

export async function domiftune(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
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
