/**
 * One virsh session (tools/virsh.c, vsh.c): the connection virsh keeps for
 * a command string or the whole shell, the URI it (re)connects to, and how
 * it runs commands and reports their failures.
 */
import { readFile } from 'node:fs/promises';
import { connect } from '../../api/connect.js';
import type { Connection } from '../../api/connection.js';
import type { Credentials } from '../../auth/credentials.js';
import { TransportError } from '../../rpc/errors.js';
import { CliError, SignalExit, type CommandContext, type CommandSpec, type OptionSpec, type ShellControl } from '../command.js';
import { VSH_ERR_INFO, withDebugSink } from '../support/debug.js';
import { strerrorOf } from '../support/strerror.js';
import type { DebugLog } from './debug-log.js';
import type { GlobalOptions } from './global-options.js';
import { parseCommandLine, type ParsedCommand } from './parser.js';

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
  /** Standard error is a terminal (`--progress` rewrites its line there). */
  readonly stderrTerminal?: boolean;
  /** Whether standard input is a terminal (Ctrl-C then aborts a domain job a command watches, as in virsh); asked when a command runs. */
  readonly stdinTerminal?: () => boolean;
  /** Aborted on an interrupt (Ctrl-C): an event command waiting then ends as virsh's does ("event loop interrupted"). */
  readonly interrupt?: AbortSignal;
  /**
   * Answers credential requests (SASL, SSH passwords and passphrases, host key questions): the
   * `tsvirsh` executable asks on the terminal as virsh does (./prompt.ts); none by default.
   */
  readonly credentials?: Credentials;
}

/** A failure as virsh prints it: each line as `error: LINE`. */
export function errorText(err: unknown): string {
  const lines = err instanceof CliError ? err.lines : [err instanceof Error ? err.message : String(err)];
  return lines.map((l) => `error: ${l}\n`).join('');
}

/**
 * One virsh session: the connection virsh keeps for a command string or the
 * whole shell, the URI it (re)connects to, and virsh's own commands.
 */
export class Session {
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
    /** Every command the session runs, virsh's own included. */
    readonly commands: readonly CommandSpec[],
    /** `-d` and `-l`: where the debug messages of parsing and of the commands go (none by default). */
    private readonly log: DebugLog | null = null,
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
      this.conn = await this.open(uri === '' ? null : uri, ro);
    } catch (err) {
      const what = disconnected ? 'Failed to reconnect to the hypervisor' : 'failed to connect to the hypervisor';
      throw new CliError([what, connectFailureText(err)], { cause: err });
    }
    if (name !== undefined) this.uri = name;
    this.ro = ro;
    if (wasConnected && !force) this.io.stderr('error: Reconnected to the hypervisor\n');
    return this.conn;
  }

  /** A connection as virshConnect opens one: the session's credentials and keepalive. */
  private open(uri: string | null, readonly: boolean): Promise<Connection> {
    return connect(uri, {
      readonly,
      env: this.io.env,
      ...(this.io.credentials !== undefined ? { credentials: this.io.credentials } : {}),
      keepalive: this.global.keepaliveInterval === 0 ? false : { interval: this.global.keepaliveInterval ?? 5, count: this.global.keepaliveCount ?? 6 },
    });
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
    const shell: ShellControl = {
      interactive: this.interactive,
      commands: this.commands,
      reconnect: async (uri, readonly) => {
        await this.reconnect(uri, readonly, true);
      },
      connection: () => this.connection(),
      open: async (uri) => {
        try {
          return await this.open(uri, false);
        } catch (err) {
          throw new CliError([connectFailureText(err)], { cause: err });
        }
      },
    };
    const io = this.io;
    return {
      shell,
      get conn(): Connection {
        if (!conn) throw new CliError(['no valid connection']);
        return conn;
      },
      quiet: this.global.quiet,
      print: (text) => this.io.stdout(text),
      printError: (text) => this.io.stderr(text),
      interrupted: this.io.interrupt,
      escapeChar: this.global.escape,
      stderrTerminal: this.io.stderrTerminal === true,
      // Asked only by a command that watches a job (it costs a module load on start otherwise).
      get stdinTerminal(): boolean {
        return io.stdinTerminal?.() === true;
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
  }

  /** Runs one parsed command and writes virsh's closing blank line; false when it failed. */
  private async runOne(p: ParsedCommand): Promise<boolean> {
    let ok = true;
    try {
      // A command that needs the daemon gets the connection first (virshConnectionHandler).
      const conn = p.cmd.connects === false ? this.conn : await this.connection();
      const ctx = this.context(conn);
      if (this.log) await withDebugSink(this.log.sink(p.cmd.name), () => p.cmd.run(ctx, p.opts));
      else await p.cmd.run(ctx, p.opts);
    } catch (err) {
      if (err instanceof SignalExit) throw err;
      ok = false;
      this.io.stderr(errorText(err));
    }
    // virsh ends every command it ran with a blank line, except in quiet mode; `--json` output is
    // one JSON document on one line and nothing else (docs/tsvirsh-json.md).
    if (!this.global.quiet && !p.opts.bool('json')) this.io.stdout('\n');
    return ok;
  }

  /** Parses every command of a line first (a command-line error runs none of them); null (reported) on an error. */
  parse(commands: readonly (readonly string[])[]): ParsedCommand[] | null {
    try {
      // vshCommandParse says each option it saves (VSH_ERR_INFO).
      const onOption = this.log
        ? (cmd: string, opt: OptionSpec, value: string | null): void =>
            this.log!.debug(VSH_ERR_INFO, `${cmd}: ${opt.name}(${opt.kind === 'bool' ? 'bool' : 'optdata'}): ${value ?? '(none)'}\n`)
        : undefined;
      // `help` reports an option given twice and goes on (vshCommandParse).
      const onError = (line: string): void => this.io.stderr(errorText(new CliError([line])));
      return commands.map((args) => parseCommandLine(this.commands, args, onOption, onError));
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
  async run(parsed: readonly ParsedCommand[]): Promise<{ ok: boolean; quit: boolean }> {
    let ok = true;
    for (const p of parsed) {
      if (p.cmd.quits) return { ok: true, quit: true };
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

export /**
 * What virsh prints for a failed open: for a unix socket it cannot reach,
 * libvirt's "Failed to connect socket to '<path>': <strerror>"; otherwise our
 * error's own message.
 */
function connectFailureText(err: unknown): string {
  const text = err instanceof TransportError && err.socketPath !== null ? strerrorOf(err.errno) : undefined;
  if (text !== undefined) return `Failed to connect socket to '${(err as TransportError).socketPath}': ${text}`;
  return err instanceof Error ? err.message : String(err);
}
