/**
 * Migration protocol version 3 (src/libvirt-domain.c, virDomainMigrateVersion3Full, read for
 * the facts), as five phases, each a function whose result says what the next one is told:
 *
 * 1. **Begin** on the source: its XML for the destination and a cookie; the flags settled
 *    (VIR_MIGRATE_PAUSED added for a paused domain, change protection when the source offers it).
 * 2. **Prepare** on the destination: it may choose the migration URI.
 * 3. **Perform** on the source: the data moves. Skipped for an offline migration and when
 *    nobody set a migration URI. Together with Prepare this ends in one {@link Performed}
 *    outcome.
 * 4. **Finish** on the destination, told whether the migration was cancelled: the new domain,
 *    or the failure (skipped when Prepare failed: the destination has nothing to finish).
 * 5. **Confirm** on the source, told whether the migration was cancelled: it kills its domain,
 *    or resumes it (skipped when Perform failed: the source knows already).
 *
 * Each phase passes its cookie on. With `params` the `*Params` variants carry everything as
 * typed parameters (virDomainMigrate3 with extensible parameters).
 *
 * @module
 */
import {
  VIR_DOMAIN_PAUSED,
  VIR_ERR_INTERNAL_ERROR,
  VIR_ERR_MIGRATE_FINISH_OK,
  VIR_ERR_OPERATION_FAILED,
  VIR_FROM_DOMAIN,
  VIR_FROM_QEMU,
  VIR_MIGRATE_CHANGE_PROTECTION,
  VIR_MIGRATE_OFFLINE,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_DEST_XML,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PAUSED,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain, RemoteTypedParam } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import type { CallOptions } from '../../rpc/procedure.js';
import { reportedError } from '../client-errors.js';
import type { RawApi } from '../gen/raw.gen.js';
import { destFlags, MigrationFeature, NO_COOKIE, type Source, type Step, stateOf, step, supports, wide } from './common.js';
import { getString, replaceString } from './params.js';

/** The fixed arguments of the v3 procedures, or `params` for the `*Params` variants. */
export interface V3Args {
  readonly xmlin: string | null;
  readonly dname: string | null;
  readonly uri: string | null;
  readonly bandwidth: bigint;
  readonly params: RemoteTypedParam[] | null;
}

/** What Begin settled, used by every later phase. */
interface Begun {
  readonly src: Source;
  readonly dst: RawApi;
  readonly args: V3Args;
  /** A copy of the caller's parameters, updated as the phases learn the XML, URI and name. */
  readonly params: RemoteTypedParam[] | null;
  /** The source's flags (with VIR_MIGRATE_PAUSED for a paused domain), before change protection. */
  readonly flags: number;
  /** VIR_MIGRATE_CHANGE_PROTECTION when the source offers it, else 0: added to every source call. */
  readonly protection: number;
  /** The source's domain XML for the destination. */
  readonly xml: string;
  readonly cookie: Uint8Array;
  readonly options: CallOptions | undefined;
}

/**
 * How Prepare and Perform ended: what Finish and Confirm are told. `cancelled` outcomes make
 * the destination clean up; `error` is the failure reported if no domain comes out.
 */
type Performed =
  /** Prepare failed (only survivable with change protection: the source's job is cancelled by Confirm alone). */
  | { readonly outcome: 'prepare-failed'; readonly error: unknown }
  /** Neither the caller nor Prepare set a migration URI: nothing to perform; cancelled. */
  | { readonly outcome: 'no-uri'; readonly uri: null; readonly cookie: Uint8Array; readonly error: LibvirtError }
  /** Offline migration: Prepare defined the domain, there is no data to move. */
  | { readonly outcome: 'offline'; readonly uri: string | null }
  /** Perform succeeded: its cookie goes to Finish. */
  | { readonly outcome: 'performed'; readonly uri: string | null; readonly cookie: Uint8Array }
  /** Perform failed: cancelled, and the source is not asked to Confirm. */
  | { readonly outcome: 'perform-failed'; readonly uri: string | null; readonly error: unknown };

/** How Finish ended: the domain on the destination (or null) and the cookie for Confirm. */
interface Finished {
  readonly domain: RemoteNonnullDomain | null;
  readonly cookie: Uint8Array;
  readonly error: unknown;
}

/** The v3 sequence: Begin3, Prepare3, Perform3, Finish3, Confirm3 (or their `*Params` variants when `args.params` is given). */
export async function migrateV3(src: Source, dst: RawApi, args: V3Args, flags: number, options?: CallOptions): Promise<RemoteNonnullDomain> {
  const begun = await begin(src, dst, args, flags, options);
  const performed = await prepareAndPerform(begun);
  if (performed.outcome === 'prepare-failed') {
    // Begin started a migration job on the source only with change protection: cancel it.
    if (!begun.protection) throw performed.error;
    await confirm(begun, NO_COOKIE, true);
    throw performed.error;
  }
  const finished = await finish(begun, performed);
  if (performed.outcome !== 'perform-failed') await confirm(begun, finished.cookie, finished.domain === null);
  // Like libvirt, a domain the destination did start is the result, whatever failed before.
  if (finished.domain !== null) return finished.domain;
  throw finished.error ?? reportedError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_DOMAIN, 'migration failed');
}

