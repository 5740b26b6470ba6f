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
 */
import {
  VIR_DOMAIN_PAUSED,
  VIR_DOMAIN_XML_MIGRATABLE,
  VIR_DOMAIN_XML_SECURE,
  VIR_DOMAIN_XML_UPDATE_CPU,
  VIR_ERR_ARGUMENT_UNSUPPORTED,
  VIR_ERR_INTERNAL_ERROR,
  VIR_ERR_MIGRATE_FINISH_OK,
  VIR_ERR_OPERATION_FAILED,
  VIR_ERR_OPERATION_INVALID,
  VIR_FROM_DOMAIN,
  VIR_FROM_QEMU,
  VIR_MIGRATE_ABORT_ON_ERROR,
  VIR_MIGRATE_AUTO_CONVERGE,
  VIR_MIGRATE_CHANGE_PROTECTION,
  VIR_MIGRATE_NON_SHARED_DISK,
  VIR_MIGRATE_NON_SHARED_INC,
  VIR_MIGRATE_OFFLINE,
  VIR_MIGRATE_PARAM_BANDWIDTH,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_DEST_XML,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PAUSED,
  VIR_MIGRATE_PEER2PEER,
  VIR_MIGRATE_TUNNELLED,
} from '../procedures/libvirt-api.gen.js';
import { RawApi } from './gen/raw.gen.js';
import type { RemoteNonnullDomain, RemoteTypedParam } from '../procedures/remote.gen.js';
import { LibvirtError } from '../rpc/errors.js';
import type { CallOptions, ProcedureCaller } from '../rpc/procedure.js';
import { invalidArgError, nullArgError, readOnlyError, reportedError, unsupportedError } from './client-errors.js';

/**
 * The driver features migration asks the daemons about (`virDrvFeature` in libvirt's
 * src/libvirt_internal.h; see also {@link DriverFeature}).
 */
export const MigrationFeature = {
  /** Prepare/Perform/Finish. */
  MIGRATION_V1: 1,
  /** Prepare2/Perform/Finish2. */
  MIGRATION_V2: 3,
  /** Peer-to-peer migration (the source daemon talks to the destination). */
  MIGRATION_P2P: 4,
  /** Direct migration (the hypervisors talk to each other, no destination daemon). */
  MIGRATION_DIRECT: 5,
  /** Begin3/Prepare3/Perform3/Finish3/Confirm3. */
  MIGRATION_V3: 6,
  /** The whole v3 migration is protected against configuration changes (`VIR_MIGRATE_CHANGE_PROTECTION`). */
  MIGRATE_CHANGE_PROTECTION: 7,
  /** `VIR_DOMAIN_XML_MIGRATABLE` is understood. */
  XML_MIGRATABLE: 11,
  /** `VIR_MIGRATE_OFFLINE`. */
  MIGRATION_OFFLINE: 12,
  /** The `*Params` procedures with typed parameters. */
  MIGRATION_PARAMS: 13,
} as const;

/** A migration bandwidth in MiB/s. */
export type MigrateBandwidth = number | bigint;

/** The arguments of `virDomainMigrate` / `virDomainMigrate2` ({@link migrateDomain}). */
export interface MigrateRequest {
  /** The public API whose behaviour to follow. */
  readonly api: 'virDomainMigrate' | 'virDomainMigrate2';
  /** `virDomainMigrateFlags`. */
  readonly flags: number;
  /** `virDomainMigrate2` only: the XML to start the domain with on the destination. */
  readonly dxml?: string | null;
  /** Rename the domain to this on the destination. */
  readonly dname?: string | null;
  /** The destination's migration URI as seen from the source (hypervisor specific). */
  readonly uri?: string | null;
  /** Bandwidth limit in MiB/s (0: none). */
  readonly bandwidth?: MigrateBandwidth;
}

