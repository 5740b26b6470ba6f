/**
 * How calls are made: the options every call takes and anything that can make one. The
 * procedure descriptors themselves are defined below the engine (src/procedures/procedure.ts)
 * and re-exported here.
 *
 * @module
 */
import type { Procedure } from '../procedures/procedure.js';

export { defineProcedure, type Procedure, type ProcedureInfo, type ProgramName, type StreamDirection } from '../procedures/procedure.js';

/** Options every call takes. */
export interface CallOptions {
  /** Aborts the call: it rejects with an `AbortError` and its late reply is dropped. */
  readonly signal?: AbortSignal;
  /** Milliseconds before the call rejects with a `TimeoutError`. */
  readonly timeout?: number;
}

/** Anything that can make a call: the RPC engine, or a connection wrapping it. */
export interface ProcedureCaller {
  /** Encodes `args`, sends the call, waits for the reply and decodes it. */
  call<A, R>(procedure: Procedure<A, R>, args: A, options?: CallOptions): Promise<R>;
}
