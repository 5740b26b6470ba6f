/**
 * The one root of every error libvirt-rpc throws: {@link LibvirtRpcError}, with a stable `code`.
 *
 * Codes follow one scheme, `AREA_WHAT` in capitals (`RPC_TIMEOUT`, `XDR_BOUND`, `URI_INVALID`,
 * `SCRAM_BAD_INPUT`, `STREAM_OVERFLOW`, `XML_PARSE`, `ARG_INVALID`, `CLI_FAILED`), with two
 * deliberate exceptions: a {@link LibvirtError} carries libvirt's own error name
 * (`VIR_ERR_NO_DOMAIN`), and an `AbortError` carries Node's `ABORT_ERR`, as Node's own do.
 * Wrapped errors are kept in `cause`. Every class is branded (`brandClass`), so `instanceof`
 * holds across two copies of the package in one process.
 *
 * @module
 */
import { brandClass } from './brand.js';

/** The base class of every error libvirt-rpc throws. */
export class LibvirtRpcError extends Error {
  /** Stable machine-readable code (see the module documentation for the scheme). */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LibvirtRpcError';
    this.code = code;
  }
}
brandClass(LibvirtRpcError, 'LibvirtRpcError');

/**
 * An argument the caller gave is not one the API accepts (a wrong type, a value out of range):
 * thrown before anything is sent. Code `ARG_INVALID`.
 */
export class ArgumentError extends LibvirtRpcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ARG_INVALID', message, options);
    this.name = 'ArgumentError';
  }
}
brandClass(ArgumentError, 'ArgumentError');
