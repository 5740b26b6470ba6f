/**
 * libvirt-rpc in a browser (or an Electron renderer, a web worker, Deno): the package's
 * `browser` export condition, also importable as `libvirt-rpc/browser`. No Node built-in, no
 * `Buffer`: built by `npm run build` into `dist/browser/` (scripts/build-browser.mjs, which
 * fails if the bundle imports a Node module).
 *
 * - {@link connect} reaches a daemon through a WebSocket bridge (`startBridge` of
 *   `libvirt-rpc/bridge`, on the server): `connect(uri, { webSocket: 'wss://…/libvirt', token })`;
 *   the {@link Connection} is Node's: the object API, `conn.raw`, `conn.events`, reconnecting.
 * - Streams (`dom.openConsole()`, `conn.raw.domainScreenshot()`, `vol.download()`, ...) are
 *   {@link LibvirtStream}s made of a web `ReadableStream` and `WritableStream`
 *   (src/api/streams/web-stream.ts).
 * - Diagnostics: the same channels as in Node ({@link CHANNELS}), subscribed with
 *   {@link subscribeDiagnostics}.
 *
 * What Node's entry has and this one does not: the transports that need a socket or a process
 * (unix, tcp, tls, ssh, ext), SASL, libvirt.conf and auth.conf, `connectAll`, `enableDebugLog`
 * (use `subscribeDiagnostics`), the stream file helpers.
 * @packageDocumentation
 */
export { connect } from './api/connect-web.js';
export type { WebConnectOptions, WebConnectOptions as ConnectOptions } from './api/connect-web.js';
export { DriverFeature, DEFAULT_OPEN_TIMEOUT_MS } from './api/open-session.js';
export type { ConnectionFeatures } from './api/open-session.js';
export { WebSocketChannel, dialWebSocketChannel, WEB_SOCKET_SUBPROTOCOL } from './transport/web-socket-channel.js';
export type { WebSocketLike, WebSocketConstructor, WebSocketChannelOptions } from './transport/web-socket-channel.js';
export type { ByteChannel } from './rpc/byte-channel.js';
export { Connection } from './api/connection.js';
export type { ReconnectOptions } from './api/reconnect.js';
export { CHANNELS, subscribeDiagnostics } from './rpc/diagnostics.js';
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
export { WebLibvirtStream as LibvirtStream, WebLibvirtStream, webStream } from './api/streams/web-stream.js';
export { PendingStream } from './api/streams/open.js';
export {
  STREAM_ABORT_TIMEOUT_DEFAULT,
  STREAM_BUF_SIZE,
  STREAM_BUFFER_SIZE_DEFAULT,
  STREAM_FINISH_TIMEOUT_DEFAULT,
} from './api/streams/options.js';
export type { StreamMode, StreamOptions, SettleOptions } from './api/streams/options.js';
export { StreamErrorCode, StreamOverflowError, StreamStateError } from './api/streams/errors.js';

// Errors: the root and every class this build throws.
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
export { UriError } from './transport/errors.js';
export { XdrError, XdrErrorCode } from './xdr/errors.js';
export type { CallOptions, Procedure, ProcedureCaller, ProcedureInfo, ProgramName } from './rpc/procedure.js';

// Introspection and libvirt's constants.
export { procedures } from './procedures/index.gen.js';
export * from './procedures/libvirt-api.gen.js';
