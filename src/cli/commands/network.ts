/** Network commands, with virsh's output (tools/virsh-network.c). */
import {
  VIR_CONNECT_LIST_NETWORKS_ACTIVE,
  VIR_CONNECT_LIST_NETWORKS_AUTOSTART,
  VIR_CONNECT_LIST_NETWORKS_INACTIVE,
  VIR_CONNECT_LIST_NETWORKS_NO_AUTOSTART,
  VIR_CONNECT_LIST_NETWORKS_PERSISTENT,
  VIR_CONNECT_LIST_NETWORKS_TRANSIENT,
  VIR_NETWORK_CREATE_VALIDATE,
  VIR_NETWORK_DEFINE_VALIDATE,
  VIR_NETWORK_XML_INACTIVE,
} from '../../procedures/libvirt-api.gen.js';
import type { Connection } from '../../api/connection.js';
import type { RemoteNonnullNetwork } from '../../procedures/remote.gen.js';
import { CliError, failed, type CommandSpec, type OptionSpec } from '../command.js';
import { formatUuid, uuidNameLines } from '../format.js';
import { lookupNetwork } from '../lookup.js';
import { autostartCommand, fromFileCommand, lookupNetworkBy, oneObjectCommand } from '../lookup-more.js';
import { formatTable } from '../table.js';

const GROUP = 'Networking';
const VALIDATE: OptionSpec = { name: 'validate', kind: 'bool', help: 'validate the XML against the schema' };
const findNetwork = (conn: Connection, text: string): Promise<RemoteNonnullNetwork> => lookupNetworkBy(conn, text, { uuid: true, name: true });

/** One network action command ("Network X started" / "Failed to start network X"). */
const netAction = (
  name: string,
  help: string,
  verb: string,
  done: string,
  act: (conn: Connection, net: RemoteNonnullNetwork) => Promise<unknown>,
): CommandSpec => oneObjectCommand({ name, group: GROUP, help, option: NETWORK, lookup: findNetwork, noun: 'Network', verb, done, act });

const NETWORK: OptionSpec = { name: 'network', kind: 'string', positional: true, required: true, help: 'network name or uuid' };
const yesNo = (v: number): string => (v ? 'yes' : 'no');
const field = (label: string, value: string): string => `${label.padEnd(15)} ${value}\n`;
const byName = (a: { name: string }, b: { name: string }): number => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0);

/** Network commands. */
export const networkCommands: readonly CommandSpec[] = [
  {
    name: 'net-list',
    group: GROUP,
    help: 'list networks',
    options: [
      { name: 'inactive', kind: 'bool', help: 'list inactive networks' },
      { name: 'all', kind: 'bool', help: 'list inactive & active networks' },
      { name: 'persistent', kind: 'bool', help: 'list persistent networks' },
      { name: 'transient', kind: 'bool', help: 'list transient networks' },
      { name: 'autostart', kind: 'bool', help: 'list networks with autostart enabled' },
      { name: 'no-autostart', kind: 'bool', help: 'list networks with autostart disabled' },
      { name: 'uuid', kind: 'bool', help: 'list uuid\'s only' },
      { name: 'name', kind: 'bool', help: 'list network names only' },
      { name: 'table', kind: 'bool', help: 'list table (default)' },
    ],
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
      let nets;
      try {
        nets = (await ctx.conn.raw.connectListAllNetworks(1, flags)).nets.sort(byName);
      } catch (err) {
        throw failed('Failed to list networks', err);
      }
      if (opts.bool('name') || opts.bool('uuid')) {
        ctx.print(uuidNameLines(nets, { uuid: opts.bool('uuid'), name: opts.bool('name') }));
        return;
      }
      const rows: string[][] = [];
      for (const n of nets) {
        const [active, autostart, persistent] = await Promise.all([
          ctx.conn.raw.networkIsActive(n),
          ctx.conn.raw.networkGetAutostart(n).catch(() => -1),
          ctx.conn.raw.networkIsPersistent(n),
        ]);
        rows.push([n.name, active ? 'active' : 'inactive', autostart < 0 ? 'no autostart' : yesNo(autostart), yesNo(persistent)]);
      }
      ctx.print(formatTable(['Name', 'State', 'Autostart', 'Persistent'], rows, ctx.quiet));
    },
  },
  {
    name: 'net-info',
    group: GROUP,
    help: 'network information',
    options: [NETWORK],
    async run(ctx, opts) {
      const net = await lookupNetwork(ctx.conn, opts.required('network'));
      const raw = ctx.conn.raw;
      ctx.print(field('Name:', net.name));
      ctx.print(field('UUID:', formatUuid(net.uuid)));
      const active = await raw.networkIsActive(net).catch(() => -1);
      if (active >= 0) ctx.print(field('Active:', yesNo(active)));
      const persistent = await raw.networkIsPersistent(net).catch(() => -1);
      ctx.print(field('Persistent:', persistent < 0 ? 'unknown' : yesNo(persistent)));
      const autostart = await raw.networkGetAutostart(net).catch(() => -1);
      ctx.print(field('Autostart:', autostart < 0 ? 'no autostart' : yesNo(autostart)));
      const bridge = await raw.networkGetBridgeName(net).catch(() => null);
      if (bridge !== null) ctx.print(field('Bridge:', bridge));
    },
  },
  {
    name: 'net-dumpxml',
    group: GROUP,
    help: 'network information in XML',
    options: [NETWORK, { name: 'inactive', kind: 'bool', help: 'show inactive defined XML' }],
    async run(ctx, opts) {
      const net = await lookupNetwork(ctx.conn, opts.required('network'));
      ctx.print(await ctx.conn.raw.networkGetXMLDesc(net, opts.bool('inactive') ? VIR_NETWORK_XML_INACTIVE : 0));
    },
  },
  netAction('net-start', 'start a (previously defined) inactive network', 'start', 'started', (conn, n) => conn.raw.networkCreate(n)),
  netAction('net-destroy', 'destroy (stop) a network', 'destroy', 'destroyed', (conn, n) => conn.raw.networkDestroy(n)),
  netAction('net-undefine', 'undefine a persistent network', 'undefine', 'has been undefined', (conn, n) => conn.raw.networkUndefine(n)),
  autostartCommand({ name: 'net-autostart', group: GROUP, option: NETWORK, lookup: findNetwork, noun: 'Network', set: (conn, n, on) => conn.raw.networkSetAutostart(n, on) }),
  fromFileCommand({
    name: 'net-define',
    group: GROUP,
    help: 'define an inactive persistent virtual network or modify an existing persistent one from an XML file',
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
];
