/**
 * Domain tuning, job, vCPU/IOThread placement and guest-agent commands, with
 * virsh 9.0's output (tools/virsh-domain.c), and the helpers the monitoring
 * and host command modules share with them: virsh's number options
 * (vshCommandOptInt and friends), typed parameters as virsh prints and reads
 * them, CPU lists and maps (virBitmapParse / virBitmapDataFormat).
 */
import {
  VIR_DOMAIN_ABORT_JOB_POSTCOPY,
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND,
  VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_REMOVE,
  VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_BITMAP,
  VIR_DOMAIN_DIRTYRATE_MODE_DIRTY_RING,
  VIR_DOMAIN_GUEST_INFO_DISKS,
  VIR_DOMAIN_GUEST_INFO_FILESYSTEM,
  VIR_DOMAIN_GUEST_INFO_HOSTNAME,
  VIR_DOMAIN_GUEST_INFO_INTERFACES,
  VIR_DOMAIN_GUEST_INFO_OS,
  VIR_DOMAIN_GUEST_INFO_TIMEZONE,
  VIR_DOMAIN_GUEST_INFO_USERS,
  VIR_DOMAIN_JOB_STATS_COMPLETED,
  VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED,
  VIR_DOMAIN_MEMORY_PARAM_UNLIMITED,
  VIR_DOMAIN_METADATA_ELEMENT,
  VIR_DOMAIN_PASSWORD_ENCRYPTED,
  VIR_DOMAIN_VCPU_MAXIMUM,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
} from '../../procedures/libvirt-api.gen.js';
import type { Connection } from '../../api/connection.js';
import type { RemoteNonnullDomain, RemoteTypedParam, RemoteTypedParamValue } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { CliError, ParsedOptions, type CommandContext, type CommandSpec, type OptionKind, type OptionSpec } from '../command.js';
import { parseXml, xmlAll, xmlAttr, xmlChildren, xmlFirst, type XmlNode } from '../../api/xml/reader.js';
import { exclusive, lookupDomain } from '../lookup.js';
import { editMetadata } from './edit.js';
import { formatTable } from '../table.js';

// ---------------------------------------------------------------------------------------------
// Failures as virsh reports them

/**
 * A failed command: virsh's own messages (vshError, printed as they happen)
 * followed by libvirt's last error, which virsh reports when the command
 * ends (vshReportError), so lines added later still come before it.
 */
export class VshFailure extends CliError {
  constructor(
    readonly own: readonly string[],
    readonly libvirt: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(libvirt === null ? [...own] : [...own, libvirt], options);
    this.name = 'VshFailure';
  }

  /** The same failure with more of virsh's own lines after the ones it has. */
  plus(...more: string[]): VshFailure {
    return new VshFailure([...this.own, ...more], this.libvirt, { cause: this.cause });
  }
}

/** libvirt's message for a failure (a daemon error's text). */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `own` lines, then the daemon's error as virsh's closing report. */
export function vshFail(own: string | readonly string[], cause: unknown): VshFailure {
  if (cause instanceof VshFailure) return new VshFailure([...cause.own, ...(typeof own === 'string' ? [own] : own)], cause.libvirt, { cause });
  return new VshFailure(typeof own === 'string' ? [own] : own, messageOf(cause), { cause });
}

/** Runs a daemon call; on failure, virsh's `own` message(s) then the daemon's error. */
export async function orFail<T>(own: string | readonly string[], call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof LibvirtError)) throw err;
    throw vshFail(own, err);
  }
}

/** True for a daemon error with this `virErrorNumber` name. */
export function isLibvirtError(err: unknown, code: string): boolean {
  return err instanceof LibvirtError && err.code === code;
}

// ---------------------------------------------------------------------------------------------
// Options

/** The `<domain>` option of domain commands. */
export const DOMAIN_OPT: OptionSpec = { name: 'domain', kind: 'string', positional: true, required: true, help: 'domain name, id or uuid' };

/** A flag. */
export const flag = (name: string, help: string): OptionSpec => ({ name, kind: 'bool', help });

/**
 * An option with a value. virsh 9.0 fills every option that takes a value
 * and is not marked "--name only" from positional arguments, in order
 * (vshCmddefOptParse), so they are positional unless `named` is set.
 */
export const valueOpt = (name: string, kind: Exclude<OptionKind, 'bool'>, help: string, more: { required?: boolean; named?: boolean } = {}): OptionSpec => ({
  name,
  kind,
  help,
  positional: !more.named,
  ...(more.required ? { required: true } : {}),
});

/** --config / --live / --current with virsh's usual help. */
export const AFFECT_OPTS: readonly OptionSpec[] = [
  flag('config', 'affect next boot'),
  flag('live', 'affect running domain'),
  flag('current', 'affect current domain'),
];

