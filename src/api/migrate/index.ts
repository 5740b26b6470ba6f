/**
 * Domain migration as libvirt's client library drives it (src/libvirt-domain.c): the public
 * APIs `virDomainMigrate`, `virDomainMigrate2`, `virDomainMigrate3` (the client talks to both
 * daemons) and `virDomainMigrateToURI`, `virDomainMigrateToURI2`, `virDomainMigrateToURI3`
 * (one call to the source daemon, which migrates by itself). None of them is a procedure: they
 * are sequences of the internal migration procedures, chosen by what the daemons support
 * (CONNECT_SUPPORTS_FEATURE):
 *
 * - **Version 3** (both daemons support `MIGRATION_V3`): Begin3 on the source (its XML and a
 *   cookie), Prepare3 on the destination (it may choose the migration URI), Perform3 on the
 *   source, Finish3 on the destination (the new domain, or the failure), Confirm3 on the source
 *   (kill the source domain, or resume it when cancelled). Each step passes the previous one's
 *   cookie on. With `MIGRATION_PARAMS` on both daemons the `*Params` variants carry the
 *   parameters as typed parameters (`virDomainMigrate3` with extensible parameters).
 * - **Version 2** and **1**: older daemons (Prepare2/Perform/Finish2, Prepare/Perform/Finish).
 * - **Peer to peer** (`VIR_MIGRATE_PEER2PEER`, with `VIR_MIGRATE_TUNNELLED` for data through the
 *   daemons' own connection) and **direct**: one Perform call to the source daemon with the
 *   destination's URI (`dconnuri`); `virDomainMigrate` then looks the domain up on the
 *   destination.
 *
 * Errors raised before any call are those libvirt raises (same code, domain and message).
 *
 * @module
 *
 * The parts: ./common.ts (features, checks, flags), ./v3.ts (the five phases of version 3),
 * ./legacy.ts (versions 2 and 1), ./unmanaged.ts (peer to peer and direct), ./params.ts
 * (typed migration parameters); this module holds the public entry points.
 */
import {
  VIR_ERR_OPERATION_INVALID,
  VIR_FROM_DOMAIN,
  VIR_MIGRATE_PARAM_BANDWIDTH,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_DEST_XML,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PEER2PEER,
  VIR_MIGRATE_TUNNELLED,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain, RemoteTypedParam } from '../../procedures/remote.gen.js';
import type { CallOptions, ProcedureCaller } from '../../rpc/procedure.js';
import { invalidArgError, nullArgError, readOnlyError, reportedError, unsupportedError } from '../client-errors.js';
import { RawApi } from '../gen/raw.gen.js';
import {
  argUnsupported,
  bw,
  checkExclusive,
  checkOffline,
  isReadOnly,
  type MigrateRequest,
  type MigrateToUriRequest,
  MigrationFeature,
  type Source,
  source,
  stripChangeProtection,
  supports,
  uriOf,
} from './common.js';
import { migrateV1, migrateV2 } from './legacy.js';
import { COMPAT_V3, getString, getULLong, onlyParams, unmanagedParams } from './params.js';
import { migrateUnmanaged } from './unmanaged.js';
import { migrateV3 } from './v3.js';

export { MigrationFeature } from './common.js';
export type { MigrateBandwidth, MigrateRequest, MigrateToUriRequest } from './common.js';

/** Picks v3, v2 or v1 as libvirt does (the newest both daemons support) and runs it. */
async function migrateByVersion(
  api: string,
  src: Source,
  dst: RawApi,
  args: { xmlin: string | null; dname: string | null; uri: string | null; bandwidth: bigint },
  flags: number,
  options?: CallOptions,
): Promise<RemoteNonnullDomain> {
  const both = async (feature: number): Promise<boolean> => (await supports(src.raw, feature, options)) && (await supports(dst, feature, options));
  if (await both(MigrationFeature.MIGRATION_V3)) return await migrateV3(src, dst, { ...args, params: null }, flags, options);
  const noDxml = (): void => {
    if (args.xmlin !== null) throw argUnsupported('Unable to change target guest XML during migration');
  };
  if (await both(MigrationFeature.MIGRATION_V2)) {
    noDxml();
    return await migrateV2(src, dst, args, flags, options);
  }
  if (await both(MigrationFeature.MIGRATION_V1)) {
    noDxml();
    return await migrateV1(src, dst, args, flags, options);
  }
  throw unsupportedError(api);
}

/**
 * `virDomainMigrate` / `virDomainMigrate2`: migrates `dom` (on `srcConn`) to the daemon of
 * `dconn`, the client driving the two daemons (or, with VIR_MIGRATE_PEER2PEER, the source
 * daemon doing it), and resolves with the domain's reference on `dconn`.
 */
