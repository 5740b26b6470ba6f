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