/** The flags of --config/--live/--current, after virsh's exclusivity checks (VSH_EXCLUSIVE_OPTIONS_VAR). */
export function affectFlags(opts: ParsedOptions): number {
  exclusive(opts, ['current', 'live'], ['current', 'config']);
  return (opts.bool('config') ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (opts.bool('live') ? VIR_DOMAIN_AFFECT_LIVE : 0);
}

/** VSH_REQUIRE_OPTION: `need` must be given when `opt` is. */
export function requireOption(opts: ParsedOptions, opt: string, need: string): void {
  if (opts.bool(opt) && !opts.bool(need) && opts.string(need) === undefined) {
    throw new CliError([`Option --${need} is required by option --${opt}`]);
  }
}

/**
 * A string option as vshCommandOptStringReq reads it: undefined when absent,
 * an error when given empty.
 */
export function strOpt(opts: ParsedOptions, name: string): string | undefined {
  const v = opts.string(name);
  if (v === '') throw new CliError([`Failed to get option '${name}': Option argument is empty`]);
  return v;
}

/** A required string option ({@link strOpt}; the parser has made sure it is there). */
export function strArg(opts: ParsedOptions, name: string): string {
  return strOpt(opts, name) ?? opts.required(name);
}

/** True when the option was given (with or without a value). */
export function given(opts: ParsedOptions, name: string): boolean {
  return opts.bool(name) || opts.string(name) !== undefined;
}

/** An "argv" option (virsh's VSH_OT_ARGV: `domstats <domain>...`, `schedinfo --set a=1 b=2`): every value left, in order. */
export function argvOpt(name: string, help: string): OptionSpec {
  return { name, kind: 'argv', positional: true, help };
}

/** The values of an argv option, in order. */
export function argvValues(opts: ParsedOptions, name: string): readonly string[] {
  return opts.list(name);
}

// ---------------------------------------------------------------------------------------------
// Numbers as virsh reads them

/** The C integer types virsh reads options into (virStrToLong_i, _uip, _ui, _ll, _ullp, _ull). */
export type CNumberKind = 'int' | 'uint' | 'uint-wrap' | 'llong' | 'ullong' | 'ullong-wrap';

const U64 = 1n << 64n;

/**
 * A number parsed as libvirt's virStrToLong_* do: optional blanks and sign,
 * decimal digits, nothing after; null when malformed or out of range. The
 * `-wrap` kinds take a negative number as its two's complement, the others
 * refuse a minus sign.
 */
export function cNumber(text: string, kind: CNumberKind): bigint | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(text);
  if (!m) return null;
  const neg = m[1] === '-';
  const mag = BigInt(m[2]);
  const signed = (bits: bigint): bigint | null => {
    const v = neg ? -mag : mag;
    return v >= -(1n << (bits - 1n)) && v < 1n << (bits - 1n) ? v : null;
  };
  switch (kind) {
    case 'int':
      return signed(32n);
    case 'llong':
      return signed(64n);
    case 'uint':
      return neg || mag > 0xffffffffn ? null : mag;
    case 'uint-wrap':
      if (mag > 0xffffffffn) return null;
      return neg ? (0x100000000n - mag) & 0xffffffffn : mag;
    case 'ullong':
      return neg || mag >= U64 ? null : mag;
    case 'ullong-wrap':
      if (mag >= U64) return null;
      return neg ? (U64 - mag) % U64 : mag;
  }
}

/**
 * A number option as vshCommandOpt{Int,UInt,LongLong,ULongLong}[Wrap] read
 * it: undefined when absent, `Numeric value ... is malformed or out of range`
 * when bad.
 */
export function numberOpt(opts: ParsedOptions, name: string, kind: CNumberKind): bigint | undefined {
  const text = opts.string(name);
  if (text === undefined) return undefined;
  const v = cNumber(text, kind);
  if (v === null) throw new CliError([`Numeric value '${text}' for <${name}> option is malformed or out of range`]);
  return v;
}

/** {@link numberOpt} as a JS number (for the 32-bit kinds). */
export function smallNumberOpt(opts: ParsedOptions, name: string, kind: 'int' | 'uint' | 'uint-wrap'): number | undefined {
  const v = numberOpt(opts, name, kind);
  return v === undefined ? undefined : Number(v);
}

/**
 * Scales `value` by the unit `suffix` as libvirt's virScaleInteger does
 * (`k`/`KiB` 1024, `KB` 1000, ..., `b`/`byte(s)` 1; none: `scale`); the
 * result, or libvirt's error text.
 */
export function scaleInteger(value: bigint, suffix: string, scale: bigint, limit: bigint): { value: bigint } | { error: string } {
  const lower = suffix.toLowerCase();
  if (suffix !== '') {
    if (lower === 'b' || lower === 'byte' || lower === 'bytes') {
      scale = 1n;
    } else {
      const base = suffix.length === 1 || lower.slice(1) === 'ib' ? 1024n : lower[1] === 'b' && suffix.length === 2 ? 1000n : 0n;
      const power = 'kmgtpe'.indexOf(lower[0]) + 1;
      if (base === 0n || power === 0) return { error: `invalid argument: unknown suffix '${suffix}'` };
      scale = base ** BigInt(power);
    }
  }
  if (value !== 0n && value > limit / scale) return { error: `numerical overflow: value too large: ${value}${suffix}` };
  return { value: value * scale };
}

/**
 * A scaled option as vshCommandOptScaledInt reads it: digits with an
 * optional unit. A {@link VshFailure} when bad (with libvirt's reason when
 * the unit or size was the problem).
 */
export function scaledOpt(opts: ParsedOptions, name: string, scale: bigint, max: bigint): bigint | undefined {
  const text = opts.string(name);
  if (text === undefined) return undefined;
  const fail = (libvirt: string | null): VshFailure =>
    new VshFailure([`Scaled numeric value '${text}' for <${name}> option is malformed or out of range`], libvirt);
  const m = /^[ \t\n\v\f\r]*\+?(\d+)(.*)$/s.exec(text);
  if (!m || BigInt(m[1]) >= U64) throw fail(null);
  const r = scaleInteger(BigInt(m[1]), m[2], scale, max);
  if ('error' in r) throw fail(r.error);
  return r.value;
}

const CAPACITY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** A byte count as vshPrettyCapacity scales it and `%.3lf %s` prints it (`1023.995 GiB`). */
export function prettyCapacity3(bytes: bigint): string {
  let unit = 0;
  let limit = 1024n;
  while (unit < CAPACITY_UNITS.length - 1 && bytes >= limit) {
    unit++;
    limit *= 1024n;
  }
  return `${(Number(bytes) / Number(limit / 1024n)).toFixed(3)} ${CAPACITY_UNITS[unit]}`;
}

// ---------------------------------------------------------------------------------------------
// Typed parameters

/** A typed parameter's value as virsh prints it (vshGetTypedParamValue). */
export function paramText(v: RemoteTypedParamValue): string {
  switch (v.type) {
    case 1:
      return String(v.i);
    case 2:
      return String(v.ui);
    case 3:
      return String(v.l);
    case 4:
      return String(v.ul);
    case 5:
      return v.d.toFixed(6);
    case 6:
      return v.b ? 'yes' : 'no';
    case 7:
      return v.s;
  }
}

