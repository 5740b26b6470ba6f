/** Storage pool and volume commands, with virsh's output (tools/virsh-pool.c, tools/virsh-volume.c). */
import { storagePoolStateName, storageVolTypeName } from '../../api/names.js';
import {
  VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE,
  VIR_CONNECT_LIST_STORAGE_POOLS_AUTOSTART,
  VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE,
  VIR_CONNECT_LIST_STORAGE_POOLS_NO_AUTOSTART,
  VIR_CONNECT_LIST_STORAGE_POOLS_PERSISTENT,
  VIR_CONNECT_LIST_STORAGE_POOLS_TRANSIENT,
  VIR_STORAGE_VOL_GET_PHYSICAL,
  VIR_STORAGE_VOL_WIPE_ALG_ZERO,
  VIR_ERR_NO_SUPPORT,
  VIR_STORAGE_POOL_BUILD_NO_OVERWRITE,
  VIR_STORAGE_POOL_BUILD_OVERWRITE,
  VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA,
  VIR_STORAGE_VOL_CREATE_VALIDATE,
  VIR_STORAGE_VOL_DELETE_WITH_SNAPSHOTS,
  VIR_STORAGE_XML_INACTIVE,
  VIR_STORAGE_POOL_DEFINE_VALIDATE,
  virConnectListAllStoragePoolsFlags,
} from '../../procedures/libvirt-api.gen.js';
import type { Connection } from '../../api/connection.js';
import type { RemoteNonnullStoragePool } from '../../procedures/remote.gen.js';
import { CliError, type ParsedOptions, type CommandSpec, type OptionSpec } from '../command.js';
import { flag, valueOpt, POOL, VOL, VOL_POOL, exclusive, XPATH_OPTIONS, VALIDATE, splitCommaList, strOpt } from '../support/options.js';
import { POOL_TYPES, WIPE_ALGORITHMS } from '../support/enum-names.js';
import { LibvirtError } from '../../rpc/errors.js';
import { printXml, xpathOption } from '../support/xpath.js';
import { formatUuid, yesNo, byName, prettyCapacity, uuidNameLines } from '../support/format.js';
import { formatTable } from '../support/table.js';
import { lookupPoolBy, lookupVol, volOf } from '../support/lookup.js';
import { oneObjectCommand, autostartCommand, fromFileCommand } from '../support/templates.js';
import { vshFail } from '../support/failures.js';
import { infoFields, jsonNumber, printJson, wantsJson } from '../support/json-output.js';
import { VSH_ERR_DEBUG, vshDebug } from '../support/debug.js';
import { BUILD_FLAGS, buildFlags, storageAsCommands } from './storage-as.js';
import { volCopyCommands } from './vol-copy.js';

const GROUP = 'Storage Pool';
export const VOL_GROUP = 'Storage Volume';
/** A pool holds usable capacity figures only while running or degraded. */
const hasSizes = (state: number): boolean => state === 2 || state === 3;

const findPool = (conn: Connection, text: string): Promise<RemoteNonnullStoragePool> => lookupPoolBy(conn, text, { uuid: true, name: true });

/** One pool action command ("Pool X refreshed" / "Failed to refresh pool X"). */
const poolAction = (
  name: string,
  help: string,
  verb: string,
  done: string,
  act: (conn: Connection, pool: RemoteNonnullStoragePool, opts: ParsedOptions) => Promise<unknown>,
  extra?: readonly OptionSpec[],
  check?: (opts: ParsedOptions) => void,
): CommandSpec => oneObjectCommand({ name, group: GROUP, help, option: POOL, extra, check, lookup: findPool, noun: 'Pool', verb, done, act });

/** One volume action command ("Vol X deleted" / "Failed to delete vol X"), the volume looked up as virsh does (with `--pool`). */
const volAction = (
  name: string,
  help: string,
  verb: string,
  done: string,
  act: (conn: Connection, vol: Awaited<ReturnType<typeof volOf>>, opts: ParsedOptions) => Promise<unknown>,
  extra: readonly OptionSpec[] = [],
): CommandSpec =>
  oneObjectCommand({
    name,
    group: VOL_GROUP,
    help,
    option: VOL,
    extra: [VOL_POOL, ...extra],
    lookup: (conn, _text, opts) => volOf(conn, opts),
    noun: 'Vol',
    verb,
    done,
    act,
  });

