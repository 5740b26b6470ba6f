/** Checkpoint commands, with virsh's output (tools/virsh-checkpoint.c). */
import type { Connection } from '../../api/connection.js';
import {
  VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE,
  VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE,
  VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE,
  VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN,
  VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY,
  VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY,
  VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS,
  VIR_DOMAIN_CHECKPOINT_LIST_LEAVES,
  VIR_DOMAIN_CHECKPOINT_LIST_NO_LEAVES,
  VIR_DOMAIN_CHECKPOINT_LIST_ROOTS,
  VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL,
  VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN,
  VIR_DOMAIN_CHECKPOINT_XML_SECURE,
  VIR_DOMAIN_CHECKPOINT_XML_SIZE,
  VIR_ERR_NO_DOMAIN_CHECKPOINT,
  VIR_ERR_NO_SUPPORT,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain, RemoteNonnullDomainCheckpoint } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { parseXml, xmlFirst, xmlText } from '../../api/xml/reader.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec, type OptionSpec } from '../command.js';
import { daemonError, call, vshFail } from '../support/failures.js';
import { flag, valueOpt, argvOpt, DOMAIN, exclusive, strOpt } from '../support/options.js';
import { escapeXml } from '../support/xml.js';
import { xpathOption, printXml } from '../support/xpath.js';
import { field, caseOrder, localTime, printExtra } from '../support/format.js';
import { formatTable } from '../support/table.js';
import { lookupDomain } from '../support/lookup.js';
import { printJson, wantsJson } from '../support/json-output.js';

const GROUP = 'Checkpoint';
const CHECKPOINTNAME: OptionSpec = valueOpt('checkpointname', 'string', 'checkpoint name');

/** The checkpoint `--checkpointname` (or `--from`) names, as virshLookupCheckpoint finds it. */
async function lookupCheckpoint(conn: Connection, dom: RemoteNonnullDomain, opts: ParsedOptions, arg: string): Promise<RemoteNonnullDomainCheckpoint> {
  const name = strOpt(opts, arg);
  if (name === undefined) throw new CliError([`--${arg} is required`]);
  return await call(() => conn.raw.domainCheckpointLookupByName(dom, name, 0));
}

/**
 * The parent's name, or null for a root (virshGetCheckpointParent); when
 * that cannot be told, the daemon's error and virsh's line after it.
 */
async function checkpointParent(conn: Connection, chk: RemoteNonnullDomainCheckpoint): Promise<string | null> {
  try {
    return (await conn.raw.domainCheckpointGetParent(chk, 0)).name;
  } catch (err) {
    if (err instanceof LibvirtError && err.errorCode === VIR_ERR_NO_DOMAIN_CHECKPOINT) return null;
    throw new CliError([err instanceof Error ? err.message : String(err), 'unable to determine if checkpoint has parent'], { cause: err });
  }
}

/** One item of a tree listing: its name and its parent's (null for a root). */
export interface TreeItem {
  readonly name: string;
  readonly parent: string | null;
}

/**
 * virsh's tree listing (vshTreePrint) of `items[root]` and its descendants:
 * `+- ` before each child, `|` continuing the lines of siblings still to
 * come, and a line of indentation after the last leaf of a branch.
 */
export function treeListing(items: readonly TreeItem[], root: number): string {
  let out = '';
  let indent = '';
  const visit = (id: number, lastSibling: number, isRoot: boolean): void => {
    const name = items[id].name;
    out += `${indent}${isRoot ? '' : '+- '}${name}\n`;
    if (!isRoot) indent += `${id === lastSibling ? ' ' : '|'} `;
    const children = items.flatMap((it, i) => (it.parent === name ? [i] : []));
    const lastChild = children.length ? children[children.length - 1] : -1;
    if (lastChild !== -1) out += `${indent}  |\n`;
    indent += '  ';
    for (const c of children) visit(c, lastChild, false);
    if (indent.endsWith('  ')) indent = indent.slice(0, -2);
    if (lastChild === -1 && id === lastSibling) out += `${indent}\n`;
    if (!isRoot) indent = indent.slice(0, -2);
  };
  visit(root, root, true);
  return out;
}

