/** Network filter commands, with virsh's output. */
import type { CommandSpec } from '../command.js';

/** Network filter commands. */
export const nwfilterCommands: readonly CommandSpec[] = [];
