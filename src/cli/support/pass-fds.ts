/**
 * `--pass-fds N,M,...` (start, create, qemu-monitor-command,
 * dom-fd-associate), read as virsh reads it (tools/virsh-domain.c
 * virshFetchPassFdsList: g_strsplit on commas, each piece by virStrToLong_i).
 *
 * virsh sends the descriptors along with the call (SCM_RIGHTS on the unix
 * socket), which Node.js cannot do: tsvirsh parses the list as virsh does,
 * with virsh's errors, and then says it cannot pass them, instead of making
 * a call the daemon would take as having none.
 */
import { CliError, type ParsedOptions } from '../command.js';
import { cNumber } from './numbers.js';

/** The `--pass-fds` list; null when absent or empty (vshCommandOptStringQuiet). */
export function passFds(opts: ParsedOptions): number[] | null {
  const text = opts.string('pass-fds');
  if (!text) return null;
  return text.split(',').map((piece) => {
    const fd = cNumber(piece, 'int');
    if (fd === null) throw new CliError([`Unable to parse FD number '${piece}'`]);
    return Number(fd);
  });
}

/** What tsvirsh says where virsh would send file descriptors along with the call. */
export function cannotPassFds(): CliError {
  return new CliError(['tsvirsh cannot pass file descriptors (--pass-fds): Node.js has no way to send them over a socket (SCM_RIGHTS)']);
}