/** The arguments of the `virDomainMigrateToURI*` APIs ({@link migrateDomainToUri}). */
export interface MigrateToUriRequest {
  /** The public API whose behaviour to follow. */
  readonly api: 'virDomainMigrateToURI' | 'virDomainMigrateToURI2' | 'virDomainMigrateToURI3';
  /** `virDomainMigrateFlags`. */
  readonly flags: number;
  /** The destination daemon's URI (peer to peer). */
  readonly dconnuri?: string | null;
  /** The hypervisor's migration URI. */
  readonly miguri?: string | null;
  /** The XML to start the domain with on the destination. */
  readonly dxml?: string | null;
  /** Rename the domain to this on the destination. */
  readonly dname?: string | null;
  /** Bandwidth limit in MiB/s (0: none). */
  readonly bandwidth?: MigrateBandwidth;
  /** `virDomainMigrateToURI3` only: the migration parameters. */
  readonly params?: readonly RemoteTypedParam[];
}

/** A domain's reference and the connection it belongs to. */
interface Source {
  readonly caller: ProcedureCaller;
  readonly raw: RawApi;
  readonly dom: RemoteNonnullDomain;
}

const isReadOnly = (c: ProcedureCaller): boolean => (c as { readOnly?: unknown }).readOnly === true;

/** Asks a daemon whether it supports a driver feature; a failed query counts as "no", as in libvirt. */
async function supports(raw: RawApi, feature: number, options?: CallOptions): Promise<boolean> {
  try {
    return (await raw.connectSupportsFeature(feature, options)) > 0;
  } catch (err) {
    if (err instanceof LibvirtError) return false;
    throw err;
  }
}

function stringParam(field: string, s: string): RemoteTypedParam {
  return { field, value: { type: 7, s } };
}

function getString(params: readonly RemoteTypedParam[], field: string): string | null {
  const p = params.find((x) => x.field === field);
  return p && p.value.type === 7 ? p.value.s : null;
}

function getULLong(params: readonly RemoteTypedParam[], field: string): bigint {
  const p = params.find((x) => x.field === field);
  if (!p) return 0n;
  switch (p.value.type) {
    case 4:
      return p.value.ul;
    case 3:
      return p.value.l;
    case 1:
      return BigInt(p.value.i);
    case 2:
      return BigInt(p.value.ui);
    default:
      return 0n;
  }
}

/** `virTypedParamsReplaceString`: sets `field` to `s`, replacing an existing parameter of that name. */
function replaceString(params: RemoteTypedParam[], field: string, s: string): void {
  const i = params.findIndex((p) => p.field === field);
  if (i >= 0) params[i] = stringParam(field, s);
  else params.push(stringParam(field, s));
}

/** True when every parameter is one of `allowed` (`virTypedParamsCheck`). */
function onlyParams(params: readonly RemoteTypedParam[], allowed: readonly string[]): boolean {
  return params.every((p) => allowed.includes(p.field));
}

/** The flags both procedures families expect: `uhyper` for the old ones. */
const wide = (n: number): bigint => BigInt(n >>> 0);
const bw = (b: MigrateBandwidth | undefined): bigint => (b === undefined ? 0n : typeof b === 'bigint' ? b : BigInt(b));

/** VIR_EXCLUSIVE_FLAGS: NON_SHARED_DISK and NON_SHARED_INC together. */
function checkExclusive(api: string, flags: number): void {
  if (flags & VIR_MIGRATE_NON_SHARED_DISK && flags & VIR_MIGRATE_NON_SHARED_INC) {
    throw invalidArgError(api, 'ctl', "Flags 'VIR_MIGRATE_NON_SHARED_DISK' and 'VIR_MIGRATE_NON_SHARED_INC' are mutually exclusive");
  }
}

const argUnsupported = (message: string): LibvirtError => reportedError(VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_FROM_DOMAIN, message);

async function checkOffline(src: RawApi, dst: RawApi | null, flags: number, options?: CallOptions): Promise<void> {
  if (!(flags & VIR_MIGRATE_OFFLINE)) return;
  if (!(await supports(src, MigrationFeature.MIGRATION_OFFLINE, options))) {
    throw argUnsupported('offline migration is not supported by the source host');
  }
  if (dst && !(await supports(dst, MigrationFeature.MIGRATION_OFFLINE, options))) {
    throw argUnsupported('offline migration is not supported by the destination host');
  }
}

