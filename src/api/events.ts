/**
 * Typed events on a connection: `conn.events`.
 *
 * Follows libvirt's remote driver (`src/remote/remote_driver.c`,
 * `remoteConnect*EventRegisterAny`) and its client-side bookkeeping
 * (`src/conf/object_event.c`):
 *
 * - one daemon registration is shared by every local listener of the same
 *   family, event ID and object filter (libvirt's `virObjectEventCallbackListCount`
 *   with `serverFilter`); the first listener registers it, the last one to go
 *   deregisters it;
 * - events carry the daemon's callback ID and reach only the listeners of the
 *   registration with that ID; listeners with an object filter are also
 *   matched locally by UUID (or node device name), as libvirt's `key_filter`;
 * - without `REMOTE_EVENT_CALLBACK` (daemons older than libvirt 1.2.1), domain
 *   events use the legacy `CONNECT_DOMAIN_EVENT_REGISTER_ANY` by event ID only:
 *   one registration per event ID feeds every listener, filtered locally;
 * - each QEMU monitor listener has its own daemon registration (libvirt does
 *   the same for callbacks with an extra filter);
 * - registering the same handler twice for the same event and object is an
 *   error, as libvirt's "event callback already tracked";
 * - the close callback is registered on the daemon when it supports it
 *   (`CONNECT_REGISTER_CLOSE_CALLBACK`) and fires on `CONNECT_EVENT_CONNECTION_CLOSED`
 *   or when this connection ends; each handler at most once (libvirt resets
 *   its close callback after calling it). Unlike libvirt, which detaches the
 *   close callback before `virConnectClose`, `close()` fires it too, with
 *   reason `client`.
 *
 * - on a connection opened with `reconnect`, a drop suspends every registration and the new
 *   connection registers each again (new callback IDs, same filters), re-hooks the close
 *   callback, and reports the gap ({@link ConnectionEvents.onGap}, and a marker in iterators
 *   opened with `{ gaps: true }`); listeners and iterators keep going;
 * - events that arrive while a registration's REGISTER call is in flight (the daemon may send
 *   an event for the new callback ID before the reply that tells it) are held per callback ID,
 *   so other callback IDs cannot crowd them out; every event dropped (no registration has its
 *   callback ID, or a bound was reached) is counted in {@link ConnectionEvents.dropped}.
 *
 * Listeners run synchronously in wire order. A listener that throws, or whose
 * returned promise rejects, is reported through {@link ConnectionEvents.onListenerError}
 * (default: a process warning) and never affects the connection or other listeners.
 *
 * The jobs behind {@link ConnectionEvents} live in events/: the registration table
 * (events/registry.ts), dispatch to listeners (events/dispatch.ts), the close callback
 * (events/close.ts), the vocabulary and delivery steps (events/subscriptions.ts), the wire table
 * (events/table.ts), iterators (events/stream.ts), early events (events/early.ts). This module is
 * the public face: one method per family, and what a reconnect or the end of the connection does.
 *
 * @module
 */
import type { RpcClient } from '../rpc/client.js';
import { CloseReason, type ConnectionClosedError } from '../rpc/errors.js';
import type { ConnectionFeatures } from './session-constants.js';
import { CloseCallback } from './events/close.js';
import { EventDispatcher } from './events/dispatch.js';
import { EventRegistry } from './events/registry.js';
import { EventStream, type EventStreamOptions, type WithGaps } from './events/stream.js';
import type { EventGap } from './reconnect.js';
import type {
  CloseEvent,
  DomainEvent,
  DomainEventName,
  NetworkEvent,
  NodeDeviceEvent,
  ObjectEventName,
  QemuMonitorEvent,
  SecretEvent,
  StoragePoolEvent,
} from './events/types.js';
import type {
  DomainSubscribeOptions,
  EventDropCounts,
  EventHandler,
  NetworkSubscribeOptions,
  NodeDeviceSubscribeOptions,
  ObjectWrapper,
  QemuMonitorSubscribeOptions,
  RegistrationInfo,
  SecretSubscribeOptions,
  StoragePoolSubscribeOptions,
  SubscribeOptions,
  Unsubscribe,
} from './events/subscriptions.js';

