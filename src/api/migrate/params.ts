/**
 * Migration parameters as typed parameters (`VIR_MIGRATE_PARAM_*`), read and
 * written as libvirt's virTypedParams* helpers do.
 */
import {
  VIR_MIGRATE_PARAM_BANDWIDTH,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_DEST_XML,
  VIR_MIGRATE_PARAM_URI,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteTypedParam } from '../../procedures/remote.gen.js';

/** A string typed parameter. */
export function stringParam(field: string, s: string): RemoteTypedParam {
  return { field, value: { type: 7, s } };
}

/** The string parameter `field`, or null. */
export function getString(params: readonly RemoteTypedParam[], field: string): string | null {
  const p = params.find((x) => x.field === field);
  return p && p.value.type === 7 ? p.value.s : null;
}

/** The integer parameter `field` as an unsigned long long (0 when absent), as `virTypedParamsGetULLong` reads it. */
export function getULLong(params: readonly RemoteTypedParam[], field: string): bigint {
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
export function replaceString(params: RemoteTypedParam[], field: string, s: string): void {
  const i = params.findIndex((p) => p.field === field);
  if (i >= 0) params[i] = stringParam(field, s);
  else params.push(stringParam(field, s));
}

/** True when every parameter is one of `allowed` (`virTypedParamsCheck`). */
export function onlyParams(params: readonly RemoteTypedParam[], allowed: readonly string[]): boolean {
  return params.every((p) => allowed.includes(p.field));
}

/** The parameters the fixed-argument v3 procedures can carry. */
export const COMPAT_V3 = [VIR_MIGRATE_PARAM_URI, VIR_MIGRATE_PARAM_DEST_NAME, VIR_MIGRATE_PARAM_DEST_XML, VIR_MIGRATE_PARAM_BANDWIDTH];
/** The parameters the v2 Perform can carry. */
export const COMPAT_V2 = [VIR_MIGRATE_PARAM_DEST_NAME, VIR_MIGRATE_PARAM_BANDWIDTH, VIR_MIGRATE_PARAM_URI];

/** virDomainMigrateUnmanaged: the fixed arguments as parameters. */
export function unmanagedParams(a: { miguri: string | null; dname: string | null; xmlin: string | null; bandwidth: bigint }): RemoteTypedParam[] {
  const params: RemoteTypedParam[] = [];
  if (a.miguri !== null) params.push(stringParam(VIR_MIGRATE_PARAM_URI, a.miguri));
  if (a.dname !== null) params.push(stringParam(VIR_MIGRATE_PARAM_DEST_NAME, a.dname));
  if (a.xmlin !== null) params.push(stringParam(VIR_MIGRATE_PARAM_DEST_XML, a.xmlin));
  params.push({ field: VIR_MIGRATE_PARAM_BANDWIDTH, value: { type: 4, ul: a.bandwidth } });
  return params;
}
