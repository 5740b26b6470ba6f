/**
 * What the package's two root entries both export: Node's (src/index.ts) and the browser's
 * (src/browser.ts, bundled by scripts/build-browser.mjs). Each entry adds its own `connect`,
 * `LibvirtStream` and what only its platform has, and libvirt's constants (Node's build gives
 * them their one declaration in the root entry when src/index.ts exports them itself: see
 * `constantsOnlyAtRoot` in scripts/build.mjs).
 * @module
 */
export { DriverFeature, DEFAULT_OPEN_TIMEOUT_MS } from './api/session-constants.js';
export type { ConnectionFeatures } from './api/session-constants.js';
export { Connection } from './api/connection.js';
export type { ReconnectOptions } from './api/reconnect.js';
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

// Streams: what both kinds of LibvirtStream share.
export * from './api/stream-common.js';

// Errors: the root and the classes both builds throw.
export { ArgumentError } from './errors/root.js';
export * from './rpc/public-errors.js';
export { UriError } from './transport/errors.js';
export { XdrError, XdrErrorCode } from './xdr/errors.js';
export type { CallOptions, Procedure, ProcedureCaller, ProcedureInfo, ProgramName } from './rpc/procedure.js';

// Introspection (libvirt's constants: see above).
export { procedures } from './procedures/index.gen.js';
