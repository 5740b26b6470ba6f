/** Network commands, with virsh's output (tools/virsh-network.c). */
import {
  VIR_CONNECT_LIST_NETWORKS_ACTIVE,
  VIR_CONNECT_LIST_NETWORKS_AUTOSTART,
  VIR_CONNECT_LIST_NETWORKS_INACTIVE,
  VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART,
  VIR_CONNECT_LIST_NETWORKS_PERSISTENT,
  VIR_CONNECT_LIST_NETWORKS_TRANSIENT,
  VIR_IP_ADDR_TYPE_IPV4,
  VIR_IP_ADDR_TYPE_IPV6,
  VIR_NETWORK_CREATE_VALIDATE,
  VIR_NETWORK_DEFINE_VALIDATE,
  VIR_NETWORK_PORT_CREATE_VALIDATE,
  VIR_NETWORK_UPDATE_AFFECT_CONFIG,
  VIR_NETWORK_UPDATE_AFFECT_LIVE,
  VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
  VIR_NETWORK_XML_INACTIVE,
} from '../../procedures/libvirt-api.gen.js';
import type { Connection } from '../../api/connection.js';
import type { RemoteNetworkDhcpLease, RemoteNonnullNetwork, RemoteNonnullNetworkPort } from '../../procedures/remote.gen.js';
import { parseUuid } from '../../api/uuid.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { flag, valueOpt, NETWORK, VALIDATE, XPATH_OPTIONS, exclusive, strOpt, strArg } from '../support/options.js';
import { smallNumberOpt } from '../support/numbers.js';
import { xpathOption, printXml } from '../support/xpath.js';
import { formatUuid, yesNo, caseOrder, byName, localTime, uuidNameLines } from '../support/format.js';
import { formatTable } from '../support/table.js';
import { lookupNetworkBy } from '../support/lookup.js';
import { oneObjectCommand, autostartCommand, fromFileCommand } from '../support/templates.js';
import { NETWORK_UPDATE_COMMANDS, NETWORK_UPDATE_SECTIONS } from '../support/enum-names.js';
import { vshFail } from '../support/failures.js';
import { infoFields, jsonNumber, printJson, wantsJson } from '../support/json-output.js';
import { debugFoundOption, VSH_ERR_DEBUG, vshDebug } from '../support/debug.js';

const GROUP = 'Networking';
const findNetwork = (conn: Connection, text: string): Promise<RemoteNonnullNetwork> => lookupNetworkBy(conn, text, { uuid: true, name: true });

/** One network action command ("Network X started" / "Failed to start network X"). */
const netAction = (
  name: string,
  help: string,
  verb: string,
  done: string,
  act: (conn: Connection, net: RemoteNonnullNetwork) => Promise<unknown>,
): CommandSpec => oneObjectCommand({ name, group: GROUP, help, option: NETWORK, lookup: findNetwork, noun: 'Network', verb, done, act });

/** The message net-update prints on success, by what it changed (virsh asks whether the network runs when neither flag is given). */
async function updatedWhat(conn: Connection, net: RemoteNonnullNetwork, config: boolean, live: boolean): Promise<string> {
  if (config) return live ? 'persistent config and live state' : 'persistent config';
  if (live) return 'live state';
  // virNetworkIsActive failing counts as true (its -1 is truthy in virsh).
  const active = await conn.raw.networkIsActive(net).catch(() => -1);
  return active ? 'live state' : 'persistent config';
}

/** One net-dhcp-leases row (`-` for what the lease lacks, as NULLSTR_MINUS). */
function leaseRow(l: RemoteNetworkDhcpLease): string[] {
  const type = l.type === VIR_IP_ADDR_TYPE_IPV4 ? 'ipv4' : l.type === VIR_IP_ADDR_TYPE_IPV6 ? 'ipv6' : null;
  return [localTime(l.expirytime), l.mac ?? '-', type ?? '-', `${l.ipaddr}/${l.prefix}`, l.hostname ?? '-', l.clientid ?? '-'];
}

