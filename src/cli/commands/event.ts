/** Event commands (event, net-event, pool-event, ...), with virsh's output. */
import type { CommandSpec } from '../command.js';

/** The commands of this group. */
export const eventCommands: readonly CommandSpec[] = [];
