/**
 * tsvirsh: virsh's command line over libvirt-rpc. `runVirsh(argv, io)` runs
 * one command line and returns the exit status; output follows virsh's
 * (tables, messages, `error: ...` lines on stderr, and the blank line virsh
 * writes when it exits), so scripts written for virsh keep working.
 */
import { readFile } from 'node:fs/promises';
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
  for (const o of cmd.options) {
    if (o.required && !values.has(o.name)) throw new CliError([`command '${cmd.name}' requires <${o.name}> option`], { usage: true });
  }
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

/** Runs one tsvirsh command line; resolves with the exit status (0 ok, 1 failure). */
export async function runVirsh(argv: readonly string[], io: CliIo): Promise<number> {
  let conn: Connection | null = null;
  let status = 0;
  let usage = false;
  let quiet = false;
  try {
    const { global, rest, early } = parseGlobal(argv);
    quiet = global.quiet;
    if (early === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    if (early === 'version') {
      io.stdout(`${(await import('../procedures/libvirt-api.gen.js')).LIBVIRT_PROTOCOL_VERSION}\n`);
      return 0;
    }
    const [name, ...args] = rest;
    if (name === undefined) throw new CliError(['interactive mode is not supported: give a command (see tsvirsh help)']);
    if (name === 'help') {
      io.stdout(helpText(args[0]));
      return 0;
    }
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) throw new CliError([`unknown command: '${name}'`], { usage: true });
    const opts = parseCommandArgs(cmd, args);
    try {
      conn = await connect(global.uri, {
        readonly: global.readonly,
        env: io.env,
        keepalive:
          global.keepaliveInterval === 0 ? false : { interval: global.keepaliveInterval ?? 5, count: global.keepaliveCount ?? 6 },
      });
    } catch (err) {
      throw new CliError(['failed to connect to the hypervisor', err instanceof Error ? err.message : String(err)], { cause: err });
    }
    let out = '';
    const ctx: CommandContext = {
      conn,
      quiet: global.quiet,
      print: (text) => {
        out += text;
      },
      readFile: async (path) => {
        try {
          return await readFile(path, 'utf8');
        } catch (err) {
          throw new CliError([`Failed to open file '${path}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (err as Error).message}`]);
        }
      },
    };
    try {
      await cmd.run(ctx, opts);
    } finally {
      if (out) io.stdout(out);
    }
  } catch (err) {
    status = 1;
    if (err instanceof CliError && err.usage) usage = true;
    const lines = err instanceof CliError ? err.lines : [err instanceof Error ? err.message : String(err)];
    io.stderr(lines.map((l) => `error: ${l}\n`).join(''));
  } finally {
    await conn?.close();
  }
  // virsh ends every run that got as far as running a command with a blank
  // line on stdout, except in quiet mode.
  if (!usage && !quiet) io.stdout('\n');
  return status;
}
