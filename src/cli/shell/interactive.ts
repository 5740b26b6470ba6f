/**
 * virsh's interactive shell on a terminal (tools/virsh.c main, vsh.c
 * vshReadlineInit, read for the facts): the banner (not with -q), the
 * prompt `virsh # ` (`virsh > ` when read-only), line editing, history and
 * Tab completion.
 *
 * - History holds every non-empty line as typed (duplicates too), is read at
 *   start from `$XDG_CACHE_HOME/libvirt/virsh/history` (`~/.cache/...`
 *   without XDG_CACHE_HOME) and written back when the shell ends normally,
 *   at most `$VIRSH_HISTSIZE` lines (default 500, 0 to 500000), one a line.
 * - Tab completes commands, options and object names through the same code
 *   as the `complete` command (./complete.ts); a single candidate is
 *   inserted with a blank after it, several are listed on the second Tab.
 * - Ctrl-D on an empty line ends the shell (a newline is printed, as after
 *   `quit`); Ctrl-C at the prompt kills it, as it kills virsh.
 *
 * Each prompt reads the terminal through a stream of its own, closed
 * before the line runs, so that nothing reads the terminal while a command
 * does (an editor started by `edit`, a console).
 */
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import { ReadStream } from 'node:tty';
import { CliError } from '../command.js';
import { completions, wordStart, type CompletionSource } from './complete.js';

/** What the shell runs with. */
export interface InteractiveShell {
  /** -q: no banner, no closing blank lines. */
  readonly quiet: boolean;
  /** Whether the session is read-only now (the prompt shows it). */
  readonly readonly: () => boolean;
  /** Runs one line of commands; resolves true when it was `quit` or `exit`. */
  readonly runLine: (line: string) => Promise<boolean>;
  readonly completion: CompletionSource;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly print: (text: string) => void;
}

const MAX_HISTSIZE = 500000;

/** virsh's history file: `$XDG_CACHE_HOME/libvirt/virsh/history` (virGetUserCacheDirectory + the program's name). */
export function historyFile(env: Readonly<Record<string, string | undefined>>): string {
  const cache = env.XDG_CACHE_HOME || `${env.HOME || homedir()}/.cache`;
  return `${cache}/libvirt/virsh/history`;
}

/** `$VIRSH_HISTSIZE` checked as virsh checks it, or the default 500. */
function historySize(env: Readonly<Record<string, string | undefined>>): number {
  const text = env.VIRSH_HISTSIZE;
  if (text === undefined) return 500;
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(text) || Math.abs(Number(text)) > 0x7fffffff) throw new CliError(['Bad $VIRSH_HISTSIZE value.']);
  const n = Number(text);
  if (n < 0 || n > MAX_HISTSIZE) throw new CliError([`$VIRSH_HISTSIZE value should be between 0 and ${MAX_HISTSIZE}`]);
  return n;
}

/** Reads one line at `prompt`; null at the end of input (Ctrl-D on an empty line). */
function readLine(prompt: string, history: readonly string[], size: number, source: CompletionSource): Promise<string | null> {
  const input = new ReadStream(openSync('/proc/self/fd/0', 'r'));
  const rl: Interface = createInterface({
    input,
    output: process.stdout,
    terminal: true,
    prompt,
    history: [...history].reverse(),
    historySize: Math.max(size, history.length),
    removeHistoryDuplicates: false,
    completer: (line: string, callback: (err: Error | null, result: [string[], string]) => void) => {
      const text = line.slice(wordStart(line));
      completions(line, text, source).then(
        (list) => callback(null, [list.length === 1 ? [`${list[0]} `] : list, text]),
        () => callback(null, [[], text]),
      );
    },
  });
  return new Promise<string | null>((resolve) => {
    let done = false;
    const finish = (value: string | null): void => {
      if (done) return;
      done = true;
      rl.close();
      input.destroy();
      resolve(value);
    };
    rl.on('line', (line) => finish(line));
    rl.on('close', () => finish(null));
    rl.on('SIGINT', () => {
      // GNU readline lets the signal through and virsh dies of it: so does tsvirsh.
      process.stdout.write('^C');
      rl.close();
      input.destroy();
      process.removeAllListeners('SIGINT');
      process.kill(process.pid, 'SIGINT');
    });
    rl.prompt();
  });
}

/** Runs the shell until `quit`, `exit` or the end of input; resolves with the exit status. */
export async function interactiveShell(shell: InteractiveShell): Promise<number> {
  // A bad $VIRSH_HISTSIZE is reported and the shell runs on, as virsh's does: its history
  // is then neither read nor written, nor limited.
  let size: number;
  let file: string | null = historyFile(shell.env);
  try {
    size = historySize(shell.env);
  } catch (err) {
    process.stderr.write(`error: ${(err as CliError).lines[0]}\n`);
    size = MAX_HISTSIZE;
    file = null;
  }
  let history: string[] = [];
  if (file !== null) {
    try {
      history = readFileSync(file, 'utf8').split('\n');
      if (history[history.length - 1] === '') history.pop();
      history = size ? history.slice(-size) : [];
    } catch {
      // no history yet
    }
  }
  if (!shell.quiet) {
    shell.print("Welcome to virsh, the virtualization interactive terminal.\n\nType:  'help' for help with commands\n       'quit' to quit\n\n");
  }
  for (;;) {
    const line = await readLine(shell.readonly() ? 'virsh > ' : 'virsh # ', history, size, shell.completion);
    if (line === null) {
      // GNU readline ends the line at the end of input before virsh's own newline.
      shell.print('\n');
      break;
    }
    if (line === '') continue;
    if (size) history.push(line);
    if (history.length > size) history = history.slice(history.length - size);
    if (await shell.runLine(line)) break;
  }
  shell.print('\n');
  if (file === null) return 0;
  const dir = file.slice(0, file.lastIndexOf('/'));
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(file, history.map((l) => `${l}\n`).join(''));
  } catch (err) {
    process.stderr.write(`error: Failed to create '${dir}': ${(err as Error).message}\n`);
  }
  return 0;
}
