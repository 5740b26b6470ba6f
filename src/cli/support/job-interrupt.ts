/**
 * Ctrl-C while a command waits on a domain job, as virsh's virshWatchJob (tools/virsh-domain.c,
 * libvirt 9.0) treats it for save, managedsave, dump and migrate: on a terminal the interrupt
 * aborts the job (virDomainAbortJob) and the command then fails with the daemon's error; off a
 * terminal virsh only records the SIGINT and the job goes on to its end, so tsvirsh ignores it too.
 */
import type { RemoteNonnullDomain } from '../../procedures/remote-core.gen.js';
import type { CommandContext } from '../command.js';

/** While `work` runs, an interrupt on a terminal aborts `dom`'s job; `work`'s outcome is returned as it is. */
export async function abortJobOnInterrupt<T>(ctx: CommandContext, dom: RemoteNonnullDomain, work: () => Promise<T>): Promise<T> {
  const signal = ctx.interrupted;
  if (!signal || !ctx.stdinTerminal) return await work();
  const abort = (): void => void ctx.conn.raw.domainAbortJob(dom).catch(() => {});
  signal.addEventListener('abort', abort, { once: true });
  try {
    return await work();
  } finally {
    signal.removeEventListener('abort', abort);
  }
}
