/**
 * tsvirsh run in-process against a scripted daemon (./scripted-peer.ts), for the CLI's paths that
 * only a daemon no real one here is can reach (old daemons, refused flags).
 */
import { runVirsh } from '../../src/cli/main.js';
import { type FakeDaemon, fakeDaemon, type Handler } from './scripted-peer.js';

/** What tsvirsh printed, its exit status, and the daemon (to read the calls it was sent). */
export interface FakeRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
  readonly daemon: FakeDaemon;
}

/** `tsvirsh -c <the scripted daemon> ARGS` with `handlers` answering; the caller closes the daemon (closeFakeDaemons). */
export async function tsvirshOnFake(handlers: Record<string, Handler>, args: readonly string[]): Promise<FakeRun> {
  const daemon = await fakeDaemon({ handlers });
  let stdout = '';
  let stderr = '';
  const status = await runVirsh(['-c', `test+unix:///default?socket=${daemon.socketPath}`, ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    stdin: '',
  });
  return { stdout, stderr, status, daemon };
}
