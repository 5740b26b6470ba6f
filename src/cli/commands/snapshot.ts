/** Snapshot commands, with virsh's output. */
import type { CommandSpec } from '../command.js';

/** Snapshot commands. */
export const snapshotCommands: readonly CommandSpec[] = [];
