/**
 * tsvirsh: virsh's command line over libvirt-rpc. `runVirsh(argv, io)` runs
 * one command line and returns the exit status; output follows virsh's
 * (tables, messages, `error: ...` lines on stderr, and the blank line virsh
 * writes when it exits), so scripts written for virsh keep working.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { createInterface } from 'node:readline';
import { connect } from '../api/connect.js';
import type { Connection } from '../api/connection.js';
import type { Credentials } from '../auth/credentials.js';
import { TransportError } from '../rpc/errors.js';
import { CliError, ParsedOptions, SignalExit, type CommandContext, type CommandSpec, type OptionKind, type OptionSpec } from './command.js';
import { COMMANDS } from './commands/index.js';
import { DEFAULT_ESCAPE, validEscape } from './commands/console.js';
import { VIRSH_HELP_ORDER } from './help-order.js';
import { strerror, strerrorOf } from './strerror.js';
import { exclusive } from './lookup.js';
import type { CompletionCommand } from './shell/complete.js';

export { COMMANDS };

/** Where output goes (process.stdout/stderr, or strings in tests). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Environment for URI resolution (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The shell's input when no command is given: lines (without their
   * newline) or the whole text. Default: process.stdin when it is not a
   * terminal.
   */
  readonly stdin?: AsyncIterable<string> | string;
  /** Aborted on an interrupt (Ctrl-C): an event command waiting then ends as virsh's does ("event loop interrupted"). */
  readonly interrupt?: AbortSignal;
  /**
   * Answers credential requests (SASL, SSH passwords and passphrases, host key questions): the
   * `tsvirsh` executable asks on the terminal as virsh does (./prompt.ts); none by default.
   */
  readonly credentials?: Credentials;
}

interface GlobalOptions {
  uri: string | null;
  readonly: boolean;
  quiet: boolean;
  keepaliveInterval: number | null;
  keepaliveCount: number | null;
  /** -e: the console's escape (virsh's `^]` by default). */
  escape: string;
}

const USAGE = `tsvirsh [options]... [<command_string>]
tsvirsh [options]... <command> [args...]

  options:
    -c | --connect=URI      hypervisor connection URI
    -e | --escape <char>    set escape sequence for console
    -h | --help             this help
    -k | --keepalive-interval=NUM
                            keepalive interval in seconds, 0 for disable
    -K | --keepalive-count=NUM
                            number of possible missed keepalive messages
    -q | --quiet            quiet mode
    -r | --readonly         connect readonly
    -v                      short version
    -V                      long version
         --version          long version

  commands (non interactive mode): see 'tsvirsh help'
`;

/**
 * Splits a command string into commands and their arguments as virsh does
 * (vshCommandStringGetArg): blanks separate arguments, `;` and newlines
 * separate commands, `#` at the start of an argument comments out the rest of
 * the line, `'...'` is literal, `"..."` and bare text take `\` escapes.
 */
export function splitCommandString(text: string): string[][] {
  const commands: string[][] = [];
  let current: string[] = [];
  const endCommand = (): void => {
    if (current.length) commands.push(current);
    current = [];
  };
  let i = 0;
  const blank = (c: string | undefined): boolean => c === ' ' || c === '\t';
  while (i < text.length) {
    while (blank(text[i]) || (text[i] === '\\' && text[i + 1] === '\n')) i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) break;
    const c = text[i];
    if (c === ';' || c === '\n') {
      endCommand();
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      endCommand();
      i++;
      continue;
    }
    let arg = '';
    let single = false;
    let double = false;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (!single && !double && (blank(ch) || ch === ';' || ch === '\n')) break;
      if (!double && ch === "'") {
        single = !single;
      } else if (!single && ch === '"') {
        double = !double;
      } else if (!single && ch === '\\') {
        i++;
        if (i >= text.length) throw new CliError(['dangling \\'], { usage: true });
        if (text[i] !== '\n') arg += text[i];
      } else {
        arg += ch;
      }
    }
    if (double) throw new CliError(['missing "'], { usage: true });
    current.push(arg);
  }
  endCommand();
  return commands;
}

