/**
 * libvirt's enumerations as virsh names them, for people: the object layer returns enumeration
 * values as numbers (the exported `VIR_*` constants); these give the words virsh prints
 * (`domainStateName(VIR_DOMAIN_RUNNING) === 'running'`). Values newer than this library get
 * virsh's fallback word.
 *
 * @module
 */

const DOMAIN_STATES = ['no state', 'running', 'idle', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended'];

/** virsh's name of a `virDomainState` (`running`, `shut off`, ...). */
export function domainStateName(state: number): string {
  return DOMAIN_STATES[state] ?? 'no state';
}

const DOMAIN_STATE_REASONS: readonly (readonly string[])[] = [
  ['unknown'],
  [
    'unknown',
    'booted',
    'migrated',
    'restored',
    'from snapshot',
    'unpaused',
    'migration canceled',
    'save canceled',
    'event wakeup',
    'crashed',
    'post-copy',
    'post-copy failed',
  ],
  ['unknown'],
  [
    'unknown',
    'user',
    'migrating',
    'saving',
    'dumping',
    'I/O error',
    'watchdog',
    'from snapshot',
    'shutting down',
    'creating snapshot',
    'crashed',
    'starting up',
    'post-copy',
    'post-copy failed',
    'api error',
  ],
  ['unknown', 'user'],
  ['unknown', 'shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from snapshot', 'daemon'],
  ['unknown', 'panicked'],
  ['unknown'],
];

/** virsh's name of the reason for a domain state (`virDomain<State>Reason`: `booted`, `destroyed`, ...). */
export function domainStateReasonName(state: number, reason: number): string {
  return DOMAIN_STATE_REASONS[state]?.[reason] ?? 'unknown';
}

const VCPU_STATES = ['offline', 'running', 'blocked'];

/** virsh's name of a `virVcpuState` (`running`, ...). */
export function vcpuStateName(state: number): string {
  return VCPU_STATES[state] ?? 'no state';
}

const DOMAIN_CONTROL_STATES = ['ok', 'background job', 'occupied', 'error'];

/** virsh's name of a `virDomainControlState` (`ok`, `background job`, ...). */
export function domainControlStateName(state: number): string {
  return DOMAIN_CONTROL_STATES[state] ?? 'unknown';
}

const STORAGE_POOL_STATES = ['inactive', 'building', 'running', 'degraded', 'inaccessible'];

/** virsh's name of a `virStoragePoolState` (`running`, `inactive`, ...). */
export function storagePoolStateName(state: number): string {
  return STORAGE_POOL_STATES[state] ?? 'unknown';
}

const STORAGE_VOL_TYPES = ['file', 'block', 'dir', 'network', 'netdir', 'ploop'];

/** virsh's name of a `virStorageVolType` (`file`, `block`, ...). */
export function storageVolTypeName(type: number): string {
  return STORAGE_VOL_TYPES[type] ?? 'unknown';
}
