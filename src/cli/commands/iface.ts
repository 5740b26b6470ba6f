/** Host interface commands, with virsh's output (tools/virsh-interface.c). */
import { VIR_CONNECT_LIST_INTERFACES_ACTIVE, VIR_CONNECT_LIST_INTERFACES_INACTIVE } from '../../procedures/libvirt-api.gen.js';
import { failed, type CommandSpec } from '../command.js';
import { formatTable } from '../table.js';

/** Interface commands. */
export const ifaceCommands: readonly CommandSpec[] = [
  {
    name: 'iface-list',
    group: 'Interface',
    help: 'list physical host interfaces',
    options: [
      { name: 'inactive', kind: 'bool', help: 'list inactive interfaces' },
      { name: 'all', kind: 'bool', help: 'list inactive & active interfaces' },
    ],
    async run(ctx, opts) {
      const flags = opts.bool('all') ? 0 : opts.bool('inactive') ? VIR_CONNECT_LIST_INTERFACES_INACTIVE : VIR_CONNECT_LIST_INTERFACES_ACTIVE;
      let ifaces;
      try {
        ifaces = (await ctx.conn.raw.connectListAllInterfaces(1, flags)).ifaces;
      } catch (err) {
        throw failed('Failed to list interfaces', err);
      }
      ifaces.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const rows: string[][] = [];
      for (const i of ifaces) rows.push([i.name, (await ctx.conn.raw.interfaceIsActive(i)) ? 'active' : 'inactive', i.mac]);
      ctx.print(formatTable(['Name', 'State', 'MAC Address'], rows, ctx.quiet));
    },
  },
];
