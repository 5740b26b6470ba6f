/**
 * Runs tsvirsh and virsh on a pseudo-terminal with the same keystrokes (harness/pty-script.py),
 * for the tests of what needs a terminal: `edit`'s retry prompt, `console`, the interactive shell.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { clientEnv, PYTHON, run, VIRSH } from '../../harness/daemon.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** One keystroke step: wait for `expect` (a Python regex), run `run` if given, type `send`. */
export interface KeyStep {
  readonly expect: string;
  readonly send: string;
  readonly run?: readonly string[];
}

/** What the program printed on the terminal (stdout and stderr, as the terminal shows them) and its exit status. */
export interface TerminalRun {
  readonly output: string;
  readonly status: number;
  readonly stepsDone: number;
  readonly timedOut: boolean;
}

/** The command line of tsvirsh (from the sources) or virsh with `args`. */
export const tsvirshArgv = (...args: string[]): string[] => [process.execPath, '--import', 'tsx', path.join(root, 'src', 'cli', 'tsvirsh.ts'), ...args];
export const virshArgv = (...args: string[]): string[] => [VIRSH, ...args];

/** Runs `argv` on a pseudo-terminal through `steps`; `env` is added to the C clients' environment. */
export async function onTerminal(argv: readonly string[], steps: readonly KeyStep[], env: Record<string, string> = {}, timeout = 60): Promise<TerminalRun> {
  const spec = { argv, env: { ...clientEnv(), TERM: 'xterm', ...env }, steps, timeout, cwd: root };
  const r = await run(PYTHON, ['-I', path.join(root, 'harness', 'pty-script.py'), JSON.stringify(spec)], { timeoutMs: (timeout + 30) * 1000 });
  expect(r.stderr).toBe('');
  const out = JSON.parse(r.stdout) as { output: string; status: number; steps_done: number; timed_out: boolean };
  return { output: out.output, status: out.status, stepsDone: out.steps_done, timedOut: out.timed_out };
}

/**
 * The terminal's text for comparison: without the lines virsh prints on a terminal when it cannot
 * start its polkit agent (one per connection; no D-Bus on these machines), and with the random part of virsh's
 * temporary file names (`virshXXXXXX.xml`) masked.
 */
export function transcript(r: TerminalRun): string {
  return r.output
    .replace(/^Authorization not available\. Check if polkit service is running.*\r?\n/gm, '')
    .replace(/virsh[A-Za-z0-9]{6}\.xml/g, 'virshXXXXXX.xml');
}

/** Both programs through the same steps, one after the other (they may share a terminal-only resource such as a console). */
export async function bothOnTerminal(
  args: readonly string[],
  steps: readonly KeyStep[],
  env: Record<string, string> = {},
  before?: () => Promise<void>,
): Promise<[TerminalRun, TerminalRun]> {
  await before?.();
  const ours = await onTerminal(tsvirshArgv(...args), steps, env);
  await before?.();
  const theirs = await onTerminal(virshArgv(...args), steps, env);
  return [ours, theirs];
}
