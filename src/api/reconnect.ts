/**
 * Opt-in reconnection of a {@link Connection} (`connect(uri, { reconnect: true })`).
 *
 * When the connection ends for any reason but `close()` (the daemon restarted or was killed,
 * the network dropped, keepalive gave up), a {@link Reconnector} dials the same URI again with
 * the same options and credentials, with exponential backoff and jitter, until it succeeds or
 * `maxAttempts` have failed. The Connection then swaps in the new RPC connection and its
 * events re-register every subscription (src/api/events.ts). What was in flight when the
 * connection dropped is not retried: calls reject with the ConnectionClosedError, streams end
 * with it. Calls made while it is down wait for the reconnection (bounded by their `timeout`,
 * else {@link ReconnectOptions.waitTimeout}) or fail at once, as {@link ReconnectOptions.whileDown} says.
 *
 * @module
 */
import { ArgumentError } from '../errors/root.js';
import { emitWarning } from '../util/platform.js';
import { diagnostics } from '../rpc/diagnostics.js';
import { abortErrorFor, ConnectionClosedError, TimeoutError } from '../rpc/errors.js';
import type { CallOptions } from '../rpc/procedure.js';

/** Options of `connect(uri, { reconnect })`. Delays are in milliseconds. */
export interface ReconnectOptions {
  /** Delay before the first attempt after a drop (default 200). */
  readonly initialDelay?: number;
  /** Longest delay between attempts (default 30,000). */
  readonly maxDelay?: number;
  /** Each failed attempt multiplies the delay by this (default 2). */
  readonly factor?: number;
  /** Random part of each delay, 0 to 1: a delay `d` becomes one in `[d * (1 - jitter), d]` (default 0.3), so many clients of one daemon do not come back in step. */
  readonly jitter?: number;
  /** Attempts after one drop before giving up for good (default `Infinity`). */
  readonly maxAttempts?: number;
  /**
   * Calls made while the connection is down: `wait` (default) for the reconnection, up to
   * the call's `timeout` or {@link waitTimeout}, then a TimeoutError; `fail` at once with the
   * ConnectionClosedError of the drop.
   */
  readonly whileDown?: 'wait' | 'fail';
  /** With `whileDown: 'wait'`, how long a call without a `timeout` waits (default 30,000). */
  readonly waitTimeout?: number;
}

/** {@link ReconnectOptions} with every default filled in. */
export type ResolvedReconnectOptions = Required<ReconnectOptions>;

/** Fills in the defaults; throws an ArgumentError for a value out of range. */
export function resolveReconnectOptions(options: boolean | ReconnectOptions | undefined): ResolvedReconnectOptions | null {
  if (options === undefined || options === false) return null;
  const o: ReconnectOptions = options === true ? {} : options;
  const r: ResolvedReconnectOptions = {
    initialDelay: o.initialDelay ?? 200,
    maxDelay: o.maxDelay ?? 30_000,
    factor: o.factor ?? 2,
    jitter: o.jitter ?? 0.3,
    maxAttempts: o.maxAttempts ?? Number.POSITIVE_INFINITY,
    whileDown: o.whileDown ?? 'wait',
    waitTimeout: o.waitTimeout ?? 30_000,
  };
  const bad = (what: string): never => {
    throw new ArgumentError(`connect: reconnect.${what}`);
  };
  if (!(r.initialDelay >= 0)) bad(`initialDelay must be >= 0 (got ${r.initialDelay})`);
  if (!(r.maxDelay >= r.initialDelay)) bad(`maxDelay must be >= initialDelay (got ${r.maxDelay})`);
  if (!(r.factor >= 1)) bad(`factor must be >= 1 (got ${r.factor})`);
  if (!(r.jitter >= 0 && r.jitter <= 1)) bad(`jitter must be between 0 and 1 (got ${r.jitter})`);
  if (!(r.maxAttempts >= 1)) bad(`maxAttempts must be >= 1 (got ${r.maxAttempts})`);
  if (r.whileDown !== 'wait' && r.whileDown !== 'fail') bad(`whileDown must be 'wait' or 'fail' (got ${String(r.whileDown)})`);
  if (!(r.waitTimeout >= 0)) bad(`waitTimeout must be >= 0 (got ${r.waitTimeout})`);
  return r;
}

/** The delay before attempt `attempt` (1-based) after a drop, with jitter from `random`. */
export function backoffDelay(o: ResolvedReconnectOptions, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(o.maxDelay, o.initialDelay * o.factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - o.jitter * random()));
}

/**
 * What consumers learn about a reconnection: the connection was down from `since` for
 * `downtime` ms, and events of that time may have been missed (re-read the state you care
 * about). Delivered to `conn.events.onGap()` handlers and, for iterators opened with
 * `{ gaps: true }`, as an item of the iteration.
 */
export interface EventGap {
  readonly kind: 'gap';
  /** Why the connection dropped. */
  readonly reason: ConnectionClosedError;
  /** `Date.now()` when it dropped. */
  readonly since: number;
  /** Milliseconds until it was back. */
  readonly downtime: number;
  /** Attempts it took. */
  readonly attempts: number;
}

