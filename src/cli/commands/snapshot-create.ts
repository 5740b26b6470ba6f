/**
 * snapshot-create and snapshot-create-as: a snapshot from an XML file (or an
 * empty `<domainsnapshot/>`), or from options (name, description, `--memspec`,
 * `--diskspec`), with virsh's options and its way of creating one
 * (tools/virsh-snapshot.c cmdSnapshotCreate, cmdSnapshotCreateAs,
 * virshSnapshotCreate): a retry without --validate for a daemon that does not
 * know it, and --halt emulated (create, then destroy) where the daemon
 * refuses the flag.
 */
import {
  VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC,
  VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT,
  VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY,
  VIR_DOMAIN_SNAPSHOT_CREATE_HALT,
  VIR_DOMAIN_SNAPSHOT_CREATE_LIVE,
  VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA,
  VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE,
  VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE,
  VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT,
  VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE,
  VIR_ERR_INVALID_ARG,
  VIR_ERR_NO_SUPPORT,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain, RemoteNonnullDomainSnapshot } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { CliError, type CommandContext, type CommandSpec } from '../command.js';
import { call, daemonError } from '../support/failures.js';
import { printExtra } from '../support/format.js';
import { lookupDomain } from '../support/lookup.js';
import { argvOpt, DOMAIN, flag, splitCommaList, strOpt, valueOpt } from '../support/options.js';
import { escapeXml, xmlAttrText, XmlBuffer } from '../support/xml.js';

/** The flags snapshot-create and snapshot-create-as share, in virsh's order: option, flag, help. */
const CREATE_FLAGS: readonly (readonly [string, number, string])[] = [
  ['no-metadata', VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA, 'take snapshot but create no metadata'],
  ['halt', VIR_DOMAIN_SNAPSHOT_CREATE_HALT, 'halt domain after snapshot is created'],
  ['disk-only', VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY, 'capture disk state but not vm state'],
  ['reuse-external', VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT, 'reuse any existing external files'],
  ['quiesce', VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE, "quiesce guest's file systems"],
  ['atomic', VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC, 'require atomic operation'],
  ['live', VIR_DOMAIN_SNAPSHOT_CREATE_LIVE, 'take a live snapshot'],
];
const VALIDATE_FLAG = ['validate', VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE, 'validate the XML against the schema'] as const;

/** snapshot-create's flags in virsh's order: option, flag, help. */
const FLAGS: readonly (readonly [string, number, string])[] = [
  ['redefine', VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE, 'redefine metadata for existing snapshot'],
  ['current', VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT, 'with redefine, set current snapshot'],
  ...CREATE_FLAGS,
  VALIDATE_FLAG,
];

const errorCode = (err: unknown): number | null => (err instanceof LibvirtError ? err.errorCode : null);

/**
 * Creates a snapshot as virshSnapshotCreate does and prints virsh's line
 * (`Domain snapshot NAME created[ from 'FILE']`, left out with -q).
 */
export async function createSnapshot(ctx: CommandContext, dom: RemoteNonnullDomain, xml: string, flagsIn: number, from: string | null): Promise<void> {
  const raw = ctx.conn.raw;
  let flags = flagsIn;
  const create = (): Promise<RemoteNonnullDomainSnapshot> => raw.domainSnapshotCreateXML(dom, xml, flags);
  let halt = false;
  let snap: RemoteNonnullDomainSnapshot;
  try {
    try {
      snap = await create();
    } catch (err) {
      // A daemon that does not know --validate: again without it (only for the built-in XML).
      if (errorCode(err) !== VIR_ERR_NO_SUPPORT || from !== null) throw err;
      flags &= ~VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE;
      snap = await create();
    }
  } catch (err) {
    // --halt refused as an invalid flag: create without it, then destroy the domain (a persistent one only).
    if (errorCode(err) !== VIR_ERR_INVALID_ARG || !(flags & VIR_DOMAIN_SNAPSHOT_CREATE_HALT)) throw daemonError(err);
    if (!(await call(() => raw.domainIsPersistent(dom)))) throw new CliError(['cannot halt after snapshot of transient domain']);
    halt = (await raw.domainIsActive(dom).catch(() => 0)) === 1;
    flags &= ~VIR_DOMAIN_SNAPSHOT_CREATE_HALT;
    snap = await call(create);
  }
  if (halt) await call(() => raw.domainDestroy(dom));
  printExtra(ctx, from !== null ? `Domain snapshot ${snap.name} created from '${from}'` : `Domain snapshot ${snap.name} created`);
}

/** The command. */
export const snapshotCreateCommand: CommandSpec = {
  description: 'Create a snapshot (disk and RAM) from XML',
  name: 'snapshot-create',
  group: 'Snapshot',
  help: 'Create a snapshot from XML',
  options: [DOMAIN, valueOpt('xmlfile', 'string', 'domain snapshot XML'), ...FLAGS.map(([name, , help]) => flag(name, help))],
  async run(ctx, opts) {
    const flags = FLAGS.reduce((f, [name, bit]) => (opts.bool(name) ? f | bit : f), 0);
    const dom = await lookupDomain(ctx.conn, opts.required('domain'));
    const from = strOpt(opts, 'xmlfile') ?? null;
    // virFileReadAll's failure is reported as libvirt's error alone.
    const xml = from === null ? '<domainsnapshot/>' : await ctx.readFile(from);
    await createSnapshot(ctx, dom, xml, flags, from);
  },
};

