/**
 * Runs one command line through tsvirsh (in-process) and through the real
 * virsh, for the differential CLI tests.
 */
import { clientEnv, run, VIRSH } from '../../harness/daemon.js';
import { runVirsh } from '../../src/cli/main.js';

/** What a command line printed and how it exited. */
export interface Outcome {
  stdout: string;
  stderr: string;
  status: number;
}

/** tsvirsh with `args` (and `stdin`, empty by default). */
export async function ours(args: string[], stdin?: string): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const status = await runVirsh(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stdin: stdin ?? '' });
  return { stdout, stderr, status };
}

/** The real virsh with `args` (and `stdin`, empty by default). */
export async function theirs(args: string[], stdin?: string): Promise<Outcome> {
  const r = await run(VIRSH, args, { env: clientEnv(), timeoutMs: 30_000, input: stdin ?? '' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.code ?? -1 };
}

/** Both, at once. */
export async function both(args: string[], stdin?: string): Promise<[Outcome, Outcome]> {
  return await Promise.all([ours(args, stdin), theirs(args, stdin)]);
}

/**
 * What `help COMMAND` says, without the layout tsvirsh's renderer does not
 * share with virsh (the DESCRIPTION section, column widths).
 */
export function helpOutline(text: string): string[] {
  let section = '';
  return text.split('\n').flatMap((line) => {
    if (/^ {2}[A-Z]+$/.test(line)) section = line.trim();
    if (!line.trim() || section === 'DESCRIPTION' || /^ {2}[A-Z]+$/.test(line)) return [];
    const m = /^\s*(\[--[\w-]+\] <\w+>|--[\w-]+ <\w+>|--[\w-]+)\s+(.*)$/.exec(line);
    return [section === 'OPTIONS' && m ? `${section}: ${m[1]} | ${m[2]}` : `${section}: ${line.trim()}`];
  });
}
