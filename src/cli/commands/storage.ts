/** Storage pool and volume commands, with virsh's output (tools/virsh-pool.c, tools/virsh-volume.c). */
import { storagePoolStateName, storageVolTypeName } from '../../api/names.js';
import {
  VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE,
  VIR_CONNECT_LIST_STORAGE_POOLS_AUTOSTART,
  VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE,
  VIR_CONNECT_LIST_STORAGE_POOLS_NO_AUTOSTART,
  VIR_CONNECT_LIST_STORAGE_POOLS_PERSISTENT,
  VIR_CONNECT_LIST_STORAGE_POOLS_TRANSIENT,
  VIR_STORAGE_POOL_BUILD_NO_OVERWRITE,
  VIR_STORAGE_POOL_BUILD_OVERWRITE,
  VIR_STORAGE_POOL_CREATE_WITH_BUILD,
  VIR_STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE,
  VIR_STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE,
  VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA,
  VIR_STORAGE_VOL_CREATE_REFLINK,
  VIR_STORAGE_VOL_CREATE_VALIDATE,
  VIR_STORAGE_VOL_DELETE_WITH_SNAPSHOTS,
  VIR_STORAGE_VOL_RESIZE_ALLOCATE,
  VIR_STORAGE_VOL_RESIZE_DELTA,
  VIR_STORAGE_VOL_RESIZE_SHRINK,
  VIR_STORAGE_XML_INACTIVE,
  VIR_STORAGE_POOL_DEFINE_VALIDATE,
} from '../../procedures/libvirt-api.gen.js';
import type { Connection } from '../../api/connection.js';
import { xmlChildren } from '../../api/xml/reader.js';
import type { RemoteNonnullStoragePool } from '../../procedures/remote.gen.js';
import { CliError, type ParsedOptions, type CommandSpec, type OptionSpec } from '../command.js';
import { flag, valueOpt, POOL, VOL, VOL_POOL, exclusive, XPATH_OPTIONS, VALIDATE } from '../support/options.js';
import { printXml, xpathOption } from '../support/xpath.js';
import { parseScaled } from '../support/numbers.js';
import { parseXmlTree, serializeXmlNode } from '../support/xml.js';
import { formatUuid, yesNo, byName, prettyCapacity, uuidNameLines } from '../support/format.js';
import { formatTable } from '../support/table.js';
import { lookupPoolBy, lookupVol } from '../support/lookup.js';
import { oneObjectCommand, autostartCommand, fromFileCommand } from '../support/templates.js';
import { vshFail } from '../support/failures.js';
import { infoFields, jsonNumber, printJson, wantsJson } from '../support/json-output.js';
import { VSH_ERR_DEBUG, vshDebug } from '../support/debug.js';

const GROUP = 'Storage Pool';
export const VOL_GROUP = 'Storage Volume';
const BUILD_FLAGS: readonly OptionSpec[] = [
  flag('build', 'build the pool as normal'),
  flag('no-overwrite', 'do not overwrite any existing data'),
  flag('overwrite', 'overwrite any existing data'),
];
/** A pool holds usable capacity figures only while running or degraded. */
const hasSizes = (state: number): boolean => state === 2 || state === 3;

/** The pool-create/pool-start `--build` flags (virsh's VIR_STORAGE_POOL_CREATE_WITH_BUILD*). */
function buildFlags(opts: ParsedOptions): number {
  return (
    (opts.bool('build') ? VIR_STORAGE_POOL_CREATE_WITH_BUILD : 0) |
    (opts.bool('overwrite') ? VIR_STORAGE_POOL_CREATE_WITH_BUILD_OVERWRITE : 0) |
    (opts.bool('no-overwrite') ? VIR_STORAGE_POOL_CREATE_WITH_BUILD_NO_OVERWRITE : 0)
  );
}

/** A size option as virsh reads it, or `Malformed size TEXT` (and libvirt's reason, when it has one). */
function size(text: string): bigint {
  const r = parseScaled(text);
  if ('value' in r) return r.value;
  throw new CliError(r.error ? [`Malformed size ${text}`, r.error] : [`Malformed size ${text}`]);
}

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

/** pool-define-as / pool-create-as: the options virsh builds the pool XML from. */
const POOL_AS_OPTIONS: readonly OptionSpec[] = [
  valueOpt('name', 'string', 'name of the pool', { required: true }),
  valueOpt('type', 'string', 'type of the pool', { required: true }),
  flag('print-xml', "print XML document, but don't define/create"),
  valueOpt('source-host', 'string', 'source-host for underlying storage', { named: true }),
  valueOpt('source-path', 'string', 'source path for underlying storage', { named: true }),
  valueOpt('source-dev', 'string', 'source device for underlying storage', { named: true }),
  valueOpt('source-name', 'string', 'source name for underlying storage', { named: true }),
  valueOpt('target', 'string', 'target for underlying storage', { named: true }),
  valueOpt('source-format', 'string', 'format for underlying storage', { named: true }),
];

