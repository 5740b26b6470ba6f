/** Domain monitoring commands (vcpuinfo, dommemstat, domblklist, ...), with virsh's output. */
import type { CommandSpec } from '../command.js';

/** Domain monitoring commands (vcpuinfo, dommemstat, domblklist, ...). */
export const monitorCommands: readonly CommandSpec[] = [];
