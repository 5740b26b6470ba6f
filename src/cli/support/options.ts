/**
 * The option vocabulary of tsvirsh's commands, as virsh's option tables and
 * readers define it (tools/vsh.c vshCmdOptDef, vshCommandOptStringReq,
 * VSH_EXCLUSIVE_OPTIONS, VSH_REQUIRE_OPTION): how an option is declared, the
 * options many commands share, and how a command reads its values.
 */
import { VIR_DOMAIN_AFFECT_CONFIG, VIR_DOMAIN_AFFECT_LIVE } from '../../procedures/libvirt-api.gen.js';
import { CliError, type OptionKind, type OptionSpec, type ParsedOptions } from '../command.js';
import { cNumber } from './numbers.js';

// ---------------------------------------------------------------------------------------------
// Declaring options

/** A boolean option (virsh's VSH_OT_BOOL). */
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

/** An "argv" option (virsh's VSH_OT_ARGV: `domstats <domain>...`, `schedinfo --set a=1 b=2`): every value left, in order. */
export function argvOpt(name: string, help: string): OptionSpec {
  return { name, kind: 'argv', positional: true, help };
}

/**
 * virsh's VSH_OT_ALIAS: another spelling of an option, whose help is what it
 * stands for (`total-bytes-sec`, `mode=shareable`); left out of help and
 * never filled by position. The command reads it under its own name.
 */
export function aliasOpt(name: string, kind: OptionKind, target: string): OptionSpec {
  return { name, kind, help: target, hidden: true, aliasOf: target.split('=')[0] };
}

// ---------------------------------------------------------------------------------------------
// Options many commands share

/** The `<domain>` option with a command's own words for it (virsh's VIRSH_COMMON_OPT_DOMAIN). */
export const domainOpt = (help: string): OptionSpec => valueOpt('domain', 'string', help, { required: true });

/** The `<domain>` option of domain commands (VIRSH_COMMON_OPT_DOMAIN_FULL). */
export const DOMAIN: OptionSpec = domainOpt('domain name, id or uuid');

/** The `<network>` option of network commands. */
export const NETWORK: OptionSpec = valueOpt('network', 'string', 'network name or uuid', { required: true });

/** The `<pool>` option of pool commands. */
export const POOL: OptionSpec = valueOpt('pool', 'string', 'pool name or uuid', { required: true });

/** The `<vol>` option of volume commands. */
export const VOL: OptionSpec = valueOpt('vol', 'string', 'vol name, key or path', { required: true });

/** The `[--pool]` of volume commands (VIRSH_COMMON_OPT_POOL_OPTIONAL: positional too, after the options before it). */
export const VOL_POOL: OptionSpec = valueOpt('pool', 'string', 'pool name or uuid');

/** `--validate` of the define commands. */
export const VALIDATE: OptionSpec = flag('validate', 'validate the XML against the schema');

/** --config / --live / --current with virsh's usual help. */
export const AFFECT_OPTS: readonly OptionSpec[] = [
  flag('config', 'affect next boot'),
  flag('live', 'affect running domain'),
  flag('current', 'affect current domain'),
];

/** `--persistent` of the device commands (listed before {@link AFFECT_OPTS}). */
export const PERSISTENT: OptionSpec = flag('persistent', 'make live change persistent');

/** `--xpath` and `--wrap` of the `*-dumpxml` commands. */
export const XPATH_OPTIONS: readonly OptionSpec[] = [
  valueOpt('xpath', 'string', 'xpath expression to filter the XML document', { named: true }),
  flag('wrap', 'wrap xpath results in an common root element'),
];

// ---------------------------------------------------------------------------------------------
// Reading options

/** virsh's check that two options are not given together (VSH_EXCLUSIVE_OPTIONS), pair by pair in order. */
export function exclusive(opts: ParsedOptions, ...pairs: readonly (readonly [string, string])[]): void {
  for (const [a, b] of pairs) {
    if (opts.bool(a) && opts.bool(b)) throw new CliError([`Options --${a} and --${b} are mutually exclusive`]);
  }
}