/** virsh's global options: short letter, long name, whether it takes a value. */
const GLOBAL_OPTIONS: readonly { readonly short: string; readonly long: string; readonly value: boolean }[] = [
  { short: 'c', long: 'connect', value: true },
  { short: 'e', long: 'escape', value: true },
  { short: 'h', long: 'help', value: false },
  { short: 'k', long: 'keepalive-interval', value: true },
  { short: 'K', long: 'keepalive-count', value: true },
  { short: 'q', long: 'quiet', value: false },
  { short: 'r', long: 'readonly', value: false },
  { short: 'v', long: 'version', value: false },
  { short: 'V', long: '', value: false },
];

/** An int as virStrToLong_i reads it with base 0 (decimal, `0x` hex or `0` octal, blanks and a sign before), or null. */
function cInt(text: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(text);
  if (!m) return null;
  const digits = m[2];
  const magnitude = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.startsWith('0') ? parseInt(digits, 8) : Number(digits);
  const v = m[1] === '-' ? -magnitude : magnitude;
  return v >= -0x80000000 && v <= 0x7fffffff ? v : null;
}

/**
 * Splits the global options from the command line as virsh's getopt_long
 * does: short options may be bundled (`-qr`, `-cURI`), long ones may be
 * abbreviated while unambiguous and take `--name=value` or `--name value`,
 * and `--` or the first argument that is no option ends them.
 */
function parseGlobal(argv: readonly string[]): { global: GlobalOptions; rest: string[]; early: 'help' | 'version' | 'version-long' | null } {
  const global: GlobalOptions = { uri: null, readonly: false, quiet: false, keepaliveInterval: null, keepaliveCount: null, escape: DEFAULT_ESCAPE };
  const unsupported = (what: string): CliError => new CliError([`unsupported option '${what}'. See --help.`]);
  const keepalive = (short: string, long: boolean, text: string): number => {
    const flag = long ? `--keepalive-${short === 'k' ? 'interval' : 'count'}` : `-${short}`;
    const v = cInt(text);
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
      case 'e':
        if (!validEscape(value!)) throw new CliError([`Invalid string '${value}' for escape sequence`]);
        global.escape = value!;
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

/** What a command's parser needs to know of it. */
type CommandShape = Pick<CommandSpec, 'name' | 'options'>;

/** How virsh names an option's value in its usage errors. */
const VALUE_NAMES: Readonly<Record<OptionKind, string>> = { bool: 'bool', string: 'string', int: 'number', argv: 'string' };

/**
 * Parses a command's own arguments as virsh does (vshCommandParse): `--name`,
 * `--name value` and `--name=value` (an argument is an option when a letter
 * or digit follows its `--`); other arguments fill the positional options in
 * order, an `argv` option taking every one left; after `--` everything is
 * data. `--help` asks for the command's help instead (`bool('help')`), and
 * then no option is required.
 */
export function parseCommandArgs(cmd: CommandShape, args: readonly string[]): ParsedOptions {
  const values = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  const positional = cmd.options.filter((o) => o.positional);
  const give = (spec: OptionSpec, v: string): void => {
    if (spec.kind === 'argv') lists.set(spec.name, [...(lists.get(spec.name) ?? []), v]);
    else values.set(spec.name, v);
  };
  let next = 0;
  let dataOnly = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!dataOnly && a === '--') {
      dataOnly = true;
      continue;
    }
    if (!dataOnly && /^--[A-Za-z0-9]/.test(a)) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const spec = cmd.options.find((o) => o.name === name) ?? (name === 'help' ? HELP_OPTION : undefined);
      if (!spec) throw new CliError([`command '${cmd.name}' doesn't support option --${name}`], { usage: true });
      if (spec.kind === 'bool') {
        if (eq > 0) throw new CliError([`invalid '=' after option --${name}`], { usage: true });
        if (spec === HELP_OPTION) help = true;
        else values.set(name, true);
      } else {
        const v = eq > 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) throw new CliError([`expected syntax: --${name} <${VALUE_NAMES[spec.kind]}>`], { usage: true });
        give(spec, v);
      }
      continue;
    }
    while (next < positional.length && positional[next].kind !== 'argv' && values.has(positional[next].name)) next++;
    if (next >= positional.length) throw new CliError([`unexpected data '${a}'`], { usage: true });
    const spec = positional[next];
    give(spec, a);
    if (spec.kind !== 'argv') next++;
  }
  if (help) return new ParsedOptions(new Map([['help', true]]));
  // Every missing option is named: data options as <name>, typed ones as --name.
  const missing = cmd.options
    .filter((o) => o.required && !values.has(o.name) && !lists.has(o.name))
    .map((o) => `command '${cmd.name}' requires ${o.kind === 'int' ? `--${o.name}` : `<${o.name}>`} option`);
  if (missing.length) throw new CliError(missing, { usage: true });
  return new ParsedOptions(values, lists);
}