/**
 * `--memspec [file=]NAME[,snapshot=TYPE]` as virshParseSnapshotMemspec reads it: a comma list
 * (`,,` a comma) of `snapshot=`, `file=` or a path starting with `/`, each at most once.
 */
function memspecXml(text: string): string {
  let snapshot: string | undefined;
  let file: string | undefined;
  for (const item of splitCommaList(text)) {
    if (snapshot === undefined && item.startsWith('snapshot=')) snapshot = item.slice('snapshot='.length);
    else if (file === undefined && item.startsWith('file=')) file = item.slice('file='.length);
    else if (file === undefined && item.startsWith('/')) file = item;
    else throw new CliError([`unable to parse memspec: ${text}`]);
  }
  return `<memory${xmlAttrText('snapshot', snapshot)}${xmlAttrText('file', file)}/>\n`;
}

/**
 * One `--diskspec DISK[,snapshot=TYPE][,driver=TYPE][,stype=TYPE][,file=NAME]` as
 * virshParseSnapshotDiskspec writes it into `buf`: the disk's name and file escaped, the other
 * values as given; `stype=block` makes the file a `dev`.
 */
function addDiskspec(buf: XmlBuffer, text: string): void {
  const [name, ...rest] = splitCommaList(text);
  const v: Record<'snapshot' | 'driver' | 'stype' | 'file', string | undefined> = { snapshot: undefined, driver: undefined, stype: undefined, file: undefined };
  const fail = (): CliError => new CliError([`unable to parse diskspec: ${text}`]);
  for (const item of rest) {
    const key = (['snapshot', 'driver', 'stype', 'file'] as const).find((k) => v[k] === undefined && item.startsWith(`${k}=`));
    if (key === undefined) throw fail();
    v[key] = item.slice(key.length + 1);
  }
  // An empty spec has no name at all (g_strsplit gives no token), and virBufferEscapeString writes nothing for it.
  let open = text === '' ? '' : `<disk name='${escapeXml(name)}'`;
  if (v.snapshot !== undefined) open += ` snapshot='${v.snapshot}'`;
  if (v.stype !== undefined) {
    if (v.stype !== 'block' && v.stype !== 'file') throw new CliError([`Unknown storage type: '${v.stype}'`, `unable to parse diskspec: ${text}`]);
    open += ` type='${v.stype}'`;
  }
  if (v.driver === undefined && v.file === undefined) {
    buf.add(`${open}/>\n`);
    return;
  }
  buf.add(`${open}>\n`);
  const inner = buf.child();
  if (v.driver !== undefined) inner.add(`<driver type='${v.driver}'/>\n`);
  if (v.file !== undefined) inner.add(`<source ${v.stype === 'block' ? 'dev' : 'file'}='${escapeXml(v.file)}'/>\n`);
  buf.text += inner.text;
  buf.add('</disk>\n');
}

/** snapshot-create-as (cmdSnapshotCreateAs): the snapshot XML built from the options, printed with `--print-xml`. */
export const snapshotCreateAsCommand: CommandSpec = {
  name: 'snapshot-create-as',
  group: 'Snapshot',
  help: 'Create a snapshot from a set of args',
  description: 'Create a snapshot (disk and RAM) from arguments',
  options: [
    DOMAIN,
    valueOpt('name', 'string', 'name of snapshot'),
    valueOpt('description', 'string', 'description of snapshot'),
    flag('print-xml', 'print XML document rather than create'),
    ...[...CREATE_FLAGS, VALIDATE_FLAG].map(([name, , help]) => flag(name, help)),
    valueOpt('memspec', 'string', 'memory attributes: [file=]name[,snapshot=type]', { named: true }),
    argvOpt('diskspec', 'disk attributes: disk[,snapshot=type][,driver=type][,stype=type][,file=name]'),
  ],
  async run(ctx, opts) {
    const flags = [...CREATE_FLAGS, VALIDATE_FLAG].reduce((f, [name, bit]) => (opts.bool(name) ? f | bit : f), 0);
    const dom = await lookupDomain(ctx.conn, opts.required('domain'));
    const name = strOpt(opts, 'name');
    const desc = strOpt(opts, 'description');
    const buf = new XmlBuffer();
    buf.add('<domainsnapshot>\n');
    const body = buf.child();
    if (name !== undefined) body.add(`<name>${escapeXml(name)}</name>\n`);
    if (desc !== undefined) body.add(`<description>${escapeXml(desc)}</description>\n`);
    const memspec = strOpt(opts, 'memspec');
    if (memspec !== undefined) body.add(memspecXml(memspec));
    if (opts.bool('diskspec')) {
      body.add('<disks>\n');
      const disks = body.child();
      for (const spec of opts.list('diskspec')) addDiskspec(disks, spec);
      body.text += disks.text;
      body.add('</disks>\n');
    }
    buf.text += body.text;
    buf.add('</domainsnapshot>\n');
    if (opts.bool('print-xml')) {
      ctx.print(`${buf.text}\n`);
      return;
    }
    await createSnapshot(ctx, dom, buf.text, flags, null);
  },
};
