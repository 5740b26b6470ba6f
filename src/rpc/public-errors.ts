/**
 * The RPC layer's errors as the package's entries export them (`libvirt-rpc`, `libvirt-rpc/browser`
 * and `libvirt-rpc/rpc`): one list, so the three cannot drift apart.
 * @module
 */
export {
  RpcErrorCode,
  LibvirtRpcError,
  LibvirtError,
  ConnectionClosedError,
  CloseReason,
  ProtocolError,
  AbortError,
  TimeoutError,
  UnsupportedError,
  TransportError,
  errorCodeName,
  errorDomainName,
  errorLevelName,
} from './errors.js';
export type { LibvirtErrorFields } from './errors.js';
