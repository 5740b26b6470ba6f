/**
 * `console`: the guest's serial console on the terminal, as virsh 9.0.0's
 * (tools/virsh-domain.c cmdConsole): `--devname`, `--force`
 * (VIR_DOMAIN_CONSOLE_FORCE) and `--safe` (VIR_DOMAIN_CONSOLE_SAFE); the
 * session itself is support/console-session.ts, shared with
 * `start --console` and `create --console`.
 */
import { VIR_DOMAIN_CONSOLE_FORCE, VIR_DOMAIN_CONSOLE_SAFE } from '../../procedures/libvirt-api.gen.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { runConsole } from '../support/console-session.js';
import { lookupDomain } from '../support/lookup.js';

export { DEFAULT_ESCAPE, escapeByte } from '../support/console-session.js';

/** Whether `text` is an escape virsh's `-e` takes: `^` and one of `a-z @-_`, or one character other than `^`. */
export function validEscape(text: string): boolean {
  return (text.length === 2 && text[0] === '^' && /^[a-z@-_]$/.test(text[1])) || (text.length === 1 && text !== '^');
}

/** The commands of this module. */
export const consoleCommands: readonly CommandSpec[] = [
  {
    name: 'console',
    group: 'Domain Management',
    help: 'connect to the guest console',
    description: 'Connect the virtual serial console for the guest',
    options: [
      { name: 'domain', kind: 'string', positional: true, required: true, help: 'domain name, id or uuid' },
      { name: 'devname', kind: 'string', positional: true, help: 'character device name' },
      { name: 'force', kind: 'bool', help: 'force console connection (disconnect already connected sessions)' },
      { name: 'safe', kind: 'bool', help: 'only connect if safe console handling is supported' },
    ],
    async run(ctx: CommandContext, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const devname = opts.string('devname') ?? null;
      const flags = (opts.bool('force') ? VIR_DOMAIN_CONSOLE_FORCE : 0) | (opts.bool('safe') ? VIR_DOMAIN_CONSOLE_SAFE : 0);
      await runConsole(ctx, dom, devname, flags);
    },
  },
];
