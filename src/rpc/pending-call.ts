/**
 * One call of `RpcClient` (client.ts) waiting for its reply.
 *
 * @module
 */
import { LibvirtError } from './errors.js';
import type { FrameHeader } from './frame.js';
import type { Procedure } from './procedure.js';

/** See `RpcClient.setDaemonErrorHook`. */
export type DaemonErrorHook = (err: LibvirtError, proc: Procedure<unknown, unknown>) => Promise<never>;

/**
 * A call waiting for its reply: one object per call and no closures, since
 * this is the hot path (a timer and an abort listener only when asked for).
 */
export class PendingCall {
  /** Handed to the socket (a reply may come). */
  written = false;
  /** Settled or abandoned before being written: skip it in the write queue. */
  cancelled = false;
  /** Holds a slot of the in-flight limit (freed by its reply, or here if never written). */
  slot = false;
  /** The procedure may block in the daemon (not `@priority: high`): it counts against the in-flight limit (in-flight.ts). */
  readonly mayBlock: boolean;
  /** Disarms the call's signal and timeout (src/util/deadline.ts), when it has either. */
  disarm: (() => void) | undefined = undefined;

  constructor(
    readonly serial: number,
    readonly proc: Procedure<unknown, unknown>,
    readonly resolve: (value: unknown) => void,
    readonly reject: (err: Error) => void,
  ) {
    this.mayBlock = proc.priority !== 'high';
  }

  get prog(): number {
    return this.proc.programNumber;
  }

  get vers(): number {
    return this.proc.version;
  }

  /** Drops the timer and the abort listener. */
  cleanup(): void {
    this.disarm?.();
  }

  /**
   * The reply came (its payload `bytes[start, end)`, lent until this returns unless `owned`):
   * resolves with its decoded value, or rejects with the error it carries.
   */
  settle(
    header: FrameHeader,
    bytes: Uint8Array,
    start: number,
    end: number,
    owned: boolean,
    decode: (proc: Procedure<unknown, unknown>, header: FrameHeader, bytes: Uint8Array, start: number, end: number, owned: boolean) => unknown,
    mapError: DaemonErrorHook | null,
  ): void {
    this.cleanup();
    let value: unknown;
    try {
      value = decode(this.proc, header, bytes, start, end, owned);
    } catch (err) {
      // Settling with the hook's (rejecting) promise: the caller sees its error.
      if (mapError !== null && err instanceof LibvirtError) this.resolve(mapError(err, this.proc));
      else this.reject(err as Error);
      return;
    }
    this.resolve(value);
  }

  /** The connection ended first. */
  fail(err: Error): void {
    this.cleanup();
    this.cancelled = true;
    this.reject(err);
  }
}
