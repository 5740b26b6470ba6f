/** Host interface commands, with virsh's output (tools/virsh-interface.c). */
import type { Connection } from '../../api/connection.js';
import type { RemoteNonnullInterface } from '../../procedures/remote.gen.js';
import {
  VIR_CONNECT_LIST_INTERFACES_ACTIVE,
  VIR_CONNECT_LIST_INTERFACES_INACTIVE,
  VIR_INTERFACE_DEFINE_VALIDATE,
  VIR_INTERFACE_XML_INACTIVE,
} from '../../procedures/libvirt-api.gen.js';
import { CliError, type CommandSpec, type OptionSpec } from '../command.js';
import { call, vshFail } from '../support/failures.js';
import { flag, valueOpt, VALIDATE, XPATH_OPTIONS } from '../support/options.js';
import { formatTable } from '../support/table.js';
import { lookupInterfaceBy } from '../support/lookup.js';
import { printJson, wantsJson } from '../support/json-output.js';
import { oneObjectCommand, fromFileCommand } from '../support/templates.js';
import { printXml, xpathOption } from '../support/xpath.js';
import { ifaceBridgeCommands } from './iface-bridge.js';

const GROUP = 'Interface';

const IFACE: OptionSpec = valueOpt('interface', 'string', 'interface name or MAC address', { required: true });

/** The interface of `<interface>` by name or MAC address (virshCommandOptInterface: an empty one is refused first). */
function findInterface(conn: Connection, text: string): Promise<RemoteNonnullInterface> {
  if (text === '') throw new CliError(["Failed to get option 'interface': Option argument is empty"]);
  return lookupInterfaceBy(conn, text, { name: true, mac: true });
}

/** iface-begin/commit/rollback: one call on the connection, virsh's message on success or failure. */
function transactionCommand(
  name: string,
  help: string,
  description: string,
  act: (conn: Connection) => Promise<void>,
  verb: string,
  done: string,
): CommandSpec {
  return {
    name,
    group: GROUP,
    help,
    description,
    options: [],
    async run(ctx) {
      await call(() => act(ctx.conn), `Failed to ${verb} network config change transaction`);
      if (!ctx.quiet) ctx.print(`Network config change transaction ${done}\n`);
    },
  };
}

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
    options: [IFACE, flag('inactive', 'show inactive defined XML'), ...XPATH_OPTIONS],
    async run(ctx, opts) {
      const iface = await findInterface(ctx.conn, opts.required('interface'));
      const xpath = xpathOption(opts);
      const xml = await call(() => ctx.conn.raw.interfaceGetXMLDesc(iface, opts.bool('inactive') ? VIR_INTERFACE_XML_INACTIVE : 0));
      printXml(ctx, xml, xpath, opts.bool('wrap'));
    },
  },
  fromFileCommand({
    name: 'iface-define',
    group: GROUP,
    help: 'define an inactive persistent physical host interface or modify an existing persistent one from an XML file',
    description: 'Define or modify a persistent physical host interface.',
    extra: [VALIDATE],
    noun: 'Interface',
    verb: 'define',
    done: 'defined',
    act: (conn, xml, opts) => conn.raw.interfaceDefineXML(xml, opts.bool('validate') ? VIR_INTERFACE_DEFINE_VALIDATE : 0),
  }),
  oneObjectCommand({
    name: 'iface-undefine',
    group: GROUP,
    help: 'undefine a physical host interface (remove it from configuration)',
    description: 'undefine an interface.',
    option: IFACE,
    lookup: findInterface,
    noun: 'Interface',
    verb: 'undefine',
    done: 'undefined',
    act: (conn, iface) => conn.raw.interfaceUndefine(iface),
  }),
  oneObjectCommand({
    name: 'iface-start',
    group: GROUP,
    help: 'start a physical host interface (enable it / "if-up")',
    description: 'start a physical host interface.',
    option: IFACE,
    lookup: findInterface,
    noun: 'Interface',
    verb: 'start',
    done: 'started',
    act: (conn, iface) => conn.raw.interfaceCreate(iface, 0),
  }),
  {
    name: 'iface-destroy',
    group: GROUP,
    help: 'destroy a physical host interface (disable it / "if-down")',
    description: 'forcefully stop a physical host interface.',
    options: [IFACE],
    async run(ctx, opts) {
      const text = opts.required('interface');
      const iface = await findInterface(ctx.conn, text);
      await call(() => ctx.conn.raw.interfaceDestroy(iface, 0), `Failed to destroy interface ${text}`);
      if (!ctx.quiet) ctx.print(`Interface ${text} destroyed\n`);
      // virsh 9.0.0's cmdInterfaceDestroy returns false even when the interface was destroyed: exit status 1, no message.
      throw new CliError([]);
    },
  },
  transactionCommand(
    'iface-begin',
    'create a snapshot of current interfaces settings, which can be later committed (iface-commit) or restored (iface-rollback)',
    'Create a restore point for interfaces settings',
    (conn) => conn.raw.interfaceChangeBegin(0),
    'begin',
    'started',
  ),
  transactionCommand(
    'iface-commit',
    'commit changes made since iface-begin and free restore point',
    'commit changes and free restore point',
    (conn) => conn.raw.interfaceChangeCommit(0),
    'commit',
    'committed',
  ),
  transactionCommand(
    'iface-rollback',
    'rollback to previous saved configuration created via iface-begin',
    'rollback to previous restore point',
    (conn) => conn.raw.interfaceChangeRollback(0),
    'rollback',
    'rolled back',
  ),
  ...ifaceBridgeCommands,
];