/** The `--help` every command takes (virsh then runs `help COMMAND`). */
const HELP_OPTION: OptionSpec = { name: 'help', kind: 'bool', help: 'print help' };

/** The `help` group of virsh's own commands. */
const VIRSH_GROUP = 'Virsh itself';

/**
 * virsh's own commands (tools/vsh.c, virsh.c), in virsh's order for `help`:
 * their names and options; the session runs them (`Session.builtin`).
 */
const BUILTINS: readonly (CommandShape & { readonly help: string; readonly hidden?: boolean })[] = [
  { name: 'cd', help: 'change the current directory', options: [{ name: 'dir', kind: 'string', positional: true, help: 'directory to switch to (default: home or else root)' }] },
  {
    name: 'echo',
    help: 'echo arguments. Used for internal testing.',
    options: [
      { name: 'shell', kind: 'bool', help: 'escape for shell use' },
      { name: 'xml', kind: 'bool', help: 'escape for XML use' },
      { name: 'split', kind: 'bool', help: "split each argument on ','; ',,' is an escape sequence" },
      { name: 'err', kind: 'bool', help: 'output to stderr' },
      { name: 'string', kind: 'argv', positional: true, help: 'arguments to echo' },
    ],
  },
  { name: 'exit', help: 'quit this interactive terminal', options: [] },
  {
    name: 'help',
    help: 'print help',
    options: [{ name: 'command', kind: 'string', positional: true, help: 'Prints global help, command specific help, or help for a group of related commands' }],
  },
  { name: 'pwd', help: 'print the current directory', options: [] },
  {
    name: 'complete',
    help: 'internal command for autocompletion',
    hidden: true,
    options: [{ name: 'string', kind: 'argv', positional: true, help: 'partial string to autocomplete' }],
  },
  { name: 'quit', help: 'quit this interactive terminal', options: [] },
  {
    name: 'connect',
    help: '(re)connect to hypervisor',
    options: [
      { name: 'name', kind: 'string', positional: true, help: 'hypervisor connection URI' },
      { name: 'readonly', kind: 'bool', help: 'read-only connection' },
    ],
  },
];

/** echo's aliases (`--str` for `--string`, `--hi` for `--string=hello`), rewritten before parsing as virsh resolves VSH_OT_ALIAS. */
function echoAliases(args: readonly string[]): string[] {
  const out: string[] = [];
  let dataOnly = false;
  for (const a of args) {
    if (dataOnly || a === '--') {
      dataOnly = true;
      out.push(a);
    } else if (a === '--str' || a.startsWith('--str=')) {
      out.push(`--string${a.slice(5)}`);
    } else if (a === '--hi') {
      out.push('--string=hello');
    } else if (a.startsWith('--hi=')) {
      throw new CliError(["invalid '=' after option --hi"], { usage: true });
    } else {
      out.push(a);
    }
  }
  return out;
}

/** virsh's command groups, in the order `help` lists them, with the keyword `help KEYWORD` takes. */
const GROUP_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['Domain Management', 'domain'],
  ['Domain Monitoring', 'monitor'],
  ['Domain Events', 'events'],
  ['Host and Hypervisor', 'host'],
  ['Checkpoint', 'checkpoint'],
  ['Interface', 'interface'],
  ['Network Filter', 'filter'],
  ['Networking', 'network'],
  ['Node Device', 'nodedev'],
  ['Secret', 'secret'],
  ['Snapshot', 'snapshot'],
  ['Backup', 'backup'],
  ['Storage Pool', 'pool'],
  ['Storage Volume', 'volume'],
  ['Virsh itself', 'virsh'],
]);

