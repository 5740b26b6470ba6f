/**
 * The error for an API the daemon is too old for. A daemon answers a procedure it does not know
 * with VIR_ERR_RPC "unknown procedure: 449" (virNetServerProgramDispatchCall), which libvirt's
 * client reports as VIR_ERR_NO_SUPPORT; this names the C API, the release that introduced it
 * (from the API XML) and the daemon's own version instead of the procedure number.
 *
 * @module
 */
import { REMOTE_PROC_CONNECT_GET_LIB_VERSION } from '../procedures/remote-procs.gen.js';
import { LibvirtError } from '../rpc/errors.js';
import type { Procedure, ProcedureCaller } from '../rpc/procedure.js';

/** How long to wait for the daemon's version before naming it "unknown". */
const VERSION_TIMEOUT_MS = 5_000;

/** libvirt's version number (major * 1,000,000 + minor * 1,000 + micro) as text. */
export function versionText(v: number | bigint): string {
  const n = Number(v);
  return `${Math.floor(n / 1_000_000)}.${Math.floor(n / 1_000) % 1_000}.${n % 1_000}`;
}

/**
 * Rethrows `err`, or, when it is the daemon's "unknown procedure" answer to `procedure`, a
 * VIR_ERR_NO_SUPPORT LibvirtError saying which API, since which release, and the daemon's version.
 */
export async function tooOldDaemonError(err: unknown, procedure: Procedure, caller: ProcedureCaller): Promise<never> {
  if (!(err instanceof LibvirtError) || err.code !== 'VIR_ERR_NO_SUPPORT' || !err.message.startsWith('unknown procedure')) throw err;
  let daemon = 'an unknown version';
  try {
    const { lib_ver } = await caller.call(REMOTE_PROC_CONNECT_GET_LIB_VERSION, undefined, { timeout: VERSION_TIMEOUT_MS });
    daemon = `libvirt ${versionText(lib_ver)}`;
  } catch {
    // The version is only for the message.
  }
  const since = procedure.since ? `it was introduced in libvirt ${procedure.since}` : 'it is newer than the daemon';
  const message = `this function is not supported by the connection driver: ${procedure.api} (${since}; the daemon runs ${daemon})`;
  throw new LibvirtError(
    {
      code: err.errorCode,
      domain: err.domain,
      message,
      level: err.level,
      dom: null,
      str1: err.str1,
      str2: err.str2,
      str3: err.str3,
      int1: err.int1,
      int2: err.int2,
      net: null,
    },
    err.procedure,
  );
}
