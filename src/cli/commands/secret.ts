/** Secret commands, with virsh's output. */
import type { CommandSpec } from '../command.js';

/** Secret commands. */
export const secretCommands: readonly CommandSpec[] = [];