/** What the reconnector drives. */
export interface ReconnectHooks<T> {
  /** The URI, for diagnostics (secrets removed). */
  readonly uri: string;
  /** Dials and opens a new connection (bounded; `signal` aborts it). */
  open(signal: AbortSignal): Promise<T>;
  /** A new connection is up after a drop (it publishes the `connected` phase). */
  up(opened: T, gap: EventGap): void;
  /** A connection opened after the loop was stopped: close it. */
  discard(opened: T): void;
  /** Attempts are exhausted: the connection is over for good. */
  gaveUp(err: ConnectionClosedError): void;
}

/** The reconnection loop of one Connection. */
export class Reconnector<T> {
  /** `up`, `down` (reconnecting) or `stopped` (closed by the user, or given up). */
  state: 'up' | 'down' | 'stopped' = 'up';
  /** Successful reconnections so far. */
  reconnects = 0;
  #drop: ConnectionClosedError | null = null;
  #waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  readonly #stop = new AbortController();

  constructor(
    readonly options: ResolvedReconnectOptions,
    readonly hooks: ReconnectHooks<T>,
  ) {}

  /** The drop being recovered from, while {@link state} is `down`. */
  get drop(): ConnectionClosedError | null {
    return this.#drop;
  }

  /** Called when the current connection ended: reconnects unless it was closed by the user. */
  dropped(err: ConnectionClosedError): void {
    if (this.state !== 'up' || err.reason === 'client') return;
    this.state = 'down';
    this.#drop = err;
    void this.#loop(err);
  }

  /**
   * For a call made while down: resolves once the connection is back; rejects with the drop's
   * ConnectionClosedError (`whileDown: 'fail'`, or when it gives up), a TimeoutError after the
   * call's `timeout` (or `waitTimeout`), or the call's AbortError.
   */
  whenUp(options: CallOptions = {}): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    const drop = this.#drop ?? new ConnectionClosedError('client', 'the connection was closed by the client');
    if (this.state === 'stopped' || this.options.whileDown === 'fail') return Promise.reject(drop);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortErrorFor(signal));
    const ms = options.timeout ?? this.options.waitTimeout;
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter = {
        resolve: (): void => {
          done();
          resolve();
        },
        reject: (e: Error): void => {
          done();
          reject(e);
        },
      };
      const onAbort = (): void => waiter.reject(abortErrorFor(signal!));
      const timer = setTimeout(
        () => waiter.reject(new TimeoutError(`the connection to ${this.hooks.uri} did not come back within ${ms} ms (${drop.message})`, ms)),
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Stops for good (the user closed the connection): waiting calls reject with `err`. */
  stop(err: ConnectionClosedError): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.#stop.abort(err);
    for (const w of [...this.#waiters]) w.reject(err);
  }

  async #loop(drop: ConnectionClosedError): Promise<void> {
    const since = Date.now();
    const { uri } = this.hooks;
    let lastError: Error = drop;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      if (!(await this.#sleep(backoffDelay(this.options, attempt)))) return;
      if (diagnostics.reconnect.hasSubscribers) diagnostics.reconnect.publish({ uri, phase: 'attempt', attempt });
      let opened: T;
      try {
        opened = await this.hooks.open(this.#stop.signal);
      } catch (err) {
        lastError = err instanceof Error ? err : new Error(String(err));
        if (this.state === 'stopped') return;
        if (diagnostics.reconnect.hasSubscribers) {
          const delay = attempt < this.options.maxAttempts ? backoffDelay(this.options, attempt + 1, () => 0) : -1;
          diagnostics.reconnect.publish({ uri, phase: 'failed', attempt, delay, error: lastError });
        }
        continue;
      }
      if (this.state === 'stopped') {
        this.hooks.discard(opened);
        return;
      }
      this.state = 'up';
      this.#drop = null;
      this.reconnects++;
      const gap: EventGap = { kind: 'gap', reason: drop, since, downtime: Date.now() - since, attempts: attempt };
      try {
        this.hooks.up(opened, gap);
      } catch (err) {
        // The connection is up either way; a failure re-registering is reported, never thrown here.
        emitWarning(`libvirt-rpc: after reconnecting to ${uri}: ${String(err)}`);
      }
      for (const w of [...this.#waiters]) w.resolve();
      return;
    }
    const err = new ConnectionClosedError(
      drop.reason,
      `${drop.message}; reconnecting to ${uri} gave up after ${this.options.maxAttempts} attempts: ${lastError.message}`,
      { cause: lastError },
    );
    if (diagnostics.reconnect.hasSubscribers) {
      diagnostics.reconnect.publish({ uri, phase: 'gave-up', attempt: this.options.maxAttempts, error: err });
    }
    this.stop(err);
    this.hooks.gaveUp(err);
  }

  /** Waits `ms`; false when stopped meanwhile. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
