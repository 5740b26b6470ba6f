/** Snapshot commands, with virsh's output (tools/virsh-snapshot.c). */
import type { Connection } from '../../api/connection.js';
import {
  VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT,
  VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY,
  VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE,
  VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN,
  VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY,
  VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY,
  VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE,
  VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS,
  VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY,
  VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL,
  VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE,
  VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL,
  VIR_DOMAIN_SNAPSHOT_LIST_LEAVES,
  VIR_DOMAIN_SNAPSHOT_LIST_METADATA,
  VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES,
  VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA,
  VIR_DOMAIN_SNAPSHOT_LIST_ROOTS,
  VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL,
  VIR_DOMAIN_SNAPSHOT_REVERT_FORCE,
  VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED,
  VIR_DOMAIN_SNAPSHOT_REVERT_RESET_NVRAM,
  VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING,
  VIR_DOMAIN_XML_SECURE,
  VIR_ERR_NO_DOMAIN_SNAPSHOT,
  VIR_ERR_SNAPSHOT_REVERT_RISKY,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain, RemoteNonnullDomainSnapshot } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { parseXml, xmlAll, xmlFirst, xmlText } from '../../api/xml/reader.js';
import { CliError, type ParsedOptions, type CommandSpec, type OptionSpec } from '../command.js';
import { call, vshFail } from '../support/failures.js';
import { flag, valueOpt, DOMAIN, exclusive, XPATH_OPTIONS } from '../support/options.js';
import { printXml, xpathOption } from '../support/xpath.js';
import { field, caseOrder, localTime } from '../support/format.js';
import { formatTable } from '../support/table.js';
import { lookupDomain } from '../support/lookup.js';
import { snapshotCreateAsCommand } from './snapshot-create.js';
import { printJson, wantsJson } from '../support/json-output.js';

const GROUP = 'Snapshot';
const SNAPSHOTNAME: OptionSpec = valueOpt('snapshotname', 'string', 'snapshot name');
const current = (help: string): OptionSpec => flag('current', help);

/**
 * The snapshot a command names with `<arg>` or `--current` (virshLookupSnapshot):
 * with `exclusive`, both together are an error; neither is one too.
 */
async function lookupSnapshot(
  conn: Connection,
  dom: RemoteNonnullDomain,
  opts: ParsedOptions,
  arg: string,
  exclusiveCurrent: boolean,
): Promise<RemoteNonnullDomainSnapshot> {
  const name = opts.string(arg);
  const cur = opts.bool('current');
  if (exclusiveCurrent && cur && name !== undefined) throw new CliError([`--${arg} and --current are mutually exclusive`]);
  if (name !== undefined) return await call(() => conn.raw.domainSnapshotLookupByName(dom, name, 0));
  if (cur) return await call(() => conn.raw.domainSnapshotCurrent(dom, 0));
  throw new CliError([`--${arg} or --current is required`]);
}

/** The `<parent><name>` of a snapshot's XML, or null for a root. */
function xmlParent(doc: ReturnType<typeof parseXml>): string | null {
  const p = xmlFirst(doc, 'parent/name');
  return p ? xmlText(p) : null;
}

/** The parent's name (null for a root) as virshGetSnapshotParent finds it. */
async function snapshotParent(conn: Connection, snap: RemoteNonnullDomainSnapshot): Promise<string | null> {
  try {
    return (await conn.raw.domainSnapshotGetParent(snap, 0)).name;
  } catch (err) {
    if (err instanceof LibvirtError && err.errorCode === VIR_ERR_NO_DOMAIN_SNAPSHOT) return null;
    throw new CliError([err instanceof Error ? err.message : String(err), 'unable to determine if snapshot has parent'], { cause: err });
  }
}

/** virsh's tree listing (vshTreePrint) of the item at `root` and its descendants. */
function treeText(items: readonly { readonly name: string; readonly parent: string | null }[], root: number): string {
  let out = '';
  let indent = '';
  const walk = (id: number, lastdev: number, isRoot: boolean): void => {
    const dev = items[id].name;
    out += `${indent}${isRoot ? '' : '+- '}${dev}\n`;
    if (!isRoot) indent += (id === lastdev ? ' ' : '|') + ' ';
    let nextlast = -1;
    items.forEach((it, i) => {
      if (it.parent === dev) nextlast = i;
    });
    if (nextlast !== -1) out += `${indent}  |\n`;
    indent += '  ';
    items.forEach((it, i) => {
      if (it.parent === dev) walk(i, nextlast, false);
    });
    if (indent.endsWith('  ')) indent = indent.slice(0, -2);
    if (nextlast === -1 && id === lastdev) out += `${indent}\n`;
    if (!isRoot) indent = indent.slice(0, -2);
  };
  walk(root, root, true);
  return out;
}