function helpText(name: string | undefined): string {
  const all: readonly (CommandShape & { readonly help: string; readonly group: string })[] = [
    ...COMMANDS,
    ...BUILTINS.map((b) => ({ ...b, group: VIRSH_GROUP })),
  ];
  // virsh lists its groups in this order, each with its keyword, and each group's commands in its own order.
  const groupText = (group: string): string => {
    const rank = (n: string): number => {
      const i = VIRSH_HELP_ORDER.indexOf(n);
      return i < 0 ? VIRSH_HELP_ORDER.length : i;
    };
    const cmds = all
      .filter((c) => c.group === group && !('hidden' in c && c.hidden))
      .sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let out = ` ${group} (help keyword '${GROUP_KEYWORDS.get(group) ?? group.toLowerCase().split(' ')[0]}'):\n`;
    for (const c of cmds) out += `    ${c.name.padEnd(30)} ${c.help}\n`;
    return `${out}\n`;
  };
  const order = [...GROUP_KEYWORDS.keys(), ...new Set(all.map((c) => c.group).filter((g) => !GROUP_KEYWORDS.has(g)))];
  const present = order.filter((g) => all.some((c) => c.group === g));
  if (name === undefined) return `Grouped commands:\n\n${present.map(groupText).join('')}`;
  const byKeyword = present.find((g) => GROUP_KEYWORDS.get(g) === name);
  if (byKeyword !== undefined) return groupText(byKeyword).slice(0, -1);
  const cmd = all.find((c) => c.name === name);
  if (!cmd) throw new CliError([`command or command group '${name}' doesn't exist`]);
  let out = `  NAME\n    ${cmd.name} - ${cmd.help}\n\n  SYNOPSIS\n    ${cmd.name}`;
  for (const o of cmd.options) {
    const v = o.kind === 'bool' ? `--${o.name}` : o.positional ? `<${o.name}>` : `--${o.name} <${o.kind}>`;
    out += o.required ? ` ${v}` : ` [${v}]`;
  }
  out += '\n\n  OPTIONS\n';
  for (const o of cmd.options) {
    const v = o.kind === 'bool' ? `--${o.name}` : o.positional ? `[--${o.name}] <${o.kind}>` : `--${o.name} <${o.kind}>`;
    out += `    ${v.padEnd(20)} ${o.help}\n`;
  }
  return `${out}\n`;
}

/** Every command with its options, virsh's own among them: what completion offers (./shell/complete.ts). */
export function completionCommands(): readonly CompletionCommand[] {
  return [...COMMANDS, ...BUILTINS];
}

/** A parsed command, ready to run. */
type Parsed =
  | { readonly kind: 'run'; readonly cmd: CommandSpec; readonly opts: ParsedOptions }
  | { readonly kind: 'builtin'; readonly name: string; readonly opts: ParsedOptions };

function parseOne(args: readonly string[]): Parsed {
  const [name, ...rest] = args;
  const builtin = BUILTINS.find((b) => b.name === name);
  const cmd = builtin ? undefined : COMMANDS.find((c) => c.name === name);
  if (!builtin && !cmd) throw new CliError([`unknown command: '${name}'`], { usage: true });
  const opts = parseCommandArgs((builtin ?? cmd)!, name === 'echo' ? echoAliases(rest) : rest);
  // `COMMAND --help` is `help COMMAND` (vshCommandParse).
  if (opts.bool('help')) return { kind: 'builtin', name: 'help', opts: new ParsedOptions(new Map([['command', name]])) };
  return cmd ? { kind: 'run', cmd, opts } : { kind: 'builtin', name, opts };
}

function errorText(err: unknown): string {
  const lines = err instanceof CliError ? err.lines : [err instanceof Error ? err.message : String(err)];
  return lines.map((l) => `error: ${l}\n`).join('');
}

/** Characters that make virBufferEscapeShell quote an argument. */
const SHELL_META = /[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/;

/** An argument quoted for a POSIX shell as virsh's `echo --shell` does (virBufferEscapeShell). */
function shellQuote(s: string): string {
  if (s === '') return "''";
  if (!SHELL_META.test(s)) return s;
  return `'${s.replace(/'/g, "'\\''")}'`;
}

const XML_ESCAPES: Readonly<Record<string, string>> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' };

/** Text escaped for XML as virBufferEscapeString does: markup characters as entities, control characters below 0x1a dropped. */
function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]|[\x01-\x08\x0b\x0c\x0e-\x19]/g, (c) => XML_ESCAPES[c] ?? '');
}

/** An argument split on `,`, with `,,` for a literal comma (vshStringToArray); nothing for an empty one. */
function splitCommas(s: string): string[] {
  if (s === '') return [];
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== ',') cur += s[i];
    else if (s[i + 1] === ',') cur += s[i++];
    else {
      parts.push(cur);
      cur = '';
    }
  }
  parts.push(cur);
  return parts;
}

