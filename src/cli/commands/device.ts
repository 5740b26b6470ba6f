/** Device, save/restore and other domain commands, with virsh's output (tools/virsh-domain.c). */
import type { CommandSpec } from '../command.js';

/** The commands of this group. */
export const deviceCommands: readonly CommandSpec[] = [];
