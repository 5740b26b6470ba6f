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
} from '../../procedures/libvirt-api.gen.js';
import type { Connection } from '../../api/connection.js';
import { parseXml, xmlChildren, type XmlNode } from '../../api/xml/reader.js';
import type { RemoteNonnullStoragePool } from '../../procedures/remote.gen.js';
import { CliError, failed, type CommandSpec, type OptionSpec, type ParsedOptions } from '../command.js';
import { formatUuid, parseScaled, prettyCapacity, uuidNameLines } from '../format.js';
import { lookupPool } from '../lookup.js';
import { autostartCommand, fromFileCommand, lookupPoolBy, lookupVol, oneObjectCommand } from '../lookup-more.js';
import { formatTable } from '../table.js';

const GROUP = 'Storage Pool';
export const VOL_GROUP = 'Storage Volume';
const POOL: OptionSpec = { name: 'pool', kind: 'string', positional: true, required: true, help: 'pool name or uuid' };
export const VOL: OptionSpec = { name: 'vol', kind: 'string', positional: true, required: true, help: 'vol name, key or path' };
export const VOL_POOL: OptionSpec = { name: 'pool', kind: 'string', help: 'pool name or uuid' };
const BUILD_FLAGS: readonly OptionSpec[] = [
  { name: 'build', kind: 'bool', help: 'build the pool as normal' },
  { name: 'no-overwrite', kind: 'bool', help: 'do not overwrite any existing data' },
  { name: 'overwrite', kind: 'bool', help: 'overwrite any existing data' },
];
const yesNo = (v: number): string => (v ? 'yes' : 'no');
const field = (label: string, value: string): string => `${label.padEnd(15)} ${value}\n`;
const byName = (a: { name: string }, b: { name: string }): number => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0);
/** A pool holds usable capacity figures only while running or degraded. */
const hasSizes = (state: number): boolean => state === 2 || state === 3;

