/**
 * `libvirt-rpc/calls`: the remote, qemu and lxc programs' procedures as functions, one export each, for
 * programs that are bundled (serverless functions, small agents) and pay for every byte. A
 * bundler keeps the procedures a program calls, their codecs, the RPC engine and the transports
 * it may dial; not the object API, the events, the typed XML model nor the other procedures.
 *
 * ```ts
 * import { open, connectListAllDomains, domainGetXMLDesc } from 'libvirt-rpc/calls';
 * await using conn = await open('qemu:///system');
 * const { domains } = await connectListAllDomains(conn, 1, 0);
 * ```
 *
 * Each function is the raw layer's method of the same name (`conn.raw.domainGetXMLDesc(dom,
 * flags)` of the root entry) with the connection first; it also takes a root entry's
 * `Connection`.
 *
 * @module
 */
export { open, LightConnection, type OpenOptions } from './api/light-connection.js';
export type { Call } from './api/call-of.js';
export type { ConnectionFeatures } from './api/session-constants.js';
export type { CallOptions, Procedure, ProcedureCaller } from './rpc/procedure.js';
// What a stream function resolves to, and the helpers that move its bytes (as the root entry's).
export { LibvirtStream, readAll, pipeToFile, pipeFromFile, sendFile, StreamFileError, StreamOverflowError, StreamStateError } from './api/stream.js';
export type { StreamEntry, StreamOptions, StreamSource, TransferProgress } from './api/stream.js';
export * from './api/gen/calls.gen.js';
// Errors: the root and those a call or an open may raise.
export { ArgumentError, LibvirtRpcError } from './errors/root.js';
export { LibvirtError, ConnectionClosedError, ProtocolError, AbortError, TimeoutError, UnsupportedError, TransportError, RpcErrorCode } from './rpc/errors.js';
export { AuthenticationError } from './auth/errors.js';
export { UriError, ConfigError } from './transport/errors.js';
