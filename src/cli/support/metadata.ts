/**
 * A domain's title or description as virsh reads it for `list --title` and
 * `desc` (tools/virsh-domain-monitor.c virshGetDomainDescription): empty when
 * the domain has none.
 */
import type { Connection } from '../../api/connection.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { isLibvirtError } from './failures.js';

/** The metadata text of `type` (VIR_DOMAIN_METADATA_TITLE or _DESCRIPTION), '' when there is none. */
export async function domainDescription(conn: Connection, dom: RemoteNonnullDomain, type: number, flags: number): Promise<string> {
  try {
    return await conn.raw.domainGetMetadata(dom, type, null, flags);
  } catch (err) {
    if (isLibvirtError(err, 'VIR_ERR_NO_DOMAIN_METADATA')) return '';
    throw err;
  }
}
