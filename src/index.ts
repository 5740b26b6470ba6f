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
export { connect, DriverFeature, DEFAULT_OPEN_TIMEOUT_MS } from './api/connect.js';
export type { ConnectOptions, ConnectionFeatures } from './api/connect.js';
export { Connection } from './api/connection.js';
export type { ReconnectOptions } from './api/reconnect.js';
export { connectAll, Hosts } from './api/hosts.js';
export type { ConnectAllOptions, HostStatus, HostResult, HostEvent } from './api/hosts.js';
export { enableDebugLog } from './api/debug-log.js';
export { CHANNELS } from './rpc/diagnostics.js';
export type {
  ConnectionTag,
  CallStartMessage,
  CallEndMessage,
  ConnectionPlanMessage,
  ConnectionOpenMessage,
  ConnectionCloseMessage,
  ReconnectMessage,
  AuthMessage,
  StreamMessage,
  KeepaliveMessage,
  EventDroppedMessage,
} from './rpc/diagnostics.js';
export { DEFAULT_MAX_IN_FLIGHT } from './rpc/in-flight.js';
export type { ConnectionInfo, DomainStatsRecord } from './api/connection.js';
export type { MigrateBandwidth } from './api/migrate/index.js';
export * from './api/objects/index.js';
export type * from './api/gen/objects.gen.js';
export type { RawApi } from './api/gen/raw.gen.js';
export * from './api/domain-devices.js';
export * from './api/xml/reader.js';
export * from './api/names.js';
export type { TypedParams, TypedParamsInput, TypedParamValue, TypedParamExplicit } from './api/values.js';
export { formatUuid, parseUuid } from './api/uuid.js';
export * from './api/events.js';
export {
  LibvirtStream,
  readAll,
  pipeToFile,
  pipeFromFile,
  StreamOverflowError,
  StreamStateError,
  StreamFileError,
  sendFile,
  StreamErrorCode,
  STREAM_BUF_SIZE,
  STREAM_BUFFER_SIZE_DEFAULT,
  STREAM_FINISH_TIMEOUT_DEFAULT,
  STREAM_ABORT_TIMEOUT_DEFAULT,
  PendingStream,
} from './api/stream.js';
export type { StreamMode, StreamOptions, StreamEntry, StreamCaller, StreamSource, SettleOptions, StreamFileOp, TransferProgress } from './api/stream.js';

// Errors: the root and every class the package throws.
export { ArgumentError, LibvirtRpcError } from './errors/root.js';
export {
  RpcErrorCode,
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
} from './rpc/errors.js';
export type { LibvirtErrorFields } from './rpc/errors.js';
export { AuthenticationError, ScramError } from './auth/errors.js';
export type { AuthFailureReason, ScramErrorCode } from './auth/errors.js';
export { UriError, ConfigError } from './transport/errors.js';
export { TlsError } from './transport/tls/errors.js';
export { CommandTransportError } from './transport/command-error.js';
export { SshTransportError } from './transport/ssh/errors.js';
export { XdrError, XdrErrorCode } from './xdr/errors.js';
export type { Credentials, CredentialRequest, CredentialCallback, CredentialCallbackAuth, PasswordCredentials } from './auth/credentials.js';
export type { RemotePlan } from './transport/remote-plan.js';
export type { CallOptions, Procedure, ProcedureCaller, ProcedureInfo, ProgramName } from './rpc/procedure.js';

// Introspection and libvirt's constants.
export { procedures } from './procedures/index.gen.js';
export * from './procedures/libvirt-api.gen.js';
