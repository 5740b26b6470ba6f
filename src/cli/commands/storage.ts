/** Storage pool and volume commands, with virsh's output (tools/virsh-pool.c, tools/virsh-volume.c). */
import {
  VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE,
  VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE,
  VIR_STORAGE_XML_INACTIVE,
} from '../../procedures/libvirt-api.gen.js';
import { failed, type CommandSpec, type OptionSpec } from '../command.js';
import { formatUuid, prettyCapacity } from '../format.js';
import { lookupPool } from '../lookup.js';
import { formatTable } from '../table.js';

const POOL: OptionSpec = { name: 'pool', kind: 'string', positional: true, required: true, help: 'pool name or uuid' };
const yesNo = (v: number): string => (v ? 'yes' : 'no');
const field = (label: string, value: string): string => `${label.padEnd(15)} ${value}\n`;
const byName = (a: { name: string }, b: { name: string }): number => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0);
const POOL_STATES = ['inactive', 'building', 'running', 'degraded', 'inaccessible'];

/** Storage commands. */
export const storageCommands: readonly CommandSpec[] = [
  {
    name: 'pool-list',
    group: 'Storage Pool',
    help: 'list pools',
    options: [
      { name: 'inactive', kind: 'bool', help: 'list inactive pools' },
      { name: 'all', kind: 'bool', help: 'list inactive & active pools' },
      { name: 'name', kind: 'bool', help: 'list name of pools only' },
      { name: 'uuid', kind: 'bool', help: 'list UUID of active pools only' },
    ],
    async run(ctx, opts) {
      const flags = opts.bool('all') ? 0 : opts.bool('inactive') ? VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE : VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE;
      let pools;
      try {
        pools = (await ctx.conn.raw.connectListAllStoragePools(1, flags)).pools.sort(byName);
      } catch (err) {
        throw failed('Failed to list pools', err);
      }
      if (opts.bool('name') || opts.bool('uuid')) {
        for (const p of pools) ctx.print(`${[opts.bool('uuid') ? formatUuid(p.uuid) : null, opts.bool('name') ? p.name : null].filter((x) => x !== null).join(' ')}\n`);
        return;
      }
      const rows: string[][] = [];
      for (const p of pools) {
        const [active, autostart] = await Promise.all([
          ctx.conn.raw.storagePoolIsActive(p),
          ctx.conn.raw.storagePoolGetAutostart(p).catch(() => -1),
        ]);
        rows.push([p.name, active ? 'active' : 'inactive', autostart < 0 ? 'no autostart' : yesNo(autostart)]);
      }
      ctx.print(formatTable(['Name', 'State', 'Autostart'], rows, ctx.quiet));
    },
  },
  {
    name: 'pool-info',
    group: 'Storage Pool',
    help: 'storage pool information',
    options: [POOL, { name: 'bytes', kind: 'bool', help: 'Reture pool info in bytes' }],
    async run(ctx, opts) {
      const pool = await lookupPool(ctx.conn, opts.required('pool'));
      const raw = ctx.conn.raw;
      ctx.print(field('Name:', pool.name));
      ctx.print(field('UUID:', formatUuid(pool.uuid)));
      const info = await raw.storagePoolGetInfo(pool);
      ctx.print(field('State:', POOL_STATES[info.state] ?? 'unknown'));
      const persistent = await raw.storagePoolIsPersistent(pool).catch(() => -1);
      ctx.print(field('Persistent:', persistent < 0 ? 'unknown' : yesNo(persistent)));
      const autostart = await raw.storagePoolGetAutostart(pool).catch(() => -1);
      ctx.print(field('Autostart:', autostart < 0 ? 'no autostart' : yesNo(autostart)));
      if (info.state === 2 || info.state === 3) {
        const size = (v: bigint): string => (opts.bool('bytes') ? String(v) : prettyCapacity(v));
        ctx.print(field('Capacity:', size(info.capacity)));
        ctx.print(field('Allocation:', size(info.allocation)));
        ctx.print(field('Available:', size(info.available)));
      }
    },
  },
  {
    name: 'pool-dumpxml',
    group: 'Storage Pool',
    help: 'pool information in XML',
    options: [POOL, { name: 'inactive', kind: 'bool', help: 'show inactive defined XML' }],
    async run(ctx, opts) {
      const pool = await lookupPool(ctx.conn, opts.required('pool'));
      ctx.print(await ctx.conn.raw.storagePoolGetXMLDesc(pool, opts.bool('inactive') ? VIR_STORAGE_XML_INACTIVE : 0));
    },
  },
  {
    name: 'vol-list',
    group: 'Storage Volume',
    help: 'list vols',
    options: [POOL],
    async run(ctx, opts) {
      const pool = await lookupPool(ctx.conn, opts.required('pool'));
      let vols;
      try {
        vols = (await ctx.conn.raw.storagePoolListAllVolumes(pool, 1, 0)).vols.sort(byName);
      } catch (err) {
        throw failed('Failed to list storage volumes', err);
      }
      const rows: string[][] = [];
      for (const v of vols) rows.push([v.name, await ctx.conn.raw.storageVolGetPath(v)]);
      ctx.print(formatTable(['Name', 'Path'], rows, ctx.quiet));
    },
  },
];
