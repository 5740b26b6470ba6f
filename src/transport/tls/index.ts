/**
 * The TLS transport: dial (./dial.ts) and what it is made of.
 */
export { dialTls } from './dial.js';
export { TlsError } from './errors.js';
export type { TlsFailure } from './errors.js';
export {
  LIBVIRT_SYSTEM_CACERT,
  LIBVIRT_SYSTEM_CACRL,
  LIBVIRT_SYSTEM_CLIENTCERT,
  LIBVIRT_SYSTEM_CLIENTKEY,
  locateTlsCredentials,
} from './paths.js';
export type { TlsCredentialPaths, TlsLocateEnv } from './paths.js';
export { tlsPriorityToNode } from './priority.js';
export type { TlsPriorityMapping } from './priority.js';
export { loadTlsCredentials } from './credentials.js';
export type { TlsClientCredentials, TlsDialOptions, TlsMaterial } from './credentials.js';
