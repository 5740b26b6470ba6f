/** Checkpoint commands, with virsh's output (tools/virsh-checkpoint.c). */
import type { CommandSpec } from '../command.js';

/** The commands of this group. */
export const checkpointCommands: readonly CommandSpec[] = [];