/** The XML virsh writes for pool-define-as / pool-create-as. */
function poolXml(opts: ParsedOptions): string {
  const source = [
    ['source-host', (v: string) => `<host name='${v}'/>`],
    ['source-path', (v: string) => `<dir path='${v}'/>`],
    ['source-dev', (v: string) => `<device path='${v}'/>`],
    ['source-format', (v: string) => `<format type='${v}'/>`],
    ['source-name', (v: string) => `<name>${v}</name>`],
  ] as const;
  let xml = `<pool type='${opts.required('type')}'>\n  <name>${opts.required('name')}</name>\n`;
  const present = source.filter(([o]) => opts.string(o) !== undefined);
  if (present.length) xml += `  <source>\n${present.map(([o, f]) => `    ${f(opts.string(o)!)}\n`).join('')}  </source>\n`;
  const target = opts.string('target');
  if (target !== undefined) xml += `  <target>\n    <path>${target}</path>\n  </target>\n`;
  return `${xml}</pool>\n`;
}

/** pool-define-as / pool-create-as. */
function poolAsCommand(
  name: string,
  help: string,
  verb: string,
  done: string,
  extra: readonly OptionSpec[],
  act: (conn: Connection, xml: string, opts: ParsedOptions) => Promise<unknown>,
): CommandSpec {
  return {
    name,
    group: GROUP,
    help,
    options: [...POOL_AS_OPTIONS, ...extra],
    async run(ctx, opts) {
      exclusive(opts, ['overwrite', 'no-overwrite']);
      const xml = poolXml(opts);
      if (opts.bool('print-xml')) {
        ctx.print(xml);
        return;
      }
      const pool = opts.required('name');
      try {
        await act(ctx.conn, xml, opts);
      } catch (err) {
        throw vshFail(`Failed to ${verb} pool ${pool}`, err);
      }
      if (!ctx.quiet) ctx.print(`Pool ${pool} ${done}\n`);
    },
  };
}

/** The volume a command names with `<vol>` and `[--pool]`. */
export const volOf = (conn: Connection, opts: ParsedOptions) => lookupVol(conn, opts.required('vol'), opts.string('pool'));

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

const XML_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
const unescapeXml = (s: string): string =>
  s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (XML_ENTITIES[e] ?? m),
  );

/**
 * A volume's XML with its `<name>` replaced, written back as virsh's
 * virshMakeCloneXML gets it from libxml2 (xmlNodeDump of the root element):
 * attributes in double quotes, only `&`, `<`, `>` escaped in text, empty
 * elements self-closed, and no newline after the root. Unlike the domain
 * commands' device XML, non-ASCII text stays as it is (virsh 9.0 prints it
 * so here).
 */
function cloneXml(xml: string, newName: string): string {
  const root = parseXmlTree(xml);
  const name = xmlChildren(root, 'name')[0];
  if (name) {
    // xmlNodeSetContent reads the new name as text with entity references.
    const content = unescapeXml(newName);
    name.children = content ? [{ kind: 'text', text: content }] : [];
  }
  return serializeXmlNode(root, { nonAscii: 'keep' });
}

/** `--pool` of vol-clone and vol-resize: positional there, as every string option is in virsh 9.0. */
const VOL_POOL_DATA: OptionSpec = { ...VOL_POOL, positional: true };