/**
 * What virsh's `echo` writes for its arguments (without a newline: virsh's
 * end-of-command blank line ends it), or null without arguments.
 */
function echoText(opts: ParsedOptions): string | null {
  if (!opts.bool('string')) return null;
  const pieces = opts.list('string').map((a) => {
    if (opts.bool('xml')) return xmlEscape(a);
    if (opts.bool('shell')) return shellQuote(a);
    if (opts.bool('split')) return splitCommas(a).map((p) => `${p}\n`).join('');
    return a;
  });
  // virsh adds a space after each piece, then trims one from the end (virBufferTrim).
  return pieces.join(' ');
}

/**
 * One virsh session: the connection virsh keeps for a command string or the
 * whole shell, the URI it (re)connects to, and virsh's own commands.
 */
class Session {
  private conn: Connection | null = null;
  /** virsh's connname: from -c (or VIRSH_DEFAULT_CONNECT_URI), then the last `connect` that succeeded. */
  private uri: string | null;
  /** Whether (re)connections are read-only (-r, then the last `connect`). */
  private ro: boolean;
  /** The working directory when the session began, put back when it ends (`cd` changes the process's). */
  private readonly startDir = process.cwd();

  constructor(
    private readonly global: GlobalOptions,
    private readonly io: CliIo,
    /** virsh's interactive mode (the shell), where `cd` is allowed. */
    private readonly interactive: boolean,
  ) {
    this.uri = global.uri ?? (io.env ?? process.env).VIRSH_DEFAULT_CONNECT_URI ?? null;
    this.ro = global.readonly;
  }

  /** True when the session's connections are read-only (the shell's prompt shows it). */
  get readonly(): boolean {
    return this.ro;
  }

  /**
   * (Re)connects as virsh 9.0 does (virshReconnect): the old connection is
   * closed first; the new one is read-only when asked, or (without a URI)
   * when the session already was; the URI and the read-only flag are kept
   * only when the connection succeeds.
   */
  private async reconnect(name: string | undefined, readonly: boolean, force: boolean): Promise<Connection> {
    const ro = readonly || (name === undefined && this.ro);
    const wasConnected = this.conn !== null;
    const disconnected = wasConnected && !this.conn!.isOpen;
    if (this.conn) await this.conn.close().catch(() => {});
    this.conn = null;
    const uri = name ?? this.uri;
    try {
      this.conn = await connect(uri === '' ? null : uri, {
        readonly: ro,
        env: this.io.env,
        ...(this.io.credentials !== undefined ? { credentials: this.io.credentials } : {}),
        keepalive:
          this.global.keepaliveInterval === 0
            ? false
            : { interval: this.global.keepaliveInterval ?? 5, count: this.global.keepaliveCount ?? 6 },
      });
    } catch (err) {
      const what = disconnected ? 'Failed to reconnect to the hypervisor' : 'failed to connect to the hypervisor';
      throw new CliError([what, connectFailureText(err)], { cause: err });
    }
    if (name !== undefined) this.uri = name;
    this.ro = ro;
    if (wasConnected && !force) this.io.stderr('error: Reconnected to the hypervisor\n');
    return this.conn;
  }

  /** The connection completion asks for object names: the session's, connecting first when there is none; null when that fails. */
  async completionConnection(): Promise<Connection | null> {
    try {
      return await this.connection();
    } catch {
      return null;
    }
  }

  /** The connection a command runs with, reconnecting (to the session's URI) when there is none or it was lost. */
  private async connection(): Promise<Connection> {
    if (this.conn?.isOpen) return this.conn;
    return await this.reconnect(undefined, false, false);
  }

  private context(conn: Connection | null): CommandContext {
    return {
      get conn(): Connection {
        if (!conn) throw new CliError(['no valid connection']);
        return conn;
      },
      quiet: this.global.quiet,
      print: (text) => this.io.stdout(text),
      printError: (text) => this.io.stderr(text),
      interrupted: this.io.interrupt,
      escapeChar: this.global.escape,
      readFile: async (path) => {
        try {
          return await readFile(path, 'utf8');
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new CliError([`Failed to open file '${path}': ${code === 'ENOENT' ? 'No such file or directory' : (err as Error).message}`]);
        }
      },
    };
  }

