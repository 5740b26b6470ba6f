/**
 * The async-iterator form of event subscriptions: a bounded queue between the
 * connection (which never waits) and a `for await` loop (which may be slow).
 *
 * @module
 */
import { brandClass } from '../../errors/brand.js';
import { abortErrorFor, type ConnectionClosedError, LibvirtRpcError } from '../../rpc/errors.js';
import type { EventGap } from '../reconnect.js';

/**
 * What an {@link EventStream} does when its buffer is full and another event
 * arrives (the consumer is slower than the daemon):
 *
 * - `error` (default): the stream ends with an {@link EventOverflowError}
 *   once the events already buffered have been read, and unsubscribes. No
 *   event is ever silently lost.
 * - `drop-oldest`: the oldest buffered event is discarded (a sliding window of
 *   the most recent events; lifecycle consumers then re-read the state).
 * - `drop-newest`: the arriving event is discarded.
 *
 * Dropped events are counted in {@link EventStream.dropped}.
 */
export type OverflowPolicy = 'error' | 'drop-oldest' | 'drop-newest';

/** Options of the async-iterator form. */
export interface EventStreamOptions {
  /** Events kept while the consumer is busy (default 1024). */
  readonly bufferSize?: number;
  /** What to do when the buffer is full (default `error`). */
  readonly overflow?: OverflowPolicy;
  /** Ends the iteration: a pending or later `next()` rejects with an `AbortError`, and the stream unsubscribes. */
  readonly signal?: AbortSignal;
  /**
   * On a connection opened with `reconnect`: yield an {@link EventGap} (`kind: 'gap'`) where the
   * connection was down, before the events of the new connection (default false: gaps are
   * only counted in {@link EventStream.gaps}).
   */
  readonly gaps?: boolean;
}

/** The item type of a stream opened with options `O`: events, plus {@link EventGap} markers when `O` has `gaps: true`. */
export type WithGaps<O, T> = O extends { readonly gaps: true } ? T | EventGap : T;

/** An {@link EventStream} overflowed with the `error` policy. Code `EVENT_OVERFLOW`. */
export class EventOverflowError extends LibvirtRpcError {
  /** The buffer size that was exceeded. */
  readonly bufferSize: number;
  constructor(bufferSize: number) {
    super('EVENT_OVERFLOW', `event stream buffer overflowed (${bufferSize} events unread); the consumer is too slow`);
    this.name = 'EventOverflowError';
    this.bufferSize = bufferSize;
  }
}
brandClass(EventOverflowError, 'EventOverflowError');

const DEFAULT_BUFFER = 1024;

/**
 * A subscription read with `for await`. It subscribes at once (see
 * {@link ready}), buffers up to `bufferSize` events, and unsubscribes when the
 * loop ends (`break`, `return`, an exception), when its `signal` fires, or
 * after an overflow. When the connection ends the loop ends too: normally if
 * this side closed it (reason `client`), else by throwing the
 * `ConnectionClosedError` (after the buffered events).
 */
export class EventStream<T> implements AsyncIterableIterator<T>, AsyncDisposable {
  /** Resolves once the daemon-side registration is in place; rejects if it failed. Never an unhandled rejection. */
  readonly ready: Promise<void>;
  readonly #buffer: T[] = [];
  #head = 0;
  readonly #size: number;
  readonly #policy: OverflowPolicy;
  readonly #markGaps: boolean;
  #dropped = 0;
  #gaps = 0;
  #waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  /** Set when the stream ends: `null` for a normal end, else the error to throw once drained. */
  #end: { error: unknown } | undefined;
  #unsubscribe: (() => Promise<void>) | null = null;
  #unsubscribed = false;
  readonly #signal?: AbortSignal;
  readonly #onAbort = (): void => this.#finish({ error: abortErrorFor(this.#signal!) });

  /** @internal Built by `conn.events.domain(...)` and friends. */
  constructor(
    subscribe: (push: (event: T) => void, ended: (err: ConnectionClosedError) => void, gap: (gap: EventGap) => void) => Promise<() => Promise<void>>,
    options: EventStreamOptions = {},
  ) {
    this.#size = Math.max(1, Math.floor(options.bufferSize ?? DEFAULT_BUFFER));
    this.#policy = options.overflow ?? 'error';
    this.#markGaps = options.gaps ?? false;
    this.#signal = options.signal;
    if (this.#signal?.aborted) {
      this.#end = { error: abortErrorFor(this.#signal) };
      this.ready = Promise.resolve();
      return;
    }
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    const pending = subscribe(
      (ev) => this.#push(ev),
      (err) => this.#finish(err.reason === 'client' ? { error: null } : { error: err }),
      (gap) => this.#gap(gap),
    ).then((unsub) => {
      this.#unsubscribe = unsub;
      if (this.#end !== undefined) void this.#release();
    });
    this.ready = pending.catch((err: unknown) => {
      this.#finish({ error: err });
      throw err;
    });
    this.ready.catch(() => {});
  }

  /** Events discarded by a `drop-*` overflow policy. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Reconnections seen: times the connection was down and events may have been missed. */
  get gaps(): number {
    return this.#gaps;
  }

  #gap(gap: EventGap): void {
    if (this.#end !== undefined) return;
    this.#gaps++;
    if (!this.#markGaps) return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      w.resolve({ value: gap as T, done: false });
      return;
    }
    this.#buffer.push(gap as T); // a marker is never dropped by the overflow policy
  }

  /** Events buffered and not read yet. */
  get pending(): number {
    return this.#buffer.length - this.#head;
  }

  #push(ev: T): void {
    if (this.#end !== undefined) return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      w.resolve({ value: ev, done: false });
      return;
    }
    if (this.pending >= this.#size) {
      if (this.#policy === 'drop-newest') {
        this.#dropped++;
        return;
      }
      if (this.#policy === 'drop-oldest') {
        this.#dropped++;
        this.#head++;
      } else {
        this.#finish({ error: new EventOverflowError(this.#size) });
        return;
      }
    }
    this.#buffer.push(ev);
    if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
      this.#buffer.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #finish(end: { error: unknown }): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    const w = this.#waiter;
    if (w && this.pending === 0) {
      this.#waiter = null;
      // Reported now: later calls see a plain end (the error is reported once).
      this.#end = { error: null };
      if (end.error === null) w.resolve({ value: undefined, done: true });
      else w.reject(end.error);
    }
    void this.#release();
  }

  async #release(): Promise<void> {
    if (this.#unsubscribed || !this.#unsubscribe) return;
    this.#unsubscribed = true;
    try {
      await this.#unsubscribe();
    } catch {
      // Deregistering may fail when the daemon is gone; the stream is over either way.
    }
  }

  /** The next event; waits for one. */
  next(): Promise<IteratorResult<T>> {
    if (this.pending > 0) {
      const value = this.#buffer[this.#head];
      this.#buffer[this.#head++] = undefined as T;
      if (this.#head === this.#buffer.length) {
        this.#buffer.length = 0;
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#end !== undefined) {
      const { error } = this.#end;
      // Report an error once; later calls see the end.
      this.#end = { error: null };
      return error === null ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
    }
    if (this.#waiter) return Promise.reject(new Error('EventStream: next() called while another next() is pending'));
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  /** Ends the iteration and unsubscribes (what `break` in a `for await` calls). */
  async return(): Promise<IteratorResult<T>> {
    this.#finish({ error: null });
    this.#buffer.length = 0;
    this.#head = 0;
    this.#end = { error: null };
    await this.ready.catch(() => {});
    await this.#release();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Same as {@link return}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