/** One net-dhcp-leases lease in JSON (docs/tsvirsh-json.md): null for what the lease lacks. */
function leaseJson(l: RemoteNetworkDhcpLease): Record<string, unknown> {
  const type = l.type === VIR_IP_ADDR_TYPE_IPV4 ? 'ipv4' : l.type === VIR_IP_ADDR_TYPE_IPV6 ? 'ipv6' : null;
  return {
    expiry_time: jsonNumber(l.expirytime),
    mac: l.mac ?? null,
    type,
    address: l.ipaddr,
    prefix: l.prefix,
    hostname: l.hostname ?? null,
    client_id: l.clientid ?? null,
  };
}

const PORT: OptionSpec = valueOpt('port', 'string', 'port UUID', { required: true });

/** A network port by UUID (virshCommandOptNetworkPort): libvirt parses the UUID before asking the daemon. */
async function lookupPort(conn: Connection, net: RemoteNonnullNetwork, text: string): Promise<RemoteNonnullNetworkPort> {
  const uuid = parseUuid(text);
  debugFoundOption('port', text);
  // virsh's words for this lookup (virshCommandOptNetworkPort) say "network".
  vshDebug(VSH_ERR_DEBUG, (cmd) => `${cmd}: <port> trying as network UUID\n`);
  try {
    if (!uuid) throw new Error('uuidstr in virNetworkPortLookupByUUIDString must be a valid UUID');
    return await conn.raw.networkPortLookupByUUID(net, uuid);
  } catch (err) {
    throw vshFail(`failed to get network port '${text}'`, err);
  }
}

/**
 * net-port-dumpxml and net-port-delete: virsh starts them successful and
 * leaves them so when a lookup fails (its `ret = true`), so their errors are
 * reported without failing the command; only virsh's own message line is
 * printed, never libvirt's.
 */
function portCommand(
  name: string,
  help: string,
  extra: readonly OptionSpec[],
  act: (ctx: CommandContext, port: RemoteNonnullNetworkPort, opts: ParsedOptions) => Promise<void>,
): CommandSpec {
  return {
    name,
    group: GROUP,
    help,
    options: [NETWORK, PORT, ...extra],
    async run(ctx, opts) {
      let port: RemoteNonnullNetworkPort;
      try {
        const net = await findNetwork(ctx.conn, strArg(opts, 'network'));
        port = await lookupPort(ctx.conn, net, strArg(opts, 'port'));
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        ctx.printError?.(`error: ${err.lines[0]}\n`);
        return;
      }
      await act(ctx, port, opts);
    },
  };
}

