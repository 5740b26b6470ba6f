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
export * from './entry-common.js';
export * from './procedures/libvirt-api.gen.js';
export { WebSocketChannel, dialWebSocketChannel, WEB_SOCKET_SUBPROTOCOL } from './transport/web-socket-channel.js';
export type { WebSocketLike, WebSocketConstructor, WebSocketChannelOptions } from './transport/web-socket-channel.js';
export type { ByteChannel } from './rpc/byte-channel.js';
export { subscribeDiagnostics } from './rpc/diagnostics.js';
export { WebLibvirtStream as LibvirtStream, WebLibvirtStream, webStream } from './api/streams/web-stream.js';
