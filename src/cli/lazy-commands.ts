/**
 * The commands of the built tsvirsh, loaded on demand (scripts/build-tsvirsh.mjs). The build reads
 * every command module once and keeps what parsing and completion read of each command (its name,
 * options, flags) as compact data in the entry; the texts `help` prints (help lines, DESCRIPTION,
 * option help) are a second file, read when one is first asked for; a command's module (and what
 * only it needs) is loaded when the command runs. A process then evaluates the code of the one
 * command it runs instead of all 274 (`npm run bench:cold-start`). The sources (tests,
 * `npm run tsvirsh`) use ./commands/index.ts directly; both give the same CommandSpec values
 * (test/unit/package/cli-bundle.test.ts compares every `help` page).
 */
import type { CommandContext, CommandSpec, Extension, OptionKind, OptionSpec, ParsedOptions } from './command.js';

/** Bits of a {@link CommandEntry}'s flags. */
export const CommandFlag = { HIDDEN: 1, NO_CONNECTION: 2, QUITS: 4, ALIASES: 8, DESCRIPTION: 16 } as const;
/** Bits of an {@link OptionEntry}'s flags. */
export const OptionFlag = { POSITIONAL: 1, REQUIRED: 2, HIDDEN: 4 } as const;
/** The option kinds, as {@link OptionEntry} numbers them. */
export const OPTION_KINDS: readonly OptionKind[] = ['bool', 'string', 'int', 'argv'];

/** One option as the build keeps it: name, kind (index in {@link OPTION_KINDS}), {@link OptionFlag} bits, and the option it is an alias of. */
export type OptionEntry = readonly [name: string, kind: number, flags: number, aliasOf?: string];

/**
 * One command as the build keeps it: name, group (index in the groups' list), {@link CommandFlag}
 * bits, options, its module (index in the loader's list) and the module's export holding it (a
 * CommandSpec or an array of them), its alias names and tsvirsh extensions (0: none).
 */
export type CommandEntry = readonly [
  name: string,
  group: number,
  flags: number,
  options: readonly OptionEntry[],
  module: number,
  exportName: string,
  aliasNames: readonly string[] | 0,
  extensions: readonly Extension[] | 0,
];

/** The texts of `help`, by command (in the order of the entries). */
export interface CommandTexts {
  /** Each command's help line. */
  readonly help: readonly string[];
  /** Each command's DESCRIPTION ('' for none). */
  readonly description: readonly string[];
  /** Each command's options' help lines. */
  readonly options: readonly (readonly string[])[];
}

/** How the lazy commands reach what is not in their entries. */
export interface CommandLoader {
  /** The exports of a command module, by index. */
  module(index: number): Record<string, unknown>;
  /** The texts of `help`. */
  texts(): CommandTexts;
}

/** An option whose help line is read when first asked for. */
class LazyOption implements OptionSpec {
  readonly name: string;
  readonly kind: OptionKind;
  declare readonly positional?: boolean;
  declare readonly required?: boolean;
  declare readonly hidden?: boolean;
  declare readonly aliasOf?: string;

  constructor(
    [name, kind, flags, aliasOf]: OptionEntry,
    private readonly command: LazyCommand,
    private readonly index: number,
  ) {
    this.name = name;
    this.kind = OPTION_KINDS[kind]!;
    const self = this as { positional?: boolean; required?: boolean; hidden?: boolean; aliasOf?: string };
    if (flags & OptionFlag.POSITIONAL) self.positional = true;
    if (flags & OptionFlag.REQUIRED) self.required = true;
    if (flags & OptionFlag.HIDDEN) self.hidden = true;
    if (aliasOf !== undefined) self.aliasOf = aliasOf;
  }

  get help(): string {
    return this.command.texts().options[this.command.index]![this.index]!;
  }
}

/** A command whose code (run, aliases) is loaded when it runs, and whose texts when `help` asks. */
class LazyCommand implements CommandSpec {
  readonly name: string;
  readonly group: string;
  declare readonly aliasNames?: readonly string[];
  declare readonly hidden?: boolean;
  declare readonly connects?: boolean;
  declare readonly quits?: boolean;
  declare readonly extensions?: readonly Extension[];
  private real: CommandSpec | undefined;
  private lazyOptions: readonly OptionSpec[] | undefined;

  constructor(
    private readonly entry: CommandEntry,
    readonly index: number,
    groups: readonly string[],
    private readonly loader: CommandLoader,
  ) {
    const [name, group, flags, , , , aliasNames, extensions] = entry;
    this.name = name;
    this.group = groups[group]!;
    const self = this as { aliasNames?: readonly string[]; hidden?: boolean; connects?: boolean; quits?: boolean; extensions?: readonly Extension[] };
    if (aliasNames) self.aliasNames = aliasNames;
    if (flags & CommandFlag.HIDDEN) self.hidden = true;
    if (flags & CommandFlag.NO_CONNECTION) self.connects = false;
    if (flags & CommandFlag.QUITS) self.quits = true;
    if (extensions) self.extensions = extensions;
  }

  texts(): CommandTexts {
    return this.loader.texts();
  }

  get help(): string {
    return this.texts().help[this.index]!;
  }

  get description(): string | undefined {
    return this.entry[2] & CommandFlag.DESCRIPTION ? this.texts().description[this.index] : undefined;
  }

  get options(): readonly OptionSpec[] {
    this.lazyOptions ??= this.entry[3].map((o, i) => new LazyOption(o, this, i));
    return this.lazyOptions;
  }

  get aliases(): ((args: readonly string[]) => string[]) | undefined {
    return this.entry[2] & CommandFlag.ALIASES ? (args) => this.load().aliases!(args) : undefined;
  }

  run(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
    return this.load().run(ctx, opts);
  }

  private load(): CommandSpec {
    if (this.real) return this.real;
    const [name, , , , module, exportName] = this.entry;
    const exported = this.loader.module(module)[exportName] as CommandSpec | readonly CommandSpec[] | undefined;
    const found = Array.isArray(exported) ? (exported as readonly CommandSpec[]).find((c) => c.name === name) : (exported as CommandSpec | undefined);
    if (found?.name !== name) throw new Error(`tsvirsh build: command ${name} is not in its module's export ${exportName}`);
    this.real = found;
    return found;
  }
}

/** The commands of the build's data, in its order. */
export function lazyCommands(groups: readonly string[], entries: readonly CommandEntry[], loader: CommandLoader): readonly CommandSpec[] {
  return entries.map((entry, i) => new LazyCommand(entry, i, groups, loader));
}
