/**
 * libvirt-rpc: a pure-TypeScript client for libvirt's remote protocol.
 *
 * - {@link connect} opens a {@link Connection} by URI, as libvirt's remote driver does.
 * - `conn.raw` has one typed method per remote, qemu and lxc procedure.
 * - {@link procedures} describes every procedure of every program.
 * - The `VIR_*` constants are libvirt's public enums, flags and macros.
 * @packageDocumentation
 */
export { connect, DriverFeature } from './api/connect.js';
export type { ConnectOptions, ConnectionFeatures } from './api/connect.js';
export { Connection } from './api/connection.js';
export type { ConnectionInfo, DomainStatsRecord } from './api/connection.js';
export { migrateDomain, migrateDomain3, migrateDomainToUri, MigrationFeature } from './api/migrate.js';
export type { MigrateBandwidth, MigrateRequest, MigrateToUriRequest } from './api/migrate.js';
export { formatUuid, parseUuid } from './api/uuid.js';
export { PYTHON_PARITY } from './api/python-parity.js';
export type { ParityClass, ParityEntry, ParityTarget } from './api/python-parity.js';
export * from './api/events.js';
export { AuthenticationError, ScramError } from './auth/errors.js';
export type { AuthFailureReason, ScramErrorCode } from './auth/errors.js';
export type { Credentials, CredentialRequest, CredentialCallback, CredentialCallbackAuth, PasswordCredentials } from './auth/credentials.js';
export {
  LibvirtStream,
  openStreamCall,
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
export type { StreamMode, StreamOptions, StreamEntry, StreamCaller, StreamSource, SettleOptions, StreamFileOp } from './api/stream.js';
export * from './rpc/index.js';
export * from './xdr/index.js';
export * from './transport/index.js';
export { procedures } from './procedures/index.gen.js';
export { RawApi } from './api/gen/raw.gen.js';
export * from './api/objects/index.js';
export * from './api/domain-devices.js';
export * from './api/xml/reader.js';
export { DomainBase, NetworkBase, NetworkPortBase, NWFilterBase, NWFilterBindingBase, InterfaceBase, StoragePoolBase, StorageVolBase, NodeDeviceBase, SecretBase, DomainCheckpointBase, DomainSnapshotBase, ConnectionBase } from './api/gen/objects.gen.js';
export type * from './api/gen/objects.gen.js';
export { AdminRawApi } from './api/gen/admin-raw.gen.js';
export { domainControlStateName, domainStateName, domainStateReasonName, storagePoolStateName, storageVolTypeName, vcpuStateName } from './api/names.js';
export { fixedString, int64, recordOf, typedParamsToWire, withJson } from './api/values.js';
export type { TypedParams, TypedParamsInput, TypedParamValue, TypedParamExplicit } from './api/values.js';
export * from './procedures/libvirt-api.gen.js';
export * from './procedures/remote.gen.js';
export * from './procedures/qemu.gen.js';
export * from './procedures/lxc.gen.js';
export * from './procedures/admin.gen.js';
export * from './procedures/virnet.gen.js';
export * from './procedures/keepalive.gen.js';
