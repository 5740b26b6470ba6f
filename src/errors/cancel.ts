/**
 * The two ways an operation is given up before it settles: its `signal` fired
 * ({@link AbortError}) or its `timeout` passed ({@link TimeoutError}). They sit
 * at the bottom beside the root so the one deadline helper (`src/util/deadline.ts`)
 * and every layer above it throw the same classes.
 *
 * @module
 */
import { brandClass } from './brand.js';
import { LibvirtRpcError } from './root.js';

/** The operation was cancelled by its AbortSignal; `cause` is `signal.reason`. Code `ABORT_ERR`, as Node's. */
export class AbortError extends LibvirtRpcError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('ABORT_ERR', message, options);
    this.name = 'AbortError';
  }
}
brandClass(AbortError, 'AbortError');

/** The operation took longer than its `timeout`. Code `RPC_TIMEOUT`. */
export class TimeoutError extends LibvirtRpcError {
  /** The timeout that expired, in milliseconds. */
  readonly timeout: number;

  constructor(message: string, timeout: number, options?: { cause?: unknown }) {
    super('RPC_TIMEOUT', message, options);
    this.name = 'TimeoutError';
    this.timeout = timeout;
  }
}
brandClass(TimeoutError, 'TimeoutError');

/** The AbortError for `signal`, with `signal.reason` as its cause. */
export function abortErrorFor(signal: AbortSignal): AbortError {
  return new AbortError('The operation was aborted', { cause: signal.reason });
}