/** The checkpoints checkpoint-list shows (virshCheckpointListCollect), sorted by name unless topological. */
async function collect(
  conn: Connection,
  dom: RemoteNonnullDomain,
  from: RemoteNonnullDomainCheckpoint | null,
  flags: number,
  tree: boolean,
): Promise<{ chk: RemoteNonnullDomainCheckpoint; parent: string | null }[]> {
  const raw = conn.raw;
  const chks = await call(
    async () =>
      from ? (await raw.domainCheckpointListAllChildren(from, 1, flags)).checkpoints : (await raw.domainListAllCheckpoints(dom, 1, flags)).checkpoints,
    'unexpected problem querying checkpoints',
  );
  const items: { chk: RemoteNonnullDomainCheckpoint; parent: string | null }[] = [];
  for (const chk of chks) items.push({ chk, parent: tree ? await checkpointParent(conn, chk) : null });
  // With --from and --tree, the starting checkpoint is listed too, as the root.
  if (from && tree) items.push({ chk: from, parent: null });
  if (!(flags & VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL)) items.sort((a, b) => caseOrder(a.chk.name, b.chk.name));
  return items;
}

/** The `<disk/>` of one `--diskspec disk[,checkpoint=type][,bitmap=name]` (virshParseCheckpointDiskspec). */
function diskspecXml(spec: string): string {
  // Commas split the fields; a doubled comma is a comma (vshStringToArray).
  const parts: string[] = [];
  let joinNext = false;
  spec.split(',').forEach((p, i) => {
    if (i === 0) parts.push(p);
    else if (joinNext) {
      parts[parts.length - 1] += `,${p}`;
      joinNext = false;
    } else if (p === '') joinNext = true;
    else parts.push(p);
  });
  if (joinNext) parts.push('');
  let checkpoint: string | undefined;
  let bitmap: string | undefined;
  for (const p of parts.slice(1)) {
    if (checkpoint === undefined && p.startsWith('checkpoint=')) checkpoint = p.slice('checkpoint='.length);
    else if (bitmap === undefined && p.startsWith('bitmap=')) bitmap = p.slice('bitmap='.length);
    else throw new CliError([`unable to parse diskspec: ${spec}`]);
  }
  return `<disk name='${escapeXml(parts[0])}'${checkpoint !== undefined ? ` checkpoint='${checkpoint}'` : ''}${bitmap !== undefined ? ` bitmap='${bitmap}'` : ''}/>\n`;
}

/** Creates the checkpoint and says so as virshCheckpointCreate does (no newline: virsh's closing one ends the line). */
async function create(ctx: CommandContext, dom: RemoteNonnullDomain, xml: string, flags: number, from: string | undefined): Promise<void> {
  const chk = await call(() => ctx.conn.raw.domainCheckpointCreateXML(dom, xml, flags));
  printExtra(ctx, from !== undefined ? `Domain checkpoint ${chk.name} created from '${from}'` : `Domain checkpoint ${chk.name} created`);
}