/** Network commands. */
export const networkCommands: readonly CommandSpec[] = [
  {
    name: 'net-list',
    group: GROUP,
    help: 'list networks',
    description: 'Returns list of networks.',
    options: [
      flag('inactive', 'list inactive networks'),
      flag('all', 'list inactive & active networks'),
      flag('persistent', 'list persistent networks'),
      flag('transient', 'list transient networks'),
      flag('autostart', 'list networks with autostart enabled'),
      flag('no-autostart', 'list networks with autostart disabled'),
      flag('uuid', "list uuid's only"),
      flag('name', 'list network names only'),
      flag('table', 'list table (default)'),
    ],
    extensions: ['json'],
    async run(ctx, opts) {
      if (['table', 'name', 'uuid'].filter((o) => opts.bool(o)).length > 1) {
        throw new CliError(['Only one argument from --table, --name and --uuid may be specified.']);
      }
      const flag = (name: string, value: number): number => (opts.bool(name) ? value : 0);
      let flags =
        flag('persistent', VIR_CONNECT_LIST_NETWORKS_PERSISTENT) |
        flag('transient', VIR_CONNECT_LIST_NETWORKS_TRANSIENT) |
        flag('autostart', VIR_CONNECT_LIST_NETWORKS_AUTOSTART) |
        flag('no-autostart', VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART);
      if (!opts.bool('all')) flags |= opts.bool('inactive') ? VIR_CONNECT_LIST_NETWORKS_INACTIVE : VIR_CONNECT_LIST_NETWORKS_ACTIVE;
      let nets: Awaited<ReturnType<typeof ctx.conn.raw.connectListAllNetworks>>['nets'];
      try {
        nets = (await ctx.conn.raw.connectListAllNetworks(1, flags)).nets.sort(byName);
      } catch (err) {
        throw vshFail('Failed to list networks', err);
      }
      if (!wantsJson(opts) && (opts.bool('name') || opts.bool('uuid'))) {
        ctx.print(uuidNameLines(nets, { uuid: opts.bool('uuid'), name: opts.bool('name') }));
        return;
      }
      const rows: string[][] = [];
      const records: Record<string, unknown>[] = [];
      for (const n of nets) {
        const [active, autostart, persistent] = await Promise.all([
          ctx.conn.raw.networkIsActive(n),
          ctx.conn.raw.networkGetAutostart(n).catch(() => -1),
          ctx.conn.raw.networkIsPersistent(n),
        ]);
        rows.push([n.name, active ? 'active' : 'inactive', autostart < 0 ? 'no autostart' : yesNo(autostart), yesNo(persistent)]);
        records.push({
          name: n.name,
          uuid: formatUuid(n.uuid),
          active: active !== 0,
          autostart: autostart < 0 ? null : autostart !== 0,
          persistent: persistent !== 0,
        });
      }
      if (wantsJson(opts)) {
        printJson(ctx, records);
        return;
      }
      ctx.print(formatTable(['Name', 'State', 'Autostart', 'Persistent'], rows, ctx.quiet));
    },
  },
  {
    name: 'net-info',
    group: GROUP,
    help: 'network information',
    description: 'Returns basic information about the network',
    options: [NETWORK],
    extensions: ['json'],
    async run(ctx, opts) {
      const net = await findNetwork(ctx.conn, opts.required('network'));
      const raw = ctx.conn.raw;
      const out = infoFields(ctx, wantsJson(opts));
      out.add('Name:', net.name, 'name');
      out.add('UUID:', formatUuid(net.uuid), 'uuid');
      const active = await raw.networkIsActive(net).catch(() => -1);
      if (active >= 0) out.add('Active:', yesNo(active), 'active', active !== 0);
      const persistent = await raw.networkIsPersistent(net).catch(() => -1);
      out.add('Persistent:', persistent < 0 ? 'unknown' : yesNo(persistent), 'persistent', persistent < 0 ? null : persistent !== 0);
      const autostart = await raw.networkGetAutostart(net).catch(() => -1);
      out.add('Autostart:', autostart < 0 ? 'no autostart' : yesNo(autostart), 'autostart', autostart < 0 ? null : autostart !== 0);
      const bridge = await raw.networkGetBridgeName(net).catch(() => null);
      if (bridge !== null) out.add('Bridge:', bridge, 'bridge');
      out.done();
    },
  },
  {
    name: 'net-dumpxml',
    group: GROUP,
    help: 'network information in XML',
    description: 'Output the network information as an XML dump to stdout.',
    options: [NETWORK, flag('inactive', 'show inactive defined XML'), ...XPATH_OPTIONS],
    async run(ctx, opts) {
      const net = await findNetwork(ctx.conn, opts.required('network'));
      const xpath = xpathOption(opts);
      printXml(ctx, await ctx.conn.raw.networkGetXMLDesc(net, opts.bool('inactive') ? VIR_NETWORK_XML_INACTIVE : 0), xpath, opts.bool('wrap'));
    },
  },
  {
    ...netAction('net-start', 'start a (previously defined) inactive network', 'start', 'started', (conn, n) => conn.raw.networkCreate(n)),
    description: 'Start a network.',
  },
  {
    ...netAction('net-destroy', 'destroy (stop) a network', 'destroy', 'destroyed', (conn, n) => conn.raw.networkDestroy(n)),
    description: 'Forcefully stop a given network.',
  },
  {
    ...netAction('net-undefine', 'undefine a persistent network', 'undefine', 'has been undefined', (conn, n) => conn.raw.networkUndefine(n)),
    description: 'Undefine the configuration for a persistent network.',
  },
  autostartCommand({
    name: 'net-autostart',
    description: 'Configure a network to be automatically started at boot.',
    group: GROUP,
    option: NETWORK,
    lookup: findNetwork,
    noun: 'Network',
    set: (conn, n, on) => conn.raw.networkSetAutostart(n, on),
  }),
  fromFileCommand({
    name: 'net-define',
    group: GROUP,
    help: 'define an inactive persistent virtual network or modify an existing persistent one from an XML file',
    description: 'Define or modify a persistent virtual network.',
    extra: [VALIDATE],
    noun: 'Network',
    verb: 'define',
    done: 'defined',
    act: (conn, xml, opts) => conn.raw.networkDefineXMLFlags(xml, opts.bool('validate') ? VIR_NETWORK_DEFINE_VALIDATE : 0),
  }),
  fromFileCommand({
    name: 'net-create',
    group: GROUP,
    help: 'create a network from an XML file',
    description: 'Create a network.',
    extra: [VALIDATE],
    noun: 'Network',
    verb: 'create',
    done: 'created',
    act: (conn, xml, opts) => conn.raw.networkCreateXMLFlags(xml, opts.bool('validate') ? VIR_NETWORK_CREATE_VALIDATE : 0),
  }),
  {
    name: 'net-uuid',
    group: GROUP,
    help: 'convert a network name to network UUID',
    options: [{ ...NETWORK, help: 'network name' }],
    async run(ctx, opts) {
      ctx.print(`${formatUuid((await lookupNetworkBy(ctx.conn, opts.required('network'), { name: true })).uuid)}\n`);
    },
  },
  {
    name: 'net-name',
    group: GROUP,
    help: 'convert a network UUID to network name',
    options: [{ ...NETWORK, help: 'network uuid' }],
    async run(ctx, opts) {
      ctx.print(`${(await lookupNetworkBy(ctx.conn, opts.required('network'), { uuid: true })).name}\n`);
    },
  },
  {
    name: 'net-update',
    group: GROUP,
    help: "update parts of an existing network's configuration",
    options: [
      NETWORK,
      valueOpt('command', 'string', 'type of update (add-first, add-last (add), delete, or modify)', { required: true }),
      valueOpt('section', 'string', 'which section of network configuration to update', { required: true }),
      valueOpt(
        'xml',
        'string',
        "name of file containing xml (or, if it starts with '<', the complete xml element itself) to add/modify, or to be matched for search",
        { required: true },
      ),
      valueOpt('parent-index', 'int', 'which parent object to search through'),
      flag('config', 'affect next network startup'),
      flag('live', 'affect running network'),
      flag('current', 'affect current state of network'),
    ],
    async run(ctx, opts) {
      exclusive(opts, ['current', 'live'], ['current', 'config']);
      const net = await findNetwork(ctx.conn, strArg(opts, 'network'));
      const commandText = strArg(opts, 'command');
      const command = commandText === 'add' ? VIR_NETWORK_UPDATE_COMMAND_ADD_LAST : NETWORK_UPDATE_COMMANDS.indexOf(commandText);
      if (command <= 0) throw new CliError([`unrecognized command name '${commandText}'`]);
      const sectionText = strArg(opts, 'section');
      const section = NETWORK_UPDATE_SECTIONS.indexOf(sectionText);
      if (section <= 0) throw new CliError([`unrecognized section name '${sectionText}'`]);
      const parentIndex = smallNumberOpt(opts, 'parent-index', 'int') ?? -1;
      const xmlText = strArg(opts, 'xml');
      // Text that does not start with '<' names a file holding the element.
      const xml = xmlText.startsWith('<') ? xmlText : await ctx.readFile(xmlText);
      const config = opts.bool('config');
      const live = opts.bool('live');
      const flags = (config ? VIR_NETWORK_UPDATE_AFFECT_CONFIG : 0) | (live ? VIR_NETWORK_UPDATE_AFFECT_LIVE : 0);
      try {
        await ctx.conn.raw.networkUpdate(net, command, section, parentIndex, xml, flags);
      } catch (err) {
        throw vshFail(`Failed to update network ${net.name}`, err);
      }
      // virsh prints this without a newline: its end-of-command blank line ends it.
      if (!ctx.quiet) ctx.print(`Updated network ${net.name} ${await updatedWhat(ctx.conn, net, config, live)}`);
    },
  },
  {
    name: 'net-dhcp-leases',
    group: GROUP,
    help: 'print lease info for a given network',
    description: 'Print lease info for a given network',
    options: [NETWORK, valueOpt('mac', 'string', 'MAC address')],
    extensions: ['json'],
    async run(ctx, opts) {
      const mac = strOpt(opts, 'mac') ?? null;
      const text = strArg(opts, 'network');
      const net = await findNetwork(ctx.conn, text);
      let leases: Awaited<ReturnType<typeof ctx.conn.raw.networkGetDHCPLeases>>['leases'];
      try {
        leases = (await ctx.conn.raw.networkGetDHCPLeases(net, mac, 1, 0)).leases;
      } catch (err) {
        throw vshFail(`Failed to get leases info for ${text}`, err);
      }
      // Sorted by MAC address, case-insensitively (virshNetworkDHCPLeaseSorter).
      const sorted = [...leases].sort((a, b) => caseOrder(a.mac ?? '', b.mac ?? ''));
      if (wantsJson(opts)) {
        printJson(ctx, sorted.map(leaseJson));
        return;
      }
      const rows = sorted.map(leaseRow);
      ctx.print(formatTable(['Expiry Time', 'MAC address', 'Protocol', 'IP address', 'Hostname', 'Client ID or DUID'], rows, ctx.quiet));
    },
  },
  {
    name: 'net-port-list',
    group: GROUP,
    help: 'list network ports',
    description: 'Returns list of network ports.',
    options: [NETWORK, flag('uuid', "list uuid's only"), flag('table', 'list table (default)')],
    extensions: ['json'],
    async run(ctx, opts) {
      if (opts.bool('uuid') && opts.bool('table')) throw new CliError(['Only one argument from --table and --uuid may be specified.']);
      const net = await findNetwork(ctx.conn, strArg(opts, 'network'));
      let ports: Awaited<ReturnType<typeof ctx.conn.raw.networkListAllPorts>>['ports'];
      try {
        ports = (await ctx.conn.raw.networkListAllPorts(net, 1, 0)).ports;
      } catch (err) {
        throw new CliError([err instanceof Error ? err.message : String(err)], { cause: err });
      }
      // Sorted by the UUID's bytes (virshNetworkPortSorter).
      const uuids = ports.map((p) => formatUuid(p.uuid)).sort();
      if (wantsJson(opts))
        printJson(
          ctx,
          uuids.map((uuid) => ({ uuid })),
        );
      else if (opts.bool('uuid')) ctx.print(uuids.map((u) => `${u}\n`).join(''));
      else
        ctx.print(
          formatTable(
            ['UUID'],
            uuids.map((u) => [u]),
            ctx.quiet,
          ),
        );
    },
  },
  {
    name: 'net-port-create',
    group: GROUP,
    help: 'create a network port from an XML file',
    description: 'Create a network port.',
    options: [NETWORK, valueOpt('file', 'string', 'file containing an XML network port description', { required: true }), VALIDATE],
    async run(ctx, opts) {
      const net = await findNetwork(ctx.conn, strArg(opts, 'network'));
      const file = strArg(opts, 'file');
      const xml = await ctx.readFile(file);
      let port: Awaited<ReturnType<typeof ctx.conn.raw.networkPortCreateXML>>;
      try {
        port = await ctx.conn.raw.networkPortCreateXML(net, xml, opts.bool('validate') ? VIR_NETWORK_PORT_CREATE_VALIDATE : 0);
      } catch (err) {
        throw vshFail(`Failed to create network from ${file}`, err);
      }
      if (!ctx.quiet) ctx.print(`Network port ${formatUuid(port.uuid)} created from ${file}\n`);
    },
  },
  {
    ...portCommand('net-port-dumpxml', 'network port information in XML', XPATH_OPTIONS, async (ctx, port, opts) => {
      const xpath = xpathOption(opts);
      let xml: string;
      try {
        xml = await ctx.conn.raw.networkPortGetXMLDesc(port, 0);
      } catch {
        // virsh leaves the command successful, and says nothing.
        return;
      }
      try {
        printXml(ctx, xml, xpath, opts.bool('wrap'));
      } catch (err) {
        // virsh frees the port before it reports, which clears libvirt's "Incorrect xpath" error: it fails silently.
        if (err instanceof CliError && err.lines[0]?.startsWith('internal error: Incorrect xpath')) throw new CliError([]);
        throw err;
      }
    }),
    description: 'Output the network port information as an XML dump to stdout.',
  },
  {
    ...portCommand('net-port-delete', 'delete the specified network port', [], async (ctx, port) => {
      const uuid = formatUuid(port.uuid);
      try {
        await ctx.conn.raw.networkPortDelete(port, 0);
      } catch {
        // Still successful for virsh; only its own message is printed.
        ctx.printError?.(`error: Failed to delete network port ${uuid}\n`);
        return;
      }
      if (!ctx.quiet) ctx.print(`Network port ${uuid} deleted\n`);
    }),
    description: 'Delete the specified network port.',
  },
];
