/**
 * The migration sequences of daemons without version 3 (src/libvirt-domain.c,
 * virDomainMigrateVersion2 and virDomainMigrateVersion1).
 */
import {
  VIR_DOMAIN_PAUSED,
  VIR_DOMAIN_XML_MIGRATABLE,
  VIR_DOMAIN_XML_SECURE,
  VIR_DOMAIN_XML_UPDATE_CPU,
  VIR_ERR_INTERNAL_ERROR,
  VIR_FROM_DOMAIN,
  VIR_MIGRATE_PAUSED,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import type { CallOptions } from '../../rpc/procedure.js';
import { reportedError } from '../client-errors.js';
import type { RawApi } from '../gen/raw.gen.js';
import { destFlags, MigrationFeature, type Source, stateOf, step, supports, wide } from './common.js';

/** The v2 sequence (virDomainMigrateVersion2): GetXMLDesc, Prepare2, Perform, Finish2. */
export async function migrateV2(
  src: Source,
  dst: RawApi,
  args: { dname: string | null; uri: string | null; bandwidth: bigint },
  flagsIn: number,
  options?: CallOptions,
): Promise<RemoteNonnullDomain> {
  let flags = flagsIn;
  const xmlFlags = (await supports(src.raw, MigrationFeature.XML_MIGRATABLE, options))
    ? VIR_DOMAIN_XML_MIGRATABLE
    : VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_UPDATE_CPU;
  const domXml = await src.raw.domainGetXMLDesc(src.dom, xmlFlags, options);
  if ((await stateOf(src, false, options)) === VIR_DOMAIN_PAUSED) flags |= VIR_MIGRATE_PAUSED;
  const dflags = destFlags(flags);
  const prepared = await dst.domainMigratePrepare2(args.uri, wide(dflags), args.dname, args.bandwidth, domXml, options);
  let uri = args.uri;
  let origErr: unknown = null;
  let cancelled: number;
  if (uri === null && prepared.uri_out === null) {
    origErr = reportedError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_DOMAIN, 'domainMigratePrepare2 did not set uri');
    cancelled = 1;
  } else {
    uri = prepared.uri_out ?? uri;
    const performed = await step(src.raw.domainMigratePerform(src.dom, prepared.cookie, uri ?? '', wide(flags), args.dname, args.bandwidth, options));
    if (!performed.ok) origErr = performed.error;
    cancelled = performed.ok ? 0 : 1;
  }
  // The source's outcome goes to the destination, which cleans up when it failed.
  const finished = await step(dst.domainMigrateFinish2(args.dname ?? src.dom.name, prepared.cookie, uri ?? '', wide(dflags), cancelled, options));
  if (finished.ok) return finished.value;
  throw origErr ?? finished.error;
}

/** The v1 sequence (virDomainMigrateVersion1): Prepare, Perform, Finish. */
export async function migrateV1(
  src: Source,
  dst: RawApi,
  args: { dname: string | null; uri: string | null; bandwidth: bigint },
  flagsIn: number,
  options?: CallOptions,
): Promise<RemoteNonnullDomain> {
  let flags = flagsIn;
  if ((await stateOf(src, false, options)) === VIR_DOMAIN_PAUSED) flags |= VIR_MIGRATE_PAUSED;
  const dflags = destFlags(flags);
  const prepared = await dst.domainMigratePrepare(args.uri, wide(dflags), args.dname, args.bandwidth, options);
  if (args.uri === null && prepared.uri_out === null) {
    throw reportedError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_DOMAIN, 'domainMigratePrepare did not set uri');
  }
  const uri = prepared.uri_out ?? args.uri ?? '';
  await src.raw.domainMigratePerform(src.dom, prepared.cookie, uri, wide(flags), args.dname, args.bandwidth, options);
  return await dst.domainMigrateFinish(args.dname ?? src.dom.name, prepared.cookie, uri, wide(dflags), options);
}
