/**
 * What every migration sequence shares: the driver features asked of the
 * daemons, the checks libvirt makes before any call (src/libvirt-domain.c),
 * the flags each side gets, and the step runner of a sequence that goes on
 * after a failure.
 */
import {
  VIR_ERR_ARGUMENT_UNSUPPORTED,
  VIR_FROM_DOMAIN,
  VIR_MIGRATE_ABORT_ON_ERROR,
  VIR_MIGRATE_AUTO_CONVERGE,
  VIR_MIGRATE_CHANGE_PROTECTION,
  VIR_MIGRATE_NON_SHARED_DISK,
  VIR_MIGRATE_NON_SHARED_INC,
  VIR_MIGRATE_OFFLINE,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain, RemoteTypedParam } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import type { CallOptions, ProcedureCaller } from '../../rpc/procedure.js';
import { invalidArgError, reportedError } from '../client-errors.js';
import { RawApi } from '../gen/raw.gen.js';

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

/** The arguments of `virDomainMigrate` / `virDomainMigrate2` (`migrateDomain`). */
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

/** The arguments of the `virDomainMigrateToURI*` APIs (`migrateDomainToUri`). */
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
export interface Source {
  readonly caller: ProcedureCaller;
  readonly raw: RawApi;
  readonly dom: RemoteNonnullDomain;
}

/** Whether the connection was opened read-only. */
export const isReadOnly = (c: ProcedureCaller): boolean => (c as { readOnly?: unknown }).readOnly === true;

/** Asks a daemon whether it supports a driver feature; a failed query counts as "no", as in libvirt. */
export async function supports(raw: RawApi, feature: number, options?: CallOptions): Promise<boolean> {
  try {
    return (await raw.connectSupportsFeature(feature, options)) > 0;
  } catch (err) {
    if (err instanceof LibvirtError) return false;
    throw err;
  }
}

/** The flags both procedures families expect: `uhyper` for the old ones. */
export const wide = (n: number): bigint => BigInt(n >>> 0);
/** A bandwidth as the wire's unsigned long (0: none). */
export const bw = (b: MigrateBandwidth | undefined): bigint => (b === undefined ? 0n : typeof b === 'bigint' ? b : BigInt(b));

/** VIR_EXCLUSIVE_FLAGS: NON_SHARED_DISK and NON_SHARED_INC together. */
export function checkExclusive(api: string, flags: number): void {
  if (flags & VIR_MIGRATE_NON_SHARED_DISK && flags & VIR_MIGRATE_NON_SHARED_INC) {
    throw invalidArgError(api, 'ctl', "Flags 'VIR_MIGRATE_NON_SHARED_DISK' and 'VIR_MIGRATE_NON_SHARED_INC' are mutually exclusive");
  }
}

/** VIR_ERR_ARGUMENT_UNSUPPORTED from the domain layer, as libvirt reports it. */
export const argUnsupported = (message: string): LibvirtError => reportedError(VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_FROM_DOMAIN, message);

/** With VIR_MIGRATE_OFFLINE: both hosts (the source only for the ToURI APIs) must support it. */
export async function checkOffline(src: RawApi, dst: RawApi | null, flags: number, options?: CallOptions): Promise<void> {
  if (!(flags & VIR_MIGRATE_OFFLINE)) return;
  if (!(await supports(src, MigrationFeature.MIGRATION_OFFLINE, options))) {
    throw argUnsupported('offline migration is not supported by the source host');
  }
  if (dst && !(await supports(dst, MigrationFeature.MIGRATION_OFFLINE, options))) {
    throw argUnsupported('offline migration is not supported by the destination host');
  }
}

/** Strips VIR_MIGRATE_CHANGE_PROTECTION (v3 adds it back for the source), after checking the source honours it. */
export async function stripChangeProtection(src: RawApi, flags: number, options?: CallOptions): Promise<number> {
  if (flags & VIR_MIGRATE_CHANGE_PROTECTION && !(await supports(src, MigrationFeature.MIGRATE_CHANGE_PROTECTION, options))) {
    throw argUnsupported('cannot enforce change protection');
  }
  return flags & ~VIR_MIGRATE_CHANGE_PROTECTION;
}

/** The flags the destination gets: without the source-only ABORT_ON_ERROR and AUTO_CONVERGE. */
export const destFlags = (flags: number): number => flags & ~(VIR_MIGRATE_ABORT_ON_ERROR | VIR_MIGRATE_AUTO_CONVERGE);

/** The domain's state, or null when it cannot be had (libvirt then just does not add VIR_MIGRATE_PAUSED). */
export async function stateOf(src: Source, useGetState: boolean, options?: CallOptions): Promise<number | null> {
  try {
    return useGetState ? (await src.raw.domainGetState(src.dom, 0, options)).state : (await src.raw.domainGetInfo(src.dom, options)).state;
  } catch (err) {
    if (err instanceof LibvirtError) return null;
    throw err;
  }
}

/** The outcome of a step that may fail without ending the sequence. */
export type Step<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs one call of a sequence: a LibvirtError becomes a failed step; anything else is thrown. */
export async function step<T>(p: Promise<T>): Promise<Step<T>> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    if (!(error instanceof LibvirtError)) throw error;
    return { ok: false, error };
  }
}

/** The empty cookie. */
export const NO_COOKIE = new Uint8Array(0);

/** The URI of a connection as libvirt's `virConnectGetURI` gives it (the client knows it). */
export async function uriOf(caller: ProcedureCaller, options?: CallOptions): Promise<string> {
  const known = (caller as { uri?: unknown }).uri;
  if (typeof known === 'string' && known !== '') return known;
  return await new RawApi(caller).connectGetURI(options);
}

/** The source of a migration: `dom` on `caller`. */
export function source(caller: ProcedureCaller, dom: RemoteNonnullDomain): Source {
  return { caller, raw: new RawApi(caller), dom };
}