/** Strips VIR_MIGRATE_CHANGE_PROTECTION (v3 adds it back for the source), after checking the source honours it. */
async function stripChangeProtection(src: RawApi, flags: number, options?: CallOptions): Promise<number> {
  if (flags & VIR_MIGRATE_CHANGE_PROTECTION && !(await supports(src, MigrationFeature.MIGRATE_CHANGE_PROTECTION, options))) {
    throw argUnsupported('cannot enforce change protection');
  }
  return flags & ~VIR_MIGRATE_CHANGE_PROTECTION;
}

const destFlags = (flags: number): number => flags & ~(VIR_MIGRATE_ABORT_ON_ERROR | VIR_MIGRATE_AUTO_CONVERGE);

/** The domain's state, or null when it cannot be had (libvirt then just does not add VIR_MIGRATE_PAUSED). */
async function stateOf(src: Source, useGetState: boolean, options?: CallOptions): Promise<number | null> {
  try {
    return useGetState ? (await src.raw.domainGetState(src.dom, 0, options)).state : (await src.raw.domainGetInfo(src.dom, options)).state;
  } catch (err) {
    if (err instanceof LibvirtError) return null;
    throw err;
  }
}

/** The outcome of a step that may fail without ending the sequence. */
type Step<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function step<T>(p: Promise<T>): Promise<Step<T>> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    if (!(error instanceof LibvirtError)) throw error;
    return { ok: false, error };
  }
}

const NO_COOKIE = new Uint8Array(0);

/**
 * The v3 sequence (virDomainMigrateVersion3Full): Begin3, Prepare3, Perform3, Finish3,
 * Confirm3, or their `*Params` variants when `params` is given.
 */