/** A volume command that prints one line about the volume. */
function volLine(
  name: string,
  help: string,
  /** The help of its `<vol>` (how virsh's table words it for this command). */
  volHelp: string,
  line: (conn: Connection, vol: Awaited<ReturnType<typeof volOf>>, opts: ParsedOptions) => Promise<string>,
  options: readonly OptionSpec[] = [VOL_POOL],
  withPool = true,
): CommandSpec {
  return {
    name,
    group: VOL_GROUP,
    help,
    options: [{ ...VOL, help: volHelp }, ...options],
    async run(ctx, opts) {
      const vol = await lookupVol(ctx.conn, opts.required('vol'), withPool ? opts.string('pool') : undefined, withPool ? 'pool' : null);
      ctx.print(`${await line(ctx.conn, vol, opts)}\n`);
    },
  };
}

/** pool-list's `--type a,b`: the filter flags of the named pool types (cmdPoolList: a comma list, each a virStoragePoolType name). */
function poolTypeFlags(text: string): number {
  let flags = 0;
  for (const t of splitCommaList(text)) {
    if (!POOL_TYPES.includes(t)) throw new CliError([`Invalid pool type '${t}'`]);
    // Each type's filter is named after it: iscsi-direct -> VIR_CONNECT_LIST_STORAGE_POOLS_ISCSI_DIRECT.
    flags |=
      virConnectListAllStoragePoolsFlags[
        `VIR_CONNECT_LIST_STORAGE_POOLS_${t.toUpperCase().replace('-', '_')}` as keyof typeof virConnectListAllStoragePoolsFlags
      ];
  }
  return flags;
}

/**
 * vol-wipe (cmdVolWipe): virStorageVolWipePattern with the `--algorithm` named (zero by
 * default); a daemon without it wipes with zeros through virStorageVolWipe.
 */
const volWipe: CommandSpec = {
  name: 'vol-wipe',
  group: VOL_GROUP,
  help: 'wipe a vol',
  description: 'Ensure data previously on a volume is not accessible to future reads',
  options: [VOL, VOL_POOL, valueOpt('algorithm', 'string', 'perform selected wiping algorithm')],
  async run(ctx, opts) {
    const text = opts.required('vol');
    const vol = await volOf(ctx.conn, opts);
    const name = strOpt(opts, 'algorithm');
    const algorithm = name === undefined ? VIR_STORAGE_VOL_WIPE_ALG_ZERO : WIPE_ALGORITHMS.indexOf(name);
    if (algorithm < 0) throw new CliError([`Unsupported algorithm '${name}'`]);
    try {
      try {
        await ctx.conn.raw.storageVolWipePattern(vol, algorithm, 0);
      } catch (err) {
        if (!(err instanceof LibvirtError && err.errorCode === VIR_ERR_NO_SUPPORT && algorithm === VIR_STORAGE_VOL_WIPE_ALG_ZERO)) throw err;
        await ctx.conn.raw.storageVolWipe(vol, 0);
      }
    } catch (err) {
      throw vshFail(`Failed to wipe vol ${text}`, err);
    }
    if (!ctx.quiet) ctx.print(`Vol ${text} wiped\n`);
  },
};

