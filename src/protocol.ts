/**
 * `libvirt-rpc/protocol`: libvirt's wire protocol as generated from its `.x` files: every type
 * with its codec (`RemoteNonnullDomain`, `remoteNonnullDomainCodec`, ...), the procedure tables
 * (`remoteProcedures`, ...) and the raw layers (`RawApi`, `AdminRawApi`), for code that speaks
 * the protocol below the object API.
 * @packageDocumentation
 */
export { RawApi } from './api/gen/raw.gen.js';
export { AdminRawApi } from './api/gen/admin-raw.gen.js';
export { defineProcedure } from './procedures/procedure.js';
export type { Procedure, ProcedureInfo, ProgramName, StreamDirection } from './procedures/procedure.js';
export { procedures } from './procedures/index.gen.js';
export * from './procedures/remote.gen.js';
export * from './procedures/qemu.gen.js';
export * from './procedures/lxc.gen.js';
export * from './procedures/admin.gen.js';
export * from './procedures/virnet.gen.js';
export * from './procedures/keepalive.gen.js';
