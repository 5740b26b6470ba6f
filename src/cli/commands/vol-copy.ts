/**
 * vol-clone, vol-create-from and vol-resize: volumes made from another volume, or resized
 * (tools/virsh-volume.c cmdVolClone, cmdVolCreateFrom, cmdVolResize).
 */
import type { Connection } from '../../api/connection.js';
import { xmlChildren } from '../../api/xml/reader.js';
import {
  VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA,
  VIR_STORAGE_VOL_CREATE_REFLINK,
  VIR_STORAGE_VOL_CREATE_VALIDATE,
  VIR_STORAGE_VOL_RESIZE_ALLOCATE,
  VIR_STORAGE_VOL_RESIZE_DELTA,
  VIR_STORAGE_VOL_RESIZE_SHRINK,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullStoragePool } from '../../procedures/remote.gen.js';
import { CliError, type CommandSpec } from '../command.js';
import { vshFail } from '../support/failures.js';
import { lookupPoolBy, lookupVol, volOf } from '../support/lookup.js';
import { flag, POOL, VOL, VOL_POOL, valueOpt } from '../support/options.js';
import { parseXmlTree, serializeXmlNode } from '../support/xml.js';
import { volSize } from './storage-as.js';

const VOL_GROUP = 'Storage Volume';
const findPool = (conn: Connection, text: string): Promise<RemoteNonnullStoragePool> => lookupPoolBy(conn, text, { uuid: true, name: true });

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

/** vol-clone, vol-create-from and vol-resize (tools/virsh-volume.c). */
export const volCopyCommands: readonly CommandSpec[] = [
  {
    name: 'vol-clone',
    group: VOL_GROUP,
    help: 'clone a volume.',
    description: 'Clone an existing volume within the parent pool.',
    options: [
      VOL,
      valueOpt('newname', 'string', 'clone name', { required: true }),
      VOL_POOL,
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
      VOL_POOL,
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
      const capacity = volSize(text);
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
