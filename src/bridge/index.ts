/**
 * The WebSocket bridge: relays WebSocket clients (browsers, Node through `connect(uri,
 * { webSocket, token })`) to libvirt daemons, with per-token policy.
 * @packageDocumentation
 */
export { startBridge } from './server.js';
export type { Bridge, BridgeGrant, BridgeOptions } from './server.js';
export { readOnlyRefusal, errorReply, FrameSplitter, FrameError, readHeader, procedureOf, readOnlyErrorFields, DEFAULT_MAX_FRAME } from './frames.js';
export type { FrameHeader, ErrorFields } from './frames.js';