/** vol-clone, vol-create-from and vol-resize (tools/virsh-volume.c). */
const volCopyCommands: readonly CommandSpec[] = [
  {
    name: 'vol-clone',
    group: VOL_GROUP,
    help: 'clone a volume.',
    description: 'Clone an existing volume within the parent pool.',
    options: [
      VOL,
      valueOpt('newname', 'string', 'clone name', { required: true }),
      VOL_POOL_DATA,
      flag('prealloc-metadata', 'preallocate metadata (for qcow2 instead of full allocation)'),
      flag('reflink', 'use btrfs COW lightweight copy'),
      flag('print-xml', 'print XML document rather than clone the volume'),
    ],
    async run(ctx, opts) {
      const raw = ctx.conn.raw;
      const orig = await volOf(ctx.conn, opts);
      const flags =
        (opts.bool('prealloc-metadata') ? VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA : 0) | (opts.bool('reflink') ? VIR_STORAGE_VOL_CREATE_REFLINK : 0);
      let pool: Awaited<ReturnType<typeof raw.storagePoolLookupByVolume>>;
      try {
        pool = await raw.storagePoolLookupByVolume(orig);
      } catch (err) {
        throw vshFail('failed to get parent pool', err);
      }
      const newName = opts.required('newname');
      if (newName === '') throw new CliError(["Failed to get option 'newname': Option argument is empty"]);
      let xml: string;
      try {
        xml = cloneXml(await raw.storageVolGetXMLDesc(orig, 0), newName);
      } catch (err) {
        throw new CliError([err instanceof Error ? err.message : String(err)], { cause: err });
      }
      if (opts.bool('print-xml')) {
        ctx.print(xml);
        return;
      }
      let vol: Awaited<ReturnType<typeof raw.storageVolCreateXMLFrom>>;
      try {
        vol = await raw.storageVolCreateXMLFrom(pool, xml, orig, flags);
      } catch (err) {
        throw vshFail(`Failed to clone vol from ${orig.name}`, err);
      }
      if (!ctx.quiet) ctx.print(`Vol ${vol.name} cloned from ${orig.name}\n`);
    },
  },
  {
    name: 'vol-create-from',
    group: VOL_GROUP,
    help: 'create a vol, using another volume as input',
    description: 'Create a vol from an existing volume.',
    options: [
      POOL,
      valueOpt('file', 'string', 'file containing an XML vol description', { required: true }),
      VOL,
      valueOpt('inputpool', 'string', "pool name or uuid of the input volume's pool"),
      flag('prealloc-metadata', 'preallocate metadata (for qcow2 instead of full allocation)'),
      flag('reflink', 'use btrfs COW lightweight copy'),
      flag('validate', 'validate the XML against the schema'),
    ],
    async run(ctx, opts) {
      const pool = await findPool(ctx.conn, opts.required('pool'));
      const flags =
        (opts.bool('prealloc-metadata') ? VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA : 0) |
        (opts.bool('reflink') ? VIR_STORAGE_VOL_CREATE_REFLINK : 0) |
        (opts.bool('validate') ? VIR_STORAGE_VOL_CREATE_VALIDATE : 0);
      const file = opts.required('file');
      if (file === '') throw new CliError(["Failed to get option 'file': Option argument is empty"]);
      const input = await lookupVol(ctx.conn, opts.required('vol'), opts.string('inputpool'), 'inputpool');
      const xml = await ctx.readFile(file);
      let vol: Awaited<ReturnType<typeof ctx.conn.raw.storageVolCreateXMLFrom>>;
      try {
        vol = await ctx.conn.raw.storageVolCreateXMLFrom(pool, xml, input, flags);
      } catch (err) {
        throw vshFail(`Failed to create vol from ${file}`, err);
      }
      if (!ctx.quiet) ctx.print(`Vol ${vol.name} created from input vol ${input.name}\n`);
    },
  },
  {
    name: 'vol-resize',
    group: VOL_GROUP,
    help: 'resize a vol',
    description: 'Resizes a storage volume. This is safe only for storage volumes not in use by an active guest.\nSee blockresize for live resizing.',
    options: [
      VOL,
      valueOpt('capacity', 'string', 'new capacity for the vol, as scaled integer (default bytes)', { required: true }),
      VOL_POOL_DATA,
      flag('allocate', 'allocate the new capacity, rather than leaving it sparse'),
      flag('delta', 'use capacity as a delta to current size, rather than the new size'),
      flag('shrink', 'allow the resize to shrink the volume'),
    ],
    async run(ctx, opts) {
      let delta = opts.bool('delta');
      let flags = (opts.bool('allocate') ? VIR_STORAGE_VOL_RESIZE_ALLOCATE : 0) | (opts.bool('shrink') ? VIR_STORAGE_VOL_RESIZE_SHRINK : 0);
      const vol = await volOf(ctx.conn, opts);
      let text = opts.required('capacity');
      if (text === '') throw new CliError(["Failed to get option 'capacity': Option argument is empty"]);
      text = text.replace(/^[ \t\n\v\f\r]+/, '');
      // The API takes a positive size; virsh reads a negative one as a shrinking delta.
      if (text.startsWith('-')) {
        if (!opts.bool('shrink')) throw new CliError(['negative size requires --shrink']);
        text = text.slice(1);
        delta = true;
      }
      if (delta) flags |= VIR_STORAGE_VOL_RESIZE_DELTA;
      const capacity = size(text);
      const by = delta ? 'by' : 'to';
      try {
        await ctx.conn.raw.storageVolResize(vol, capacity, flags);
      } catch (err) {
        throw vshFail(`Failed to change size of volume '${vol.name}' ${by} ${text}`, err);
      }
      if (!ctx.quiet) ctx.print(`Size of volume '${vol.name}' successfully changed ${by} ${text}\n`);
    },
  },
];

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
      flag('details', 'display extended details for pools'),
      flag('uuid', 'list UUID of active pools only'),
      flag('name', 'list name of active pools only'),
    ],
    extensions: ['json'],
    async run(ctx, opts) {
      exclusive(opts, ['details', 'uuid']);
      exclusive(opts, ['details', 'name']);
      const flag = (name: string, value: number): number => (opts.bool(name) ? value : 0);
      let flags =
        flag('transient', VIR_CONNECT_LIST_STORAGE_POOLS_TRANSIENT) |
        flag('persistent', VIR_CONNECT_LIST_STORAGE_POOLS_PERSISTENT) |
        flag('autostart', VIR_CONNECT_LIST_STORAGE_POOLS_AUTOSTART) |
        flag('no-autostart', VIR_CONNECT_LIST_STORAGE_POOLS_NO_AUTOSTART);
      if (!opts.bool('all')) flags |= opts.bool('inactive') ? VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE : VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE;
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
  {
    ...poolAsCommand('pool-define-as', 'define a pool from a set of args', 'define', 'defined', [], (conn, xml) => conn.raw.storagePoolDefineXML(xml, 0)),
    description: 'Define a pool.',
  },
  {
    ...poolAsCommand('pool-create-as', 'create a pool from a set of args', 'create', 'created', BUILD_FLAGS, (conn, xml, opts) =>
      conn.raw.storagePoolCreateXML(xml, buildFlags(opts)),
    ),
    description: 'Create a pool.',
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
    options: [VOL, VOL_POOL, flag('bytes', 'sizes are represented in bytes rather than pretty units')],
    extensions: ['json'],
    async run(ctx, opts) {
      const vol = await volOf(ctx.conn, opts);
      const out = infoFields(ctx, wantsJson(opts));
      out.add('Name:', vol.name, 'name');
      let info: Awaited<ReturnType<typeof ctx.conn.raw.storageVolGetInfo>>;
      try {
        info = await ctx.conn.raw.storageVolGetInfo(vol);
      } catch (err) {
        throw new CliError([err instanceof Error ? err.message : String(err)], { cause: err });
      }
      const sz = (v: bigint): string => (opts.bool('bytes') ? `${v} bytes` : prettyCapacity(v));
      out.add('Type:', storageVolTypeName(info.type), 'type');
      out.add('Capacity:', sz(info.capacity), 'capacity', jsonNumber(info.capacity));
      out.add('Allocation:', sz(info.allocation), 'allocation', jsonNumber(info.allocation));
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
    name: 'vol-create-as',
    group: VOL_GROUP,
    help: 'create a volume from a set of args',
    description: 'Create a vol.',
    options: [
      valueOpt('pool', 'string', 'pool name', { required: true }),
      valueOpt('name', 'string', 'name of the volume', { required: true }),
      valueOpt('capacity', 'string', 'size of the vol, as scaled integer (default bytes)', { required: true }),
      valueOpt('allocation', 'string', 'initial allocation size, as scaled integer (default bytes)', { named: true }),
      valueOpt('format', 'string', 'file format type raw,bochs,qcow,qcow2,qed,vmdk', { named: true }),
      flag('prealloc-metadata', 'preallocate metadata (for qcow2 instead of full allocation)'),
      flag('print-xml', "print XML document, but don't define/create"),
    ],
    async run(ctx, opts) {
      const pool = await findPool(ctx.conn, opts.required('pool'));
      const name = opts.required('name');
      const capacity = size(opts.required('capacity'));
      const allocText = opts.string('allocation');
      const allocation = allocText === undefined ? null : size(allocText);
      const format = opts.string('format');
      let xml = `<volume>\n  <name>${name}</name>\n  <capacity>${capacity}</capacity>\n`;
      if (allocation !== null) xml += `  <allocation>${allocation}</allocation>\n`;
      if (format !== undefined) xml += `  <target>\n    <format type='${format}'/>\n  </target>\n`;
      xml += '</volume>\n';
      if (opts.bool('print-xml')) {
        ctx.print(xml);
        return;
      }
      try {
        await ctx.conn.raw.storageVolCreateXML(pool, xml, opts.bool('prealloc-metadata') ? VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA : 0);
      } catch (err) {
        throw vshFail(`Failed to create vol ${name}`, err);
      }
      if (!ctx.quiet) ctx.print(`Vol ${name} created\n`);
    },
  },
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
  {
    ...volAction('vol-wipe', 'wipe a vol', 'wipe', 'wiped', (conn, vol) => conn.raw.storageVolWipe(vol, 0)),
    description: 'Ensure data previously on a volume is not accessible to future reads',
  },
  ...volCopyCommands,
];
