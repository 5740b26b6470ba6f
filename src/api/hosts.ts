/**
 * Many hypervisors at once: `connectAll(uris, options)`.
 *
 * Each host is connected with `reconnect` on (a host that is down at the start is tried
 * again with the same backoff), so the set heals by itself: a daemon that restarts comes back
 * with its event subscriptions. On top: one event stream for all hosts, each event tagged with
 * its host; `map(fn, { concurrency })` over the hosts that are up, with a result or an error per
 * host; and {@link Hosts.status}, which hosts are up.
 *
 * @module
 */
import { ArgumentError } from '../errors/root.js';
import { ConnectionClosedError } from '../rpc/errors.js';
import { type ConnectOptions, connect } from './connect.js';
import type { Connection } from './connection.js';
import type { DomainEvent, DomainEventName, Unsubscribe } from './events.js';
import { EventStream, type EventStreamOptions } from './events/stream.js';
import { backoffDelay, type EventGap, type ReconnectOptions, resolveReconnectOptions } from './reconnect.js';

/** Options of {@link connectAll}: those of `connect()`, applied to every host. */
export interface ConnectAllOptions extends Omit<ConnectOptions, 'reconnect' | 'stream'> {
  /** Reconnection of every host (always on; these tune it). */
  readonly reconnect?: ReconnectOptions;
  /** Hosts dialed at once while connecting (default 8). */
  readonly concurrency?: number;
}

/** Where one host is. */
export interface HostStatus {
  /** The URI it was given as. */
  readonly host: string;
  /** `connecting` (never connected yet), `open`, `reconnecting`, or `closed` (after {@link Hosts.close}). */
  readonly state: 'connecting' | 'open' | 'reconnecting' | 'closed';
  /** The last error of connecting, while it is not open. */
  readonly error: Error | null;
  /** Times it came back after a drop. */
  readonly reconnects: number;
}

/** One host's outcome in {@link Hosts.map}. */
export type HostResult<R> =
  | { readonly host: string; readonly ok: true; readonly value: R }
  | { readonly host: string; readonly ok: false; readonly error: Error };

/** An event from one of the hosts. */
export interface HostEvent<E> {
  readonly host: string;
  readonly event: E;
}

interface HostEntry {
  readonly host: string;
  conn: Connection | null;
  error: Error | null;
  attempts: number;
}

type Subscriber = (host: string, conn: Connection) => Promise<Unsubscribe>;

/** A set of connections, one per host; see the module documentation. */
export class Hosts implements AsyncDisposable {
  readonly #entries: HostEntry[];
  readonly #options: ConnectAllOptions;
  readonly #subscribers = new Set<Subscriber>();
  /** Unsubscribe functions per subscriber and host. */
  readonly #subscriptions = new Map<Subscriber, Map<string, Promise<Unsubscribe | null>>>();
  readonly #stop = new AbortController();
  /** Resolves once every host has been tried once (connected or failed). */
  readonly ready: Promise<void>;

  /** @internal Use {@link connectAll}. */
  constructor(uris: readonly string[], options: ConnectAllOptions) {
    this.#options = options;
    this.#entries = uris.map((host) => ({ host, conn: null, error: null, attempts: 0 }));
    this.ready = this.#connectAll(Math.max(1, Math.floor(options.concurrency ?? 8)));
  }

  /** The hosts, in the order given. */
  get hosts(): string[] {
    return this.#entries.map((e) => e.host);
  }

