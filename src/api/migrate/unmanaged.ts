/**
 * Peer-to-peer and direct migration: one Perform call to the source daemon,
 * which migrates by itself (src/libvirt-domain.c, virDomainMigrateUnmanagedParams).
 */
import {
  VIR_ERR_ARGUMENT_UNSUPPORTED,
  VIR_ERR_INTERNAL_ERROR,
  VIR_FROM_DOMAIN,
  VIR_MIGRATE_PARAM_BANDWIDTH,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_DEST_XML,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PEER2PEER,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteTypedParam } from '../../procedures/remote.gen.js';
import type { CallOptions } from '../../rpc/procedure.js';
import { reportedError } from '../client-errors.js';
import { MigrationFeature, NO_COOKIE, type Source, supports, wide } from './common.js';
import { COMPAT_V2, COMPAT_V3, getString, getULLong, onlyParams } from './params.js';

/**
 * Peer-to-peer or direct migration (virDomainMigrateUnmanagedParams): one Perform call to the
 * source, Perform3Params when the source supports parameters (peer to peer only), else Perform3,
 * else the version 2 Perform.
 */
export async function migrateUnmanaged(
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
    if (!onlyParams(params, COMPAT_V3))
      throw reportedError(VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_FROM_DOMAIN, 'Some parameters are not supported by migration protocol 3');
    const xmlin = getString(params, VIR_MIGRATE_PARAM_DEST_XML);
    await src.raw.domainMigratePerform3(src.dom, xmlin, NO_COOKIE, dconnuri, miguri, wide(flags), dname, bandwidth, options);
    return;
  }
  if (!onlyParams(params, COMPAT_V2))
    throw reportedError(VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_FROM_DOMAIN, 'Some parameters are not supported by migration protocol 2');
  let uri: string | null;
  if (flags & VIR_MIGRATE_PEER2PEER) {
    if (miguri !== null) throw reportedError(VIR_ERR_INTERNAL_ERROR, VIR_FROM_DOMAIN, 'Unable to override peer2peer migration URI');
    uri = dconnuri;
  } else {
    uri = miguri;
  }
  await src.raw.domainMigratePerform(src.dom, NO_COOKIE, uri ?? '', wide(flags), dname, bandwidth, options);
}
