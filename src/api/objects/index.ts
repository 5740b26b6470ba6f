/**
 * The object classes users get: the generated bases (src/api/gen/objects.gen.ts) extended with
 * what libvirt's client library does itself. Loading this module registers them as the classes
 * the generated methods return.
 *
 * @module
 */
export { Domain, DomainCheckpoint, DomainSnapshot, type VcpuInfo } from './domain.js';
export { Interface, Network, NetworkPort, NWFilter, NWFilterBinding } from './network.js';
export { NodeDevice, Secret, StoragePool, StorageVol } from './storage.js';