  /** Runs one of virsh's own commands. */
  private async builtin(name: string, ctx: CommandContext, opts: ParsedOptions): Promise<void> {
    switch (name) {
      case 'help':
        ctx.print(helpText(opts.string('command')));
        return;
      case 'echo': {
        exclusive(opts, ['shell', 'xml'], ['shell', 'split'], ['xml', 'split']);
        const text = echoText(opts);
        if (text === null) return;
        if (opts.bool('err')) this.io.stderr(`error: ${text}\n`);
        else ctx.print(text);
        return;
      }
      case 'pwd':
        ctx.print(`${process.cwd()}\n`);
        return;
      case 'cd': {
        if (!this.interactive) throw new CliError(['cd: command valid only in interactive mode']);
        const dir = opts.string('dir') || homedir() || '/';
        try {
          process.chdir(dir);
        } catch (err) {
          throw new CliError([`cd: ${strerror(err)}: ${dir}`]);
        }
        return;
      }
      case 'connect':
        await this.reconnect(opts.string('name'), opts.bool('readonly'), true);
        return;
      case 'complete': {
        // virsh connects for the completers first (without asking for credentials on its stdin).
        const words = opts.list('string');
        if (words.length) await this.connection();
        const { completeCommandText } = await import('./shell/complete.js');
        ctx.print(await completeCommandText(words, { commands: completionCommands(), connection: () => this.connection() }));
        return;
      }
    }
  }

  /** Runs one parsed command and writes virsh's closing blank line; false when it failed. */
  private async runOne(p: Parsed): Promise<boolean> {
    let ok = true;
    try {
      if (p.kind === 'builtin') {
        await this.builtin(p.name, this.context(this.conn), p.opts);
      } else {
        // A command that needs the daemon gets the connection first (virshConnectionHandler).
        const conn = p.cmd.connects === false ? this.conn : await this.connection();
        await p.cmd.run(this.context(conn), p.opts);
      }
    } catch (err) {
      if (err instanceof SignalExit) throw err;
      ok = false;
      this.io.stderr(errorText(err));
    }
    // virsh ends every command it ran with a blank line, except in quiet mode.
    if (!this.global.quiet) this.io.stdout('\n');
    return ok;
  }

  /** Parses every command of a line first (a command-line error runs none of them); null (reported) on an error. */
  parse(commands: readonly (readonly string[])[]): Parsed[] | null {
    try {
      return commands.map(parseOne);
    } catch (err) {
      this.io.stderr(errorText(err));
      return null;
    }
  }

  /**
   * Runs parsed commands in order until `quit` or `exit`. Resolves with the
   * last command's success (`quit` itself succeeds), and whether `quit` was
   * reached.
   */
  async run(parsed: readonly Parsed[]): Promise<{ ok: boolean; quit: boolean }> {
    let ok = true;
    for (const p of parsed) {
      if (p.kind === 'builtin' && (p.name === 'quit' || p.name === 'exit')) return { ok: true, quit: true };
      ok = await this.runOne(p);
    }
    return { ok, quit: false };
  }

  /**
   * Connects at start when a URI was named (-c or VIRSH_DEFAULT_CONNECT_URI),
   * as virsh does before running anything (a default connection waits for
   * the first command that needs it). On failure reports it and resolves true.
   */
  async start(): Promise<boolean> {
    if (this.uri === null) return false;
    try {
      await this.reconnect(undefined, false, false);
      return false;
    } catch (err) {
      this.io.stderr(errorText(err));
      return true;
    }
  }

  async close(): Promise<void> {
    await this.conn?.close();
    this.conn = null;
    if (process.cwd() !== this.startDir) {
      try {
        process.chdir(this.startDir);
      } catch {
        // The start directory is gone: stay where `cd` led.
      }
    }
  }
}

async function* linesOf(input: AsyncIterable<string> | string): AsyncIterable<string> {
  if (typeof input === 'string') {
    const lines = input.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    yield* lines;
  } else {
    yield* input;
  }
}

function defaultStdin(): AsyncIterable<string> | null {
  if (process.stdin.isTTY) return null;
  return createInterface({ input: process.stdin, crlfDelay: Infinity });
}

/**
 * virsh's shell without a terminal: the banner (unless quiet), then for
 * each line the prompt and the line as read, and the commands' output; a
 * newline when the input ends or `quit` is given. Always exits 0.
 */
