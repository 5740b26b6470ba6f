/**
 * The WebSocket bridge: relays WebSocket clients (browsers, Node through `connect(uri,
 * { webSocket, token })`) to libvirt daemons, with per-token policy.
 * @packageDocumentation
 */
export { startBridge, rateErrorFields } from './server.js';
export { parseBridgeCommand, readTokensFile, BRIDGE_USAGE } from './cli-options.js';
export type { BridgeCommand } from './cli-options.js';
export { contentTypeOf } from './static.js';
export type { Bridge, BridgeGrant, BridgeOptions } from './server.js';
export { readOnlyRefusal, errorReply, FrameSplitter, FrameError, readHeader, procedureOf, readOnlyErrorFields, DEFAULT_MAX_FRAME } from './frames.js';
export type { FrameHeader, ErrorFields } from './frames.js';
