/**
 * The errors libvirt's client library raises itself, before (or instead of) a call to the
 * daemon, built exactly as libvirt builds them so that they compare equal to python3-libvirt's:
 *
 * - `virReportInvalidArg(arg, ...)`: VIR_ERR_INVALID_ARG, the bare message, `str1` the API,
 *   `str2` the argument's name, `int1`/`int2` 0;
 * - `virReportError(code, ...)`: the message behind the code's prefix ("argument unsupported: ..."),
 *   `str1` the prefix with `%s`, `str2` the bare message, `int1`/`int2` -1.
 *
 * @module
 */
import { LibvirtRpcError } from '../errors/root.js';
import {
  VIR_ERR_ARGUMENT_UNSUPPORTED,
  VIR_ERR_ERROR,
  VIR_ERR_INTERNAL_ERROR,
  VIR_ERR_INVALID_ARG,
  VIR_ERR_NO_SUPPORT,
  VIR_ERR_OPERATION_DENIED,
  VIR_ERR_OPERATION_INVALID,
  VIR_FROM_DOMAIN,
  VIR_FROM_NETWORK,
  VIR_FROM_NONE,
  VIR_FROM_NWFILTER,
  VIR_FROM_SECRET,
  VIR_FROM_STORAGE,
} from '../procedures/libvirt-api.gen.js';
import { LibvirtError } from '../rpc/errors.js';

/** libvirt's message prefix of each error code the client raises (`virErrorMsg`). */
const PREFIX: Readonly<Record<number, string>> = {
  [VIR_ERR_INTERNAL_ERROR]: 'internal error: %s',
  [VIR_ERR_NO_SUPPORT]: 'this function is not supported by the connection driver: %s',
  [VIR_ERR_INVALID_ARG]: 'invalid argument: %s',
  [VIR_ERR_OPERATION_DENIED]: 'operation forbidden: %s',
  [VIR_ERR_OPERATION_INVALID]: 'Requested operation is not valid: %s',
  [VIR_ERR_ARGUMENT_UNSUPPORTED]: 'argument unsupported: %s',
};

/** The error domain (`VIR_FROM_THIS`) of the libvirt source file that defines `api`. */
export function errorDomainOfApi(api: string): number {
  if (api.startsWith('virDomain')) return VIR_FROM_DOMAIN;
  if (api.startsWith('virNetwork')) return VIR_FROM_NETWORK;
  if (api.startsWith('virStorage')) return VIR_FROM_STORAGE;
  if (api.startsWith('virSecret')) return VIR_FROM_SECRET;
  if (api.startsWith('virNWFilter')) return VIR_FROM_NWFILTER;
  throw new LibvirtRpcError('INTERNAL', `no error domain known for ${api}`);
}

/** What `virReportInvalidArg(arg, message)` raises in `api`. */
export function invalidArgError(api: string, arg: string, message: string, domain = errorDomainOfApi(api)): LibvirtError {
  return new LibvirtError({
    code: VIR_ERR_INVALID_ARG,
    domain,
    message,
    level: VIR_ERR_ERROR,
    dom: null,
    str1: api,
    str2: arg,
    str3: null,
    int1: 0,
    int2: 0,
    net: null,
  });
}

/** What `virReportError(code, "%s", message)` raises in a source file of error domain `domain`. */
export function reportedError(code: number, domain: number, message: string): LibvirtError {
  const prefix = PREFIX[code];
  if (prefix === undefined) throw new LibvirtRpcError('INTERNAL', `no message prefix known for error code ${code}`);
  return new LibvirtError({
    code,
    domain,
    message: prefix.replace('%s', message),
    level: VIR_ERR_ERROR,
    dom: null,
    str1: prefix,
    str2: message,
    str3: null,
    int1: -1,
    int2: -1,
    net: null,
  });
}

/** What `virReportUnsupportedError()` raises in `api`: VIR_ERR_NO_SUPPORT naming the API. */
export function unsupportedError(api: string, domain = errorDomainOfApi(api)): LibvirtError {
  return reportedError(VIR_ERR_NO_SUPPORT, domain, api);
}

/** What `virCheckReadOnlyGoto` raises in `api` on a read-only connection. */
export function readOnlyError(api: string, domain = errorDomainOfApi(api)): LibvirtError {
  return reportedError(VIR_ERR_OPERATION_DENIED, domain, `read only access prevents ${api}`);
}

/** What `virCheckNonNullArgGoto(arg)` raises in `api` for a missing argument. */
export function nullArgError(api: string, arg: string, domain = errorDomainOfApi(api)): LibvirtError {
  return invalidArgError(api, arg, `${arg} in ${api} must not be NULL`, domain);
}

/**
 * What libvirt's client raises when a call failed and nothing reported why
 * (`virErrorGenericFailure`): VIR_ERR_INTERNAL_ERROR from VIR_FROM_NONE, "An error occurred, but
 * the cause is unknown".
 */
export function unknownCauseError(): LibvirtError {
  return new LibvirtError({
    code: VIR_ERR_INTERNAL_ERROR,
    domain: VIR_FROM_NONE,
    message: 'An error occurred, but the cause is unknown',
    level: VIR_ERR_ERROR,
    dom: null,
    str1: null,
    str2: null,
    str3: null,
    int1: 0,
    int2: 0,
    net: null,
  });
}
