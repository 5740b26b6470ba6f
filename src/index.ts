/**
 * libvirt-rpc: a pure-TypeScript client for libvirt's remote protocol.
 *
 * - {@link connect} opens a {@link Connection} by URI, as libvirt's remote driver does; its
 *   object API (`Domain`, `Network`, ...) follows libvirt's C signatures, `conn.raw` has one
 *   method per procedure on wire structs, `conn.events` every event.
 * - {@link procedures} describes every procedure of every program.
 * - The `VIR_*` constants are libvirt's public enums, flags and macros.
 *
 * What this entry leaves to subpaths: wire types and codecs and the raw classes
 * (`libvirt-rpc/protocol`), the RPC engine (`libvirt-rpc/rpc`), URIs, libvirt.conf and the
 * transports (`libvirt-rpc/transport`), the XDR runtime (`libvirt-rpc/xdr`), the typed XML
 * model (`libvirt-rpc/xml`; the object API's `getDefinition()`/`defineDomain()` load it on use).
 * @packageDocumentation
 */
export { connect } from './api/connect.js';
export type { ConnectOptions } from './api/connect.js';
export * from './entry-common.js';
export * from './procedures/libvirt-api.gen.js';
export { connectAll, Hosts } from './api/hosts.js';
export type { ConnectAllOptions, HostStatus, HostResult, HostEvent } from './api/hosts.js';
export { enableDebugLog } from './api/debug-log.js';
export { LibvirtStream, readAll, pipeToFile, pipeFromFile, StreamFileError, sendFile } from './api/stream.js';
export type { StreamEntry, StreamCaller, StreamSource, StreamFileOp, TransferProgress } from './api/stream.js';

// Errors of what only Node has (the rest are in entry-common.ts).
export { AuthenticationError, ScramError } from './auth/errors.js';
export type { AuthFailureReason, ScramErrorCode } from './auth/errors.js';
export { ConfigError } from './transport/errors.js';
export { TlsError } from './transport/tls/errors.js';
export { CommandTransportError } from './transport/command-error.js';
export { SshTransportError } from './transport/ssh/errors.js';
export type { Credentials, CredentialRequest, CredentialCallback, CredentialCallbackAuth, PasswordCredentials } from './auth/credentials.js';
export type { RemotePlan } from './transport/remote-plan.js';
