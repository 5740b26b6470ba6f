/** Domain tuning and statistics commands, with virsh's output (tools/virsh-domain.c, virsh-domain-monitor.c, virsh-host.c). */
import type { CommandSpec } from '../command.js';

/** The commands of this group. */
export const tuneCommands: readonly CommandSpec[] = [];
