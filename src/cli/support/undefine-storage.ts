/**
 * The storage volumes `undefine --storage` / `--remove-all-storage` remove
 * along with a domain, as virsh 9.0.0 finds and removes them
 * (tools/virsh-domain.c cmdUndefine):
 *
 * - before the domain is undefined, each `<disk>` of its XML with a source
 *   (`@file`, `@dir`, `@name`, `@dev` or `@volume`, the first there is) is a
 *   candidate, chosen by its target or source when `--storage` lists them;
 *   its volume is looked up by name in the disk's `@pool`, else by path; a
 *   disk whose volume libvirt does not manage is reported and left alone,
 *   and a listed name no disk matched fails the command;
 * - after the domain is undefined, each volume is wiped when asked, then
 *   deleted, each step reported; a failure is reported and the others go on,
 *   and the command then fails with the daemon's last error.
 */
import { parseXml, xmlAll, xmlFirst, type XmlElement } from '../../api/xml/reader.js';
import type { RemoteNonnullDomain, RemoteNonnullStorageVol } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { CliError, type CommandContext } from '../command.js';
import { silentFailure, VshFailure, vshFail } from './failures.js';
import { printExtra } from './format.js';
import { splitCommaList } from './options.js';

/** A volume to remove: the disk's target and source, as virsh names them in its messages. */
export interface UndefineVolume {
  readonly vol: RemoteNonnullStorageVol;
  readonly target: string;
  readonly source: string;
}

const SOURCE_ATTRS = new Set(['file', 'dir', 'name', 'dev', 'volume']);

/** XPath's `string(./source/@a|./source/@b...)`: the first such attribute in document order; null when none or empty (virXPathString). */
function sourceAttr(disk: XmlElement, names: ReadonlySet<string>): string | null {
  for (const source of xmlAll(disk, 'source')) {
    for (const [name, value] of Object.entries(source.attrs)) if (names.has(name)) return value || null;
  }
  return null;
}

function reportError(ctx: CommandContext, message: string): void {
  ctx.printError?.(`error: ${message}\n`);
}

/**
 * The volumes to remove with the domain (`names`: the `--storage` list;
 * `all`: `--remove-all-storage`), found before it is undefined.
 */
export async function undefineVolumes(
  ctx: CommandContext,
  dom: RemoteNonnullDomain,
  ask: { readonly running: boolean; readonly names: string | undefined; readonly all: boolean },
): Promise<UndefineVolume[]> {
  if (ask.running) throw new CliError(['Storage volume deletion is supported only on stopped domains']);
  if (ask.names !== undefined && ask.all) throw new CliError(['Specified both --storage and --remove-all-storage']);
  let doc: XmlElement;
  try {
    doc = parseXml(await ctx.conn.raw.domainGetXMLDesc(dom, 0));
  } catch (err) {
    if (err instanceof LibvirtError) throw vshFail('Failed to get domain description xml', err);
    throw new CliError(['Failed to parse domain description xml'], { cause: err });
  }
  // The listed names still unmatched (null once a disk matched).
  const wanted: (string | null)[] | null = ask.names !== undefined ? splitCommaList(ask.names) : null;
  const found: UndefineVolume[] = [];
  for (const disk of xmlAll(doc, 'devices/disk')) {
    const target = xmlFirst(disk, 'target')?.attrs.dev ?? '';
    const source = sourceAttr(disk, SOURCE_ATTRS);
    if (source === null) continue;
    const pool = sourceAttr(disk, new Set(['pool']));
    if (wanted) {
      const i = wanted.findIndex((w) => w !== null && (w === target || w === source));
      if (i < 0) continue;
      wanted[i] = null;
    }
    let vol: RemoteNonnullStorageVol;
    try {
      if (pool !== null) {
        let p: Awaited<ReturnType<typeof ctx.conn.raw.storagePoolLookupByName>>;
        try {
          p = await ctx.conn.raw.storagePoolLookupByName(pool);
        } catch (err) {
          if (!(err instanceof LibvirtError)) throw err;
          reportError(ctx, `Storage pool '${pool}' for volume '${target}' not found.`);
          continue;
        }
        vol = await ctx.conn.raw.storageVolLookupByName(p, source);
      } else {
        vol = await ctx.conn.raw.storageVolLookupByPath(source);
      }
    } catch (err) {
      if (!(err instanceof LibvirtError)) throw err;
      reportError(ctx, `Storage volume '${target}'(${source}) is not managed by libvirt. Remove it manually.\n`);
      continue;
    }
    found.push({ vol, target, source });
  }
  const missing = (wanted ?? []).filter((w): w is string => w !== null);
  for (const name of missing) reportError(ctx, `Volume '${name}' was not found in domain's definition.\n`);
  if (missing.length) throw silentFailure();
  return found;
}

/** Wipes (when asked) and deletes the volumes with virsh's messages, after the domain is undefined. */
export async function removeVolumes(
  ctx: CommandContext,
  volumes: readonly UndefineVolume[],
  how: { readonly wipe: boolean; readonly flags: number },
): Promise<void> {
  let last: unknown = null;
  let failed = false;
  for (const { vol, target, source } of volumes) {
    if (how.wipe) {
      printExtra(ctx, `Wiping volume '${target}'(${source}) ... `);
      try {
        await ctx.conn.raw.storageVolWipe(vol, 0);
      } catch (err) {
        if (!(err instanceof LibvirtError)) throw err;
        reportError(ctx, 'Failed! Volume not removed.');
        [last, failed] = [err, true];
        continue;
      }
      printExtra(ctx, 'Done.\n');
    }
    try {
      await ctx.conn.raw.storageVolDelete(vol, how.flags);
    } catch (err) {
      if (!(err instanceof LibvirtError)) throw err;
      reportError(ctx, `Failed to remove storage volume '${target}'(${source})`);
      [last, failed] = [err, true];
      continue;
    }
    printExtra(ctx, `Volume '${target}'(${source}) removed.\n`);
  }
  if (failed) throw new VshFailure([], last instanceof Error ? last.message : null, { cause: last });
}
