/**
 * snapshot-create: a snapshot from an XML file (or an empty
 * `<domainsnapshot/>`), with virsh's options and its way of creating one
 * (tools/virsh-snapshot.c cmdSnapshotCreate, virshSnapshotCreate): a retry
 * without --validate for a daemon that does not know it, and --halt
 * emulated (create, then destroy) where the daemon refuses the flag.
 */
import {
  VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT,
  VIR_DOMAIN_SNAPSHOT_CREATE_HALT,
  VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE,
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
import { DOMAIN, flag, strOpt, valueOpt } from '../support/options.js';
import { CREATE_FLAGS } from './snapshot.js';

/** snapshot-create's flags in virsh's order: option, flag, help. */
const FLAGS: readonly (readonly [string, number, string])[] = [
  ['redefine', VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE, 'redefine metadata for existing snapshot'],
  ['current', VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT, 'with redefine, set current snapshot'],
  ...CREATE_FLAGS,
  ['validate', VIR_DOMAIN_SNAPSHOT_CREATE_VALIDATE, 'validate the XML against the schema'],
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
