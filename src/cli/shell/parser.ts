/**
 * Parsing one command's arguments as virsh does (tools/vsh.c
 * vshCommandParse): options by name, positional data, `--`, `--help`.
 */
import { CliError, ParsedOptions, type CommandSpec, type Extension, type OptionKind, type OptionSpec } from '../command.js';

/** The `--help` every command takes (virsh then runs `help COMMAND`). */
const HELP_OPTION: OptionSpec = { name: 'help', kind: 'bool', help: 'print help' };

/** What a command's parser needs to know of it. */
type CommandShape = Pick<CommandSpec, 'name' | 'options' | 'extensions'>;

/** tsvirsh's own flags (`--json`, `--progress`), taken only by the commands that list them in `extensions`. */
const EXTENSION_OPTIONS: Readonly<Record<Extension, OptionSpec>> = {
  json: { name: 'json', kind: 'bool', help: 'print the result as JSON (docs/tsvirsh-json.md)' },
  progress: { name: 'progress', kind: 'bool', help: 'report the transfer on standard error' },
};

/** How virsh names an option's value in its usage errors. */
const VALUE_NAMES: Readonly<Record<OptionKind, string>> = { bool: 'bool', string: 'string', int: 'number', argv: 'string' };

/**
 * Parses a command's own arguments as virsh does (vshCommandParse): `--name`,
 * `--name value` and `--name=value` (an argument is an option when a letter
 * or digit follows its `--`); other arguments fill the positional options in
 * order, an `argv` option taking every one left; after `--` everything is
 * data. An option given twice, by name or by position, is refused (`option
 * --NAME already seen`; an alias counts as the option it stands for), except
 * an `argv` one. `--help` asks for the command's help instead
 * (`bool('help')`), and then no option is required.
 *
 * `help` itself is lenient as virsh's is: it skips options it does not have
 * and data it has no room for, and an option given twice is reported through
 * `onError` while parsing goes on (vshCommandParse's special cases for "help").
 */
export function parseCommandArgs(cmd: CommandShape, args: readonly string[], onOption?: OptionObserver, onError?: (line: string) => void): ParsedOptions {
  const values = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  const positional = cmd.options.filter((o) => o.positional);
  const lenient = cmd.name === 'help';
  // vshCmddefGetOption's opts_seen: options given so far, by name or by position, aliases as what they stand for.
  const seen = new Set<string>();
  const seenName = (spec: OptionSpec): string => spec.aliasOf ?? spec.name;
  const give = (spec: OptionSpec, v: string): void => {
    onOption?.(cmd.name, spec, v);
    seen.add(seenName(spec));
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
      const spec =
        cmd.options.find((o) => o.name === name) ??
        (name === 'help' ? HELP_OPTION : cmd.extensions?.includes(name as Extension) ? EXTENSION_OPTIONS[name as Extension] : undefined);
      if (!spec) {
        if (lenient) continue;
        throw new CliError([`command '${cmd.name}' doesn't support option --${name}`], { usage: true });
      }
      if (spec !== HELP_OPTION && spec.kind !== 'argv' && seen.has(seenName(spec))) {
        const line = `option --${seenName(spec)} already seen`;
        if (!lenient) throw new CliError([line], { usage: true });
        onError?.(line);
        continue;
      }
      if (spec.kind === 'bool') {
        if (eq > 0) throw new CliError([`invalid '=' after option --${name}`], { usage: true });
        if (spec === HELP_OPTION) help = true;
        else {
          values.set(name, true);
          seen.add(seenName(spec));
          onOption?.(cmd.name, spec, null);
        }
      } else {
        const v = eq > 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) throw new CliError([`expected syntax: --${name} <${VALUE_NAMES[spec.kind]}>`], { usage: true });
        give(spec, v);
      }
      continue;
    }
    while (next < positional.length && positional[next].kind !== 'argv' && seen.has(seenName(positional[next]))) next++;
    if (next >= positional.length) {
      if (lenient) continue;
      throw new CliError([`unexpected data '${a}'`], { usage: true });
    }
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

/** Told of each option as the parser saves it, in command-line order (`null`: a flag), for virsh's `-d` messages. */
export type OptionObserver = (command: string, option: OptionSpec, value: string | null) => void;

/** A command line ready to run: the command and its parsed options. */
export interface ParsedCommand {
  readonly cmd: CommandSpec;
  readonly opts: ParsedOptions;
}

/** The command named `name`, or the one it is an alias of (vshCmddefSearch, then `def->alias`). */
export function findCommand(all: readonly CommandSpec[], name: string): CommandSpec | undefined {
  return all.find((c) => c.name === name) ?? all.find((c) => c.aliasNames?.includes(name));
}

/**
 * Finds a command line's command among `commands` and parses its arguments;
 * `COMMAND --help` becomes `help COMMAND` (vshCommandParse).
 */
export function parseCommandLine(
  commands: readonly CommandSpec[],
  args: readonly string[],
  onOption?: OptionObserver,
  onError?: (line: string) => void,
): ParsedCommand {
  const [name, ...rest] = args;
  const cmd = findCommand(commands, name);
  if (!cmd) throw new CliError([`unknown command: '${name}'`], { usage: true });
  const opts = parseCommandArgs(cmd, cmd.aliases ? cmd.aliases(rest) : rest, onOption, onError);
  if (opts.bool('help')) {
    const help = commands.find((c) => c.name === 'help');
    if (help) return { cmd: help, opts: new ParsedOptions(new Map([['command', name]])) };
  }
  return { cmd, opts };
}
