/**
 * A domain's title or description as virsh reads it for `list --title` and
 * `desc` (tools/virsh-domain-monitor.c virshGetDomainDescription): the
 * metadata call, empty when the domain has none, or where the daemon lacks
 * the call, the `<title>`/`<description>` of the domain's XML.
 */
import type { Connection } from '../../api/connection.js';
import { parseXml, xmlFirst, xmlText } from '../../api/xml/reader.js';
import { VIR_DOMAIN_METADATA_TITLE } from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { isLibvirtError, vshFail } from './failures.js';

/** The metadata text of `type` (VIR_DOMAIN_METADATA_TITLE or _DESCRIPTION), '' when there is none. */
export async function domainDescription(conn: Connection, dom: RemoteNonnullDomain, type: number, flags: number): Promise<string> {
  try {
    return await conn.raw.domainGetMetadata(dom, type, null, flags);
  } catch (err) {
    if (isLibvirtError(err, 'VIR_ERR_NO_DOMAIN_METADATA')) return '';
    if (!isLibvirtError(err, 'VIR_ERR_NO_SUPPORT')) throw err;
  }
  let xml: string;
  try {
    xml = await conn.raw.domainGetXMLDesc(dom, flags);
  } catch (err) {
    throw vshFail('Failed to get domain description xml', err);
  }
  const el = xmlFirst(parseXml(xml), type === VIR_DOMAIN_METADATA_TITLE ? 'title' : 'description');
  return el ? xmlText(el) : '';
}