  /** Each host's state. */
  status(): HostStatus[] {
    return this.#entries.map((e) => ({
      host: e.host,
      state: this.#stop.signal.aborted
        ? 'closed'
        : e.conn === null
          ? 'connecting'
          : e.conn.state === 'open'
            ? 'open'
            : e.conn.state === 'reconnecting'
              ? 'reconnecting'
              : 'closed',
      error: e.conn?.state === 'open' ? null : e.error,
      reconnects: e.conn?.reconnects ?? 0,
    }));
  }

  /** The hosts that are up now. */
  get up(): string[] {
    return this.#entries.filter((e) => e.conn?.state === 'open').map((e) => e.host);
  }

  /** The connection of `host` (null until it first connected). */
  connection(host: string): Connection | null {
    const e = this.#entries.find((x) => x.host === host);
    if (!e) throw new ArgumentError(`hosts: no host ${host}`);
    return e.conn;
  }

  /**
   * Runs `fn` on every host, at most `concurrency` at once (default 8), and resolves with one
   * result per host, in the hosts' order: its value, or its error. A host that is not up gets
   * a ConnectionClosedError without `fn` being called.
   */
  async map<R>(fn: (conn: Connection, host: string) => Promise<R>, options: { concurrency?: number } = {}): Promise<HostResult<R>[]> {
    const limit = Math.max(1, Math.floor(options.concurrency ?? 8));
    const results: HostResult<R>[] = new Array(this.#entries.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < this.#entries.length; i = next++) {
        const { host, conn, error } = this.#entries[i];
        if (conn === null || conn.state !== 'open') {
          const why = error?.message ?? (conn === null ? 'not connected yet' : `connection ${conn.state}`);
          results[i] = { host, ok: false, error: new ConnectionClosedError('eof', `${host} is down: ${why}`, { cause: error ?? undefined }) };
          continue;
        }
        try {
          results[i] = { host, ok: true, value: await fn(conn, host) };
        } catch (err) {
          results[i] = { host, ok: false, error: err instanceof Error ? err : new Error(String(err)) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, this.#entries.length) }, worker));
    return results;
  }

  /**
   * Domain events of every host in one iterator, each tagged with its host; hosts that come up
   * later join it, and a host's reconnection appears as a `gap` event of that host when the
   * options say `gaps: true`.
   */
  domain<N extends DomainEventName = DomainEventName>(event: N | number, options: EventStreamOptions = {}): EventStream<HostEvent<DomainEvent<N> | EventGap>> {
    return this.events<DomainEvent<N> | EventGap>((conn, push) => {
      const offGap = options.gaps ? conn.events.onGap((g) => push(g)) : () => {};
      return conn.events
        .onDomain(event, (e) => push(e as DomainEvent<N>))
        .then((off) => async () => {
          offGap();
          await off();
        });
    }, options);
  }

  /** The general form of {@link domain}: `subscribe` is run on each host's connection. */
  events<E>(subscribe: (conn: Connection, push: (event: E) => void) => Promise<Unsubscribe>, options: EventStreamOptions = {}): EventStream<HostEvent<E>> {
    return new EventStream<HostEvent<E>>(async (push) => {
      const sub: Subscriber = (host, conn) => subscribe(conn, (event) => push({ host, event }));
      this.#subscribers.add(sub);
      const perHost = new Map<string, Promise<Unsubscribe | null>>();
      this.#subscriptions.set(sub, perHost);
      for (const e of this.#entries) if (e.conn) this.#apply(sub, e.host, e.conn);
      await Promise.all(perHost.values());
      return async () => {
        this.#subscribers.delete(sub);
        this.#subscriptions.delete(sub);
        await Promise.all([...perHost.values()].map(async (p) => (await p)?.().catch(() => {})));
      };
    }, options);
  }

  /** Subscribes `sub` on one host; a failure is kept as that host's error. */
  #apply(sub: Subscriber, host: string, conn: Connection): void {
    const perHost = this.#subscriptions.get(sub);
    if (!perHost) return;
    perHost.set(
      host,
      sub(host, conn).catch((err: unknown) => {
        const e = this.#entries.find((x) => x.host === host);
        if (e) e.error = err instanceof Error ? err : new Error(String(err));
        return null;
      }),
    );
  }

  async #connectAll(concurrency: number): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < this.#entries.length; i = next++) await this.#connectOnce(this.#entries[i]);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.#entries.length) }, worker));
  }

  /** First attempt for a host; on failure, keeps trying in the background with backoff. */
  async #connectOnce(e: HostEntry): Promise<void> {
    const reconnect = resolveReconnectOptions(this.#options.reconnect ?? true)!;
    const { concurrency: _c, ...connectOptions } = this.#options;
    for (;;) {
      if (this.#stop.signal.aborted) return;
      e.attempts++;
      try {
        const conn = await connect(e.host, { ...connectOptions, reconnect, signal: this.#stop.signal });
        if (this.#stop.signal.aborted) {
          await conn.close();
          return;
        }
        e.conn = conn;
        e.error = null;
        for (const sub of this.#subscribers) this.#apply(sub, e.host, conn);
        return;
      } catch (err) {
        e.error = err instanceof Error ? err : new Error(String(err));
        if (e.attempts === 1) {
          void this.#retryLater(e);
          return;
        }
      }
      await sleep(backoffDelay(reconnect, e.attempts), this.#stop.signal);
    }
  }

  async #retryLater(e: HostEntry): Promise<void> {
    const reconnect = resolveReconnectOptions(this.#options.reconnect ?? true)!;
    await sleep(backoffDelay(reconnect, e.attempts), this.#stop.signal);
    await this.#connectOnce(e);
  }

  /** Closes every connection and stops connecting. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#entries.map((e) => e.conn?.close()));
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve();
    }, ms);
    const done = (): void => {
      clearTimeout(t);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Connects to every URI (each with `reconnect`), waits until each has been tried once, and
 * returns the {@link Hosts}. Hosts that failed are retried in the background; see
 * {@link Hosts.status}.
 */
export async function connectAll(uris: readonly string[], options: ConnectAllOptions = {}): Promise<Hosts> {
  if (uris.length === 0) throw new ArgumentError('connectAll: no URI given');
  if (new Set(uris).size !== uris.length) throw new ArgumentError('connectAll: a URI is given twice');
  const hosts = new Hosts(uris, options);
  await hosts.ready;
  return hosts;
}
