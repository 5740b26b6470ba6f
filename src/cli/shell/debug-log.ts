/**
 * virsh's `-d LEVEL` and `-l FILE` (tools/vsh.c vshDebug, vshError, vshOpenLogFile,
 * vshOutputLogFile, vshInitDebug): debug messages at or above the level are printed on stdout
 * and, like every error line, appended to the log file as
 * `[YYYY.MM.DD HH:MM:SS PROGNAME PID] LEVEL message`. `VIRSH_DEBUG` and `VIRSH_LOG_FILE` give
 * them when the options do not.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { type DebugSink, VSH_ERR_DEBUG, VSH_ERR_ERROR, VSH_ERR_INFO, VSH_ERR_NOTICE, VSH_ERR_WARNING } from '../support/debug.js';

/** The level words of the log file (LVL_*; NOTICE is written as INFO, as virsh writes it). */
const LEVEL_WORDS: Readonly<Record<number, string>> = {
  [VSH_ERR_DEBUG]: 'DEBUG',
  [VSH_ERR_INFO]: 'INFO',
  [VSH_ERR_NOTICE]: 'INFO',
  [VSH_ERR_WARNING]: 'WARNING',
  [VSH_ERR_ERROR]: 'ERROR',
};

/** `%Y.%m.%d %H:%M:%S` in local time (g_date_time_format of g_date_time_new_now_local). */
function logTime(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}.${two(d.getMonth() + 1)}.${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** One session's debug level, log file and stdout. */
export class DebugLog {
  private fd: number | null = null;

  constructor(
    /** Messages below it are dropped (virsh's default, VSH_DEBUG_DEFAULT, is VSH_ERR_ERROR). */
    readonly level: number,
    private readonly stdout: (text: string) => void,
    /** What the log lines name the program (virsh's progname: the basename of argv[0]). */
    private readonly progname = 'tsvirsh',
  ) {}

  /** Opens `path` for appending (created 0644), as vshOpenLogFile; false when it cannot. */
  open(path: string): boolean {
    this.close();
    try {
      this.fd = openSync(path, 'as', 0o644);
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = null;
  }

  /** vshOutputLogFile: one line, the message's trailing newline replaced by the line's own. */
  write(level: number, message: string): void {
    if (this.fd === null) return;
    const text = message.endsWith('\n') ? message.slice(0, -1) : message;
    const line = `[${logTime(new Date())} ${this.progname} ${process.pid}] ${LEVEL_WORDS[level] ?? 'DEBUG'} ${text}\n`;
    try {
      writeSync(this.fd, line);
    } catch {
      this.close();
    }
  }

  /** vshDebug: at or above the level, logged and printed on stdout. */
  debug(level: number, text: string): void {
    if (level < this.level) return;
    this.write(level, text);
    this.stdout(text);
  }

  /** A sink for the commands' messages while `command` runs. */
  sink(command: string): DebugSink {
    return { command, debug: (level, text) => this.debug(level, text) };
  }

  /** Standard error as vshError writes it: each `error: MESSAGE` line is logged as ERROR too. */
  stderr(write: (text: string) => void): (text: string) => void {
    return (text) => {
      if (this.fd !== null) for (const m of text.matchAll(/^error: (.*)$/gm)) this.write(VSH_ERR_ERROR, m[1]);
      write(text);
    };
  }
}

/**
 * The debug level from `VIRSH_DEBUG` when -d did not give one (vshInitDebug): a number 0-4, else
 * virsh's error line (returned) and the default.
 */
export function envDebugLevel(env: Readonly<Record<string, string | undefined>>): { level: number; warning: string | null } {
  const text = env.VIRSH_DEBUG;
  if (text === undefined) return { level: VSH_ERR_ERROR, warning: null };
  const n = /^[ \t\n\v\f\r]*[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < VSH_ERR_DEBUG || n > VSH_ERR_ERROR)
    return { level: VSH_ERR_ERROR, warning: 'VIRSH_DEBUG not set with a valid numeric value' };
  return { level: n, warning: null };
}