export type {
  DomainSubscribeOptions,
  EventDropCounts,
  EventHandler,
  NetworkSubscribeOptions,
  NodeDeviceSubscribeOptions,
  ObjectWrapper,
  QemuMonitorSubscribeOptions,
  RegistrationInfo,
  SecretSubscribeOptions,
  StoragePoolSubscribeOptions,
  SubscribeOptions,
  Unsubscribe,
} from './events/subscriptions.js';
export { EventStream, EventOverflowError } from './events/stream.js';
export type { EventStreamOptions, OverflowPolicy, WithGaps } from './events/stream.js';
export type { EventGap } from './reconnect.js';
export type * from './events/types.js';
export { eventSpecs, findEvent } from './events/table.js';
export type { EventFamily, EventSpec } from './events/table.js';

/**
 * The events of one connection (`conn.events`). See the module documentation
 * for the rules it follows.
 */
export class ConnectionEvents {
  /**
   * Receives what listeners throw (or reject with). Default: `process.emitWarning`.
   * It must not throw; if it does, that is ignored.
   */
  onListenerError: ((error: unknown, event: unknown) => void) | null = null;

  readonly #dispatcher: EventDispatcher;
  readonly #registry: EventRegistry;
  readonly #close: CloseCallback;
  readonly #streamsEnded = new Set<(err: ConnectionClosedError) => void>();
  readonly #gapHandlers = new Set<(gap: EventGap) => void>();
  readonly #streamGaps = new Set<(gap: EventGap) => void>();