/** Phase 1: Begin3 on the source; the flags settled. */
async function begin(src: Source, dst: RawApi, args: V3Args, flagsIn: number, options: CallOptions | undefined): Promise<Begun> {
  const params = args.params ? args.params.map((p) => ({ ...p })) : null;
  const protection = (await supports(src.raw, MigrationFeature.MIGRATE_CHANGE_PROTECTION, options)) ? VIR_MIGRATE_CHANGE_PROTECTION : 0;
  const begun = params
    ? await src.raw.domainMigrateBegin3Params(src.dom, params, (flagsIn | protection) >>> 0, options)
    : await src.raw.domainMigrateBegin3(src.dom, args.xmlin, wide(flagsIn | protection), args.dname, args.bandwidth, options);
  let flags = flagsIn;
  // A source new enough for extensible parameters has virDomainGetState; older ones get GetInfo.
  if ((await stateOf(src, params !== null, options)) === VIR_DOMAIN_PAUSED) flags |= VIR_MIGRATE_PAUSED;
  return { src, dst, args, params, flags, protection, xml: begun.xml, cookie: begun.cookie_out, options };
}

/** Phases 2 and 3: Prepare3 on the destination, then (unless there is nothing to move) Perform3 on the source. */
async function prepareAndPerform(b: Begun): Promise<Performed> {
  const { src, dst, args, params, options } = b;
  const dflags = destFlags(b.flags);
  if (params) replaceString(params, VIR_MIGRATE_PARAM_DEST_XML, b.xml);
  const prepared = await step(
    params
      ? dst.domainMigratePrepare3Params(params, b.cookie, dflags >>> 0, options)
      : dst.domainMigratePrepare3(b.cookie, args.uri, wide(dflags), args.dname, args.bandwidth, b.xml, options),
  );
  if (!prepared.ok) return { outcome: 'prepare-failed', error: prepared.error };

  let uri = args.uri;
  const uriOut = prepared.value.uri_out;
  if (uriOut !== null) {
    uri = uriOut;
    if (params) replaceString(params, VIR_MIGRATE_PARAM_URI, uriOut);
  } else if (uri === null && (params === null || getString(params, VIR_MIGRATE_PARAM_URI) === null)) {
    return {
      outcome: 'no-uri',
      uri: null,
      cookie: prepared.value.cookie_out,
      error: reportedError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_DOMAIN, 'domainMigratePrepare3 did not set uri'),
    };
  }
  if (b.flags & VIR_MIGRATE_OFFLINE) return { outcome: 'offline', uri };

  // dconnuri is for peer-to-peer only: null here.
  const cookie = prepared.value.cookie_out;
  const sflags = b.flags | b.protection;
  const performed = await step(
    params
      ? src.raw.domainMigratePerform3Params(src.dom, null, params, cookie, sflags >>> 0, options)
      : src.raw.domainMigratePerform3(src.dom, null, cookie, null, uri, wide(sflags), args.dname, args.bandwidth, options),
  );
  return performed.ok ? { outcome: 'performed', uri, cookie: performed.value } : { outcome: 'perform-failed', uri, error: performed.error };
}

/** Phase 4: Finish3 on the destination, told whether the migration was cancelled. */
async function finish(b: Begun, performed: Exclude<Performed, { outcome: 'prepare-failed' }>): Promise<Finished> {
  const { src, dst, args, params, options } = b;
  const dflags = destFlags(b.flags);
  const cancelled = performed.outcome === 'no-uri' || performed.outcome === 'perform-failed';
  const cookie = performed.outcome === 'performed' || performed.outcome === 'no-uri' ? performed.cookie : NO_COOKIE;
  let finished: Step<{ dom: RemoteNonnullDomain; cookie_out: Uint8Array }>;
  if (params) {
    if (getString(params, VIR_MIGRATE_PARAM_DEST_NAME) === null) replaceString(params, VIR_MIGRATE_PARAM_DEST_NAME, src.dom.name);
    finished = await step(dst.domainMigrateFinish3Params(params, cookie, dflags >>> 0, cancelled ? 1 : 0, options));
  } else {
    finished = await step(dst.domainMigrateFinish3(args.dname ?? src.dom.name, cookie, null, performed.uri, wide(dflags), cancelled ? 1 : 0, options));
  }
  const performError = 'error' in performed ? performed.error : null;
  if (finished.ok) return { domain: finished.value.dom, cookie: finished.value.cookie_out, error: performError };
  return { domain: null, cookie: NO_COOKIE, error: betterError(cancelled, performError, finished.error) };
}

/**
 * The error to report when Finish failed too: a QEMU failure in Perform is better explained by
 * the destination's own QEMU error, unless that is the "finish ok" placeholder (as libvirt does).
 */
function betterError(cancelled: boolean, performError: unknown, finishError: unknown): unknown {
  if (
    cancelled &&
    performError instanceof LibvirtError &&
    performError.domain === VIR_FROM_QEMU &&
    performError.errorCode === VIR_ERR_OPERATION_FAILED &&
    finishError instanceof LibvirtError &&
    finishError.domain === VIR_FROM_QEMU &&
    finishError.errorCode !== VIR_ERR_MIGRATE_FINISH_OK
  ) {
    return finishError;
  }
  return performError ?? finishError;
}

/** Phase 5: Confirm3 on the source: kills its domain, or resumes it when cancelled; a failure leaves it paused at worst. */
async function confirm(b: Begun, cookie: Uint8Array, cancelled: boolean): Promise<void> {
  const { src, params, options } = b;
  const sflags = b.flags | b.protection;
  await step(
    params
      ? src.raw.domainMigrateConfirm3Params(src.dom, params, cookie, sflags >>> 0, cancelled ? 1 : 0, options)
      : src.raw.domainMigrateConfirm3(src.dom, cookie, wide(sflags), cancelled ? 1 : 0, options),
  );
}
