/**
 * virsh's debug messages (tools/vsh.c vshDebug): a command says what it is doing at a level
 * (VSH_ERR_DEBUG 0 ... VSH_ERR_ERROR 4); the session running it (`-d LEVEL`, `-l FILE`,
 * ../shell/debug-log.ts) prints those at or above its level on stdout and writes them to its log.
 * The session's sink travels with the command through an AsyncLocalStorage, so the lookups in
 * ./lookup.ts need no context argument and two sessions in one process keep their own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** vshErrorLevel: the levels of `-d` and of the log file. */
export const VSH_ERR_DEBUG = 0;
export const VSH_ERR_INFO = 1;
export const VSH_ERR_NOTICE = 2;
export const VSH_ERR_WARNING = 3;
export const VSH_ERR_ERROR = 4;

/** Where a command's debug messages go: its session's log (../shell/debug-log.ts). */
export interface DebugSink {
  /** The running command's name (virsh's `cmd->def->name`; `unknown` outside a command). */
  readonly command: string;
  /** vshDebug: `text` (a whole message, usually ending in a newline) at `level`. */
  debug(level: number, text: string): void;
}

const current = new AsyncLocalStorage<DebugSink>();

/** Runs `fn` with `sink` receiving the debug messages of everything it calls. */
export function withDebugSink<T>(sink: DebugSink, fn: () => Promise<T>): Promise<T> {
  return current.run(sink, fn);
}

/** vshDebug: `message(commandName)` at `level`, when a session listens (built only then). */
export function vshDebug(level: number, message: (command: string) => string): void {
  const sink = current.getStore();
  sink?.debug(level, message(sink.command));
}

/** virsh's `CMD: found option <OPT>: VALUE` (virshCommandOptDomainBy and the other lookups), at `level`. */
export function debugFoundOption(option: string, value: string, level = VSH_ERR_INFO): void {
  vshDebug(level, (cmd) => `${cmd}: found option <${option}>: ${value}\n`);
}
