/**
 * The close callback of `conn.events` (events.ts, `onClose`), as libvirt's
 * `virConnectRegisterCloseCallback`: registered on the daemon when it supports it
 * (`CONNECT_REGISTER_CLOSE_CALLBACK`), it fires on `CONNECT_EVENT_CONNECTION_CLOSED` or when this
 * connection ends; each handler at most once (libvirt resets its close callback after calling
 * it). After a reconnect it is registered on the new connection again.
 *
 * @module
 */
import type { RpcClient } from '../../rpc/client.js';
import { abortErrorFor, ConnectionClosedError } from '../../rpc/errors.js';
import type { ConnectionFeatures } from '../session-constants.js';
import type { EventGap } from '../reconnect.js';
import type { EventDispatcher } from './dispatch.js';
import type { EventRegistry } from './registry.js';
import { closeReasonName, type EventHandler, type Unsubscribe } from './subscriptions.js';
import { closeProcedures } from './table.js';
import type { CloseEvent } from './types.js';

/** See the module documentation. */
export class CloseCallback {
  readonly #registry: EventRegistry;
  readonly #dispatcher: EventDispatcher;
  readonly #handlers = new Set<EventHandler<CloseEvent>>();
  #registration: Promise<void> | null = null;
  #onDaemon = false;
  #hook: (() => void) | null = null;

  /** `registry` gives the current connection (its client and features). */
  constructor(registry: EventRegistry, dispatcher: EventDispatcher) {
    this.#registry = registry;
    this.#dispatcher = dispatcher;
  }

  get #client(): RpcClient {
    return this.#registry.client;
  }

  get #features(): ConnectionFeatures {
    return this.#registry.features;
  }

  /** What `ConnectionEvents.onClose` does. */
  async subscribe(handler: EventHandler<CloseEvent>, signal: AbortSignal | undefined): Promise<Unsubscribe> {
    if (signal?.aborted) throw abortErrorFor(signal);
    this.#registry.throwIfEnded();
    this.#handlers.add(handler);
    if (this.#features.closeCallback && !this.#onDaemon) {
      this.#registration ??= this.#register();
      try {
        await this.#registration;
      } catch (err) {
        this.#handlers.delete(handler);
        throw err;
      }
    }
    let done = false;
    const unsubscribe: Unsubscribe = async () => {
      if (done) return;
      done = true;
      if (!this.#handlers.delete(handler) || this.#handlers.size > 0 || !this.#onDaemon) return;
      this.#onDaemon = false;
      this.#hook?.();
      this.#hook = null;
      if (!this.#client.isOpen) return;
      await this.#client.call(closeProcedures.unregister, undefined).catch((err: unknown) => {
        if (!(err instanceof ConnectionClosedError)) throw err;
      });
    };
    return this.#registry.unsubscribeOnAbort(signal, unsubscribe);
  }

  /** The connection is back: registers the close callback on it again if it was on the daemon (a failure is reported with `gap`). */
  resume(gap: EventGap): void {
    if (!this.#onDaemon) return;
    this.#onDaemon = false;
    this.#hook = null;
    this.#registration ??= this.#register();
    this.#registration.catch((err: unknown) => this.#dispatcher.report(err, gap));
  }

  async #register(): Promise<void> {
    const off = this.#client.onEvent(closeProcedures.event, (value) => {
      const code = (value as { reason: number }).reason;
      this.fire({ reason: closeReasonName(code), reasonCode: code, source: 'daemon' });
    });
    try {
      await this.#client.call(closeProcedures.register, undefined);
      this.#onDaemon = true;
      this.#hook = off;
    } catch (err) {
      off();
      throw err;
    } finally {
      this.#registration = null;
    }
  }

  /** Calls every close handler once and forgets them (libvirt resets its close callback after calling it). */
  fire(ev: CloseEvent): void {
    const handlers = [...this.#handlers];
    this.#handlers.clear();
    for (const h of handlers) this.#dispatcher.invoke(h as EventHandler<unknown>, ev);
  }
}