/** `field : value` lines as virsh prints parameter lists (`%-15s: %s`). */
export function paramLines(params: readonly RemoteTypedParam[], width = 15): string {
  return params.map((p) => `${p.field.padEnd(width)}: ${paramText(p.value)}\n`).join('');
}

/** Typed parameter builders (virTypedParamsAdd*). */
export const param = {
  int: (field: string, i: number): RemoteTypedParam => ({ field, value: { type: 1, i } }),
  uint: (field: string, ui: number): RemoteTypedParam => ({ field, value: { type: 2, ui } }),
  ullong: (field: string, ul: bigint): RemoteTypedParam => ({ field, value: { type: 4, ul } }),
  bool: (field: string, b: boolean): RemoteTypedParam => ({ field, value: { type: 6, b: b ? 1 : 0 } }),
  string: (field: string, s: string): RemoteTypedParam => ({ field, value: { type: 7, s } }),
};

const TYPE_NAMES = ['', 'int', 'unsigned int', 'long long int', 'unsigned long long int', 'double', 'boolean', 'string'];

/**
 * A parameter of `type` from text, as virTypedParamsAddFromString reads it;
 * libvirt's `Invalid value for field` error when the text does not fit.
 */
export function paramFromString(field: string, type: number, text: string): RemoteTypedParam {
  const bad = (): VshFailure => new VshFailure([], `invalid argument: Invalid value for field '${field}': expected ${TYPE_NAMES[type] ?? 'unknown'}`);
  const num = (kind: CNumberKind): bigint => {
    const v = cNumber(text, kind);
    if (v === null) throw bad();
    return v;
  };
  switch (type) {
    case 1:
      return param.int(field, Number(num('int')));
    case 2:
      return param.uint(field, Number(num('uint-wrap')));
    case 3:
      return { field, value: { type: 3, l: num('llong') } };
    case 4:
      return param.ullong(field, num('ullong-wrap'));
    case 5: {
      const d = Number(text);
      if (text.trim() === '' || Number.isNaN(d)) throw bad();
      return { field, value: { type: 5, d } };
    }
    case 6:
      if (text.toLowerCase() === 'true' || text === '1') return param.bool(field, true);
      if (text.toLowerCase() === 'false' || text === '0') return param.bool(field, false);
      throw bad();
    default:
      return param.string(field, text);
  }
}

// ---------------------------------------------------------------------------------------------
// CPU lists and maps

/** Ranges of set bits (`0-3,6`), as virBitmapFormat writes them. */
export function bitmapRanges(bits: readonly boolean[]): string {
  const parts: string[] = [];
  for (let i = 0; i < bits.length; i++) {
    if (!bits[i]) continue;
    let j = i;
    while (bits[j + 1]) j++;
    parts.push(i === j ? `${i}` : `${i}-${j}`);
    i = j;
  }
  return parts.join(',');
}

/** The bits of a CPU map (`maplen` bytes from `offset`). */
export function mapBits(map: Uint8Array, offset = 0, maplen = map.length - offset): boolean[] {
  return Array.from({ length: maplen * 8 }, (_, c) => (map[offset + (c >> 3)] & (1 << (c & 7))) !== 0);
}

/** A CPU map as virBitmapDataFormat writes it. */
export function formatCpuMap(map: Uint8Array, offset = 0, maplen = map.length - offset): string {
  return bitmapRanges(mapBits(map, offset, maplen));
}

/** The set bits of a bitmap string (`0-3,^2,5`) as virBitmapParse reads it, or null when malformed. */
export function parseBitmap(text: string, size = 1024): Set<number> | null {
  const set = new Set<number>();
  let i = 0;
  const blanks = (): void => {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n') i++;
  };
  const number = (): number | null => {
    const m = /^[0-9]+/.exec(text.slice(i));
    if (!m) return null;
    i += m[0].length;
    const v = Number(m[0]);
    return v < size ? v : null;
  };
  blanks();
  if (i >= text.length) return null;
  for (;;) {
    const neg = text[i] === '^';
    if (neg) i++;
    const start = number();
    if (start === null) return null;
    blanks();
    if (text[i] === '-') {
      if (neg) return null;
      i++;
      blanks();
      const last = number();
      if (last === null || last < start) return null;
      for (let c = start; c <= last; c++) set.add(c);
      blanks();
    } else if (neg) {
      set.delete(start);
    } else {
      set.add(start);
    }
    if (text[i] === ',') {
      i++;
      blanks();
      continue;
    }
    if (i >= text.length) return set;
    return null;
  }
}

/** A set of CPUs as the bytes of a CPU map (as virBitmapToData: up to the last set bit). */
function cpuMapBytes(cpus: Set<number>, nbits?: number): Uint8Array {
  const last = Math.max(-1, ...cpus);
  const len = nbits !== undefined ? (nbits + 7) >> 3 : last < 0 ? 1 : (last + 8) >> 3;
  const map = new Uint8Array(len);
  for (const c of cpus) map[c >> 3] |= 1 << (c & 7);
  return map;
}

/**
 * The CPU map of a `cpulist` option, as virshParseCPUList reads it: `r` for
 * every CPU, else a bitmap string with at least one CPU below `maxcpu`.
 */
export function parseCpuList(cpulist: string, maxcpu: number): Uint8Array {
  if (cpulist[0] === 'r') return cpuMapBytes(new Set(Array.from({ length: maxcpu }, (_, i) => i)), maxcpu);
  const set = parseBitmap(cpulist);
  if (set === null) throw new VshFailure([`Invalid cpulist '${cpulist}'`], `invalid argument: Failed to parse bitmap '${cpulist}'`);
  if (set.size === 0) throw new CliError([`Invalid cpulist '${cpulist}'`]);
  const last = Math.max(...set);
  if (last >= maxcpu) throw new CliError([`CPU ${last} in cpulist '${cpulist}' exceed the maxcpu ${maxcpu}`]);
  return cpuMapBytes(set);
}

