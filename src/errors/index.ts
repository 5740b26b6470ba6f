/**
 * The error root and the `instanceof` brand every error class of libvirt-rpc uses.
 * @packageDocumentation
 */
export { ArgumentError, LibvirtRpcError } from './root.js';
export { brandClass } from './brand.js';
export { AbortError, abortErrorFor, TimeoutError } from './cancel.js';
