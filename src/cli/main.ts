/**
 * tsvirsh: virsh's command line over libvirt-rpc. `runVirsh(argv, io)` runs
 * one command line and returns the exit status; output follows virsh's
 * (tables, messages, `error: ...` lines on stderr, and the blank line virsh
 * writes when it exits), so scripts written for virsh keep working.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { connect } from '../api/connect.js';
import type { Connection } from '../api/connection.js';
import { CliError, ParsedOptions, type CommandContext, type CommandSpec } from './command.js';
import { COMMANDS } from './commands/index.js';

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
}

interface GlobalOptions {
  uri: string | null;
  readonly: boolean;
  quiet: boolean;
  keepaliveInterval: number | null;
  keepaliveCount: number | null;
}

const USAGE = `tsvirsh [options]... [<command_string>]
tsvirsh [options]... <command> [args...]

  options:
    -c | --connect=URI      hypervisor connection URI
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

/** Splits `--name=value` / `--name value` / `-c value` global options from the command line. */
function parseGlobal(argv: readonly string[]): { global: GlobalOptions; rest: string[]; early: 'help' | 'version' | null } {
  const global: GlobalOptions = { uri: null, readonly: false, quiet: false, keepaliveInterval: null, keepaliveCount: null };
  let i = 0;
  const value = (name: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline;
    const v = argv[++i];
    if (v === undefined) throw new CliError([`option '${name}' requires an argument`]);
    return v;
  };
  const int = (name: string, text: string): number => {
    if (!/^\d+$/.test(text)) throw new CliError([`Invalid value for ${name} '${text}'`]);
    return Number(text);
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') break;
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    switch (name) {
      case '-c':
      case '--connect':
        global.uri = value(name, inline);
        break;
      case '-r':
      case '--readonly':
        global.readonly = true;
        break;
      case '-q':
      case '--quiet':
        global.quiet = true;
        break;
      case '-k':
      case '--keepalive-interval':
        global.keepaliveInterval = int('keepalive interval', value(name, inline));
        break;
      case '-K':
      case '--keepalive-count':
        global.keepaliveCount = int('keepalive count', value(name, inline));
        break;
      case '-h':
      case '--help':
        return { global, rest: [], early: 'help' };
      case '-v':
      case '-V':
      case '--version':
        return { global, rest: [], early: 'version' };
      default:
        throw new CliError([`unsupported option '${a}'. See --help.`]);
    }
  }
  return { global, rest: argv.slice(i), early: null };
}

/** Parses a command's own arguments as virsh does (vshCommandParse). */
export function parseCommandArgs(cmd: CommandSpec, args: readonly string[]): ParsedOptions {
  const values = new Map<string, string | true>();
  const positional = cmd.options.filter((o) => o.positional);
  let next = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const spec = cmd.options.find((o) => o.name === name);
      if (!spec) throw new CliError([`command '${cmd.name}' doesn't support option --${name}`], { usage: true });
      if (spec.kind === 'bool') {
        if (eq > 0) throw new CliError([`invalid '=' after option --${name}`], { usage: true });
        values.set(name, true);
      } else {
        const v = eq > 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) throw new CliError([`expected syntax: --${name} <${spec.kind}>`], { usage: true });
        values.set(name, v);
      }
      continue;
    }
    while (next < positional.length && values.has(positional[next].name)) next++;
    if (next >= positional.length) throw new CliError([`unexpected data '${a}'`], { usage: true });
    values.set(positional[next++].name, a);
  }
  // Every missing option is named: data options as <name>, typed ones as --name.
  const missing = cmd.options
    .filter((o) => o.required && !values.has(o.name))
    .map((o) => `command '${cmd.name}' requires ${o.kind === 'int' ? `--${o.name}` : `<${o.name}>`} option`);
  if (missing.length) throw new CliError(missing, { usage: true });
  return new ParsedOptions(values);
}