async function migrateV3(
  src: Source,
  dst: RawApi,
  args: { xmlin: string | null; dname: string | null; uri: string | null; bandwidth: bigint; params: RemoteTypedParam[] | null },
  flagsIn: number,
  options?: CallOptions,
): Promise<RemoteNonnullDomain> {
  let flags = flagsIn;
  const params = args.params ? args.params.map((p) => ({ ...p })) : null;
  const protection = (await supports(src.raw, MigrationFeature.MIGRATE_CHANGE_PROTECTION, options)) ? VIR_MIGRATE_CHANGE_PROTECTION : 0;

  const begin = params
    ? await src.raw.domainMigrateBegin3Params(src.dom, params, (flags | protection) >>> 0, options)
    : await src.raw.domainMigrateBegin3(src.dom, args.xmlin, wide(flags | protection), args.dname, args.bandwidth, options);
  let cookie = begin.cookie_out;

  // A source new enough for extensible parameters has virDomainGetState; older ones get GetInfo.
  if ((await stateOf(src, params !== null, options)) === VIR_DOMAIN_PAUSED) flags |= VIR_MIGRATE_PAUSED;
  const dflags = destFlags(flags);

  let origErr: unknown = null;
  let cancelled = 1;
  let notifySource = true;
  let uri = args.uri;
  let ddomain: RemoteNonnullDomain | null = null;

  if (params) replaceString(params, VIR_MIGRATE_PARAM_DEST_XML, begin.xml);
  const prepared = await step(
    params
      ? dst.domainMigratePrepare3Params(params, cookie, dflags >>> 0, options)
      : dst.domainMigratePrepare3(cookie, uri, wide(dflags), args.dname, args.bandwidth, begin.xml, options),
  );
  cookie = NO_COOKIE;
  let skipToConfirm = false;
  let performIt = true;
  if (!prepared.ok) {
    // Begin started a migration job on the source only with change protection: cancel it.
    if (!protection) throw prepared.error;
    origErr = prepared.error;
    skipToConfirm = true;
  } else {
    cookie = prepared.value.cookie_out;
    const uriOut = prepared.value.uri_out;
    if (uriOut !== null) {
      uri = uriOut;
      if (params) replaceString(params, VIR_MIGRATE_PARAM_URI, uriOut);
    } else if (uri === null && (params === null || getString(params, VIR_MIGRATE_PARAM_URI) === null)) {
      origErr = reportedError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_DOMAIN, 'domainMigratePrepare3 did not set uri');
      performIt = false;
    }
    if (performIt && flags & VIR_MIGRATE_OFFLINE) {
      // Offline migration: no Perform phase.
      cookie = NO_COOKIE;
      cancelled = 0;
      performIt = false;
    }
    if (performIt) {
      // dconnuri is for peer-to-peer only: null here.
      const performed = await step(
        params
          ? src.raw.domainMigratePerform3Params(src.dom, null, params, cookie, (flags | protection) >>> 0, options)
          : src.raw.domainMigratePerform3(src.dom, null, cookie, null, uri, wide(flags | protection), args.dname, args.bandwidth, options),
      );
      if (performed.ok) {
        cookie = performed.value;
        cancelled = 0;
      } else {
        // The source knows it failed: no Confirm.
        cookie = NO_COOKIE;
        origErr = performed.error;
        notifySource = false;
        cancelled = 1;
      }
    }
  }

  if (!skipToConfirm) {
    let finished: Step<{ dom: RemoteNonnullDomain; cookie_out: Uint8Array }>;
    if (params) {
      if (getString(params, VIR_MIGRATE_PARAM_DEST_NAME) === null) replaceString(params, VIR_MIGRATE_PARAM_DEST_NAME, src.dom.name);
      finished = await step(dst.domainMigrateFinish3Params(params, cookie, dflags >>> 0, cancelled, options));
    } else {
      finished = await step(dst.domainMigrateFinish3(args.dname ?? src.dom.name, cookie, null, uri, wide(dflags), cancelled, options));
    }
    cookie = NO_COOKIE;
    let finishErr: unknown = null;
    if (finished.ok) {
      ddomain = finished.value.dom;
      cookie = finished.value.cookie_out;
    } else {
      finishErr = finished.error;
      // A QEMU failure in Perform is better explained by the destination's own error, unless
      // that is the "finish ok" placeholder (as libvirt does).
      if (
        cancelled &&
        origErr instanceof LibvirtError &&
        origErr.domain === VIR_FROM_QEMU &&
        origErr.errorCode === VIR_ERR_OPERATION_FAILED &&
        finishErr instanceof LibvirtError &&
        finishErr.domain === VIR_FROM_QEMU &&
        finishErr.errorCode !== VIR_ERR_MIGRATE_FINISH_OK
      ) {
        origErr = null;
      }
    }
    cancelled = ddomain === null ? 1 : 0;
    origErr ??= finishErr;
  }

  if (notifySource) {
    // Kills the source domain, or resumes it when cancelled; a failure leaves it paused at worst.
    await step(
      params
        ? src.raw.domainMigrateConfirm3Params(src.dom, params, cookie, (flags | protection) >>> 0, cancelled, options)
        : src.raw.domainMigrateConfirm3(src.dom, cookie, wide(flags | protection), cancelled, options),
    );
  }
  // Like libvirt, a domain the destination did start is the result, whatever failed before.
  if (ddomain !== null) return ddomain;
  throw origErr ?? reportedError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_DOMAIN, 'migration failed');
}

/** The v2 sequence (virDomainMigrateVersion2): GetXMLDesc, Prepare2, Perform, Finish2. */
async function migrateV2(
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
    const performed = await step(
      src.raw.domainMigratePerform(src.dom, prepared.cookie, uri ?? '', wide(flags), args.dname, args.bandwidth, options),
    );
    if (!performed.ok) origErr = performed.error;
    cancelled = performed.ok ? 0 : 1;
  }
  // The source's outcome goes to the destination, which cleans up when it failed.
  const finished = await step(
    dst.domainMigrateFinish2(args.dname ?? src.dom.name, prepared.cookie, uri ?? '', wide(dflags), cancelled, options),
  );
  if (finished.ok) return finished.value;
  throw origErr ?? finished.error;
}

