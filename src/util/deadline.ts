/**
 * The one deadline/abort helper: every dial and call path that takes
 * `{ signal?, timeout? }` bounds its wait with these, so cancellation behaves
 * the same everywhere: a fired `signal` gives up with an {@link AbortError}
 * (`cause` = `signal.reason`), a passed `timeout` with a {@link TimeoutError}
 * whose message the caller words; listeners and timers are removed the moment
 * the operation settles, and nothing is armed when neither is given.
 *
 * - {@link armBound}: the primitive: arm a signal and a timer that give up once.
 * - {@link bounded}: a promise around event-driven work (connect, handshake,
 *   spawn) that is torn down when the bound gives up.
 * - {@link linkedSignal}: one AbortSignal that fires for the caller's signal or
 *   the timeout, for a dial made of several steps.
 * - {@link Deadline}: one `timeout` shared by the steps of a dial.
 * - {@link delay}: an abortable wait.
 *
 * @module
 */
import { abortErrorFor, TimeoutError } from '../errors/cancel.js';

/** What bounds an operation: the `{ signal, timeout }` every call and dial takes. */
export interface Bound {
  /** Gives the operation up with an AbortError when it fires. */
  readonly signal?: AbortSignal | undefined;
  /** Milliseconds before the operation is given up with a TimeoutError; absent or not finite: none. */
  readonly timeout?: number | undefined;
}

/** The error a timeout gives: a function of the milliseconds, or the words after "timed out after N ms". */
export type TimeoutReason = string | ((ms: number) => Error);

/** The milliseconds of a `timeout` option: undefined when there is none (absent or not finite), else at least 0. */
export function timeoutMs(timeout: number | undefined): number | undefined {
  return timeout === undefined || !Number.isFinite(timeout) ? undefined : Math.max(0, timeout);
}

/** The TimeoutError of `reason` after `ms`. */
export function timeoutError(reason: TimeoutReason, ms: number): Error {
  return typeof reason === 'function' ? reason(ms) : new TimeoutError(`timed out after ${ms} ms ${reason}`, ms);
}

/**
 * Arms `bound`: `giveUp(err)` is called at most once, with the AbortError of
 * `signal` when it fires (at once, synchronously, when it already has) or with
 * the error of `reason` when `timeout` ms pass. Returns the disarm function
 * (call it when the operation settles by itself); `undefined` when the bound
 * has neither a signal nor a timeout (nothing was allocated).
 */
export function armBound(bound: Bound, giveUp: (err: Error) => void, reason: TimeoutReason): (() => void) | undefined {
  const { signal } = bound;
  const ms = timeoutMs(bound.timeout);
  if (signal === undefined && ms === undefined) return undefined;
  if (signal?.aborted) {
    giveUp(abortErrorFor(signal));
    return () => {};
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const disarm = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  const onAbort = (): void => {
    disarm();
    giveUp(abortErrorFor(signal!));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (ms !== undefined) {
    timer = setTimeout(() => {
      disarm();
      giveUp(timeoutError(reason, ms));
    }, ms);
  }
  return disarm;
}

/** Options of {@link bounded}. */
export interface BoundedOptions extends Bound {
  /** The TimeoutError's wording (see {@link TimeoutReason}). */
  readonly timeoutReason: TimeoutReason;
  /**
   * Runs on every failure (the bound's or the work's own), before the promise
   * rejects: tear down what the work made (destroy the socket, kill the child).
   */
  readonly onFail?: (err: Error) => void;
  /** The error for a fired signal (default: an AbortError whose cause is `signal.reason`). */
  readonly abortError?: (signal: AbortSignal) => Error;
}

/**
 * Starts `work(ok, fail)` and settles as it reports, unless the bound gives up
 * first. `work` returns its teardown (remove its listeners), run once whichever
 * way the promise settles. A signal already fired rejects before `work` runs.
 * A synchronous throw from `work` rejects the promise (without `onFail`).
 */
export function bounded<T>(options: BoundedOptions, work: (ok: (value: T) => void, fail: (err: Error) => void) => (() => void) | undefined): Promise<T> {
  const { signal, onFail } = options;
  const abortError = options.abortError;
  if (signal?.aborted) {
    const err = abortError ? abortError(signal) : abortErrorFor(signal);
    onFail?.(err);
    return Promise.reject(err);
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let teardown: (() => void) | undefined;
    let disarm: (() => void) | undefined;
    const finish = (): void => {
      settled = true;
      disarm?.();
      teardown?.();
    };
    const ok = (value: T): void => {
      if (settled) return;
      finish();
      resolve(value);
    };
    const fail = (err: Error): void => {
      if (settled) return;
      finish();
      onFail?.(err);
      reject(err);
    };
    // A custom abort error: the signal is watched here, the timer by armBound.
    const onAbort = abortError ? (): void => fail(abortError(signal!)) : undefined;
    if (onAbort) signal?.addEventListener('abort', onAbort, { once: true });
    const disarmTimer = armBound({ signal: onAbort ? undefined : signal, timeout: options.timeout }, fail, options.timeoutReason);
    disarm = (): void => {
      disarmTimer?.();
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    };
    try {
      teardown = work(ok, fail);
    } catch (err) {
      if (settled) return;
      finish();
      reject(err);
      return;
    }
    if (settled) teardown?.();
  });
}

/**
 * One AbortSignal that fires for the caller's `signal` (reason: its
 * AbortError) or when `timeout` passes (reason: the error of `reason`), for a
 * dial made of several steps that each take a signal. `dispose()` when done.
 */
export function linkedSignal(bound: Bound, reason: TimeoutReason): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const disarm = armBound(bound, (err) => controller.abort(err), reason);
  return { signal: controller.signal, dispose: () => disarm?.() };
}

/** Resolves with `work`, or rejects with `signal.reason` as soon as `signal` fires (a {@link linkedSignal}'s reason is already the error to throw). */
export function raceSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return bounded<T>({ signal, timeoutReason: 'waiting', abortError: (s) => s.reason as Error }, (ok, fail) => {
    work.then(ok, fail);
    return undefined;
  });
}

/** One `timeout` shared by the steps of a dial: each step gets what is left. */
export class Deadline {
  /** The whole timeout in milliseconds, or undefined for none. */
  readonly ms: number | undefined;
  readonly #end: number | undefined;

  constructor(timeout: number | undefined) {
    this.ms = timeoutMs(timeout);
    this.#end = this.ms === undefined ? undefined : Date.now() + this.ms;
  }

  /** Milliseconds left (at least 0), or undefined for no deadline. */
  remaining(): number | undefined {
    return this.#end === undefined ? undefined : Math.max(0, this.#end - Date.now());
  }
}

/** Resolves after `ms`, or rejects with an AbortError when `signal` fires first. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return bounded<void>({ signal, timeoutReason: 'waiting' }, (ok) => {
    const timer = setTimeout(ok, ms);
    return () => clearTimeout(timer);
  });
}