/** The flags of --config/--live/--current, after virsh's exclusivity checks (VSH_EXCLUSIVE_OPTIONS_VAR). */
export function affectFlags(opts: ParsedOptions): number {
  exclusive(opts, ['current', 'live'], ['current', 'config']);
  return (opts.bool('config') ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (opts.bool('live') ? VIR_DOMAIN_AFFECT_LIVE : 0);
}

/** VSH_REQUIRE_OPTION: `need` must be given when `opt` is. */
export function requireOption(opts: ParsedOptions, opt: string, need: string): void {
  if (opts.bool(opt) && !opts.bool(need)) throw new CliError([`Option --${need} is required by option --${opt}`]);
}

/**
 * A string option as vshCommandOptStringReq reads it: undefined when absent,
 * `Failed to get option 'NAME': Option argument is empty` when given empty
 * (unless `emptyOk`).
 */
export function strOpt(opts: ParsedOptions, name: string, emptyOk = false): string | undefined {
  const v = opts.string(name);
  if (v === '' && !emptyOk) throw new CliError([`Failed to get option '${name}': Option argument is empty`]);
  return v;
}

/** A required string option ({@link strOpt}; the parser has made sure it is there). */
export function strArg(opts: ParsedOptions, name: string): string {
  return strOpt(opts, name) ?? opts.required(name);
}

/** A string option as vshCommandOptStringQuiet reads it: an empty value counts as none. */
export function quietText(opts: ParsedOptions, name: string): string | undefined {
  return opts.string(name) || undefined;
}

/** True when the option was given (with or without a value). */
export function given(opts: ParsedOptions, name: string): boolean {
  return opts.bool(name);
}

/** A MAC address as virMacAddrParse accepts it: six groups of one or two hex digits. */
export function isMacAddress(text: string): boolean {
  return /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}(?:[\x00- ].*)?$/s.test(text);
}

/**
 * A comma-separated list as vshStringToArray splits it: `,,` stands for a
 * literal comma, and a single trailing comma adds an empty item.
 */
export function splitCommaList(text: string): string[] {
  const [first, ...rest] = text.split(',');
  const items = [first];
  let join = false;
  for (const part of rest) {
    if (join) {
      items[items.length - 1] += `,${part}`;
      join = false;
    } else if (part === '') {
      join = true;
    } else {
      items.push(part);
    }
  }
  if (join) items.push('');
  return items;
}

/** A bandwidth rate: virsh's `average,peak,burst,floor`. */
export interface Rate {
  readonly average: bigint;
  readonly peak: bigint;
  readonly burst: bigint;
  readonly floor: bigint;
}

const RATE_FIELDS = ['average', 'peak', 'burst', 'floor'] as const;

/** `average,peak,burst,floor` (later fields optional, empty ones 0), as virshParseRateStr reads it. */
export function parseRate(text: string): Rate {
  const fields = text.split(',');
  if (fields.length > RATE_FIELDS.length) throw new CliError([`Rate string '${text}' has too many fields`]);
  const rate = { average: 0n, peak: 0n, burst: 0n, floor: 0n };
  fields.forEach((f, i) => {
    if (f === '') return;
    const v = cNumber(f, 'ullong');
    if (v === null) throw new CliError([`field '${RATE_FIELDS[i]}' is malformed`]);
    rate[RATE_FIELDS[i]] = v;
  });
  return rate;
}

/**
 * virsh's VSH_OT_ALIAS options that name another option (`--tunneled` for
 * `--tunnelled`): the arguments with each alias spelled as its option, as
 * vshCmddefGetOption resolves it while parsing (`--alias=value` keeps its
 * value; nothing after `--` is touched). For {@link CommandSpec.aliases}.
 */
export function optionAliases(aliases: Readonly<Record<string, string>>): (args: readonly string[]) => string[] {
  return (args) => {
    const out: string[] = [];
    let dataOnly = false;
    for (const a of args) {
      if (a === '--') dataOnly = true;
      const m = dataOnly ? null : /^--([^=]+)(=.*)?$/s.exec(a);
      const to = m ? aliases[m[1]] : undefined;
      out.push(m && to !== undefined ? `--${to}${m[2] ?? ''}` : a);
    }
    return out;
  };
}
