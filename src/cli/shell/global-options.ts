/**
 * virsh's global options (tools/virsh.c virshParseArgv, read for the facts):
 * parsed as getopt_long parses them, with virsh's messages for bad ones, and
 * the usage text of `-h`.
 */
import { CliError } from '../command.js';
import { DEFAULT_ESCAPE, validEscape } from '../commands/console.js';
import { cIntBase0, cNumber } from '../support/numbers.js';

/** virsh's global options as given. */
export interface GlobalOptions {
  uri: string | null;
  readonly: boolean;
  quiet: boolean;
  keepaliveInterval: number | null;
  keepaliveCount: number | null;
  /** -d: the debug level (0-4). tsvirsh accepts it; it writes no debug log. */
  debug: number | null;
  /** -e: the console's escape (virsh's `^]` by default). */
  escape: string;
  /** -l: the log file virsh opens (and creates) before running anything. */
  logFile: string | null;
  /** virsh's error lines about options it ignores (an out-of-range -d), printed before the commands run. */
  warnings: string[];
}

/** What {@link parseGlobal} found: the options, the command line after them, and whether virsh stops at once (-h, -v, -V). */
export interface ParsedGlobal {
  readonly global: GlobalOptions;
  readonly rest: string[];
  readonly early: 'help' | 'version' | 'version-long' | null;
}

/** `-h`: how to call tsvirsh. */
export const USAGE = `tsvirsh [options]... [<command_string>]
tsvirsh [options]... <command> [args...]

  options:
    -c | --connect=URI      hypervisor connection URI
    -d | --debug=NUM        debug level [0-4]
    -e | --escape <char>    set escape sequence for console
    -h | --help             this help
    -k | --keepalive-interval=NUM
                            keepalive interval in seconds, 0 for disable
    -K | --keepalive-count=NUM
                            number of possible missed keepalive messages
    -l | --log=FILE         output logging to file
    -q | --quiet            quiet mode
    -r | --readonly         connect readonly
    -v                      short version
    -V                      long version
         --version          long version

  commands (non interactive mode): see 'tsvirsh help'
`;

/** virsh's global options: short letter, long name, whether it takes a value. */
const GLOBAL_OPTIONS: readonly { readonly short: string; readonly long: string; readonly value: boolean }[] = [
  { short: 'c', long: 'connect', value: true },
  { short: 'd', long: 'debug', value: true },
  { short: 'e', long: 'escape', value: true },
  { short: 'h', long: 'help', value: false },
  { short: 'k', long: 'keepalive-interval', value: true },
  { short: 'K', long: 'keepalive-count', value: true },
  { short: 'l', long: 'log', value: true },
  { short: 'q', long: 'quiet', value: false },
  { short: 'r', long: 'readonly', value: false },
  { short: 'v', long: 'version', value: false },
  { short: 'V', long: '', value: false },
];

/**
 * Splits the global options from the command line as virsh's getopt_long
 * does: short options may be bundled (`-qr`, `-cURI`), long ones may be
 * abbreviated while unambiguous and take `--name=value` or `--name value`,
 * and `--` or the first argument that is no option ends them.
 */
export function parseGlobal(argv: readonly string[]): ParsedGlobal {
  const global: GlobalOptions = {
    uri: null,
    readonly: false,
    quiet: false,
    keepaliveInterval: null,
    keepaliveCount: null,
    debug: null,
    escape: DEFAULT_ESCAPE,
    logFile: null,
    warnings: [],
  };
  const unsupported = (what: string): CliError => new CliError([`unsupported option '${what}'. See --help.`]);
  const keepalive = (short: string, long: boolean, text: string): number => {
    const flag = long ? `--keepalive-${short === 'k' ? 'interval' : 'count'}` : `-${short}`;
    const v = cIntBase0(text);
    if (v === null) throw new CliError([`Invalid value for option ${flag}`]);
    if (v < 0) throw new CliError([`option ${flag} requires a positive integer argument`]);
    return v;
  };
  /** Applies one option; returns 'help' / 'version' when virsh would stop there (-V and --version: the long form). */
  const apply = (short: string, long: boolean, value: string | undefined): 'help' | 'version' | 'version-long' | null => {
    switch (short) {
      case 'c':
        global.uri = value!;
        return null;
      case 'r':
        global.readonly = true;
        return null;
      case 'q':
        global.quiet = true;
        return null;
      case 'k':
        global.keepaliveInterval = keepalive('k', long, value!);
        return null;
      case 'K':
        global.keepaliveCount = keepalive('K', long, value!);
        return null;
      case 'd': {
        // virStrToLong_i in base 10: a number, else an error; out of range only a warning (virsh goes on).
        const level = cNumber(value!, 'int');
        if (level === null) throw new CliError(['option -d takes a numeric argument']);
        if (level < 0n || level > 4n) global.warnings.push(`ignoring debug level ${level} out of range [0-4]`);
        else global.debug = Number(level);
        return null;
      }
      case 'e':
        if (!validEscape(value!)) throw new CliError([`Invalid string '${value}' for escape sequence`]);
        global.escape = value!;
        return null;
      case 'l':
        global.logFile = value!;
        return null;
      case 'h':
        return 'help';
      default:
        return short === 'V' || long ? 'version-long' : 'version';
    }
  };
  const missing = (o: (typeof GLOBAL_OPTIONS)[number]): CliError => new CliError([`option '-${o.short}'/'--${o.long}' requires an argument`]);
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const exact = GLOBAL_OPTIONS.find((o) => o.long === name);
      const prefixed = GLOBAL_OPTIONS.filter((o) => o.long?.startsWith(name));
      const o = exact ?? (prefixed.length === 1 ? prefixed[0] : undefined);
      if (!o) throw unsupported(a);
      // getopt reports `--quiet=x` by the option's letter.
      if (!o.value && eq > 0) throw unsupported(`-${o.short}`);
      let value: string | undefined;
      if (o.value) {
        value = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (value === undefined) throw missing(o);
      }
      const early = apply(o.short, true, value);
      if (early) return { global, rest: [], early };
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const o = GLOBAL_OPTIONS.find((x) => x.short === a[j]);
      if (!o) throw unsupported(`-${a[j]}`);
      let value: string | undefined;
      if (o.value) {
        value = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (value === undefined) throw missing(o);
        j = a.length;
      }
      const early = apply(o.short, false, value);
      if (early) return { global, rest: [], early };
    }
  }
  return { global, rest: argv.slice(i), early: null };
}