/** The host's CPU count as virsh finds it (virshNodeGetCPUCount: the CPU map, else node info). */
export async function nodeCpuCount(conn: Connection): Promise<number> {
  try {
    return (await conn.raw.nodeGetCPUMap(0, 0, 0)).ret;
  } catch (err) {
    if (!(err instanceof LibvirtError)) throw err;
    const i = await conn.raw.nodeGetInfo();
    return i.nodes * i.sockets * i.cores * i.threads;
  }
}

/**
 * The flag libvirt's client library adds to calls whose answer may hold
 * string parameters (VIR_TYPED_PARAM_STRING_OKAY): without it the daemon
 * leaves those parameters out.
 */
export const STRING_OKAY = 4;

// ---------------------------------------------------------------------------------------------
// Domain commands

const GROUP = 'Domain Management';

/** A domain command: `<domain>` first, then `options`. */
export function domainCommand(
  name: string,
  help: string,
  options: readonly OptionSpec[],
  run: (ctx: CommandContext, opts: ParsedOptions) => Promise<void>,
  group = GROUP,
): CommandSpec {
  return { name, group, help, options: [DOMAIN_OPT, ...options], run };
}

/** The domain of the `<domain>` option. */
export function domainOf(ctx: CommandContext, opts: ParsedOptions): Promise<RemoteNonnullDomain> {
  return lookupDomain(ctx.conn, opts.required('domain'));
}

