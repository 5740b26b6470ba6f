/**
 * virsh's "desc" info of a command (tools/virsh-*.c info tables), which
 * `help COMMAND` prints as its DESCRIPTION section (vshCmddefHelp).
 */
import type { CommandSpec } from '../command.js';

/** `spec` with virsh's description of the command. */
export function described<T extends CommandSpec>(description: string, spec: T): T & { readonly description: string } {
  return { ...spec, description };
}