function helpText(name: string | undefined): string {
  if (name === undefined) {
    const groups = new Map<string, CommandSpec[]>();
    for (const c of COMMANDS) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
    let out = 'Grouped commands:\n\n';
    for (const [group, cmds] of groups) {
      out += ` ${group} (help keyword '${group.toLowerCase().split(' ')[0]}'):\n`;
      for (const c of cmds) out += `    ${c.name.padEnd(30)} ${c.help}\n`;
      out += '\n';
    }
    return out;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
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

/** The command found by name, or a usage error. */
function findCommand(name: string): CommandSpec | 'help' | 'quit' {
  if (name === 'help') return 'help';
  if (name === 'quit' || name === 'exit') return 'quit';
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new CliError([`unknown command: '${name}'`], { usage: true });
  return cmd;
}

/** A parsed command, ready to run. */
type Parsed =
  | { readonly kind: 'run'; readonly cmd: CommandSpec; readonly opts: ParsedOptions }
  | { readonly kind: 'help'; readonly topic: string | undefined }
  | { readonly kind: 'quit' };

function parseOne(args: readonly string[]): Parsed {
  const [name, ...rest] = args;
  const found = findCommand(name);
  if (found === 'help') {
    if (rest.length > 1) throw new CliError([`unexpected data '${rest[1]}'`], { usage: true });
    return { kind: 'help', topic: rest[0] };
  }
  if (found === 'quit') return { kind: 'quit' };
  return { kind: 'run', cmd: found, opts: parseCommandArgs(found, rest) };
}

function errorText(err: unknown): string {
  const lines = err instanceof CliError ? err.lines : [err instanceof Error ? err.message : String(err)];
  return lines.map((l) => `error: ${l}\n`).join('');
}

/**
 * One virsh session: a connection opened on first need and kept for every
 * command after it, as virsh keeps one connection for a command string or
 * the whole shell.
 */
class Session {
  private conn: Connection | null = null;

  constructor(
    private readonly global: GlobalOptions,
    private readonly io: CliIo,
  ) {}

  private async connection(): Promise<Connection> {
    if (this.conn) return this.conn;
    try {
      this.conn = await connect(this.global.uri, {
        readonly: this.global.readonly,
        env: this.io.env,
        keepalive:
          this.global.keepaliveInterval === 0
            ? false
            : { interval: this.global.keepaliveInterval ?? 5, count: this.global.keepaliveCount ?? 6 },
      });
    } catch (err) {
      throw new CliError(['failed to connect to the hypervisor', err instanceof Error ? err.message : String(err)], { cause: err });
    }
    return this.conn;
  }

  /** Runs one parsed command; false when it failed. */
  private async runOne(p: Parsed & { kind: 'run' | 'help' }): Promise<boolean> {
    let out = '';
    let ok = true;
    try {
      if (p.kind === 'help') {
        out += helpText(p.topic);
      } else {
        const ctx: CommandContext = {
          conn: await this.connection(),
          quiet: this.global.quiet,
          print: (text) => {
            out += text;
          },
          readFile: async (path) => {
            try {
              return await readFile(path, 'utf8');
            } catch (err) {
              const code = (err as NodeJS.ErrnoException).code;
              throw new CliError([`Failed to open file '${path}': ${code === 'ENOENT' ? 'No such file or directory' : (err as Error).message}`]);
            }
          },
        };
        await p.cmd.run(ctx, p.opts);
      }
    } catch (err) {
      ok = false;
      if (out) this.io.stdout(out);
      out = '';
      this.io.stderr(errorText(err));
    }
    if (out) this.io.stdout(out);
    // virsh ends every command it ran with a blank line, except in quiet mode.
    if (!this.global.quiet) this.io.stdout('\n');
    return ok;
  }

  /**
   * Parses every command first (a command-line error runs none of them),
   * then runs them in order until `quit`. Resolves with the last command's
   * success, and whether `quit` was reached.
   */
  async run(commands: readonly (readonly string[])[]): Promise<{ ok: boolean; quit: boolean }> {
    let parsed: Parsed[];
    try {
      parsed = commands.map(parseOne);
    } catch (err) {
      this.io.stderr(errorText(err));
      return { ok: false, quit: false };
    }
    // virsh connects before it runs anything, and gives up when it cannot.
    if (parsed.some((p) => p.kind === 'run')) {
      const failure = await this.connect();
      if (failure) return { ok: false, quit: true };
    }
    let ok = true;
    for (const p of parsed) {
      if (p.kind === 'quit') return { ok, quit: true };
      ok = await this.runOne(p);
    }
    return { ok, quit: false };
  }

  /** Opens the connection now; on failure reports it and resolves true. */
  async connect(): Promise<boolean> {
    try {
      await this.connection();
      return false;
    } catch (err) {
      this.io.stderr(errorText(err));
      return true;
    }
  }

  async close(): Promise<void> {
    await this.conn?.close();
    this.conn = null;
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
  const prompt = global.readonly ? 'virsh > ' : 'virsh # ';
  for await (const line of linesOf(input)) {
    io.stdout(`${prompt}${line}\n`);
    let commands: string[][];
    try {
      commands = splitCommandString(line);
    } catch (err) {
      io.stderr(errorText(err));
      continue;
    }
    if ((await session.run(commands)).quit) {
      io.stdout('\n');
      return 0;
    }
  }
  io.stdout(`${prompt}\n`);
  return 0;
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
  if (early === 'version') {
    io.stdout(`${(await import('../procedures/libvirt-api.gen.js')).LIBVIRT_PROTOCOL_VERSION}\n`);
    return 0;
  }
  const session = new Session(global, io);
  try {
    if (rest.length === 0) {
      const input = io.stdin ?? defaultStdin();
      if (input === null) {
        io.stderr(errorText(new CliError(['interactive mode on a terminal is not supported: give a command or pipe commands in'])));
        return 1;
      }
      if (await session.connect()) return 1;
      return await shell(session, global, io, input);
    }
    let commands: string[][];
    try {
      commands = rest.length === 1 ? splitCommandString(rest[0]) : [rest];
    } catch (err) {
      io.stderr(errorText(err));
      return 1;
    }
    return (await session.run(commands)).ok ? 0 : 1;
  } finally {
    await session.close();
  }
}
