/** Network commands, with virsh's output (tools/virsh-network.c). */
import {
  VIR_CONNECT_LIST_NETWORKS_ACTIVE,
  VIR_CONNECT_LIST_NETWORKS_INACTIVE,
  VIR_NETWORK_XML_INACTIVE,
} from '../../procedures/libvirt-api.gen.js';
import { failed, type CommandSpec, type OptionSpec } from '../command.js';
import { formatUuid } from '../format.js';
import { lookupNetwork } from '../lookup.js';
import { formatTable } from '../table.js';

const NETWORK: OptionSpec = { name: 'network', kind: 'string', positional: true, required: true, help: 'network name or uuid' };
const yesNo = (v: number): string => (v ? 'yes' : 'no');
const field = (label: string, value: string): string => `${label.padEnd(15)} ${value}\n`;
const byName = (a: { name: string }, b: { name: string }): number => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0);

/** Network commands. */
export const networkCommands: readonly CommandSpec[] = [
  {
    name: 'net-list',
    group: 'Networking',
    help: 'list networks',
    options: [
      { name: 'inactive', kind: 'bool', help: 'list inactive networks' },
      { name: 'all', kind: 'bool', help: 'list inactive & active networks' },
      { name: 'name', kind: 'bool', help: 'list network names only' },
      { name: 'uuid', kind: 'bool', help: 'list uuids only' },
    ],
    async run(ctx, opts) {
      const flags = opts.bool('all') ? 0 : opts.bool('inactive') ? VIR_CONNECT_LIST_NETWORKS_INACTIVE : VIR_CONNECT_LIST_NETWORKS_ACTIVE;
      let nets;
      try {
        nets = (await ctx.conn.raw.connectListAllNetworks(1, flags)).nets.sort(byName);
      } catch (err) {
        throw failed('Failed to list networks', err);
      }
      if (opts.bool('name') || opts.bool('uuid')) {
        for (const n of nets) ctx.print(`${[opts.bool('uuid') ? formatUuid(n.uuid) : null, opts.bool('name') ? n.name : null].filter((x) => x !== null).join(' ')}\n`);
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
    group: 'Networking',
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
    group: 'Networking',
    help: 'network information in XML',
    options: [NETWORK, { name: 'inactive', kind: 'bool', help: 'show inactive defined XML' }],
    async run(ctx, opts) {
      const net = await lookupNetwork(ctx.conn, opts.required('network'));
      ctx.print(await ctx.conn.raw.networkGetXMLDesc(net, opts.bool('inactive') ? VIR_NETWORK_XML_INACTIVE : 0));
    },
  },
  {
    name: 'net-start',
    group: 'Networking',
    help: 'start a (previously defined) inactive network',
    options: [NETWORK],
    async run(ctx, opts) {
      const net = await lookupNetwork(ctx.conn, opts.required('network'));
      try {
        await ctx.conn.raw.networkCreate(net);
      } catch (err) {
        throw failed(`Failed to start network ${net.name}`, err);
      }
      if (!ctx.quiet) ctx.print(`Network ${net.name} started\n`);
    },
  },
  {
    name: 'net-destroy',
    group: 'Networking',
    help: 'destroy (stop) a network',
    options: [NETWORK],
    async run(ctx, opts) {
      const net = await lookupNetwork(ctx.conn, opts.required('network'));
      try {
        await ctx.conn.raw.networkDestroy(net);
      } catch (err) {
        throw failed(`Failed to destroy network ${net.name}`, err);
      }
      if (!ctx.quiet) ctx.print(`Network ${net.name} destroyed\n`);
    },
  },
];