/** Prints typed parameters, each as `%-15s: %s`, `show` turning some values into words. */
function printParams(ctx: CommandContext, params: readonly RemoteTypedParam[], show?: (p: RemoteTypedParam) => string | null): void {
  ctx.print(params.map((p) => `${p.field.padEnd(15)}: ${show?.(p) ?? paramText(p.value)}\n`).join(''));
}

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
  for (const set of argvValues(opts, 'set')) {
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

const NUMA_MODES = ['strict', 'preferred', 'interleave', 'restrictive'];

/** An `int` as C's strtol with base 0 reads it (`0x` hex, leading `0` octal), whole text only. */
function cIntBase0(text: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return null;
  const body = m[2];
  const mag = /^0[xX]/.test(body) ? BigInt(body) : body.length > 1 && body[0] === '0' ? BigInt(`0o${body.slice(1)}`) : BigInt(body);
  const v = m[1] === '-' ? -mag : mag;
  return v >= -(1n << 31n) && v < 1n << 31n ? Number(v) : null;
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
    'total-bytes-sec', 'read-bytes-sec', 'write-bytes-sec', 'total-iops-sec', 'read-iops-sec', 'write-iops-sec',
    'total-bytes-sec-max', 'read-bytes-sec-max', 'write-bytes-sec-max', 'total-iops-sec-max', 'read-iops-sec-max',
    'write-iops-sec-max', 'size-iops-sec', 'group-name', 'total-bytes-sec-max-length', 'read-bytes-sec-max-length',
    'write-bytes-sec-max-length', 'total-iops-sec-max-length', 'read-iops-sec-max-length', 'write-iops-sec-max-length',
  ];
  const out: OptionSpec[] = [];
  for (const o of order) {
    const kind = o === 'group-name' ? 'string' : 'int';
    const help = o === 'group-name' ? 'group name to share I/O quota between multiple drives' : IOTUNE_HELP[o];
    out.push(valueOpt(o, kind, help));
  }
  // The aliases take no positional arguments (virsh skips VSH_OT_ALIAS there).
  for (const o of order) out.push(valueOpt(o.replaceAll('-', '_'), o === 'group-name' ? 'string' : 'int', `alias of --${o}`, { named: true }));
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
      v = scaled ? scaledOpt(opts, opt, 1n, U64 - 1n) : numberOpt(opts, opt, 'ullong');
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

const RATE_FIELDS = ['average', 'peak', 'burst', 'floor'];

/** A bandwidth rate `average[,peak[,burst[,floor]]]` (virshParseRateStr); empty fields are 0. */
function parseRate(text: string): bigint[] {
  const parts = text.split(',');
  if (parts.length > RATE_FIELDS.length) throw new CliError([`Rate string '${text}' has too many fields`]);
  return parts.map((p, i) => {
    if (p === '') return 0n;
    const v = cNumber(p, 'ullong');
    if (v === null) throw new CliError([`field '${RATE_FIELDS[i]}' is malformed`]);
    return v;
  });
}

async function domiftune(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const flags = affectFlags(opts);
  const dom = await domainOf(ctx, opts);
  const device = strArg(opts, 'interface');
  const updates: RemoteTypedParam[] = [];
  const UINT_MAX = 0xffffffffn;
  const inbound = strOpt(opts, 'inbound');
  if (inbound !== undefined) {
    const [average = 0n, peak = 0n, burst = 0n, floor = 0n] = parseRate(inbound);
    if (average > UINT_MAX || peak > UINT_MAX || burst > UINT_MAX) throw new CliError([`inbound rate larger than maximum ${UINT_MAX}`]);
    if (!average && (burst || peak) && !floor) throw new CliError(['either inbound average or floor is mandatory']);
    updates.push(param.uint('inbound.average', Number(average)));
    if (peak) updates.push(param.uint('inbound.peak', Number(peak)));
    if (burst) updates.push(param.uint('inbound.burst', Number(burst)));
    if (floor) updates.push(param.uint('inbound.floor', Number(floor)));
  }
  const outbound = strOpt(opts, 'outbound');
  if (outbound !== undefined) {
    const [average = 0n, peak = 0n, burst = 0n, floor = 0n] = parseRate(outbound);
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
  for (const [list, on] of [[enable, true], [disable, false]] as const) {
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

// --- jobs -----------------------------------------------------------------------------------

const JOB_TYPES = ['None', 'Bounded', 'Unbounded', 'Completed', 'Failed', 'Cancelled'];
const JOB_OPERATIONS = [
  'Unknown', 'Start', 'Save', 'Restore', 'Incoming migration', 'Outgoing migration', 'Snapshot', 'Snapshot revert', 'Dump',
  'Backup', 'Snapshot delete',
];

/** A double as C's `%g` writes it: six significant digits, exponent form outside 1e-4 .. 1e6, no trailing zeros. */
export function formatG(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const trim = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  const [mantissa, e] = d.toExponential(5).split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(d.toFixed(5 - exp));
}

/** A typed parameter's value as libvirt's virTypedParameterToString writes it (domjobinfo --rawstats). */
function rawParamText(v: RemoteTypedParamValue): string {
  if (v.type === 6) return String(v.b);
  if (v.type === 5) return formatG(v.d);
  return paramText(v);
}

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
      time_elapsed: old.timeElapsed, time_remaining: old.timeRemaining, data_total: old.dataTotal, data_processed: old.dataProcessed,
      data_remaining: old.dataRemaining, memory_total: old.memTotal, memory_processed: old.memProcessed, memory_remaining: old.memRemaining,
      disk_total: old.fileTotal, disk_processed: old.fileProcessed, disk_remaining: old.fileRemaining,
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
  if ((flags & VIR_DOMAIN_AFFECT_LIVE && (await raw.domainIsActive(dom)) < 1) || (flags & VIR_DOMAIN_AFFECT_CONFIG && (await raw.domainIsPersistent(dom)) < 1)) {
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
  for (const [opt, field] of [['poll-grow', 'poll_grow'], ['poll-shrink', 'poll_shrink']]) {
    const v = smallNumberOpt(opts, opt, 'uint');
    if (v !== undefined) params.push(param.uint(field, v));
  }
  for (const [opt, field] of [['thread-pool-min', 'thread_pool_min'], ['thread-pool-max', 'thread_pool_max']]) {
    const v = smallNumberOpt(opts, opt, 'int');
    if (v !== undefined) params.push(param.int(field, v));
  }
  if (!params.length) throw new CliError(['Not enough arguments passed, nothing to set']);
  await ctx.conn.raw.domainSetIOThreadParams(dom, id, params, flags);
}

// --- domif-setlink --------------------------------------------------------------------------

/** A MAC address as virMacAddrParse accepts it: six groups of one or two hex digits. */
export function isMacAddress(text: string): boolean {
  return /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}(?:[\x00- ].*)?$/s.test(text);
}

/** Writes a node back out as libxml2's xmlNodeDump does (double-quoted attributes, empty elements self-closed). */
export function serializeXmlNode(node: XmlNode): string {
  if (node.kind !== 'element') return node.kind === 'comment' ? '' : node.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const attrs = Object.entries(node.attrs)
    .map(([k, v]) => ` ${k}="${v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;')}"`)
    .join('');
  if (!node.children.length) return `<${node.name}${attrs}/>`;
  return `<${node.name}${attrs}>${node.children.map(serializeXmlNode).join('')}</${node.name}>`;
}

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

// --- display and console --------------------------------------------------------------------

/** virXPathInt on an attribute: the number, or null when missing or not a whole `int`. */
function intAttr(value: string | undefined): number | null {
  if (value === undefined) return null;
  const v = cNumber(value, 'int');
  return v === null ? null : Number(v);
}

async function domdisplay(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const raw = ctx.conn.raw;
  if (!(await raw.domainIsActive(dom))) throw new CliError(['Domain is not running']);
  const type = strOpt(opts, 'type');
  const all = opts.bool('all');
  const doc = parseXml(await raw.domainGetXMLDesc(dom, opts.bool('include-password') ? VIR_DOMAIN_XML_SECURE : 0));
  const graphics = xmlAll(doc, 'devices/graphics');
  let found = false;
  for (const scheme of ['vnc', 'spice', 'rdp', 'dbus']) {
    if (!all && type !== undefined && type !== scheme) continue;
    const g = graphics.find((e) => e.attrs.type === scheme);
    if (!g) continue;
    let port = intAttr(g.attrs.port) ?? 0;
    const tlsPort = intAttr(g.attrs.tlsPort) ?? 0;
    let listen: string | undefined = g.attrs.listen;
    const listenEl = xmlFirst(g, 'listen');
    const sock = listenEl?.attrs.type === 'socket' ? listenEl.attrs.socket : undefined;
    let uri: string;
    if (scheme === 'dbus') {
      // A D-Bus display is reached through its bus address.
      const address = g.attrs.address;
      if (address === undefined || !address.startsWith('unix:path=')) continue;
      uri = `dbus+unix://${address.slice('unix:path='.length)}`;
    } else {
      if (!port && !tlsPort && sock === undefined) continue;
      if (listen === undefined) listen = listenEl?.attrs.address;
      else if (/^(0\.0\.0\.0|::|\[::\]|0+(:0+)*|::0)$/.test(listen)) listen = serverOf(ctx.conn.uri);
      const passwd = g.attrs.passwd;
      uri = sock !== undefined ? `${scheme}+unix://` : `${scheme}://`;
      if (scheme === 'vnc' && passwd !== undefined) uri += `:${passwd}@`;
      if (sock !== undefined) uri += sock;
      else if (listen === undefined) uri += 'localhost';
      else uri += listen.includes(':') ? `[${listen}]` : listen;
      if (port) {
        if (scheme === 'vnc') port -= 5900;
        uri += `:${port}`;
      }
      const query: string[] = [];
      if (tlsPort) query.push(`tls-port=${tlsPort}`);
      if (scheme === 'spice' && passwd !== undefined) query.push(`password=${passwd}`);
      if (query.length) uri += `?${query.join('&')}`;
    }
    ctx.print(uri);
    found = true;
    if (!all) break;
    ctx.print('\n');
  }
  if (!found) throw new CliError([type !== undefined ? `No graphical display with type '${type}' found` : 'No graphical display found']);
}

/** The host part of a connection URI (virsh's fallback for a wildcard listen address), if any. */
function serverOf(uri: string): string | undefined {
  const m = /^[^:]+:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/?]*)/.exec(uri);
  const host = m?.[1];
  return host ? host.replace(/^\[|\]$/g, '') : undefined;
}

async function vncdisplay(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  if (!(await ctx.conn.raw.domainIsActive(dom))) throw new CliError(['Domain is not running']);
  const doc = parseXml(await ctx.conn.raw.domainGetXMLDesc(dom, 0));
  const vnc = xmlAll(doc, 'devices/graphics').find((g) => g.attrs.type === 'vnc');
  const port = intAttr(vnc?.attrs.port);
  if (port === null) throw new CliError(['Failed to get VNC port. Is this domain using VNC?']);
  const listen = vnc?.attrs.listen || (vnc ? xmlFirst(vnc, 'listen')?.attrs.address : undefined) || undefined;
  ctx.print(listen === undefined || listen === '0.0.0.0' ? `:${port - 5900}\n` : `${listen}:${port - 5900}\n`);
}

/** Fails without a message, as virsh does when a value it looked for is missing. */
export class SilentFailure extends CliError {
  constructor() {
    super([]);
    this.name = 'SilentFailure';
  }
}

async function ttyconsole(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const doc = parseXml(await ctx.conn.raw.domainGetXMLDesc(await domainOf(ctx, opts), 0));
  const tty = xmlFirst(doc, 'devices/console')?.attrs.tty;
  if (!tty) throw new SilentFailure();
  ctx.print(`${tty}\n`);
}

// --- guest agent ----------------------------------------------------------------------------

async function domfsinfo(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const info = await orFail('Unable to get filesystem information', () => ctx.conn.raw.domainGetFSInfo(dom, 0));
  if (!info.info.length) {
    if (!ctx.quiet) ctx.print('No filesystems are mounted in the domain');
    return;
  }
  const rows = info.info.map((f) => [f.mountpoint, f.name, f.fstype, f.dev_aliases.join(',')]);
  ctx.print(formatTable(['Mountpoint', 'Name', 'Type', 'Target'], rows, ctx.quiet));
}

async function domfsFreezeThaw(ctx: CommandContext, opts: ParsedOptions, freeze: boolean): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const mountpoints = [...argvValues(opts, 'mountpoint')];
  const n = freeze
    ? await orFail('Unable to freeze filesystems', () => ctx.conn.raw.domainFSFreeze(dom, mountpoints, 0))
    : await orFail('Unable to thaw filesystems', () => ctx.conn.raw.domainFSThaw(dom, mountpoints, 0));
  if (!ctx.quiet) ctx.print(`${freeze ? 'Froze' : 'Thawed'} ${n} filesystem(s)\n`);
}