const LIST_FILTERS: readonly (readonly [string, number, string])[] = [
  ['leaves', VIR_DOMAIN_SNAPSHOT_LIST_LEAVES, 'list only snapshots without children'],
  ['no-leaves', VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES, 'list only snapshots that are not leaves (with children)'],
  ['inactive', VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE, 'filter by snapshots taken while inactive'],
  ['active', VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE, 'filter by snapshots taken while active (full system snapshots)'],
  ['disk-only', VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY, 'filter by disk-only snapshots'],
  ['internal', VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL, 'filter by internal snapshots'],
  ['external', VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL, 'filter by external snapshots'],
];

/** Snapshot commands. */
export const snapshotCommands: readonly CommandSpec[] = [
  snapshotCreateAsCommand,
  {
    name: 'snapshot-current',
    group: GROUP,
    help: 'Get or set the current snapshot',
    description: 'Get or set the current snapshot',
    options: [
      DOMAIN,
      flag('name', 'list the name, rather than the full xml'),
      flag('security-info', 'include security sensitive information in XML dump'),
      valueOpt('snapshotname', 'string', 'name of existing snapshot to make current'),
    ],
    async run(ctx, opts) {
      if (opts.bool('name') && opts.string('snapshotname') !== undefined) {
        throw new CliError(['Options --name and --snapshotname are mutually exclusive']);
      }
      const domText = opts.required('domain');
      const dom = await lookupDomain(ctx.conn, domText);
      const raw = ctx.conn.raw;
      const snapName = opts.string('snapshotname');
      if (snapName !== undefined) {
        await call(async () => {
          const snap = await raw.domainSnapshotLookupByName(dom, snapName, 0);
          const xml = await raw.domainSnapshotGetXMLDesc(snap, VIR_DOMAIN_XML_SECURE);
          let flags = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE | VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT;
          if (xml.includes('<state>disk-snapshot</state>')) flags |= VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY;
          await raw.domainSnapshotCreateXML(dom, xml, flags);
        });
        if (!ctx.quiet) ctx.print(`Snapshot ${snapName} set as current`);
        return;
      }
      const has = await call(() => raw.domainHasCurrentSnapshot(dom, 0));
      if (!has) throw new CliError([`domain '${domText}' has no current snapshot`]);
      const snap = await call(() => raw.domainSnapshotCurrent(dom, 0));
      if (opts.bool('name')) ctx.print(snap.name);
      else ctx.print(await call(() => raw.domainSnapshotGetXMLDesc(snap, opts.bool('security-info') ? VIR_DOMAIN_XML_SECURE : 0)));
    },
  },
  {
    name: 'snapshot-delete',
    group: GROUP,
    help: 'Delete a domain snapshot',
    description: 'Snapshot Delete',
    options: [
      DOMAIN,
      SNAPSHOTNAME,
      current('delete current snapshot'),
      flag('children', 'delete snapshot and all children'),
      flag('children-only', 'delete children but not snapshot'),
      flag('metadata', 'delete only libvirt metadata, leaving snapshot contents behind'),
    ],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const snap = await lookupSnapshot(ctx.conn, dom, opts, 'snapshotname', true);
      const flags =
        (opts.bool('children') ? VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN : 0) |
        (opts.bool('children-only') ? VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY : 0) |
        (opts.bool('metadata') ? VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY : 0);
      try {
        await ctx.conn.raw.domainSnapshotDelete(snap, flags);
      } catch (err) {
        throw vshFail(`Failed to delete snapshot ${snap.name}`, err);
      }
      if (!ctx.quiet) ctx.print(`Domain snapshot ${snap.name} ${flags & VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY ? 'children deleted' : 'deleted'}\n`);
    },
  },
  {
    name: 'snapshot-dumpxml',
    group: GROUP,
    help: 'Dump XML for a domain snapshot',
    description: 'Snapshot Dump XML',
    options: [DOMAIN, { ...SNAPSHOTNAME, required: true }, flag('security-info', 'include security sensitive information in XML dump'), ...XPATH_OPTIONS],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const raw = ctx.conn.raw;
      const snap = await call(() => raw.domainSnapshotLookupByName(dom, opts.required('snapshotname'), 0));
      const xpath = xpathOption(opts);
      const xml = await call(() => raw.domainSnapshotGetXMLDesc(snap, opts.bool('security-info') ? VIR_DOMAIN_XML_SECURE : 0));
      printXml(ctx, xml, xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'snapshot-info',
    group: GROUP,
    help: 'snapshot information',
    description: 'Returns basic information about a snapshot.',
    options: [DOMAIN, SNAPSHOTNAME, current('info on current snapshot')],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const raw = ctx.conn.raw;
      const snap = await lookupSnapshot(ctx.conn, dom, opts, 'snapshotname', true);
      ctx.print(field('Name:', snap.name));
      ctx.print(field('Domain:', dom.name));
      let isCurrent: boolean;
      try {
        isCurrent = (await raw.domainSnapshotIsCurrent(snap, 0)) > 0;
      } catch {
        isCurrent = (await raw.domainSnapshotCurrent(dom, 0).catch(() => null))?.name === snap.name;
      }
      ctx.print(field('Current:', isCurrent ? 'yes' : 'no'));
      const doc = parseXml(await call(() => raw.domainSnapshotGetXMLDesc(snap, 0)));
      const stateEl = xmlFirst(doc, 'state');
      if (!stateEl) throw new CliError(['unexpected problem reading snapshot xml']);
      const state = xmlText(stateEl);
      ctx.print(field('State:', state));
      const memory = xmlFirst(doc, 'memory');
      const external = memory
        ? memory.attrs.snapshot === 'external' || xmlAll(doc, 'disks/disk').some((d) => d.attrs.snapshot === 'external')
        : state === 'disk-snapshot';
      ctx.print(field('Location:', external ? 'external' : 'internal'));
      ctx.print(field('Parent:', xmlParent(doc) ?? '-'));
      ctx.print(field('Children:', await call(() => raw.domainSnapshotNumChildren(snap, 0))));
      ctx.print(field('Descendants:', await call(() => raw.domainSnapshotNumChildren(snap, VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS))));
      const metadata = await raw.domainSnapshotHasMetadata(snap, 0).catch(() => raw.domainSnapshotNum(dom, VIR_DOMAIN_SNAPSHOT_LIST_METADATA).catch(() => -1));
      if (metadata >= 0) ctx.print(field('Metadata:', metadata ? 'yes' : 'no'));
    },
  },
  {
    name: 'snapshot-list',
    group: GROUP,
    help: 'List snapshots for a domain',
    description: 'Snapshot List',
    options: [
      DOMAIN,
      flag('parent', 'add a column showing parent snapshot'),
      flag('roots', 'list only snapshots without parents'),
      ...LIST_FILTERS.slice(0, 2).map(([name, , help]) => flag(name, help)),
      flag('metadata', 'list only snapshots that have metadata that would prevent undefine'),
      flag('no-metadata', 'list only snapshots that have no metadata managed by libvirt'),
      ...LIST_FILTERS.slice(2).map(([name, , help]) => flag(name, help)),
      flag('tree', 'list snapshots in a tree'),
      valueOpt('from', 'string', 'limit list to children of given snapshot'),
      current('limit list to children of current snapshot'),
      flag('descendants', 'with --from, list all descendants'),
      flag('name', 'list snapshot names only'),
      flag('topological', 'sort list topologically rather than by name'),
    ],
    extensions: ['json'],
    async run(ctx, opts) {
      const json = wantsJson(opts);
      const tree = opts.bool('tree') && !json;
      const from = opts.string('from') !== undefined;
      exclusive(opts, ['tree', 'name'], ['parent', 'roots'], ['parent', 'tree'], ['roots', 'tree']);
      if (opts.bool('roots') && from) throw new CliError(['Options --roots and --from are mutually exclusive']);
      exclusive(opts, ['roots', 'current']);
      let flags = 0;
      for (const [name, bit] of LIST_FILTERS) {
        if (!opts.bool(name)) continue;
        if (tree) throw new CliError([`--${name} and --tree are mutually exclusive`]);
        flags |= bit;
      }
      if (opts.bool('roots')) flags |= VIR_DOMAIN_SNAPSHOT_LIST_ROOTS;
      if (opts.bool('metadata')) flags |= VIR_DOMAIN_SNAPSHOT_LIST_METADATA;
      if (opts.bool('no-metadata')) flags |= VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA;
      if (opts.bool('topological')) flags |= VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL;
      if (opts.bool('descendants')) {
        if (!from && !opts.bool('current')) throw new CliError(['--descendants requires either --from or --current']);
        flags |= VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS;
      }
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const raw = ctx.conn.raw;
      const start = from || opts.bool('current') ? await lookupSnapshot(ctx.conn, dom, opts, 'from', true) : null;
      const snaps = await call(async () =>
        start ? (await raw.domainSnapshotListAllChildren(start, 1, flags)).snapshots : (await raw.domainListAllSnapshots(dom, 1, flags)).snapshots,
      );
      const items: { snap: RemoteNonnullDomainSnapshot; name: string; parent: string | null }[] = [];
      for (const snap of snaps) items.push({ snap, name: snap.name, parent: tree ? await snapshotParent(ctx.conn, snap) : null });
      if (tree && start) items.push({ snap: start, name: start.name, parent: null });
      if (!opts.bool('topological')) items.sort((a, b) => caseOrder(a.name, b.name));
      if (tree) {
        items.forEach((it, i) => {
          if (it.parent === null) ctx.print(treeText(items, i));
        });
        return;
      }
      if (opts.bool('name') && !json) {
        ctx.print(items.map((it) => `${it.name}\n`).join(''));
        return;
      }
      const withParent = opts.bool('parent');
      const rows: string[][] = [];
      const records: { name: string; creation_time: number; state: string; parent: string | null }[] = [];
      for (const it of items) {
        let doc: ReturnType<typeof parseXml>;
        try {
          doc = parseXml(await raw.domainSnapshotGetXMLDesc(it.snap, 0));
        } catch {
          continue;
        }
        const state = xmlFirst(doc, 'state');
        const created = xmlFirst(doc, 'creationTime');
        if (!state || !created || !/^\s*-?\d+\s*$/.test(xmlText(created))) continue;
        const row = [it.name, localTime(Number(xmlText(created)), true), xmlText(state)];
        if (withParent) row.push(xmlParent(doc) ?? '');
        rows.push(row);
        records.push({ name: it.name, creation_time: Number(xmlText(created)), state: xmlText(state), parent: xmlParent(doc) ?? null });
      }
      if (json) {
        printJson(ctx, records);
        return;
      }
      const header = withParent ? ['Name', 'Creation Time', 'State', 'Parent'] : ['Name', 'Creation Time', 'State'];
      ctx.print(formatTable(header, rows, ctx.quiet));
    },
  },
  {
    name: 'snapshot-parent',
    group: GROUP,
    help: 'Get the name of the parent of a snapshot',
    description: "Extract the snapshot's parent, if any",
    options: [DOMAIN, { ...SNAPSHOTNAME, help: 'find parent of snapshot name' }, current('find parent of current snapshot')],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const snap = await lookupSnapshot(ctx.conn, dom, opts, 'snapshotname', true);
      const parent = await snapshotParent(ctx.conn, snap);
      if (parent === null) throw new CliError([`snapshot '${snap.name}' has no parent`]);
      ctx.print(parent);
    },
  },
  {
    name: 'snapshot-revert',
    group: GROUP,
    help: 'Revert a domain to a snapshot',
    description: 'Revert domain to snapshot',
    options: [
      DOMAIN,
      SNAPSHOTNAME,
      current('revert to current snapshot'),
      flag('running', 'after reverting, change state to running'),
      flag('paused', 'after reverting, change state to paused'),
      flag('force', 'try harder on risky reverts'),
      flag('reset-nvram', 're-initialize NVRAM from its pristine template'),
    ],
    async run(ctx, opts) {
      let flags =
        (opts.bool('running') ? VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING : 0) |
        (opts.bool('paused') ? VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED : 0) |
        (opts.bool('reset-nvram') ? VIR_DOMAIN_SNAPSHOT_REVERT_RESET_NVRAM : 0);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const snap = await lookupSnapshot(ctx.conn, dom, opts, 'snapshotname', true);
      try {
        await ctx.conn.raw.domainRevertToSnapshot(snap, flags);
      } catch (err) {
        if (!(opts.bool('force') && err instanceof LibvirtError && err.errorCode === VIR_ERR_SNAPSHOT_REVERT_RISKY))
          throw vshFail(`Failed to revert snapshot ${snap.name}`, err);
        flags |= VIR_DOMAIN_SNAPSHOT_REVERT_FORCE;
        try {
          await ctx.conn.raw.domainRevertToSnapshot(snap, flags);
        } catch (err2) {
          throw vshFail(`Failed to revert snapshot ${snap.name}`, err2);
        }
      }
      if (!ctx.quiet) ctx.print(`Domain snapshot ${snap.name} reverted\n`);
    },
  },
];
