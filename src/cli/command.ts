/**
 * The shape of a tsvirsh command and of its parsed options, following virsh's
 * option model (tools/vsh.c): boolean flags, `--name value` or
 * `--name=value` options, and positional arguments that fill the "data"
 * options in order.
 */
import { brandClass } from '../errors/brand.js';
import { LibvirtRpcError } from '../errors/root.js';
import type { Connection } from '../api/connection.js';

/**
 * The kind of value an option takes. `argv` takes every remaining
 * positional argument (virsh's VSH_OT_ARGV, as `echo` has).
 */
export type OptionKind = 'bool' | 'string' | 'int' | 'argv';

/** An option of tsvirsh's own that a command may take beside virsh's (see {@link CommandSpec.extensions}). */
export type Extension = 'json' | 'progress';

/** One option of a command. */
export interface OptionSpec {
  /** Long name, without `--`. */
  readonly name: string;
  readonly kind: OptionKind;
  /** May be given without its `--name` (in order with the other positional options). */
  readonly positional?: boolean;
  /** The command fails when it is missing. */
  readonly required?: boolean;
  /** One line for `help COMMAND`. */
  readonly help: string;
  /**
   * Left out of `help COMMAND`: virsh's VSH_OT_ALIAS options (another
   * spelling of a documented option), and tsvirsh's own options beyond
   * virsh (`--json`), so that help stays virsh's.
   */
  readonly hidden?: boolean;
  /**
   * For virsh's VSH_OT_ALIAS options: the option this one stands for. The parser counts the
   * two as one (virsh: `option --TARGET already seen` when both are given).
   */
  readonly aliasOf?: string;
}

/** What a command runs with. */
export interface CommandContext {
  /** The open connection (commands with `connects: false` get none). */
  readonly conn: Connection;
  /** Appends to standard output. */
  print(text: string): void;
  /** virsh -q: leave out table headers and informational messages. */
  readonly quiet: boolean;
  /** Reads a file named on the command line (define, create, ...). */
  readFile(path: string): Promise<string>;
  /**
   * Appends to standard error at once, without failing the command: virsh's
   * vshError in a command that goes on (`echo --err`, a lookup an event
   * command can do without), and progress lines. Absent: the text is dropped.
   */
  readonly printError?: (text: string) => void;
  /** Aborted when the user interrupts (Ctrl-C): event commands then stop waiting, as virsh does on SIGINT. */
  readonly interrupted?: AbortSignal;
  /** The session running the command, for virsh's own commands (help, connect, cd, complete). */
  readonly shell?: ShellControl;
  /** The console's escape as `-e` gave it (`^]` by default). */
  readonly escapeChar?: string;
  /** Standard error is a terminal (`--progress` then rewrites one line). */
  readonly stderrTerminal?: boolean;
  /** Standard input is a terminal (virsh's vshTTYAvailable): Ctrl-C then aborts a watched domain job. */
  readonly stdinTerminal?: boolean;
}

/** What virsh's own commands (tools/vsh.c, virsh.c: help, connect, cd) may ask of the session running them. */
export interface ShellControl {
  /** virsh's interactive mode (the shell), where `cd` is allowed. */
  readonly interactive: boolean;
  /** Every command the session knows, virsh's own included (for `help`). */
  readonly commands: readonly CommandSpec[];
  /** (Re)connects as `connect` does: to `uri` (or the session's), read-only when asked. */
  reconnect(uri: string | undefined, readonly: boolean): Promise<void>;
  /** The session's connection, connecting (to the session's URI) when there is none (`complete` asks its completers' objects on it). */
  connection(): Promise<Connection>;
  /**
   * Another connection, opened as virshConnect opens one (the session's credentials and keepalive;
   * `migrate`'s destination); the caller closes it. Fails with libvirt's message alone, as virsh reports it.
   */
  open(uri: string): Promise<Connection>;
}

/** The parsed options of one command line. */
export class ParsedOptions {
  constructor(
    private readonly values: ReadonlyMap<string, string | true>,
    private readonly lists: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {}

  /** Every value of an `argv` option, in order (empty when none was given). */
  list(name: string): readonly string[] {
    return this.lists.get(name) ?? [];
  }

  /** True when the flag was given. */
  bool(name: string): boolean {
    return this.values.has(name) || this.lists.has(name);
  }

  /** The option's value, or undefined. */
  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** The value of a required option (the parser guarantees it). */
  required(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw new CliError([`missing option --${name}`]);
    return v;
  }
}

/** A tsvirsh command. */
export interface CommandSpec {
  readonly name: string;
  /** The `help` group it is listed under (`Domain Management`, ...). */
  readonly group: string;
  /** One line for `help` (virsh's "help" info). */
  readonly help: string;
  /** The DESCRIPTION of `help COMMAND` (virsh's "desc" info, printed as written after four spaces); none when absent or empty. */
  readonly description?: string;
  /** Other names the command answers to, left out of listings (virsh's VSH_CMD_FLAG_ALIAS commands: `nodedev-dettach`). */
  readonly aliasNames?: readonly string[];
  readonly options: readonly OptionSpec[];
  /** Left out of `help` listings and of command-name completion, as virsh's hidden commands (`complete`). */
  readonly hidden?: boolean;
  /** False for commands that need no connection (help, version of the client). Default true. */
  readonly connects?: boolean;
  /** Ends the session (quit, exit): the shell stops reading, a command string stops there. */
  readonly quits?: boolean;
  /**
   * tsvirsh's own options beyond virsh's (`--json`, `--progress`): accepted by the parser but left
   * out of `help COMMAND`, so the help and every output stay virsh's unless one is given
   * (docs/tsvirsh-json.md, src/cli/support/progress.ts).
   */
  readonly extensions?: readonly Extension[];
  /** Rewrites the arguments before they are parsed (virsh's VSH_OT_ALIAS options). */
  readonly aliases?: (args: readonly string[]) => string[];
  run(ctx: CommandContext, opts: ParsedOptions): Promise<void>;
}

/**
 * A command failed. Each line is printed as `error: LINE`, as virsh prints its
 * own message and then libvirt's (vshReportError).
 */
export class CliError extends LibvirtRpcError {
  constructor(
    readonly lines: readonly string[],
    options?: { cause?: unknown; usage?: boolean },
  ) {
    super(options?.usage ? 'CLI_USAGE' : 'CLI_FAILED', lines.join('; '), options);
    this.name = 'CliError';
    this.usage = options?.usage ?? false;
  }

  /**
   * The command line itself is wrong (unknown command or option, missing or
   * extra argument): virsh rejects it before running anything, and then does
   * not write its closing blank line.
   */
  readonly usage: boolean;
}
brandClass(CliError, 'CliError');

/**
 * virsh would be killed by a signal here: writing into a pipe whose reader
 * has gone raises SIGPIPE, which virsh does not catch. tsvirsh then prints
 * nothing more and exits with the status a shell reports for that death
 * (128 + the signal number: 141 for SIGPIPE).
 */
export class SignalExit extends LibvirtRpcError {
  constructor(
    readonly signal: 'SIGPIPE',
    readonly status: number,
  ) {
    super('CLI_SIGNAL', `killed by ${signal}`);
    this.name = 'SignalExit';
  }
}