async function domfstrim(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const minimum = numberOpt(opts, 'minimum', 'ullong') ?? 0n;
  const mountpoint = strOpt(opts, 'mountpoint') ?? null;
  await orFail('Unable to invoke fstrim', () => ctx.conn.raw.domainFSTrim(dom, mountpoint, minimum, 0));
}

const GUEST_INFO_TYPES: readonly (readonly [string, number])[] = [
  ['user', VIR_DOMAIN_GUEST_INFO_USERS],
  ['os', VIR_DOMAIN_GUEST_INFO_OS],
  ['timezone', VIR_DOMAIN_GUEST_INFO_TIMEZONE],
  ['hostname', VIR_DOMAIN_GUEST_INFO_HOSTNAME],
  ['filesystem', VIR_DOMAIN_GUEST_INFO_FILESYSTEM],
  ['disk', VIR_DOMAIN_GUEST_INFO_DISKS],
  ['interface', VIR_DOMAIN_GUEST_INFO_INTERFACES],
];

async function guestinfo(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const types = GUEST_INFO_TYPES.reduce((t, [o, v]) => (opts.bool(o) ? t | v : t), 0);
  const dom = await domainOf(ctx, opts);
  const params = await ctx.conn.raw.domainGetGuestInfo(dom, types, 0);
  ctx.print(paramLines(params, 20));
}

async function getUserSshkeys(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const keys = await ctx.conn.raw.domainAuthorizedSSHKeysGet(dom, strArg(opts, 'user'), 0);
  ctx.print(keys.map((k) => `${k}\n`).join(''));
}

async function setUserSshkeys(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const user = strArg(opts, 'user');
  const file = strOpt(opts, 'file');
  const remove = opts.bool('remove');
  requireOption(opts, 'remove', 'file');
  exclusive(opts, ['reset', 'remove']);
  let flags = 0;
  if (remove) {
    flags |= VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_REMOVE;
  } else if (!opts.bool('reset')) {
    flags |= VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND;
    if (file === undefined) throw new CliError(['Option --file is required']);
  }
  let keys: string[] = [];
  if (file !== undefined) {
    keys = (await ctx.readFile(file)).split('\n').filter((k) => k !== '' && !k.startsWith('#'));
    if (!keys.length) throw new CliError([`File ${file} contains no keys`]);
  }
  await ctx.conn.raw.domainAuthorizedSSHKeysSet(dom, user, keys, flags);
}

