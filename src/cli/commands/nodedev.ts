/** Node device commands, with virsh's output. */
import type { CommandSpec } from '../command.js';

/** Node device commands. */
export const nodedevCommands: readonly CommandSpec[] = [];