export async function migrateDomain(
  srcConn: ProcedureCaller,
  dom: RemoteNonnullDomain,
  dconn: ProcedureCaller,
  req: MigrateRequest,
  options?: CallOptions,
): Promise<RemoteNonnullDomain> {
  const { api } = req;
  let flags = req.flags;
  const dname = req.dname ?? null;
  const uri = req.uri ?? null;
  const dxml = req.dxml ?? null;
  const bandwidth = bw(req.bandwidth);
  if (isReadOnly(srcConn) || isReadOnly(dconn)) throw readOnlyError(api);
  checkExclusive(api, flags);
  const src = source(srcConn, dom);
  const dst = new RawApi(dconn);
  await checkOffline(src.raw, dst, flags, options);
  if (flags & VIR_MIGRATE_PEER2PEER) {
    if (!(await supports(src.raw, MigrationFeature.MIGRATION_P2P, options))) throw unsupportedError(api);
    // virDomainMigrate takes `uri` as the destination daemon's URI; virDomainMigrate2 as the migration URI.
    const dstUri = api === 'virDomainMigrate' && uri !== null ? uri : await uriOf(dconn, options);
    const miguri = api === 'virDomainMigrate' ? null : uri;
    await migrateUnmanaged(src, dstUri, unmanagedParams({ miguri, dname, xmlin: dxml, bandwidth }), flags, options);
    return await dst.domainLookupByName(dname ?? dom.name, options);
  }
  flags = await stripChangeProtection(src.raw, flags, options);
  if (flags & VIR_MIGRATE_TUNNELLED) {
    throw reportedError(VIR_ERR_OPERATION_INVALID, VIR_FROM_DOMAIN, 'cannot perform tunnelled migration without using peer2peer flag');
  }
  return await migrateByVersion(api, src, dst, { xmlin: dxml, dname, uri, bandwidth }, flags, options);
}

/**
 * `virDomainMigrate3`: like {@link migrateDomain} with migration parameters; the `*Params`
 * procedures when both daemons support them, else the fixed-argument sequences when the
 * parameters are only those they carry.
 */
export async function migrateDomain3(
  srcConn: ProcedureCaller,
  dom: RemoteNonnullDomain,
  dconn: ProcedureCaller,
  params: readonly RemoteTypedParam[],
  flagsIn: number,
  options?: CallOptions,
): Promise<RemoteNonnullDomain> {
  const api = 'virDomainMigrate3';
  let flags = flagsIn;
  if (isReadOnly(srcConn) || isReadOnly(dconn)) throw readOnlyError(api);
  checkExclusive(api, flags);
  if (flags & VIR_MIGRATE_PEER2PEER) throw invalidArgError(api, 'flags', 'use virDomainMigrateToURI3 for peer-to-peer migration');
  if (flags & VIR_MIGRATE_TUNNELLED) throw invalidArgError(api, 'flags', 'cannot perform tunnelled migration without using peer2peer flag');
  const src = source(srcConn, dom);
  const dst = new RawApi(dconn);
  await checkOffline(src.raw, dst, flags, options);
  flags = await stripChangeProtection(src.raw, flags, options);
  if ((await supports(src.raw, MigrationFeature.MIGRATION_PARAMS, options)) && (await supports(dst, MigrationFeature.MIGRATION_PARAMS, options))) {
    return await migrateV3(src, dst, { xmlin: null, dname: null, uri: null, bandwidth: 0n, params: [...params] }, flags, options);
  }
  if (!onlyParams(params, COMPAT_V3)) {
    throw argUnsupported('Migration APIs with extensible parameters are not supported but extended parameters were passed');
  }
  const args = {
    uri: getString(params, VIR_MIGRATE_PARAM_URI),
    dname: getString(params, VIR_MIGRATE_PARAM_DEST_NAME),
    xmlin: getString(params, VIR_MIGRATE_PARAM_DEST_XML),
    bandwidth: getULLong(params, VIR_MIGRATE_PARAM_BANDWIDTH),
  };
  return await migrateByVersion(api, src, dst, args, flags, options);
}

/**
 * `virDomainMigrateToURI`, `virDomainMigrateToURI2`, `virDomainMigrateToURI3`: one call to the
 * source daemon, which migrates peer to peer (VIR_MIGRATE_PEER2PEER, to `dconnuri`) or directly
 * (to the hypervisor URI `miguri`).
 */
export async function migrateDomainToUri(srcConn: ProcedureCaller, dom: RemoteNonnullDomain, req: MigrateToUriRequest, options?: CallOptions): Promise<void> {
  const { api, flags } = req;
  if (isReadOnly(srcConn)) throw readOnlyError(api);
  const src = source(srcConn, dom);
  let dconnuri = req.dconnuri ?? null;
  let miguri = req.miguri ?? null;
  if (api === 'virDomainMigrateToURI') {
    // `duri` is mandatory: the daemon's URI for peer to peer, the hypervisor's otherwise.
    if (dconnuri === null) throw nullArgError(api, 'duri');
  }
  // virDomainMigrateUnmanagedCheckCompat
  checkExclusive(api, flags);
  await checkOffline(src.raw, null, flags, options);
  if (flags & VIR_MIGRATE_PEER2PEER) {
    if (!(await supports(src.raw, MigrationFeature.MIGRATION_P2P, options))) throw argUnsupported('p2p migration is not supported by the source host');
  } else if (!(await supports(src.raw, MigrationFeature.MIGRATION_DIRECT, options))) {
    throw argUnsupported('direct migration is not supported by the source host');
  }
  if (api === 'virDomainMigrateToURI') {
    if (!(flags & VIR_MIGRATE_PEER2PEER)) {
      miguri = dconnuri;
      dconnuri = null;
    }
  } else if (flags & VIR_MIGRATE_PEER2PEER) {
    if (dconnuri === null) throw nullArgError(api, 'dconnuri');
  } else {
    dconnuri = null;
  }
  const params =
    api === 'virDomainMigrateToURI3'
      ? [...(req.params ?? [])]
      : unmanagedParams({ miguri, dname: req.dname ?? null, xmlin: req.dxml ?? null, bandwidth: bw(req.bandwidth) });
  await migrateUnmanaged(src, dconnuri, params, flags, options);
}
