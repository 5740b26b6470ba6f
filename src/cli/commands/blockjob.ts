/** Block job and volume-copy commands, with virsh's output (tools/virsh-domain.c, virsh-volume.c). */
import type { CommandSpec } from '../command.js';

/** The commands of this group. */
export const blockjobCommands: readonly CommandSpec[] = [];