/** The commands of this group. */
export const checkpointCommands: readonly CommandSpec[] = [
  {
    name: 'checkpoint-create',
    group: GROUP,
    help: 'Create a checkpoint from XML',
    description: 'Create a checkpoint from XML for use in future incremental backups',
    options: [
      DOMAIN,
      valueOpt('xmlfile', 'string', 'domain checkpoint XML'),
      flag('redefine', 'redefine metadata for existing checkpoint'),
      flag('redefine-validate', 'validate the redefined checkpoint'),
      flag('quiesce', "quiesce guest's file systems"),
    ],
    async run(ctx, opts) {
      if (opts.bool('redefine-validate') && !opts.bool('redefine')) throw new CliError(['Option --redefine is required by option --redefine-validate']);
      const flags =
        (opts.bool('redefine') ? VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE : 0) |
        (opts.bool('redefine-validate') ? VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE_VALIDATE : 0) |
        (opts.bool('quiesce') ? VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE : 0);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const from = strOpt(opts, 'xmlfile');
      const xml = from === undefined ? '<domaincheckpoint/>' : await ctx.readFile(from);
      await create(ctx, dom, xml, flags, from);
    },
  },
  {
    name: 'checkpoint-create-as',
    group: GROUP,
    help: 'Create a checkpoint from a set of args',
    description: 'Create a checkpoint from arguments for use in future incremental backups',
    options: [
      DOMAIN,
      valueOpt('name', 'string', 'name of checkpoint'),
      valueOpt('description', 'string', 'description of checkpoint'),
      flag('print-xml', 'print XML document rather than create'),
      flag('quiesce', "quiesce guest's file systems"),
      argvOpt('diskspec', 'disk attributes: disk[,checkpoint=type][,bitmap=name]'),
    ],
    async run(ctx, opts) {
      const flags = opts.bool('quiesce') ? VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE : 0;
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const name = strOpt(opts, 'name');
      const desc = strOpt(opts, 'description');
      let xml = '<domaincheckpoint>\n';
      if (name !== undefined) xml += `  <name>${escapeXml(name)}</name>\n`;
      if (desc !== undefined) xml += `  <description>${escapeXml(desc)}</description>\n`;
      const specs = opts.list('diskspec');
      if (specs.length) xml += `  <disks>\n${specs.map((s) => `    ${diskspecXml(s)}`).join('')}  </disks>\n`;
      xml += '</domaincheckpoint>\n';
      if (opts.bool('print-xml')) {
        ctx.print(`${xml}\n`);
        return;
      }
      await create(ctx, dom, xml, flags, undefined);
    },
  },
  {
    name: 'checkpoint-delete',
    group: GROUP,
    help: 'Delete a domain checkpoint',
    description: 'Checkpoint Delete',
    options: [
      DOMAIN,
      CHECKPOINTNAME,
      flag('children', 'delete checkpoint and all children'),
      flag('children-only', 'delete children but not checkpoint'),
      flag('metadata', 'delete only libvirt metadata, leaving checkpoint contents behind'),
    ],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const chk = await lookupCheckpoint(ctx.conn, dom, opts, 'checkpointname');
      const flags =
        (opts.bool('children') ? VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN : 0) |
        (opts.bool('children-only') ? VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY : 0) |
        (opts.bool('metadata') ? VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY : 0);
      try {
        await ctx.conn.raw.domainCheckpointDelete(chk, flags);
      } catch (err) {
        throw vshFail(`Failed to delete checkpoint ${chk.name}`, err);
      }
      printExtra(ctx, `Domain checkpoint ${chk.name} ${flags & VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY ? 'children deleted' : 'deleted'}\n`);
    },
  },
  {
    name: 'checkpoint-dumpxml',
    group: GROUP,
    help: 'Dump XML for a domain checkpoint',
    description: 'Checkpoint Dump XML',
    options: [
      DOMAIN,
      CHECKPOINTNAME,
      flag('security-info', 'include security sensitive information in XML dump'),
      flag('no-domain', 'exclude <domain> from XML'),
      flag('size', 'include backup size estimate in XML dump'),
      valueOpt('xpath', 'string', 'xpath expression to filter the XML document', { named: true }),
      flag('wrap', 'wrap xpath results in an common root element'),
    ],
    async run(ctx, opts) {
      const flags =
        (opts.bool('security-info') ? VIR_DOMAIN_CHECKPOINT_XML_SECURE : 0) |
        (opts.bool('no-domain') ? VIR_DOMAIN_CHECKPOINT_XML_NO_DOMAIN : 0) |
        (opts.bool('size') ? VIR_DOMAIN_CHECKPOINT_XML_SIZE : 0);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const xpath = xpathOption(opts);
      const chk = await lookupCheckpoint(ctx.conn, dom, opts, 'checkpointname');
      printXml(ctx, await call(() => ctx.conn.raw.domainCheckpointGetXMLDesc(chk, flags)), xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'checkpoint-info',
    group: GROUP,
    help: 'checkpoint information',
    description: 'Returns basic information about a checkpoint.',
    options: [DOMAIN, CHECKPOINTNAME],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const chk = await lookupCheckpoint(ctx.conn, dom, opts, 'checkpointname');
      const raw = ctx.conn.raw;
      ctx.print(field('Name:', chk.name));
      ctx.print(field('Domain:', dom.name));
      let parent: string | null;
      try {
        parent = await checkpointParent(ctx.conn, chk);
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        throw new CliError([...err.lines, 'unexpected problem querying checkpoint state'], { cause: err.cause });
      }
      ctx.print(field('Parent:', parent ?? '-'));
      let children: number;
      try {
        children = (await raw.domainCheckpointListAllChildren(chk, 0, 0)).ret;
      } catch (err) {
        // A daemon that cannot count children ends the listing there, successfully.
        if (err instanceof LibvirtError && err.errorCode === VIR_ERR_NO_SUPPORT) return;
        throw daemonError(err);
      }
      ctx.print(field('Children:', children));
      const descendants = await call(async () => (await raw.domainCheckpointListAllChildren(chk, 0, VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS)).ret);
      ctx.print(field('Descendants:', descendants));
    },
  },
  {
    name: 'checkpoint-list',
    group: GROUP,
    help: 'List checkpoints for a domain',
    description: 'Checkpoint List',
    options: [
      DOMAIN,
      flag('parent', 'add a column showing parent checkpoint'),
      flag('roots', 'list only checkpoints without parents'),
      flag('leaves', 'list only checkpoints without children'),
      flag('no-leaves', 'list only checkpoints that are not leaves (with children)'),
      flag('tree', 'list checkpoints in a tree'),
      valueOpt('from', 'string', 'limit list to children of given checkpoint'),
      flag('descendants', 'with --from, list all descendants'),
      flag('name', 'list checkpoint names only'),
      flag('topological', 'sort list topologically rather than by name'),
    ],
    extensions: ['json'],
    async run(ctx, opts) {
      const json = wantsJson(opts);
      const tree = opts.bool('tree') && !json;
      exclusive(opts, ['tree', 'name'], ['parent', 'roots'], ['parent', 'tree'], ['roots', 'tree'], ['roots', 'from']);
      let flags = 0;
      for (const [name, bit] of [
        ['leaves', VIR_DOMAIN_CHECKPOINT_LIST_LEAVES],
        ['no-leaves', VIR_DOMAIN_CHECKPOINT_LIST_NO_LEAVES],
      ] as const) {
        if (!opts.bool(name)) continue;
        if (tree) throw new CliError([`--${name} and --tree are mutually exclusive`]);
        flags |= bit;
      }
      if (opts.bool('topological')) flags |= VIR_DOMAIN_CHECKPOINT_LIST_TOPOLOGICAL;
      if (opts.bool('roots')) flags |= VIR_DOMAIN_CHECKPOINT_LIST_ROOTS;
      if (opts.bool('descendants')) {
        if (!opts.bool('from')) throw new CliError(['--descendants requires --from']);
        flags |= VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS;
      }
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const start = opts.bool('from') ? await lookupCheckpoint(ctx.conn, dom, opts, 'from') : null;
      const items = await collect(ctx.conn, dom, start, flags, tree);
      if (tree) {
        const named = items.map((it) => ({ name: it.chk.name, parent: it.parent }));
        named.forEach((it, i) => {
          if (it.parent === null) ctx.print(treeListing(named, i));
        });
        return;
      }
      if (opts.bool('name') && !json) {
        ctx.print(items.map((it) => `${it.chk.name}\n`).join(''));
        return;
      }
      const withParent = opts.bool('parent');
      const rows: string[][] = [];
      const records: { name: string; creation_time: number; parent: string | null }[] = [];
      for (const { chk } of items) {
        // virsh leaves out a checkpoint whose XML it cannot get or read.
        let doc: ReturnType<typeof parseXml>;
        try {
          doc = parseXml(await ctx.conn.raw.domainCheckpointGetXMLDesc(chk, 0));
        } catch {
          continue;
        }
        const created = xmlFirst(doc, 'creationTime');
        if (!created || !/^\s*[+-]?\d+\s*$/.test(xmlText(created))) continue;
        const row = [chk.name, localTime(Number(xmlText(created)), true)];
        const parent = xmlFirst(doc, 'parent/name');
        if (withParent) row.push(parent ? xmlText(parent) : '');
        rows.push(row);
        records.push({ name: chk.name, creation_time: Number(xmlText(created)), parent: parent ? xmlText(parent) : null });
      }
      if (json) {
        printJson(ctx, records);
        return;
      }
      ctx.print(formatTable(withParent ? ['Name', 'Creation Time', 'Parent'] : ['Name', 'Creation Time'], rows, ctx.quiet));
    },
  },
  {
    name: 'checkpoint-parent',
    group: GROUP,
    help: 'Get the name of the parent of a checkpoint',
    description: "Extract the checkpoint's parent, if any",
    options: [DOMAIN, { ...CHECKPOINTNAME, help: 'find parent of checkpoint name' }],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const chk = await lookupCheckpoint(ctx.conn, dom, opts, 'checkpointname');
      const parent = await checkpointParent(ctx.conn, chk);
      if (parent === null) throw new CliError([`checkpoint '${chk.name}' has no parent`]);
      // Left to virsh's closing newline.
      ctx.print(parent);
    },
  },
];
