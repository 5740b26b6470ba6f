/** Host interface commands, with virsh's output (tools/virsh-interface.c). */
import { VIR_CONNECT_LIST_INTERFACES_ACTIVE, VIR_CONNECT_LIST_INTERFACES_INACTIVE, VIR_INTERFACE_XML_INACTIVE } from '../../procedures/libvirt-api.gen.js';
import type { CommandSpec, OptionSpec } from '../command.js';
import { flag, valueOpt } from '../support/options.js';
import { formatTable } from '../support/table.js';
import { lookupInterfaceBy } from '../support/lookup.js';
import { vshFail } from '../support/failures.js';
import { printJson, wantsJson } from '../support/json-output.js';

const IFACE: OptionSpec = valueOpt('interface', 'string', 'interface name or MAC address', { required: true });

/** Interface commands. */
export const ifaceCommands: readonly CommandSpec[] = [
  {
    name: 'iface-list',
    group: 'Interface',
    help: 'list physical host interfaces',
    description: 'Returns list of physical host interfaces.',
    options: [flag('inactive', 'list inactive interfaces'), flag('all', 'list inactive & active interfaces')],
    extensions: ['json'],
    async run(ctx, opts) {
      const flags = opts.bool('all') ? 0 : opts.bool('inactive') ? VIR_CONNECT_LIST_INTERFACES_INACTIVE : VIR_CONNECT_LIST_INTERFACES_ACTIVE;
      let ifaces: Awaited<ReturnType<typeof ctx.conn.raw.connectListAllInterfaces>>['ifaces'];
      try {
        ifaces = (await ctx.conn.raw.connectListAllInterfaces(1, flags)).ifaces;
      } catch (err) {
        throw vshFail('Failed to list interfaces', err);
      }
      ifaces.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const rows: string[][] = [];
      const records: { name: string; active: boolean; mac: string }[] = [];
      for (const i of ifaces) {
        const active = (await ctx.conn.raw.interfaceIsActive(i)) !== 0;
        rows.push([i.name, active ? 'active' : 'inactive', i.mac]);
        records.push({ name: i.name, active, mac: i.mac });
      }
      if (wantsJson(opts)) printJson(ctx, records);
      else ctx.print(formatTable(['Name', 'State', 'MAC Address'], rows, ctx.quiet));
    },
  },
  {
    name: 'iface-mac',
    group: 'Interface',
    help: 'convert an interface name to interface MAC address',
    options: [{ ...IFACE, help: 'interface name' }],
    async run(ctx, opts) {
      ctx.print(`${(await lookupInterfaceBy(ctx.conn, opts.required('interface'), { name: true })).mac}\n`);
    },
  },
  {
    name: 'iface-name',
    group: 'Interface',
    help: 'convert an interface MAC address to interface name',
    options: [{ ...IFACE, help: 'interface mac' }],
    async run(ctx, opts) {
      ctx.print(`${(await lookupInterfaceBy(ctx.conn, opts.required('interface'), { mac: true })).name}\n`);
    },
  },
  {
    name: 'iface-dumpxml',
    group: 'Interface',
    help: 'interface information in XML',
    description: 'Output the physical host interface information as an XML dump to stdout.',
    options: [IFACE, flag('inactive', 'show inactive defined XML')],
    async run(ctx, opts) {
      const iface = await lookupInterfaceBy(ctx.conn, opts.required('interface'), { name: true, mac: true });
      ctx.print(await ctx.conn.raw.interfaceGetXMLDesc(iface, opts.bool('inactive') ? VIR_INTERFACE_XML_INACTIVE : 0));
    },
  },
];