  /** @internal Built by the Connection (`managed`: it reports drops and ends itself, for `reconnect`). */
  constructor(client: RpcClient, features: ConnectionFeatures, wrap: ObjectWrapper, options: { managed?: boolean; uri?: string } = {}) {
    this.#dispatcher = new EventDispatcher(client, wrap, options.uri ?? '', (error, event) => {
      if (!this.onListenerError) return false;
      this.onListenerError(error, event);
      return true;
    });
    this.#registry = new EventRegistry(client, features, this.#dispatcher, options.managed ?? false);
    this.#close = new CloseCallback(this.#registry, this.#dispatcher);
    if (!options.managed) void client.closed.then((err) => this.#connectionEnded(err));
  }

  /**
   * Events dropped so far before reaching a listener: `unknownCallback` (no registration had
   * the event's callback ID) and `overflow` (a registration's early events beyond the bound).
   * Each drop is also published on the `libvirt-rpc:event:dropped` diagnostics channel.
   * (An iterator's own drops, with a `drop-*` overflow policy, are in its `dropped`.)
   */
  get dropped(): EventDropCounts {
    return this.#dispatcher.dropped;
  }

  /**
   * Calls `handler` each time a connection opened with `reconnect` is back after a drop:
   * events of the gap may have been missed (re-read the state you care about). Returns the
   * function that stops it.
   */
  onGap(handler: (gap: EventGap) => void): () => void {
    this.#gapHandlers.add(handler);
    return () => void this.#gapHandlers.delete(handler);
  }

  /** The daemon-side registrations in place (for diagnostics and tests). */
  get registrations(): RegistrationInfo[] {
    return this.#registry.registrations;
  }

  // -------------------------------------------------------------------------
  // Public API: callbacks

  /**
   * Calls `handler` for each domain event `event` (a name such as `lifecycle`,
   * or a `VIR_DOMAIN_EVENT_ID_*` number), of every domain or only of
   * `options.domain`. Resolves, once the daemon is registered, with the
   * function that unsubscribes.
   */
  onDomain<N extends DomainEventName = DomainEventName>(
    event: N | number,
    handler: EventHandler<DomainEvent<N>>,
    options: DomainSubscribeOptions = {},
  ): Promise<Unsubscribe> {
    return this.#registry.subscribe('domain', event, handler as EventHandler<never>, options.domain, options.signal);
  }

  /** Network events (`lifecycle`, `metadata-change`), like {@link onDomain}. */
  onNetwork<N extends ObjectEventName<'network'>>(
    event: N | number,
    handler: EventHandler<NetworkEvent<N>>,
    options: NetworkSubscribeOptions = {},
  ): Promise<Unsubscribe> {
    return this.#registry.subscribe('network', event, handler as EventHandler<never>, options.network, options.signal);
  }

  /** Storage pool events (`lifecycle`, `refresh`), like {@link onDomain}. */
  onStoragePool<N extends ObjectEventName<'storage-pool'>>(
    event: N | number,
    handler: EventHandler<StoragePoolEvent<N>>,
    options: StoragePoolSubscribeOptions = {},
  ): Promise<Unsubscribe> {
    return this.#registry.subscribe('storage-pool', event, handler as EventHandler<never>, options.pool, options.signal);
  }

  /** Node device events (`lifecycle`, `update`), like {@link onDomain}. */
  onNodeDevice<N extends ObjectEventName<'node-device'>>(
    event: N | number,
    handler: EventHandler<NodeDeviceEvent<N>>,
    options: NodeDeviceSubscribeOptions = {},
  ): Promise<Unsubscribe> {
    return this.#registry.subscribe('node-device', event, handler as EventHandler<never>, options.device, options.signal);
  }

  /** Secret events (`lifecycle`, `value-changed`), like {@link onDomain}. */
  onSecret<N extends ObjectEventName<'secret'>>(
    event: N | number,
    handler: EventHandler<SecretEvent<N>>,
    options: SecretSubscribeOptions = {},
  ): Promise<Unsubscribe> {
    return this.#registry.subscribe('secret', event, handler as EventHandler<never>, options.secret, options.signal);
  }

  /**
   * QEMU monitor events (`virConnectDomainQemuMonitorEventRegister`): every
   * QMP event of every domain, or filtered by domain and event name (the
   * daemon filters). Each call makes its own daemon registration.
   */
  onQemuMonitor(handler: EventHandler<QemuMonitorEvent>, options: QemuMonitorSubscribeOptions = {}): Promise<Unsubscribe> {
    return this.#registry.subscribeQemuMonitor(handler as EventHandler<never>, options);
  }

  /**
   * Calls `handler` once when the connection closes: when the daemon says its
   * driver connection closed (`CONNECT_EVENT_CONNECTION_CLOSED`, with its
   * reason) or when this connection ends (daemon gone: `eof`; I/O or protocol
   * error: `error`; keepalive timeout: `keepalive`; `close()`/`destroy()`:
   * `client`). Like libvirt's close callback, it fires at most once.
   */
  onClose(handler: EventHandler<CloseEvent>, options: SubscribeOptions = {}): Promise<Unsubscribe> {
    return this.#close.subscribe(handler, options.signal);
  }

  // -------------------------------------------------------------------------
  // Public API: async iterators

  /**
   * Domain events as an async iterator:
   * `for await (const ev of conn.events.domain('lifecycle')) ...`.
   * It subscribes at once (`await stream.ready` to know the daemon is
   * registered); see {@link EventStream} for buffering and the overflow policy.
   */
  domain<N extends DomainEventName = DomainEventName, O extends DomainSubscribeOptions & EventStreamOptions = object>(
    event: N | number,
    options: O = {} as O,
  ): EventStream<WithGaps<O, DomainEvent<N>>> {
    return this.#stream((h) => this.#registry.subscribe('domain', event, h, options.domain, undefined), options);
  }

  /** Network events as an async iterator. */
  network<N extends ObjectEventName<'network'>, O extends NetworkSubscribeOptions & EventStreamOptions = object>(
    event: N | number,
    options: O = {} as O,
  ): EventStream<WithGaps<O, NetworkEvent<N>>> {
    return this.#stream((h) => this.#registry.subscribe('network', event, h, options.network, undefined), options);
  }

  /** Storage pool events as an async iterator. */
  storagePool<N extends ObjectEventName<'storage-pool'>, O extends StoragePoolSubscribeOptions & EventStreamOptions = object>(
    event: N | number,
    options: O = {} as O,
  ): EventStream<WithGaps<O, StoragePoolEvent<N>>> {
    return this.#stream((h) => this.#registry.subscribe('storage-pool', event, h, options.pool, undefined), options);
  }

  /** Node device events as an async iterator. */
  nodeDevice<N extends ObjectEventName<'node-device'>, O extends NodeDeviceSubscribeOptions & EventStreamOptions = object>(
    event: N | number,
    options: O = {} as O,
  ): EventStream<WithGaps<O, NodeDeviceEvent<N>>> {
    return this.#stream((h) => this.#registry.subscribe('node-device', event, h, options.device, undefined), options);
  }

  /** Secret events as an async iterator. */
  secret<N extends ObjectEventName<'secret'>, O extends SecretSubscribeOptions & EventStreamOptions = object>(
    event: N | number,
    options: O = {} as O,
  ): EventStream<WithGaps<O, SecretEvent<N>>> {
    return this.#stream((h) => this.#registry.subscribe('secret', event, h, options.secret, undefined), options);
  }

  /** QEMU monitor events as an async iterator. */
  qemuMonitor<O extends QemuMonitorSubscribeOptions & EventStreamOptions = object>(options: O = {} as O): EventStream<WithGaps<O, QemuMonitorEvent>> {
    return this.#stream((h) => this.onQemuMonitor(h as EventHandler<QemuMonitorEvent>, { ...options, signal: undefined }), options);
  }

  #stream<T>(subscribe: (handler: EventHandler<never>) => Promise<Unsubscribe>, options: EventStreamOptions): EventStream<T> {
    return new EventStream<T>(async (push, ended, gap) => {
      this.#registry.throwIfEnded();
      this.#streamsEnded.add(ended);
      this.#streamGaps.add(gap);
      const forget = (): void => {
        this.#streamsEnded.delete(ended);
        this.#streamGaps.delete(gap);
      };
      try {
        const unsub = await subscribe(push as EventHandler<never>);
        return async () => {
          forget();
          await unsub();
        };
      } catch (err) {
        forget();
        throw err;
      }
    }, options);
  }

  // -------------------------------------------------------------------------
  // Reconnect and end

  /** @internal A reconnecting connection dropped: registrations wait for the next connection. */
  _suspend(err: ConnectionClosedError): void {
    this.#registry.suspend(err);
  }

  /**
   * @internal The connection is back on `client`: hook the event procedures on it, report the
   * gap, register the close callback and every suspended registration again.
   */
  _resume(client: RpcClient, features: ConnectionFeatures, gap: EventGap): void {
    if (this.#registry.ended) return;
    const release = this.#registry.resume(client, features);
    for (const h of [...this.#gapHandlers]) this.#dispatcher.invoke(h as EventHandler<unknown>, gap);
    for (const g of [...this.#streamGaps]) g(gap);
    this.#close.resume(gap);
    this.#registry.reregister(gap);
    release();
  }

  /** @internal The connection ended for good. */
  _end(err: ConnectionClosedError): void {
    this.#connectionEnded(err);
  }

  #connectionEnded(err: ConnectionClosedError): void {
    if (!this.#registry.end(err)) return;
    for (const ended of [...this.#streamsEnded]) {
      try {
        ended(err);
      } catch {
        // Streams do not throw here.
      }
    }
    this.#streamsEnded.clear();
    this.#close.fire({ reason: err.reason, reasonCode: CloseReason[err.reason], source: 'connection', error: err });
  }
}