/** `Options --a and --b are mutually exclusive` when both are given. */
function exclusive(opts: ParsedOptions, a: string, b: string): void {
  if (opts.bool(a) && opts.bool(b)) throw new CliError([`Options --${a} and --${b} are mutually exclusive`]);
}

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
  { name: 'name', kind: 'string', positional: true, required: true, help: 'name of the pool' },
  { name: 'type', kind: 'string', positional: true, required: true, help: 'type of the pool' },
  { name: 'print-xml', kind: 'bool', help: "print XML document, but don't define/create" },
  { name: 'source-host', kind: 'string', help: 'source-host for underlying storage' },
  { name: 'source-path', kind: 'string', help: 'source path for underlying storage' },
  { name: 'source-dev', kind: 'string', help: 'source device for underlying storage' },
  { name: 'source-name', kind: 'string', help: 'source name for underlying storage' },
  { name: 'target', kind: 'string', help: 'target for underlying storage' },
  { name: 'source-format', kind: 'string', help: 'format for underlying storage' },
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
function poolAsCommand(name: string, help: string, verb: string, done: string, extra: readonly OptionSpec[], act: (conn: Connection, xml: string, opts: ParsedOptions) => Promise<unknown>): CommandSpec {
  return {
    name,
    group: GROUP,
    help,
    options: [...POOL_AS_OPTIONS, ...extra],
    async run(ctx, opts) {
      exclusive(opts, 'overwrite', 'no-overwrite');
      const xml = poolXml(opts);
      if (opts.bool('print-xml')) {
        ctx.print(xml);
        return;
      }
      const pool = opts.required('name');
      try {
        await act(ctx.conn, xml, opts);
      } catch (err) {
        throw failed(`Failed to ${verb} pool ${pool}`, err);
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
  oneObjectCommand({ name, group: VOL_GROUP, help, option: VOL, extra: [VOL_POOL, ...extra], lookup: (conn, _text, opts) => volOf(conn, opts), noun: 'Vol', verb, done, act });

/** A volume command that prints one line about the volume. */
function volLine(name: string, help: string, line: (conn: Connection, vol: Awaited<ReturnType<typeof volOf>>, opts: ParsedOptions) => Promise<string>, options: readonly OptionSpec[] = [VOL_POOL], withPool = true): CommandSpec {
  return {
    name,
    group: VOL_GROUP,
    help,
    options: [VOL, ...options],
    async run(ctx, opts) {
      const vol = await lookupVol(ctx.conn, opts.required('vol'), withPool ? opts.string('pool') : undefined, withPool ? 'pool' : null);
      ctx.print(`${await line(ctx.conn, vol, opts)}\n`);
    },
  };
}

/**
 * An unsigned 64-bit option as virsh reads it (vshCommandOptULongLong; with
 * `wrap`, vshCommandOptULongLongWrap, where a negative number wraps around).
 */
export function ull(opts: ParsedOptions, name: string, wrap: boolean): bigint {
  const text = opts.string(name);
  if (text === undefined) return 0n;
  const m = /^(-?)(\d+)$/.exec(text);
  const v = m ? BigInt(m[2]) : -1n;
  if (!m || (m[1] && !wrap) || v > 0xffffffffffffffffn) {
    throw new CliError([`Numeric value '${text}' for <${name}> option is malformed or out of range`]);
  }
  return m[1] ? (0x10000000000000000n - v) & 0xffffffffffffffffn : v;
}

const XML_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
const unescapeXml = (s: string): string =>
  s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) => (e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (XML_ENTITIES[e] ?? m)));
/** Text content as libxml2 writes it. */
const libxmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
/** An attribute value as libxml2 writes it (between double quotes). */
const libxmlAttr = (s: string): string =>
  libxmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');

/**
 * A volume's XML with its `<name>` replaced, written back as virsh's
 * virshMakeCloneXML gets it from libxml2 (xmlNodeDump of the root element):
 * attributes in double quotes, only `&`, `<`, `>` escaped in text, empty
 * elements self-closed, and no newline after the root. Unlike what
 * xml-tree.ts writes for the domain commands, non-ASCII text stays as it is
 * (virsh 9.0 prints it so here).
 */
function cloneXml(xml: string, newName: string): string {
  const root = parseXml(xml, { comments: true, cdata: true });
  const name = xmlChildren(root, 'name')[0];
  if (name) {
    // xmlNodeSetContent reads the new name as text with entity references.
    const content = unescapeXml(newName);
    name.children = content ? [{ kind: 'text', text: content }] : [];
  }
  const write = (n: XmlNode): string => {
    if (n.kind !== 'element') return n.kind === 'text' ? libxmlText(n.text) : n.kind === 'comment' ? `<!--${n.text}-->` : `<![CDATA[${n.text}]]>`;
    const attrs = Object.entries(n.attrs)
      .map(([k, v]) => ` ${k}="${libxmlAttr(v)}"`)
      .join('');
    // libxml2 writes an element without children as <x/>.
    return n.children.length ? `<${n.name}${attrs}>${n.children.map(write).join('')}</${n.name}>` : `<${n.name}${attrs}/>`;
  };
  return write(root);
}

/** `--pool` of vol-clone and vol-resize: positional there, as every string option is in virsh 9.0. */
const VOL_POOL_DATA: OptionSpec = { ...VOL_POOL, positional: true };

/** vol-clone, vol-create-from and vol-resize (tools/virsh-volume.c). */
const volCopyCommands: readonly CommandSpec[] = [
  {
    name: 'vol-clone',
    group: VOL_GROUP,
    help: 'clone a volume.',
    options: [
      VOL,
      { name: 'newname', kind: 'string', positional: true, required: true, help: 'clone name' },
      VOL_POOL_DATA,
      { name: 'prealloc-metadata', kind: 'bool', help: 'preallocate metadata (for qcow2 instead of full allocation)' },
      { name: 'reflink', kind: 'bool', help: 'use btrfs COW lightweight copy' },
      { name: 'print-xml', kind: 'bool', help: 'print XML document rather than clone the volume' },
    ],
    async run(ctx, opts) {
      const raw = ctx.conn.raw;
      const orig = await volOf(ctx.conn, opts);
      const flags = (opts.bool('prealloc-metadata') ? VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA : 0) | (opts.bool('reflink') ? VIR_STORAGE_VOL_CREATE_REFLINK : 0);
      let pool: Awaited<ReturnType<typeof raw.storagePoolLookupByVolume>>;
      try {
        pool = await raw.storagePoolLookupByVolume(orig);
      } catch (err) {
        throw failed('failed to get parent pool', err);
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
        throw failed(`Failed to clone vol from ${orig.name}`, err);
      }
      if (!ctx.quiet) ctx.print(`Vol ${vol.name} cloned from ${orig.name}\n`);
    },
  },
  {
    name: 'vol-create-from',
    group: VOL_GROUP,
    help: 'create a vol, using another volume as input',
    options: [
      POOL,
      { name: 'file', kind: 'string', positional: true, required: true, help: 'file containing an XML vol description' },
      VOL,
      { name: 'inputpool', kind: 'string', positional: true, help: "pool name or uuid of the input volume's pool" },
      { name: 'prealloc-metadata', kind: 'bool', help: 'preallocate metadata (for qcow2 instead of full allocation)' },
      { name: 'reflink', kind: 'bool', help: 'use btrfs COW lightweight copy' },
      { name: 'validate', kind: 'bool', help: 'validate the XML against the schema' },
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
        throw failed(`Failed to create vol from ${file}`, err);
      }
      if (!ctx.quiet) ctx.print(`Vol ${vol.name} created from input vol ${input.name}\n`);
    },
  },
  {
    name: 'vol-resize',
    group: VOL_GROUP,
    help: 'resize a vol',
    options: [
      VOL,
      { name: 'capacity', kind: 'string', positional: true, required: true, help: 'new capacity for the vol, as scaled integer (default bytes)' },
      VOL_POOL_DATA,
      { name: 'allocate', kind: 'bool', help: 'allocate the new capacity, rather than leaving it sparse' },
      { name: 'delta', kind: 'bool', help: 'use capacity as a delta to current size, rather than the new size' },
      { name: 'shrink', kind: 'bool', help: 'allow the resize to shrink the volume' },
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
        throw failed(`Failed to change size of volume '${vol.name}' ${by} ${text}`, err);
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
    options: [
      { name: 'inactive', kind: 'bool', help: 'list inactive pools' },
      { name: 'all', kind: 'bool', help: 'list inactive & active pools' },
      { name: 'transient', kind: 'bool', help: 'list transient pools' },
      { name: 'persistent', kind: 'bool', help: 'list persistent pools' },
      { name: 'autostart', kind: 'bool', help: 'list pools with autostart enabled' },
      { name: 'no-autostart', kind: 'bool', help: 'list pools with autostart disabled' },
      { name: 'details', kind: 'bool', help: 'display extended details for pools' },
      { name: 'uuid', kind: 'bool', help: 'list UUID of active pools only' },
      { name: 'name', kind: 'bool', help: 'list name of active pools only' },
    ],
    async run(ctx, opts) {
      exclusive(opts, 'details', 'uuid');
      exclusive(opts, 'details', 'name');
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
        throw failed('Failed to list pools', err);
      }
      if (opts.bool('name') || opts.bool('uuid')) {
        ctx.print(uuidNameLines(pools, { uuid: opts.bool('uuid'), name: opts.bool('name') }, 20));
        return;
      }
      const raw = ctx.conn.raw;
      const rows: string[][] = [];
      for (const p of pools) {
        const [info, autostart, persistent] = await Promise.all([
          raw.storagePoolGetInfo(p).catch(() => null),
          raw.storagePoolGetAutostart(p).catch(() => -1),
          raw.storagePoolIsPersistent(p).catch(() => -1),
        ]);
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
      ctx.print(formatTable(header, rows, ctx.quiet));
    },
  },
  {
    name: 'pool-info',
    group: GROUP,
    help: 'storage pool information',
    options: [POOL, { name: 'bytes', kind: 'bool', help: 'Reture pool info in bytes' }],
    async run(ctx, opts) {
      const pool = await lookupPool(ctx.conn, opts.required('pool'));
      const raw = ctx.conn.raw;
      ctx.print(field('Name:', pool.name));
      ctx.print(field('UUID:', formatUuid(pool.uuid)));
      const info = await raw.storagePoolGetInfo(pool);
      ctx.print(field('State:', storagePoolStateName(info.state)));
      const persistent = await raw.storagePoolIsPersistent(pool).catch(() => -1);
      ctx.print(field('Persistent:', persistent < 0 ? 'unknown' : yesNo(persistent)));
      const autostart = await raw.storagePoolGetAutostart(pool).catch(() => -1);
      ctx.print(field('Autostart:', autostart < 0 ? 'no autostart' : yesNo(autostart)));
      if (hasSizes(info.state)) {
        const sz = (v: bigint): string => (opts.bool('bytes') ? String(v) : prettyCapacity(v));
        ctx.print(field('Capacity:', sz(info.capacity)));
        ctx.print(field('Allocation:', sz(info.allocation)));
        ctx.print(field('Available:', sz(info.available)));
      }
    },
  },
  {
    name: 'pool-dumpxml',
    group: GROUP,
    help: 'pool information in XML',
    options: [POOL, { name: 'inactive', kind: 'bool', help: 'show inactive defined XML' }],
    async run(ctx, opts) {
      const pool = await lookupPool(ctx.conn, opts.required('pool'));
      ctx.print(await ctx.conn.raw.storagePoolGetXMLDesc(pool, opts.bool('inactive') ? VIR_STORAGE_XML_INACTIVE : 0));
    },
  },
  {
    name: 'pool-uuid',
    group: GROUP,
    help: 'convert a pool name to pool UUID',
    options: [{ ...POOL, help: 'pool name' }],
    async run(ctx, opts) {
      ctx.print(`${formatUuid((await lookupPoolBy(ctx.conn, opts.required('pool'), { name: true })).uuid)}\n`);
    },
  },
  {
    name: 'pool-name',
    group: GROUP,
    help: 'convert a pool UUID to pool name',
    options: [{ ...POOL, help: 'pool uuid' }],
    async run(ctx, opts) {
      ctx.print(`${(await lookupPoolBy(ctx.conn, opts.required('pool'), { uuid: true })).name}\n`);
    },
  },
  poolAsCommand('pool-define-as', 'define a pool from a set of args', 'define', 'defined', [], (conn, xml) => conn.raw.storagePoolDefineXML(xml, 0)),
  poolAsCommand('pool-create-as', 'create a pool from a set of args', 'create', 'created', BUILD_FLAGS, (conn, xml, opts) =>
    conn.raw.storagePoolCreateXML(xml, buildFlags(opts)),
  ),
  fromFileCommand({
    name: 'pool-define',
    group: GROUP,
    help: "define an inactive persistent storage pool or modify an existing persistent one from an XML file",
    noun: 'Pool',
    verb: 'define',
    done: 'defined',
    act: (conn, xml) => conn.raw.storagePoolDefineXML(xml, 0),
  }),
  fromFileCommand({
    name: 'pool-create',
    group: GROUP,
    help: 'create a pool from an XML file',
    extra: BUILD_FLAGS,
    noun: 'Pool',
    verb: 'create',
    done: 'created',
    check: (opts) => exclusive(opts, 'overwrite', 'no-overwrite'),
    act: (conn, xml, opts) => conn.raw.storagePoolCreateXML(xml, buildFlags(opts)),
  }),
  poolAction('pool-start', 'start a (previously defined) inactive pool', 'start', 'started', (conn, p, opts) => conn.raw.storagePoolCreate(p, buildFlags(opts)), BUILD_FLAGS, (opts) =>
    exclusive(opts, 'overwrite', 'no-overwrite'),
  ),
  poolAction('pool-destroy', 'destroy (stop) a pool', 'destroy', 'destroyed', (conn, p) => conn.raw.storagePoolDestroy(p)),
  poolAction('pool-undefine', 'undefine an inactive pool', 'undefine', 'has been undefined', (conn, p) => conn.raw.storagePoolUndefine(p)),
  poolAction('pool-refresh', 'refresh a pool', 'refresh', 'refreshed', (conn, p) => conn.raw.storagePoolRefresh(p, 0)),
  poolAction('pool-delete', 'delete a pool', 'delete', 'deleted', (conn, p) => conn.raw.storagePoolDelete(p, 0)),
  poolAction(
    'pool-build',
    'build a pool',
    'build',
    'built',
    (conn, p, opts) =>
      conn.raw.storagePoolBuild(p, (opts.bool('overwrite') ? VIR_STORAGE_POOL_BUILD_OVERWRITE : 0) | (opts.bool('no-overwrite') ? VIR_STORAGE_POOL_BUILD_NO_OVERWRITE : 0)),
    BUILD_FLAGS.slice(1),
  ),
  autostartCommand({ name: 'pool-autostart', group: GROUP, option: POOL, lookup: findPool, noun: 'Pool', set: (conn, p, on) => conn.raw.storagePoolSetAutostart(p, on) }),
  {
    name: 'vol-list',
    group: VOL_GROUP,
    help: 'list vols',
    options: [POOL, { name: 'details', kind: 'bool', help: 'display extended details for volumes' }],
    async run(ctx, opts) {
      const pool = await lookupPool(ctx.conn, opts.required('pool'));
      const raw = ctx.conn.raw;
      let vols: Awaited<ReturnType<typeof raw.storagePoolListAllVolumes>>['vols'];
      try {
        vols = (await raw.storagePoolListAllVolumes(pool, 1, 0)).vols.sort(byName);
      } catch (err) {
        throw failed('Failed to list storage volumes', err);
      }
      const rows: string[][] = [];
      for (const v of vols) {
        const path = await raw.storageVolGetPath(v);
        if (!opts.bool('details')) {
          rows.push([v.name, path]);
          continue;
        }
        const info = await raw.storageVolGetInfo(v).catch(() => null);
        rows.push(info ? [v.name, path, storageVolTypeName(info.type), prettyCapacity(info.capacity), prettyCapacity(info.allocation)] : [v.name, path, 'unknown', 'unknown', 'unknown']);
      }
      const header = opts.bool('details') ? ['Name', 'Path', 'Type', 'Capacity', 'Allocation'] : ['Name', 'Path'];
      ctx.print(formatTable(header, rows, ctx.quiet));
    },
  },
  {
    name: 'vol-info',
    group: VOL_GROUP,
    help: 'storage vol information',
    options: [VOL, VOL_POOL, { name: 'bytes', kind: 'bool', help: 'sizes are represented in bytes rather than pretty units' }],
    async run(ctx, opts) {
      const vol = await volOf(ctx.conn, opts);
      ctx.print(field('Name:', vol.name));
      let info: Awaited<ReturnType<typeof ctx.conn.raw.storageVolGetInfo>>;
      try {
        info = await ctx.conn.raw.storageVolGetInfo(vol);
      } catch (err) {
        throw new CliError([err instanceof Error ? err.message : String(err)], { cause: err });
      }
      const sz = (v: bigint): string => (opts.bool('bytes') ? `${v} bytes` : prettyCapacity(v));
      ctx.print(field('Type:', storageVolTypeName(info.type)));
      ctx.print(field('Capacity:', sz(info.capacity)));
      ctx.print(field('Allocation:', sz(info.allocation)));
    },
  },
  {
    name: 'vol-dumpxml',
    group: VOL_GROUP,
    help: 'vol information in XML',
    options: [VOL, VOL_POOL],
    async run(ctx, opts) {
      ctx.print(await ctx.conn.raw.storageVolGetXMLDesc(await volOf(ctx.conn, opts), 0));
    },
  },
  volLine('vol-path', 'returns the volume path for a given volume name or key', (conn, vol) => conn.raw.storageVolGetPath(vol)),
  volLine('vol-key', 'returns the volume key for a given volume name or path', async (_conn, vol) => vol.key),
  volLine('vol-name', 'returns the volume name for a given volume key or path', async (_conn, vol) => vol.name, [], false),
  volLine(
    'vol-pool',
    'returns the storage pool for a given volume key or path',
    async (conn, vol, opts) => {
      let pool: Awaited<ReturnType<typeof conn.raw.storagePoolLookupByVolume>>;
      try {
        pool = await conn.raw.storagePoolLookupByVolume(vol);
      } catch (err) {
        throw failed(`failed to get parent pool`, err);
      }
      return opts.bool('uuid') ? formatUuid(pool.uuid) : pool.name;
    },
    [{ name: 'uuid', kind: 'bool', help: 'return the pool uuid rather than pool name' }],
    false,
  ),
  {
    name: 'vol-create-as',
    group: VOL_GROUP,
    help: 'create a volume from a set of args',
    options: [
      { name: 'pool', kind: 'string', positional: true, required: true, help: 'pool name' },
      { name: 'name', kind: 'string', positional: true, required: true, help: 'name of the volume' },
      { name: 'capacity', kind: 'string', positional: true, required: true, help: 'size of the vol, as scaled integer (default bytes)' },
      { name: 'allocation', kind: 'string', help: 'initial allocation size, as scaled integer (default bytes)' },
      { name: 'format', kind: 'string', help: 'file format type raw,bochs,qcow,qcow2,qed,vmdk' },
      { name: 'prealloc-metadata', kind: 'bool', help: 'preallocate metadata (for qcow2 instead of full allocation)' },
      { name: 'print-xml', kind: 'bool', help: "print XML document, but don't define/create" },
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
        throw failed(`Failed to create vol ${name}`, err);
      }
      if (!ctx.quiet) ctx.print(`Vol ${name} created\n`);
    },
  },
  {
    name: 'vol-create',
    group: VOL_GROUP,
    help: 'create a vol from an XML file',
    options: [
      { name: 'pool', kind: 'string', positional: true, required: true, help: 'pool name' },
      { name: 'file', kind: 'string', positional: true, required: true, help: 'file containing an XML vol description' },
      { name: 'prealloc-metadata', kind: 'bool', help: 'preallocate metadata (for qcow2 instead of full allocation)' },
    ],
    async run(ctx, opts) {
      const pool = await findPool(ctx.conn, opts.required('pool'));
      const file = opts.required('file');
      const xml = await ctx.readFile(file);
      let vol: Awaited<ReturnType<typeof ctx.conn.raw.storageVolCreateXML>>;
      try {
        vol = await ctx.conn.raw.storageVolCreateXML(pool, xml, opts.bool('prealloc-metadata') ? VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA : 0);
      } catch (err) {
        throw failed(`Failed to create vol from ${file}`, err);
      }
      if (!ctx.quiet) ctx.print(`Vol ${vol.name} created from ${file}\n`);
    },
  },
  volAction(
    'vol-delete',
    'delete a vol',
    'delete',
    'deleted',
    (conn, vol, opts) => conn.raw.storageVolDelete(vol, opts.bool('delete-snapshots') ? VIR_STORAGE_VOL_DELETE_WITH_SNAPSHOTS : 0),
    [{ name: 'delete-snapshots', kind: 'bool', help: 'delete snapshots associated with volume (must be supported by storage driver)' }],
  ),
  volAction('vol-wipe', 'wipe a vol', 'wipe', 'wiped', (conn, vol) => conn.raw.storageVolWipe(vol, 0)),
  ...volCopyCommands,
];