/** Storage commands. */
export const storageCommands: readonly CommandSpec[] = [
  {
    name: 'pool-list',
    group: GROUP,
    help: 'list pools',
    description: 'Returns list of pools.',
    options: [
      flag('inactive', 'list inactive pools'),
      flag('all', 'list inactive & active pools'),
      flag('transient', 'list transient pools'),
      flag('persistent', 'list persistent pools'),
      flag('autostart', 'list pools with autostart enabled'),
      flag('no-autostart', 'list pools with autostart disabled'),
      valueOpt('type', 'string', 'only list pool of specified type(s) (if supported)'),
      flag('details', 'display extended details for pools'),
      flag('uuid', 'list UUID of active pools only'),
      flag('name', 'list name of active pools only'),
    ],
    extensions: ['json'],
    async run(ctx, opts) {
      exclusive(opts, ['all', 'inactive']);
      const flag = (name: string, value: number): number => (opts.bool(name) ? value : 0);
      let flags =
        flag('transient', VIR_CONNECT_LIST_STORAGE_POOLS_TRANSIENT) |
        flag('persistent', VIR_CONNECT_LIST_STORAGE_POOLS_PERSISTENT) |
        flag('autostart', VIR_CONNECT_LIST_STORAGE_POOLS_AUTOSTART) |
        flag('no-autostart', VIR_CONNECT_LIST_STORAGE_POOLS_NO_AUTOSTART);
      if (!opts.bool('all')) flags |= opts.bool('inactive') ? VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE : VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE;
      const types = strOpt(opts, 'type');
      exclusive(opts, ['details', 'uuid']);
      exclusive(opts, ['details', 'name']);
      if (types !== undefined) flags |= poolTypeFlags(types);
      let pools: Awaited<ReturnType<typeof ctx.conn.raw.connectListAllStoragePools>>['pools'];
      try {
        pools = (await ctx.conn.raw.connectListAllStoragePools(1, flags)).pools.sort(byName);
      } catch (err) {
        throw vshFail('Failed to list pools', err);
      }
      const json = wantsJson(opts);
      if (!json && (opts.bool('name') || opts.bool('uuid'))) {
        ctx.print(uuidNameLines(pools, { uuid: opts.bool('uuid'), name: opts.bool('name') }, 20));
        return;
      }
      const raw = ctx.conn.raw;
      const rows: string[][] = [];
      const records: Record<string, unknown>[] = [];
      for (const p of pools) {
        const [info, autostart, persistent] = await Promise.all([
          raw.storagePoolGetInfo(p).catch(() => null),
          raw.storagePoolGetAutostart(p).catch(() => -1),
          raw.storagePoolIsPersistent(p).catch(() => -1),
        ]);
        if (opts.bool('details')) vshDebug(VSH_ERR_DEBUG, () => `Persistent flag value: ${persistent}\n`);
        const sized = info !== null && hasSizes(info.state);
        records.push({
          name: p.name,
          uuid: formatUuid(p.uuid),
          state: info ? storagePoolStateName(info.state) : null,
          active: info ? info.state !== 0 : null,
          autostart: autostart < 0 ? null : autostart !== 0,
          persistent: persistent < 0 ? null : persistent !== 0,
          capacity: sized ? jsonNumber(info.capacity) : null,
          allocation: sized ? jsonNumber(info.allocation) : null,
          available: sized ? jsonNumber(info.available) : null,
        });
        const auto = autostart < 0 ? 'no autostart' : yesNo(autostart);
        if (!opts.bool('details')) {
          rows.push([p.name, info && info.state !== 0 ? 'active' : 'inactive', auto]);
          continue;
        }
        const sizes = info && hasSizes(info.state) ? [info.capacity, info.allocation, info.available].map(prettyCapacity) : ['-', '-', '-'];
        rows.push([p.name, info ? storagePoolStateName(info.state) : 'unknown', auto, persistent < 0 ? 'unknown' : yesNo(persistent), ...sizes]);
      }
      const header = opts.bool('details')
        ? ['Name', 'State', 'Autostart', 'Persistent', 'Capacity', 'Allocation', 'Available']
        : ['Name', 'State', 'Autostart'];
      if (json) printJson(ctx, records);
      else ctx.print(formatTable(header, rows, ctx.quiet));
    },
  },
  {
    name: 'pool-info',
    group: GROUP,
    help: 'storage pool information',
    description: 'Returns basic information about the storage pool.',
    options: [POOL, flag('bytes', 'Return pool info in bytes')],
    extensions: ['json'],
    async run(ctx, opts) {
      const pool = await findPool(ctx.conn, opts.required('pool'));
      const raw = ctx.conn.raw;
      const out = infoFields(ctx, wantsJson(opts));
      out.add('Name:', pool.name, 'name');
      out.add('UUID:', formatUuid(pool.uuid), 'uuid');
      const info = await raw.storagePoolGetInfo(pool);
      out.add('State:', storagePoolStateName(info.state), 'state');
      const persistent = await raw.storagePoolIsPersistent(pool).catch(() => -1);
      vshDebug(VSH_ERR_DEBUG, () => `Pool persistent flag value: ${persistent}\n`);
      out.add('Persistent:', persistent < 0 ? 'unknown' : yesNo(persistent), 'persistent', persistent < 0 ? null : persistent !== 0);
      const autostart = await raw.storagePoolGetAutostart(pool).catch(() => -1);
      out.add('Autostart:', autostart < 0 ? 'no autostart' : yesNo(autostart), 'autostart', autostart < 0 ? null : autostart !== 0);
      if (hasSizes(info.state)) {
        const sz = (v: bigint): string => (opts.bool('bytes') ? String(v) : prettyCapacity(v));
        out.add('Capacity:', sz(info.capacity), 'capacity', jsonNumber(info.capacity));
        out.add('Allocation:', sz(info.allocation), 'allocation', jsonNumber(info.allocation));
        out.add('Available:', sz(info.available), 'available', jsonNumber(info.available));
      }
      out.done();
    },
  },
  {
    name: 'pool-dumpxml',
    group: GROUP,
    help: 'pool information in XML',
    description: 'Output the pool information as an XML dump to stdout.',
    options: [POOL, flag('inactive', 'show inactive defined XML'), ...XPATH_OPTIONS],
    async run(ctx, opts) {
      const pool = await findPool(ctx.conn, opts.required('pool'));
      const xpath = xpathOption(opts);
      printXml(ctx, await ctx.conn.raw.storagePoolGetXMLDesc(pool, opts.bool('inactive') ? VIR_STORAGE_XML_INACTIVE : 0), xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'pool-uuid',
    group: GROUP,
    help: 'convert a pool name to pool UUID',
    options: [POOL],
    async run(ctx, opts) {
      ctx.print(`${formatUuid((await lookupPoolBy(ctx.conn, opts.required('pool'), { name: true })).uuid)}\n`);
    },
  },
  {
    name: 'pool-name',
    group: GROUP,
    help: 'convert a pool UUID to pool name',
    options: [POOL],
    async run(ctx, opts) {
      ctx.print(`${(await lookupPoolBy(ctx.conn, opts.required('pool'), { uuid: true })).name}\n`);
    },
  },
  fromFileCommand({
    name: 'pool-define',
    group: GROUP,
    help: 'define an inactive persistent storage pool or modify an existing persistent one from an XML file',
    description: 'Define or modify a persistent storage pool.',
    extra: [VALIDATE],
    noun: 'Pool',
    verb: 'define',
    done: 'defined',
    act: (conn, xml, opts) => conn.raw.storagePoolDefineXML(xml, opts.bool('validate') ? VIR_STORAGE_POOL_DEFINE_VALIDATE : 0),
  }),
  fromFileCommand({
    name: 'pool-create',
    group: GROUP,
    help: 'create a pool from an XML file',
    description: 'Create a pool.',
    extra: BUILD_FLAGS,
    noun: 'Pool',
    verb: 'create',
    done: 'created',
    check: (opts) => exclusive(opts, ['overwrite', 'no-overwrite']),
    act: (conn, xml, opts) => conn.raw.storagePoolCreateXML(xml, buildFlags(opts)),
  }),
  {
    ...poolAction(
      'pool-start',
      'start a (previously defined) inactive pool',
      'start',
      'started',
      (conn, p, opts) => conn.raw.storagePoolCreate(p, buildFlags(opts)),
      BUILD_FLAGS,
      (opts) => exclusive(opts, ['overwrite', 'no-overwrite']),
    ),
    description: 'Start a pool.',
  },
  {
    ...poolAction('pool-destroy', 'destroy (stop) a pool', 'destroy', 'destroyed', (conn, p) => conn.raw.storagePoolDestroy(p)),
    description: 'Forcefully stop a given pool. Raw data in the pool is untouched',
  },
  {
    ...poolAction('pool-undefine', 'undefine an inactive pool', 'undefine', 'has been undefined', (conn, p) => conn.raw.storagePoolUndefine(p)),
    description: 'Undefine the configuration for an inactive pool.',
  },
  {
    ...poolAction('pool-refresh', 'refresh a pool', 'refresh', 'refreshed', (conn, p) => conn.raw.storagePoolRefresh(p, 0)),
    description: 'Refresh a given pool.',
  },
  { ...poolAction('pool-delete', 'delete a pool', 'delete', 'deleted', (conn, p) => conn.raw.storagePoolDelete(p, 0)), description: 'Delete a given pool.' },
  {
    ...poolAction(
      'pool-build',
      'build a pool',
      'build',
      'built',
      (conn, p, opts) =>
        conn.raw.storagePoolBuild(
          p,
          (opts.bool('overwrite') ? VIR_STORAGE_POOL_BUILD_OVERWRITE : 0) | (opts.bool('no-overwrite') ? VIR_STORAGE_POOL_BUILD_NO_OVERWRITE : 0),
        ),
      BUILD_FLAGS.slice(1),
    ),
    description: 'Build a given pool.',
  },
  autostartCommand({
    name: 'pool-autostart',
    description: 'Configure a pool to be automatically started at boot.',
    group: GROUP,
    option: POOL,
    lookup: findPool,
    noun: 'Pool',
    set: (conn, p, on) => conn.raw.storagePoolSetAutostart(p, on),
  }),
  {
    name: 'vol-list',
    group: VOL_GROUP,
    help: 'list vols',
    description: 'Returns list of vols by pool.',
    options: [POOL, flag('details', 'display extended details for volumes')],
    extensions: ['json'],
    async run(ctx, opts) {
      const pool = await findPool(ctx.conn, opts.required('pool'));
      const raw = ctx.conn.raw;
      let vols: Awaited<ReturnType<typeof raw.storagePoolListAllVolumes>>['vols'];
      try {
        vols = (await raw.storagePoolListAllVolumes(pool, 1, 0)).vols.sort(byName);
      } catch (err) {
        throw vshFail('Failed to list storage volumes', err);
      }
      const json = wantsJson(opts);
      const rows: string[][] = [];
      const records: Record<string, unknown>[] = [];
      for (const v of vols) {
        const path = await raw.storageVolGetPath(v);
        if (json) {
          const info = await raw.storageVolGetInfo(v).catch(() => null);
          records.push({
            name: v.name,
            path,
            type: info ? storageVolTypeName(info.type) : null,
            capacity: info ? jsonNumber(info.capacity) : null,
            allocation: info ? jsonNumber(info.allocation) : null,
          });
          continue;
        }
        if (!opts.bool('details')) {
          rows.push([v.name, path]);
          continue;
        }
        const info = await raw.storageVolGetInfo(v).catch(() => null);
        rows.push(
          info
            ? [v.name, path, storageVolTypeName(info.type), prettyCapacity(info.capacity), prettyCapacity(info.allocation)]
            : [v.name, path, 'unknown', 'unknown', 'unknown'],
        );
      }
      const header = opts.bool('details') ? ['Name', 'Path', 'Type', 'Capacity', 'Allocation'] : ['Name', 'Path'];
      if (json) printJson(ctx, records);
      else ctx.print(formatTable(header, rows, ctx.quiet));
    },
  },
  {
    name: 'vol-info',
    group: VOL_GROUP,
    help: 'storage vol information',
    description: 'Returns basic information about the storage vol.',
    options: [
      VOL,
      VOL_POOL,
      flag('bytes', 'sizes are represented in bytes rather than pretty units'),
      flag('physical', 'return the physical size of the volume in allocation field'),
    ],
    extensions: ['json'],
    async run(ctx, opts) {
      const vol = await volOf(ctx.conn, opts);
      const out = infoFields(ctx, wantsJson(opts));
      out.add('Name:', vol.name, 'name');
      // --physical asks virStorageVolGetInfoFlags for the physical size in place of the allocation.
      const physical = opts.bool('physical');
      let info: Awaited<ReturnType<typeof ctx.conn.raw.storageVolGetInfo>>;
      try {
        info = physical ? await ctx.conn.raw.storageVolGetInfoFlags(vol, VIR_STORAGE_VOL_GET_PHYSICAL) : await ctx.conn.raw.storageVolGetInfo(vol);
      } catch (err) {
        throw new CliError([err instanceof Error ? err.message : String(err)], { cause: err });
      }
      const sz = (v: bigint): string => (opts.bool('bytes') ? `${v} bytes` : prettyCapacity(v));
      out.add('Type:', storageVolTypeName(info.type), 'type');
      out.add('Capacity:', sz(info.capacity), 'capacity', jsonNumber(info.capacity));
      if (physical) out.add('Physical:', sz(info.allocation), 'physical', jsonNumber(info.allocation));
      else out.add('Allocation:', sz(info.allocation), 'allocation', jsonNumber(info.allocation));
      out.done();
    },
  },
  {
    name: 'vol-dumpxml',
    group: VOL_GROUP,
    help: 'vol information in XML',
    description: 'Output the vol information as an XML dump to stdout.',
    options: [VOL, VOL_POOL, ...XPATH_OPTIONS],
    async run(ctx, opts) {
      const vol = await volOf(ctx.conn, opts);
      const xpath = xpathOption(opts);
      printXml(ctx, await ctx.conn.raw.storageVolGetXMLDesc(vol, 0), xpath, opts.bool('wrap'));
    },
  },
  volLine('vol-path', 'returns the volume path for a given volume name or key', 'volume name or key', (conn, vol) => conn.raw.storageVolGetPath(vol)),
  volLine('vol-key', 'returns the volume key for a given volume name or path', 'volume name or path', async (_conn, vol) => vol.key),
  volLine('vol-name', 'returns the volume name for a given volume key or path', 'volume key or path', async (_conn, vol) => vol.name, [], false),
  volLine(
    'vol-pool',
    'returns the storage pool for a given volume key or path',
    'volume key or path',
    async (conn, vol, opts) => {
      let pool: Awaited<ReturnType<typeof conn.raw.storagePoolLookupByVolume>>;
      try {
        pool = await conn.raw.storagePoolLookupByVolume(vol);
      } catch (err) {
        throw vshFail(`failed to get parent pool`, err);
      }
      return opts.bool('uuid') ? formatUuid(pool.uuid) : pool.name;
    },
    [flag('uuid', 'return the pool uuid rather than pool name')],
    false,
  ),
  {
    name: 'vol-create',
    group: VOL_GROUP,
    help: 'create a vol from an XML file',
    description: 'Create a vol.',
    options: [
      valueOpt('pool', 'string', 'pool name', { required: true }),
      valueOpt('file', 'string', 'file containing an XML vol description', { required: true }),
      flag('prealloc-metadata', 'preallocate metadata (for qcow2 instead of full allocation)'),
      VALIDATE,
    ],
    async run(ctx, opts) {
      const pool = await findPool(ctx.conn, opts.required('pool'));
      const file = opts.required('file');
      const xml = await ctx.readFile(file);
      let vol: Awaited<ReturnType<typeof ctx.conn.raw.storageVolCreateXML>>;
      try {
        const flags =
          (opts.bool('prealloc-metadata') ? VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA : 0) | (opts.bool('validate') ? VIR_STORAGE_VOL_CREATE_VALIDATE : 0);
        vol = await ctx.conn.raw.storageVolCreateXML(pool, xml, flags);
      } catch (err) {
        throw vshFail(`Failed to create vol from ${file}`, err);
      }
      if (!ctx.quiet) ctx.print(`Vol ${vol.name} created from ${file}\n`);
    },
  },
  {
    ...volAction(
      'vol-delete',
      'delete a vol',
      'delete',
      'deleted',
      (conn, vol, opts) => conn.raw.storageVolDelete(vol, opts.bool('delete-snapshots') ? VIR_STORAGE_VOL_DELETE_WITH_SNAPSHOTS : 0),
      [flag('delete-snapshots', 'delete snapshots associated with volume (must be supported by storage driver)')],
    ),
    description: 'Delete a given vol.',
  },
  volWipe,
  ...volCopyCommands,
  ...storageAsCommands,
];