/** The v1 sequence (virDomainMigrateVersion1): Prepare, Perform, Finish. */
async function migrateV1(
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

/** Picks v3, v2 or v1 as libvirt does (the newest both daemons support) and runs it. */
async function migrateByVersion(
  api: string,
  src: Source,
  dst: RawApi,
  args: { xmlin: string | null; dname: string | null; uri: string | null; bandwidth: bigint },
  flags: number,
  options?: CallOptions,
): Promise<RemoteNonnullDomain> {
  const both = async (feature: number): Promise<boolean> =>
    (await supports(src.raw, feature, options)) && (await supports(dst, feature, options));
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

const COMPAT_V3 = [VIR_MIGRATE_PARAM_URI, VIR_MIGRATE_PARAM_DEST_NAME, VIR_MIGRATE_PARAM_DEST_XML, VIR_MIGRATE_PARAM_BANDWIDTH];
const COMPAT_V2 = [VIR_MIGRATE_PARAM_DEST_NAME, VIR_MIGRATE_PARAM_BANDWIDTH, VIR_MIGRATE_PARAM_URI];

/**
 * Peer-to-peer or direct migration (virDomainMigrateUnmanagedParams): one Perform call to the
 * source, Perform3Params when the source supports parameters (peer to peer only), else Perform3,
 * else the version 2 Perform.
 */
async function migrateUnmanaged(
  src: Source,
  dconnuri: string | null,
  params: readonly RemoteTypedParam[],
  flags: number,
  options?: CallOptions,
): Promise<void> {
  if (flags & VIR_MIGRATE_PEER2PEER && (await supports(src.raw, MigrationFeature.MIGRATION_PARAMS, options))) {
    await src.raw.domainMigratePerform3Params(src.dom, dconnuri, [...params], NO_COOKIE, flags >>> 0, options);
    return;
  }
  const miguri = getString(params, VIR_MIGRATE_PARAM_URI);
  const dname = getString(params, VIR_MIGRATE_PARAM_DEST_NAME);
  const bandwidth = getULLong(params, VIR_MIGRATE_PARAM_BANDWIDTH);
  if (await supports(src.raw, MigrationFeature.MIGRATION_V3, options)) {
    if (!onlyParams(params, COMPAT_V3)) throw reportedError(VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_FROM_DOMAIN, 'Some parameters are not supported by migration protocol 3');
    const xmlin = getString(params, VIR_MIGRATE_PARAM_DEST_XML);
    await src.raw.domainMigratePerform3(src.dom, xmlin, NO_COOKIE, dconnuri, miguri, wide(flags), dname, bandwidth, options);
    return;
  }
  if (!onlyParams(params, COMPAT_V2)) throw reportedError(VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_FROM_DOMAIN, 'Some parameters are not supported by migration protocol 2');
  let uri: string | null;
  if (flags & VIR_MIGRATE_PEER2PEER) {
    if (miguri !== null) throw reportedError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_DOMAIN, 'Unable to override peer2peer migration URI');
    uri = dconnuri;
  } else {
    uri = miguri;
  }
  await src.raw.domainMigratePerform(src.dom, NO_COOKIE, uri ?? '', wide(flags), dname, bandwidth, options);
}

/** virDomainMigrateUnmanaged: the fixed arguments as parameters. */
function unmanagedParams(a: { miguri: string | null; dname: string | null; xmlin: string | null; bandwidth: bigint }): RemoteTypedParam[] {
  const params: RemoteTypedParam[] = [];
  if (a.miguri !== null) params.push(stringParam(VIR_MIGRATE_PARAM_URI, a.miguri));
  if (a.dname !== null) params.push(stringParam(VIR_MIGRATE_PARAM_DEST_NAME, a.dname));
  if (a.xmlin !== null) params.push(stringParam(VIR_MIGRATE_PARAM_DEST_XML, a.xmlin));
  params.push({ field: VIR_MIGRATE_PARAM_BANDWIDTH, value: { type: 4, ul: a.bandwidth } });
  return params;
}

/** The URI of a connection as libvirt's `virConnectGetURI` gives it (the client knows it). */
async function uriOf(caller: ProcedureCaller, options?: CallOptions): Promise<string> {
  const known = (caller as { uri?: unknown }).uri;
  if (typeof known === 'string' && known !== '') return known;
  return await new RawApi(caller).connectGetURI(options);
}

function source(caller: ProcedureCaller, dom: RemoteNonnullDomain): Source {
  return { caller, raw: new RawApi(caller), dom };
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
export async function migrateDomainToUri(
  srcConn: ProcedureCaller,
  dom: RemoteNonnullDomain,
  req: MigrateToUriRequest,
  options?: CallOptions,
): Promise<void> {
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
