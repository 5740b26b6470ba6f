/**
 * tsvirsh: virsh's command line over libvirt-rpc. `runVirsh(argv, io)` runs
 * one command line and returns the exit status; output follows virsh's
 * (tables, messages, `error: ...` lines on stderr, and the blank line virsh
 * writes when it exits), so scripts written for virsh keep working.
 *
 * The parts: shell/global-options.ts (virsh's own options), shell/tokenizer.ts
 * (command strings), shell/parser.ts (a command's arguments), shell/session.ts
 * (the connection and running commands), shell/lines.ts (the shell reading
 * standard input), shell/builtins.ts and shell/help.ts (virsh's own
 * commands), commands/ (every other command), support/ (what commands share).
 */
import { LIBVIRT_PROTOCOL_VERSION } from '../procedures/libvirt-api.gen.js';
import { SignalExit, type CommandSpec } from './command.js';
import { COMMANDS } from './commands/index.js';
import { VSH_ERR_INFO } from './support/debug.js';
import { BUILTINS } from './shell/builtins.js';
import { DebugLog, envDebugLevel } from './shell/debug-log.js';
import { parseGlobal, USAGE, type ParsedGlobal } from './shell/global-options.js';
import { defaultStdin, shell, shellLine } from './shell/lines.js';
import type { ParsedCommand } from './shell/parser.js';
import { errorText, Session, type CliIo } from './shell/session.js';
import { argvCommands, splitCommandString } from './shell/tokenizer.js';

export { COMMANDS, splitCommandString };
export { parseCommandArgs, parseCommandLine } from './shell/parser.js';
export type { CliIo } from './shell/session.js';

/** Every command a session runs: the command modules' and virsh's own. */
export const ALL_COMMANDS: readonly CommandSpec[] = [...COMMANDS, ...BUILTINS];

/** Every command with its options, virsh's own among them: what completion offers (./shell/complete.ts). */
export function completionCommands(): readonly CommandSpec[] {
  return ALL_COMMANDS;
}

/**
 * Runs one tsvirsh command line and resolves with the exit status (0 ok, 1
 * failure). As with virsh: several arguments are one command; a single
 * argument is a command string (`'list; dominfo test'`); none reads
 * commands from `io.stdin`, one line at a time, as virsh's shell does.
 */
export async function runVirsh(argv: readonly string[], io: CliIo): Promise<number> {
  // vshInitDebug reads VIRSH_DEBUG before the options (which then override it).
  const env = io.env ?? process.env;
  const envDebug = envDebugLevel(env);
  if (envDebug.warning !== null) io.stderr(`error: ${envDebug.warning}\n`);
  let parsedGlobal: ParsedGlobal;
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
    io.stdout(early === 'version-long' ? await longVersionText(LIBVIRT_PROTOCOL_VERSION) : `${LIBVIRT_PROTOCOL_VERSION}\n`);
    return 0;
  }
  for (const w of global.warnings) io.stderr(`error: ${w}\n`);
  const log = new DebugLog(global.debug ?? envDebug.level, io.stdout);
  const logFile = global.logFile ?? (env.VIRSH_LOG_FILE || null);
  if (logFile !== null && !log.open(logFile)) {
    io.stderr('error: failed to open the log file. check the log file path\n');
    return 1;
  }
  try {
    return await runSession(global, rest, { ...io, stderr: log.stderr(io.stderr) }, log);
  } finally {
    log.close();
  }
}

/** Runs the commands (or the shell) of one command line, after its global options. */
async function runSession(global: ParsedGlobal['global'], rest: readonly string[], io: CliIo, log: DebugLog): Promise<number> {
  const interactive = rest.length === 0;
  const session = new Session(global, io, interactive, ALL_COMMANDS, log);
  try {
    if (interactive) {
      if (await session.start()) return 1;
      // Read standard input only once connected: a readline interface made before emits the lines
      // that arrive meanwhile to no one (its async iterator listens from its first use), and the
      // shell then waits for lines that came and went.
      const input = io.stdin ?? defaultStdin();
      if (input === null) {
        // A terminal: virsh's shell with line editing, history and completion.
        const { interactiveShell } = await import('./shell/interactive.js');
        return await interactiveShell({
          quiet: global.quiet,
          readonly: () => session.readonly,
          runLine: (line) => shellLine(session, io, line),
          completion: { commands: ALL_COMMANDS, connection: () => session.completionConnection() },
          env: io.env ?? process.env,
          print: io.stdout,
        });
      }
      return await shell(session, global, io, input);
    }
    // virsh parses the whole command line before it connects or runs anything.
    let parsed: ParsedCommand[] | null;
    if (rest.length === 1) log.debug(VSH_ERR_INFO, `commands: "${rest[0]}"\n`);
    try {
      parsed = session.parse(rest.length === 1 ? splitCommandString(rest[0]) : argvCommands(rest));
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