async function setUserPassword(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const user = strArg(opts, 'user');
  const password = strArg(opts, 'password');
  const dom = await domainOf(ctx, opts);
  await ctx.conn.raw.domainSetUserPassword(dom, user, password, opts.bool('encrypted') ? VIR_DOMAIN_PASSWORD_ENCRYPTED : 0);
  if (!ctx.quiet) ctx.print(`Password set successfully for ${user} in ${dom.name}`);
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

async function guestAgentTimeout(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  // Without --timeout virsh passes its variable as it was initialised: -2, the agent's default.
  const timeout = smallNumberOpt(opts, 'timeout', 'int') ?? -2;
  await ctx.conn.raw.domainAgentSetResponseTimeout(dom, timeout, 0);
}

// ---------------------------------------------------------------------------------------------

/** The commands of this group. */
export const tuneCommands: readonly CommandSpec[] = [
  domainCommand(
    'schedinfo',
    'show/set scheduler parameters',
    [
      valueOpt('weight', 'int', 'weight for XEN_CREDIT', { named: true }),
      valueOpt('cap', 'int', 'cap for XEN_CREDIT', { named: true }),
      flag('current', 'get/set current scheduler info'),
      flag('config', 'get/set value to be used on next boot'),
      flag('live', 'get/set value from running domain'),
      argvOpt('set', 'parameter=value'),
    ],
    schedinfo,
  ),
  domainCommand(
    'memtune',
    'Get or set memory parameters',
    [
      valueOpt('hard-limit', 'int', 'Max memory, as scaled integer (default KiB)'),
      valueOpt('soft-limit', 'int', 'Memory during contention, as scaled integer (default KiB)'),
      valueOpt('swap-hard-limit', 'int', 'Max memory plus swap, as scaled integer (default KiB)'),
      valueOpt('min-guarantee', 'int', 'Min guaranteed memory, as scaled integer (default KiB)'),
      ...AFFECT_OPTS,
    ],
    memtune,
  ),
  domainCommand(
    'blkiotune',
    'Get or set blkio parameters',
    [
      valueOpt('weight', 'int', 'IO Weight'),
      valueOpt('device-weights', 'string', 'per-device IO Weights, in the form of /path/to/device,weight,...'),
      valueOpt('device-read-iops-sec', 'string', 'per-device read I/O limit per second, in the form of /path/to/device,read_iops_sec,...'),
      valueOpt('device-write-iops-sec', 'string', 'per-device write I/O limit per second, in the form of /path/to/device,write_iops_sec,...'),
      valueOpt('device-read-bytes-sec', 'string', 'per-device bytes read per second, in the form of /path/to/device,read_bytes_sec,...'),
      valueOpt('device-write-bytes-sec', 'string', 'per-device bytes wrote per second, in the form of /path/to/device,write_bytes_sec,...'),
      ...AFFECT_OPTS,
    ],
    blkiotune,
  ),
  domainCommand(
    'numatune',
    'Get or set numa parameters',
    [
      valueOpt('mode', 'string', 'NUMA mode, one of strict, preferred and interleave or a number from the virDomainNumatuneMemMode enum'),
      valueOpt('nodeset', 'string', 'NUMA node selections to set'),
      ...AFFECT_OPTS,
    ],
    numatune,
  ),
  domainCommand(
    'blkdeviotune',
    'Set or query a block device I/O tuning parameters.',
    [valueOpt('device', 'string', 'block device', { required: true }), ...IOTUNE_OPTS, ...AFFECT_OPTS],
    blkdeviotune,
  ),
  domainCommand(
    'domiftune',
    'get/set parameters of a virtual interface',
    [
      valueOpt('interface', 'string', 'interface device (MAC Address)', { required: true }),
      valueOpt('inbound', 'string', "control domain's incoming traffics"),
      valueOpt('outbound', 'string', "control domain's outgoing traffics"),
      ...AFFECT_OPTS,
    ],
    domiftune,
  ),
  domainCommand(
    'domif-setlink',
    'set link state of a virtual interface',
    [
      valueOpt('interface', 'string', 'interface device (MAC Address)', { required: true }),
      valueOpt('state', 'string', 'new state of the device', { required: true }),
      flag('config', 'affect next boot'),
      flag('print-xml', 'print XML document rather than set the interface link state'),
    ],
    domifSetlink,
  ),
  domainCommand(
    'perf',
    'Get or set perf event',
    [valueOpt('enable', 'string', 'perf events which will be enabled'), valueOpt('disable', 'string', 'perf events which will be disabled'), ...AFFECT_OPTS],
    perf,
  ),
  domainCommand(
    'metadata',
    "show or set domain's custom XML metadata",
    [
      valueOpt('uri', 'string', 'URI of the namespace', { required: true }),
      flag('live', 'modify/get running state'),
      flag('config', 'modify/get persistent configuration'),
      flag('current', 'modify/get current state configuration'),
      flag('edit', 'use an editor to change the metadata'),
      valueOpt('key', 'string', 'key to be used as a namespace identifier'),
      valueOpt('set', 'string', 'new metadata to set'),
      flag('remove', 'remove the metadata corresponding to an uri'),
    ],
    metadata,
  ),
  domainCommand(
    'domjobinfo',
    'domain job information',
    [
      flag('completed', 'return statistics of a recently completed job'),
      flag('keep-completed', "don't destroy statistics of a recently completed job when reading"),
      flag('anystats', 'print statistics for any kind of job (even failed ones)'),
      flag('rawstats', 'print the raw data returned by libvirt'),
    ],
    domjobinfo,
  ),
  domainCommand('domjobabort', 'abort active domain job', [flag('postcopy', 'interrupt post-copy migration')], domjobabort),
  domainCommand(
    'cpu-stats',
    'show domain cpu statistics',
    [flag('total', 'Show total statistics only'), valueOpt('start', 'int', 'Show statistics from this CPU'), valueOpt('count', 'int', 'Number of shown CPUs at most')],
    cpuStats,
  ),
  domainCommand(
    'vcpupin',
    'control or query domain vcpu affinity',
    [valueOpt('vcpu', 'int', 'vcpu number'), valueOpt('cpulist', 'string', 'host cpu number(s) to set, or omit option to query'), ...AFFECT_OPTS],
    vcpupin,
  ),
  domainCommand(
    'emulatorpin',
    'control or query domain emulator affinity',
    [valueOpt('cpulist', 'string', 'host cpu number(s) to set, or omit option to query'), ...AFFECT_OPTS],
    emulatorpin,
  ),
  domainCommand(
    'setvcpu',
    'attach/detach vcpu or groups of threads',
    [
      valueOpt('vcpulist', 'string', 'ids of vcpus to manipulate', { required: true }),
      flag('enable', 'enable cpus specified by cpumap'),
      flag('disable', 'disable cpus specified by cpumap'),
      ...AFFECT_OPTS,
    ],
    setvcpu,
  ),
  domainCommand(
    'guestvcpus',
    'query or modify state of vcpu in the guest (via agent)',
    [valueOpt('cpulist', 'string', 'list of cpus to enable or disable'), flag('enable', 'enable cpus specified by cpulist'), flag('disable', 'disable cpus specified by cpulist')],
    guestvcpus,
  ),
  domainCommand('iothreadinfo', 'view domain IOThreads', AFFECT_OPTS, iothreadinfo),
  domainCommand(
    'iothreadpin',
    'control domain IOThread affinity',
    [valueOpt('iothread', 'int', 'IOThread ID number', { required: true }), valueOpt('cpulist', 'string', 'host cpu number(s) to set', { required: true }), ...AFFECT_OPTS],
    iothreadpin,
  ),
  domainCommand('iothreadadd', 'add an IOThread to the guest domain', [valueOpt('id', 'int', 'iothread for the new IOThread', { required: true }), ...AFFECT_OPTS], (ctx, opts) =>
    iothreadAddDel(ctx, opts, true),
  ),
  domainCommand(
    'iothreadset',
    'modifies an existing IOThread of the guest domain',
    [
      valueOpt('id', 'int', 'iothread id of existing IOThread', { required: true }),
      valueOpt('poll-max-ns', 'int', 'set the maximum IOThread polling time in ns'),
      valueOpt('poll-grow', 'int', 'set the value to increase the IOThread polling time'),
      valueOpt('poll-shrink', 'int', 'set the value for reduction of the IOThread polling time'),
      valueOpt('thread-pool-min', 'int', 'lower boundary for worker thread pool'),
      valueOpt('thread-pool-max', 'int', 'upper boundary for worker thread pool'),
      ...AFFECT_OPTS,
    ],
    iothreadset,
  ),
  domainCommand('iothreaddel', 'delete an IOThread from the guest domain', [valueOpt('id', 'int', 'iothread_id for the IOThread to delete', { required: true }), ...AFFECT_OPTS], (ctx, opts) =>
    iothreadAddDel(ctx, opts, false),
  ),
  domainCommand(
    'domdisplay',
    'domain display connection URI',
    [
      flag('include-password', 'includes the password into the connection URI if available'),
      valueOpt('type', 'string', 'select particular graphical display (e.g. "vnc", "spice", "rdp", "dbus")'),
      flag('all', 'show all possible graphical displays'),
    ],
    domdisplay,
  ),
  domainCommand('vncdisplay', 'vnc display', [], vncdisplay),
  domainCommand('ttyconsole', 'tty console', [], ttyconsole),
  domainCommand('domfsinfo', "Get information of domain's mounted filesystems.", [], domfsinfo),
  domainCommand('domfsfreeze', "Freeze domain's mounted filesystems.", [argvOpt('mountpoint', 'mountpoint path to be frozen')], (ctx, opts) => domfsFreezeThaw(ctx, opts, true)),
  domainCommand('domfsthaw', "Thaw domain's mounted filesystems.", [argvOpt('mountpoint', 'mountpoint path to be thawed')], (ctx, opts) => domfsFreezeThaw(ctx, opts, false)),
  domainCommand(
    'domfstrim',
    "Invoke fstrim on domain's mounted filesystems.",
    [valueOpt('minimum', 'int', 'Just a hint to ignore contiguous free ranges smaller than this (Bytes)'), valueOpt('mountpoint', 'string', 'which mount point to trim')],
    domfstrim,
  ),
  domainCommand(
    'guestinfo',
    'query information about the guest (via agent)',
    [
      flag('user', 'report active users'),
      flag('os', 'report operating system information'),
      flag('timezone', 'report timezone information'),
      flag('hostname', 'report hostname'),
      flag('filesystem', 'report filesystem information'),
      flag('disk', 'report disk information'),
      flag('interface', 'report interface information'),
    ],
    guestinfo,
  ),
  domainCommand('get-user-sshkeys', 'list authorized SSH keys for given user (via agent)', [valueOpt('user', 'string', 'user to list authorized keys for', { required: true })], getUserSshkeys),
  domainCommand(
    'set-user-sshkeys',
    'manipulate authorized SSH keys file for given user (via agent)',
    [
      valueOpt('user', 'string', 'user to set authorized keys for', { required: true }),
      valueOpt('file', 'string', 'optional file to read keys from'),
      flag('reset', 'clear out authorized keys file before adding new keys'),
      flag('remove', 'remove keys from the authorized keys file'),
    ],
    setUserSshkeys,
  ),
  domainCommand(
    'set-user-password',
    'set the user password inside the domain',
    [
      valueOpt('user', 'string', 'the username', { required: true }),
      valueOpt('password', 'string', 'the new password', { required: true }),
      flag('encrypted', 'the password is already encrypted'),
    ],
    setUserPassword,
  ),
  domainCommand('domlaunchsecinfo', 'Get domain launch security info', [], domlaunchsecinfo),
  domainCommand(
    'domsetlaunchsecstate',
    'Set domain launch security state',
    [
      valueOpt('secrethdr', 'string', 'path to file containing the secret header'),
      valueOpt('secret', 'string', 'path to file containing the secret'),
      valueOpt('set-address', 'int', "physical address within the guest domain's memory to set the secret"),
    ],
    domsetlaunchsecstate,
  ),
  domainCommand(
    'domdirtyrate-calc',
    "Calculate a vm's memory dirty rate",
    [
      valueOpt('seconds', 'int', 'calculate memory dirty rate within specified seconds, the supported value range from 1 to 60, default to 1.'),
      valueOpt('mode', 'string', "dirty page rate calculation mode, either of these 3 options 'page-sampling, dirty-bitmap, dirty-ring' can be specified."),
    ],
    domdirtyrateCalc,
  ),
  domainCommand('guest-agent-timeout', 'Set the guest agent timeout', [valueOpt('timeout', 'int', 'timeout seconds.', { named: true })], guestAgentTimeout),
];
