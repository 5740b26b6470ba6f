/**
 * The RPC engine: framing, calls, events, streams and keepalive over any byte channel (a Node Duplex, a WebSocket adapter).
 * @packageDocumentation
 */
export * from './public-errors.js';
export { FrameReader, encodeFrame, FRAME_MIN, FRAME_MAX } from './frame.js';
export type { Frame, FrameHeader, FrameBody } from './frame.js';
export { RpcClient } from './client.js';
export type { ByteChannel } from './byte-channel.js';
export type {
  RpcCallOptions,
  IncomingMessage,
  MessageListener,
  Diagnostic,
  RpcClientOptions,
  RpcClientStats,
} from './client.js';
export type { StreamPacket, StreamSink, StreamChannel } from './stream-channel.js';
export { Keepalive, isKeepalive, systemClock, KEEPALIVE_DEFAULT_INTERVAL, KEEPALIVE_DEFAULT_COUNT } from './keepalive.js';
export type { KeepaliveClock, KeepaliveOptions, KeepaliveHooks } from './keepalive.js';
export { defineProcedure } from './procedure.js';
export { CHANNELS, diagnostics } from './diagnostics.js';
export { InFlightLimit, DEFAULT_MAX_IN_FLIGHT, DAEMON_MAX_CLIENT_REQUESTS } from './in-flight.js';
export type {
  CallOptions,
  Procedure,
  ProcedureCaller,
  ProcedureInfo,
  ProgramName,
  StreamDirection,
} from './procedure.js';