async function shell(session: Session, global: GlobalOptions, io: CliIo, input: AsyncIterable<string> | string): Promise<number> {
  if (!global.quiet) {
    io.stdout("Welcome to virsh, the virtualization interactive terminal.\n\nType:  'help' for help with commands\n       'quit' to quit\n\n");
  }
  const prompt = (): string => (session.readonly ? 'virsh > ' : 'virsh # ');
  for await (const line of linesOf(input)) {
    io.stdout(`${prompt()}${line}\n`);
    if (await shellLine(session, io, line)) {
      io.stdout('\n');
      return 0;
    }
  }
  io.stdout(`${prompt()}\n`);
  return 0;
}

/** Runs one line of the shell's input; resolves true when it was `quit` or `exit`. */
async function shellLine(session: Session, io: CliIo, line: string): Promise<boolean> {
  let parsed: Parsed[] | null;
  try {
    parsed = session.parse(splitCommandString(line));
  } catch (err) {
    io.stderr(errorText(err));
    return false;
  }
  return parsed !== null && (await session.run(parsed)).quit;
}

/**
 * Runs one tsvirsh command line and resolves with the exit status (0 ok, 1
 * failure). As with virsh: several arguments are one command; a single
 * argument is a command string (`'list; dominfo test'`); none reads
 * commands from `io.stdin`, one line at a time, as virsh's shell does.
 */
export async function runVirsh(argv: readonly string[], io: CliIo): Promise<number> {
  let parsedGlobal: ReturnType<typeof parseGlobal>;
  try {
    parsedGlobal = parseGlobal(argv);
  } catch (err) {
    io.stderr(errorText(err));
    return 1;
  }
  const { global, rest, early } = parsedGlobal;
  if (early === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (early === 'version' || early === 'version-long') {
    const protocol = (await import('../procedures/libvirt-api.gen.js')).LIBVIRT_PROTOCOL_VERSION;
    io.stdout(early === 'version-long' ? await longVersionText(protocol) : `${protocol}\n`);
    return 0;
  }
  const interactive = rest.length === 0;
  const session = new Session(global, io, interactive);
  try {
    if (interactive) {
      const input = io.stdin ?? defaultStdin();
      if (await session.start()) return 1;
      if (input === null) {
        // A terminal: virsh's shell with line editing, history and completion.
        const { interactiveShell } = await import('./shell/interactive.js');
        return await interactiveShell({
          quiet: global.quiet,
          readonly: () => session.readonly,
          runLine: (line) => shellLine(session, io, line),
          completion: { commands: completionCommands(), connection: () => session.completionConnection() },
          env: io.env ?? process.env,
          print: io.stdout,
        });
      }
      return await shell(session, global, io, input);
    }
    // virsh parses the whole command line before it connects or runs anything.
    let parsed: Parsed[] | null;
    try {
      parsed = session.parse(rest.length === 1 ? splitCommandString(rest[0]) : [rest]);
    } catch (err) {
      io.stderr(errorText(err));
      return 1;
    }
    if (!parsed || (await session.start())) return 1;
    return (await session.run(parsed)).ok ? 0 : 1;
  } catch (err) {
    if (err instanceof SignalExit) return err.status;
    throw err;
  } finally {
    await session.close();
  }
}

/**
 * What virsh prints for a failed open: for a unix socket it cannot reach,
 * libvirt's "Failed to connect socket to '<path>': <strerror>"; otherwise our
 * error's own message.
 */
function connectFailureText(err: unknown): string {
  const text = err instanceof TransportError && err.socketPath !== null ? strerrorOf(err.errno) : undefined;
  if (text !== undefined) return `Failed to connect socket to '${(err as TransportError).socketPath}': ${text}`;
  return err instanceof Error ? err.message : String(err);
}

/** The package's own version, from the package.json above this module (sources or dist/). */
async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(await readFile(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'libvirt-rpc' && pkg.version) return pkg.version;
    } catch {
      // not here: look one folder up
    }
  }
  return 'unknown';
}

/** `-V`: virsh's first lines, with the package that speaks the protocol. */
async function longVersionText(protocol: string): Promise<string> {
  return `Virsh command line tool of libvirt ${protocol}\nSee web site at https://libvirt.org/\n\ntsvirsh from libvirt-rpc ${await packageVersion()}: the libvirt ${protocol} remote protocol in TypeScript, no libvirt library\n`;
}
