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
 * Why this module is longer than ~600 lines: every path of {@link ConnectionEvents} (subscribe,
 * register, dispatch, unsubscribe, suspend and re-register on reconnect, close) reads and writes
 * the same registration table, hooks and held events, kept private to one class. What has no
 * state lives beside it: the vocabulary and delivery steps in events/subscriptions.ts, the wire
 * table in events/table.ts, iterators in events/stream.ts, early events in events/early.ts.
 *
 * @module
 */
import { ArgumentError } from '../errors/root.js';
import { emitWarning } from '../util/platform.js';
import type { RemoteNonnullDomain } from '../procedures/remote.gen.js';
import type { RpcClient } from '../rpc/client.js';
import { diagnostics } from '../rpc/diagnostics.js';
import { abortErrorFor, CloseReason, ConnectionClosedError } from '../rpc/errors.js';
import type { Procedure } from '../rpc/procedure.js';
import type { ConnectionFeatures } from './session-constants.js';
import { withJson } from './values.js';
import { EventStream, type EventStreamOptions, type WithGaps } from './events/stream.js';
import { EarlyEvents } from './events/early.js';
import type { EventGap } from './reconnect.js';
import {
  closeProcedures,
  families,
  findEvent,
  legacyDomainProcedures,
  qemuMonitorProcedures,
  remoteEventProcedures,
  uuidString,
  type EventFamily,
  type EventSpec,
} from './events/table.js';
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

import {
  buildEvent,
  closeReasonName,
  eventKeyOf,
  flatten,
  qemuFlags,
  refOf,
  type DomainSubscribeOptions,
  type EventDropCounts,
  type EventHandler,
  type Listener,
  type NetworkSubscribeOptions,
  type NodeDeviceSubscribeOptions,
  type ObjectWrapper,
  type QemuMonitorSubscribeOptions,
  type Registration,
  type RegistrationInfo,
  type SecretSubscribeOptions,
  type StoragePoolSubscribeOptions,
  type SubscribeOptions,
  type Unsubscribe,
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

  #client: RpcClient;
  #features: ConnectionFeatures;
  readonly #wrap: ObjectWrapper;
  readonly #regs = new Map<string, Registration>();
  /** Registrations by `family/eventId` (or `qemu-monitor`), for dispatch. */
  readonly #byEvent = new Map<string, Set<Registration>>();
  /** Deregistrations in flight, by registration key: a new registration of that key waits for it. */
  readonly #draining = new Map<string, Promise<void>>();
  /** Engine hooks per event procedure, with how many registrations use them. */
  readonly #hooks = new Map<Procedure, { off: () => void; refs: number }>();
  readonly #streamsEnded = new Set<(err: ConnectionClosedError) => void>();
  readonly #closeHandlers = new Set<EventHandler<CloseEvent>>();
  #closeRegistration: Promise<void> | null = null;
  #closeOnDaemon = false;
  #closeHook: (() => void) | null = null;
  #qemuSeq = 0;
  #ended: ConnectionClosedError | null = null;
  /** Set while a reconnecting connection is down; resolved when it is back. */
  #down: { err: ConnectionClosedError; back: Promise<void>; resolve: () => void } | null = null;
  readonly #gapHandlers = new Set<(gap: EventGap) => void>();
  readonly #streamGaps = new Set<(gap: EventGap) => void>();
  readonly #early: EarlyEvents<Registration>;
  readonly #managed: boolean;
  readonly #dropCounts = { unknownCallback: 0, overflow: 0 };
  readonly #uri: string;

  /** @internal Built by the Connection (`managed`: it reports drops and ends itself, for `reconnect`). */
  constructor(client: RpcClient, features: ConnectionFeatures, wrap: ObjectWrapper, options: { managed?: boolean; uri?: string } = {}) {
    this.#client = client;
    this.#features = features;
    this.#wrap = wrap;
    this.#uri = options.uri ?? '';
    this.#managed = options.managed ?? false;
    this.#early = new EarlyEvents((cause, procedure, callbackId, n) => this.#countDrop(cause, procedure, callbackId, n));
    if (!options.managed) void client.closed.then((err) => this.#connectionEnded(err));
  }

  /**
   * Events dropped so far before reaching a listener: `unknownCallback` (no registration had
   * the event's callback ID) and `overflow` (a registration's early events beyond the bound).
   * Each drop is also published on the `libvirt-rpc:event:dropped` diagnostics channel.
   * (An iterator's own drops, with a `drop-*` overflow policy, are in its `dropped`.)
   */
  get dropped(): EventDropCounts {
    return { ...this.#dropCounts };
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

  #countDrop(cause: 'unknown-callback' | 'overflow', procedure: number, callbackId: number | null, n = 1): void {
    if (cause === 'overflow') this.#dropCounts.overflow += n;
    else this.#dropCounts.unknownCallback += n;
    if (diagnostics.eventDropped.hasSubscribers) {
      for (let i = 0; i < n; i++) diagnostics.eventDropped.publish({ uri: this.#uri, cause, procedure, callbackId });
    }
  }

  /** The daemon-side registrations in place (for diagnostics and tests). */
  get registrations(): RegistrationInfo[] {
    return [...this.#regs.values()]
      .filter((r) => r.state !== 'gone')
      .map((r) => ({
        family: r.family,
        event: r.spec?.name ?? 'qemu-monitor',
        filter: r.filterKey,
        callbackId: r.remoteId,
        listeners: r.listeners.size,
        state: r.state as 'registering' | 'active' | 'suspended',
      }));
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
    return this.#subscribe('domain', event, handler as EventHandler<never>, options.domain, options.signal);
  }

  /** Network events (`lifecycle`, `metadata-change`), like {@link onDomain}. */
  onNetwork<N extends ObjectEventName<'network'>>(
    event: N | number,
    handler: EventHandler<NetworkEvent<N>>,
    options: NetworkSubscribeOptions = {},
  ): Promise<Unsubscribe> {
    return this.#subscribe('network', event, handler as EventHandler<never>, options.network, options.signal);
  }

  /** Storage pool events (`lifecycle`, `refresh`), like {@link onDomain}. */
  onStoragePool<N extends ObjectEventName<'storage-pool'>>(
    event: N | number,
    handler: EventHandler<StoragePoolEvent<N>>,
    options: StoragePoolSubscribeOptions = {},
  ): Promise<Unsubscribe> {
    return this.#subscribe('storage-pool', event, handler as EventHandler<never>, options.pool, options.signal);
  }

  /** Node device events (`lifecycle`, `update`), like {@link onDomain}. */
  onNodeDevice<N extends ObjectEventName<'node-device'>>(
    event: N | number,
    handler: EventHandler<NodeDeviceEvent<N>>,
    options: NodeDeviceSubscribeOptions = {},
  ): Promise<Unsubscribe> {
    return this.#subscribe('node-device', event, handler as EventHandler<never>, options.device, options.signal);
  }

  /** Secret events (`lifecycle`, `value-changed`), like {@link onDomain}. */
  onSecret<N extends ObjectEventName<'secret'>>(
    event: N | number,
    handler: EventHandler<SecretEvent<N>>,
    options: SecretSubscribeOptions = {},
  ): Promise<Unsubscribe> {
    return this.#subscribe('secret', event, handler as EventHandler<never>, options.secret, options.signal);
  }

  /**
   * QEMU monitor events (`virConnectDomainQemuMonitorEventRegister`): every
   * QMP event of every domain, or filtered by domain and event name (the
   * daemon filters). Each call makes its own daemon registration.
   */
  async onQemuMonitor(handler: EventHandler<QemuMonitorEvent>, options: QemuMonitorSubscribeOptions = {}): Promise<Unsubscribe> {
    const { signal } = options;
    if (signal?.aborted) throw abortErrorFor(signal);
    this.#throwIfEnded();
    const key = `qemu-monitor/${++this.#qemuSeq}`;
    const qemuDomain = refOf(options.domain) as RemoteNonnullDomain | null;
    const reg = this.#newRegistration(key, 'qemu-monitor', null, qemuDomain ? uuidString(qemuDomain.uuid) : null, false, [qemuMonitorProcedures.event]);
    const listener: Listener = { handler: handler as EventHandler<never>, filterKey: null };
    reg.listeners.add(listener);
    reg.ready = this.#register(reg, async () => {
      await this.#whenUp();
      const ret = (await this.#client.call(qemuMonitorProcedures.register, {
        dom: options.domain ?? null,
        event: options.event ?? null,
        flags: qemuFlags(options.flags),
      })) as { callbackID: number };
      return ret.callbackID;
    });
    return this.#afterReady(reg, listener, signal);
  }

  /**
   * Calls `handler` once when the connection closes: when the daemon says its
   * driver connection closed (`CONNECT_EVENT_CONNECTION_CLOSED`, with its
   * reason) or when this connection ends (daemon gone: `eof`; I/O or protocol
   * error: `error`; keepalive timeout: `keepalive`; `close()`/`destroy()`:
   * `client`). Like libvirt's close callback, it fires at most once.
   */
  async onClose(handler: EventHandler<CloseEvent>, options: SubscribeOptions = {}): Promise<Unsubscribe> {
    const { signal } = options;
    if (signal?.aborted) throw abortErrorFor(signal);
    this.#throwIfEnded();
    this.#closeHandlers.add(handler);
    if (this.#features.closeCallback && !this.#closeOnDaemon) {
      this.#closeRegistration ??= this.#registerClose();
      try {
        await this.#closeRegistration;
      } catch (err) {
        this.#closeHandlers.delete(handler);
        throw err;
      }
    }
    let done = false;
    const unsubscribe: Unsubscribe = async () => {
      if (done) return;
      done = true;
      if (!this.#closeHandlers.delete(handler) || this.#closeHandlers.size > 0 || !this.#closeOnDaemon) return;
      this.#closeOnDaemon = false;
      this.#closeHook?.();
      this.#closeHook = null;
      if (!this.#client.isOpen) return;
      await this.#client.call(closeProcedures.unregister, undefined).catch((err: unknown) => {
        if (!(err instanceof ConnectionClosedError)) throw err;
      });
    };
    return this.#unsubscribeOnAbort(signal, unsubscribe);
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
    return this.#stream((h) => this.#subscribe('domain', event, h, options.domain, undefined), options);
  }

  /** Network events as an async iterator. */
  network<N extends ObjectEventName<'network'>, O extends NetworkSubscribeOptions & EventStreamOptions = object>(
    event: N | number,
    options: O = {} as O,
  ): EventStream<WithGaps<O, NetworkEvent<N>>> {
    return this.#stream((h) => this.#subscribe('network', event, h, options.network, undefined), options);
  }

  /** Storage pool events as an async iterator. */
  storagePool<N extends ObjectEventName<'storage-pool'>, O extends StoragePoolSubscribeOptions & EventStreamOptions = object>(
    event: N | number,
    options: O = {} as O,
  ): EventStream<WithGaps<O, StoragePoolEvent<N>>> {
    return this.#stream((h) => this.#subscribe('storage-pool', event, h, options.pool, undefined), options);
  }

  /** Node device events as an async iterator. */
  nodeDevice<N extends ObjectEventName<'node-device'>, O extends NodeDeviceSubscribeOptions & EventStreamOptions = object>(
    event: N | number,
    options: O = {} as O,
  ): EventStream<WithGaps<O, NodeDeviceEvent<N>>> {
    return this.#stream((h) => this.#subscribe('node-device', event, h, options.device, undefined), options);
  }

  /** Secret events as an async iterator. */
  secret<N extends ObjectEventName<'secret'>, O extends SecretSubscribeOptions & EventStreamOptions = object>(
    event: N | number,
    options: O = {} as O,
  ): EventStream<WithGaps<O, SecretEvent<N>>> {
    return this.#stream((h) => this.#subscribe('secret', event, h, options.secret, undefined), options);
  }

  /** QEMU monitor events as an async iterator. */
  qemuMonitor<O extends QemuMonitorSubscribeOptions & EventStreamOptions = object>(options: O = {} as O): EventStream<WithGaps<O, QemuMonitorEvent>> {
    return this.#stream((h) => this.onQemuMonitor(h as EventHandler<QemuMonitorEvent>, { ...options, signal: undefined }), options);
  }

  #stream<T>(subscribe: (handler: EventHandler<never>) => Promise<Unsubscribe>, options: EventStreamOptions): EventStream<T> {
    return new EventStream<T>(async (push, ended, gap) => {
      this.#throwIfEnded();
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
  // Registration bookkeeping

  #throwIfEnded(): void {
    if (this.#ended) throw this.#ended;
    // A reconnecting connection that is down is not ended: subscriptions wait for it (#whenUp).
    if (!this.#client.isOpen && !this.#managed) throw new ConnectionClosedError('client', 'the connection is closed');
  }

  /** Waits while a reconnecting connection is down; throws once it has ended. */
  async #whenUp(): Promise<void> {
    // A drop not noticed yet: the Connection's handler on `closed` (registered first) suspends us.
    if (this.#managed && !this.#client.isOpen && this.#down === null && this.#ended === null) await this.#client.closed;
    for (;;) {
      if (this.#ended) throw this.#ended;
      if (this.#down === null) return;
      await this.#down.back;
    }
  }

  /** @internal A reconnecting connection dropped: registrations wait for the next connection. */
  _suspend(err: ConnectionClosedError): void {
    if (this.#ended || this.#down) return;
    let resolve!: () => void;
    const back = new Promise<void>((r) => (resolve = r));
    this.#down = { err, back, resolve };
    for (const reg of this.#regs.values()) if (reg.state === 'active') reg.state = 'suspended';
    this.#draining.clear();
  }

  /**
   * @internal The connection is back on `client`: hook the event procedures on it, report the
   * gap, register the close callback and every suspended registration again.
   */
  _resume(client: RpcClient, features: ConnectionFeatures, gap: EventGap): void {
    if (this.#ended) return;
    this.#client = client;
    this.#features = features;
    for (const [proc, h] of this.#hooks) h.off = client.onEvent(proc, (value) => this.#dispatch(proc, value as Record<string, unknown>));
    const down = this.#down;
    this.#down = null;
    for (const h of [...this.#gapHandlers]) this.#invoke(h as EventHandler<unknown>, gap);
    for (const g of [...this.#streamGaps]) g(gap);
    if (this.#closeOnDaemon) {
      this.#closeOnDaemon = false;
      this.#closeHook = null;
      this.#closeRegistration ??= this.#registerClose();
      this.#closeRegistration.catch((err: unknown) => this.#report(err, gap));
    }
    for (const reg of [...this.#regs.values()]) {
      if (reg.state !== 'suspended') continue;
      reg.state = 'registering';
      reg.remoteId = null;
      reg.ready = this.#register(reg, reg.registerCall);
      // Its listeners stay subscribed; a failure (say the filtered object is gone) is reported.
      reg.ready.catch((err: unknown) => this.#report(err, gap));
    }
    down?.resolve();
  }

  /** @internal The connection ended for good. */
  _end(err: ConnectionClosedError): void {
    this.#connectionEnded(err);
  }

  #newRegistration(
    key: string,
    family: EventFamily | 'qemu-monitor',
    spec: EventSpec | null,
    filterKey: string | null,
    legacy: boolean,
    procedures: readonly Procedure[],
  ): Registration {
    const reg: Registration = {
      key,
      family,
      spec,
      filterKey,
      legacy,
      procedures,
      remoteId: null,
      state: 'registering',
      listeners: new Set(),
      ready: Promise.resolve(),
      registerCall: async () => null,
    };
    this.#regs.set(key, reg);
    const byKey = spec ? `${spec.family}/${spec.id}` : 'qemu-monitor';
    let set = this.#byEvent.get(byKey);
    if (!set) this.#byEvent.set(byKey, (set = new Set()));
    set.add(reg);
    for (const p of procedures) this.#hook(p);
    return reg;
  }

  #dropRegistration(reg: Registration): void {
    reg.state = 'gone';
    if (this.#regs.get(reg.key) === reg) this.#regs.delete(reg.key);
    const byKey = reg.spec ? `${reg.spec.family}/${reg.spec.id}` : 'qemu-monitor';
    const set = this.#byEvent.get(byKey);
    if (set?.delete(reg) && set.size === 0) this.#byEvent.delete(byKey);
    for (const p of reg.procedures) this.#unhook(p);
  }

  async #subscribe(
    family: EventFamily,
    idOrName: number | string,
    handler: EventHandler<never>,
    filterObject: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Unsubscribe> {
    const spec = findEvent(family, idOrName);
    if (signal?.aborted) throw abortErrorFor(signal);
    this.#throwIfEnded();
    const fam = families[family];
    const filter = refOf(filterObject);
    const filterKey = filter ? fam.key(filter) : null;
    const legacy = family === 'domain' && !this.#features.eventCallbacks;
    // Legacy: one registration per event ID, whatever the filter (the daemon cannot filter).
    const key = legacy ? `domain/${spec.id}/legacy` : `${family}/${spec.id}/${filterKey ?? '*'}`;
    for (let d = this.#draining.get(key); d; d = this.#draining.get(key)) await d;
    this.#throwIfEnded();

    let reg = this.#regs.get(key);
    if (reg) {
      for (const l of reg.listeners) {
        if (l.handler === handler && l.filterKey === filterKey) {
          throw new ArgumentError(`${family} event callback already tracked: this handler already listens to ${spec.name} with this filter`);
        }
      }
    }
    const listener: Listener = { handler, filterKey };
    if (!reg) {
      reg = this.#newRegistration(key, family, spec, legacy ? null : filterKey, legacy, spec.procedures);
      const r = reg;
      r.ready = this.#register(r, async () => {
        await this.#whenUp();
        if (legacy) {
          await this.#client.call(legacyDomainProcedures.register, { eventID: spec.id });
          return null;
        }
        const ret = (await this.#client.call(fam.register, { eventID: spec.id, [fam.objectField]: filter ?? null })) as {
          callbackID: number;
        };
        return ret.callbackID;
      });
    }
    reg.listeners.add(listener);
    return this.#afterReady(reg, listener, signal);
  }

  /** Runs the daemon registration of `reg`; on failure drops it (its listeners' subscriptions reject). */
  async #register(reg: Registration, call: () => Promise<number | null>): Promise<void> {
    reg.registerCall = call;
    const eventKey = eventKeyOf(reg);
    this.#early.begin();
    let remoteId: number | null;
    try {
      for (;;) {
        try {
          remoteId = await call();
          break;
        } catch (err) {
          // Dropped mid-registration on a reconnecting connection: register on the next one.
          if (!this.#managed || this.#ended || !(err instanceof ConnectionClosedError) || err.reason === 'client') throw err;
          await this.#whenUp();
        }
      }
    } catch (err) {
      this.#early.end(eventKey, undefined);
      this.#dropRegistration(reg);
      throw err;
    }
    if (reg.state === 'gone') {
      this.#early.end(eventKey, undefined);
      return;
    }
    reg.remoteId = remoteId;
    reg.state = 'active';
    this.#early.end(eventKey, remoteId, reg);
  }

  async #afterReady(reg: Registration, listener: Listener, signal: AbortSignal | undefined): Promise<Unsubscribe> {
    try {
      await reg.ready;
    } catch (err) {
      reg.listeners.delete(listener);
      throw err;
    }
    if (reg.state === 'gone') {
      reg.listeners.delete(listener);
      throw this.#ended ?? new ConnectionClosedError('client', 'the connection is closed');
    }
    let done: Promise<void> | null = null;
    const unsubscribe: Unsubscribe = () => {
      done ??= (async () => {
        await this.#removeListener(reg, listener);
      })();
      return done;
    };
    return this.#unsubscribeOnAbort(signal, unsubscribe);
  }

  /**
   * Ties `unsubscribe` to `signal`: at once if it has already fired (then
   * rejects with the AbortError), else when it fires. The returned function
   * unsubscribes and lets go of the signal.
   */
  async #unsubscribeOnAbort(signal: AbortSignal | undefined, unsubscribe: Unsubscribe): Promise<Unsubscribe> {
    if (!signal) return unsubscribe;
    if (signal.aborted) {
      await unsubscribe();
      throw abortErrorFor(signal);
    }
    const onAbort = (): void => void unsubscribe().catch((err: unknown) => this.#report(err, null));
    signal.addEventListener('abort', onAbort, { once: true });
    return () => {
      signal.removeEventListener('abort', onAbort);
      return unsubscribe();
    };
  }

  async #removeListener(reg: Registration, listener: Listener): Promise<void> {
    if (!reg.listeners.delete(listener) || reg.listeners.size > 0) return;
    if (reg.state === 'suspended') {
      this.#dropRegistration(reg); // registered on a connection that is gone: nothing to undo
      return;
    }
    if (reg.state !== 'active') return;
    this.#dropRegistration(reg);
    if (!this.#client.isOpen) return;
    let call: Promise<unknown>;
    if (reg.family === 'qemu-monitor') {
      call = this.#client.call(qemuMonitorProcedures.deregister, { callbackID: reg.remoteId });
    } else if (reg.legacy) {
      call = this.#client.call(legacyDomainProcedures.deregister, { eventID: reg.spec!.id });
    } else {
      call = this.#client.call(families[reg.family].deregister, { callbackID: reg.remoteId });
    }
    const p = call.then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof ConnectionClosedError)) throw err;
      },
    );
    const settled = p.catch(() => undefined);
    this.#draining.set(reg.key, settled);
    void settled.then(() => {
      if (this.#draining.get(reg.key) === settled) this.#draining.delete(reg.key);
    });
    await p;
  }

  // -------------------------------------------------------------------------
  // Dispatch

  #hook(proc: Procedure): void {
    const h = this.#hooks.get(proc);
    if (h) {
      h.refs++;
      return;
    }
    const off = this.#client.onEvent(proc, (value) => this.#dispatch(proc, value as Record<string, unknown>));
    this.#hooks.set(proc, { off, refs: 1 });
  }

  #unhook(proc: Procedure): void {
    const h = this.#hooks.get(proc);
    if (!h || --h.refs > 0) return;
    h.off();
    this.#hooks.delete(proc);
  }

  #dispatch(proc: Procedure, value: Record<string, unknown>): void {
    let regs: Set<Registration> | undefined;
    let callbackId: number | null;
    let key: string;
    let event: Record<string, unknown>;
    if (proc === qemuMonitorProcedures.event) {
      const m = value as { callbackID: number; dom: RemoteNonnullDomain; event: string; seconds: bigint; micros: number; details: string | null };
      callbackId = m.callbackID;
      key = uuidString(m.dom.uuid);
      event = withJson({ kind: 'qemu-monitor', domain: this.#wrap('domain', m.dom), event: m.event, seconds: m.seconds, micros: m.micros, details: m.details });
      regs = this.#byEvent.get('qemu-monitor');
    } else {
      const spec = this.#specOf(proc);
      if (!spec) return;
      const flat = flatten(value);
      callbackId = flat.callbackId;
      ({ event, key } = buildEvent(spec, flat.fields, this.#wrap));
      regs = this.#byEvent.get(`${spec.family}/${spec.id}`);
    }
    if (!regs) {
      this.#countDrop('unknown-callback', proc.number, callbackId);
      return;
    }
    let claimed = false;
    let registering: Registration | null = null;
    for (const reg of [...regs]) {
      if (reg.state === 'gone' || reg.state === 'suspended') continue;
      if (reg.state === 'registering' && !reg.legacy) {
        registering = reg;
        continue;
      }
      // Legacy registrations take every event of their ID; others only their callback ID's.
      if (!reg.legacy && reg.remoteId !== callbackId) continue;
      claimed = true;
      this.#deliver(reg, key, event);
    }
    if (claimed) return;
    if (registering) this.#early.hold(eventKeyOf(registering), proc.number, callbackId, (reg) => this.#deliver(reg, key, event));
    else this.#countDrop('unknown-callback', proc.number, callbackId);
  }

  #specOf(proc: Procedure): EventSpec | null {
    const spec = remoteEventProcedures().get(proc.number);
    return spec && spec !== 'close' ? spec : null;
  }

  #deliver(reg: Registration, key: string, event: unknown): void {
    for (const l of [...reg.listeners]) {
      if (reg.state === 'gone') return;
      if (!reg.listeners.has(l)) continue;
      if (l.filterKey !== null && l.filterKey !== key) continue;
      this.#invoke(l.handler as EventHandler<unknown>, event);
    }
  }

  #invoke(handler: EventHandler<unknown>, event: unknown): void {
    try {
      const r = handler(event);
      if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
        (r as PromiseLike<unknown>).then(undefined, (err: unknown) => this.#report(err, event));
      }
    } catch (err) {
      this.#report(err, event);
    }
  }

  #report(error: unknown, event: unknown): void {
    try {
      if (this.onListenerError) this.onListenerError(error, event);
      else emitWarning(`libvirt-rpc: an event listener threw: ${String(error)}`);
    } catch {
      // The error hook must not break dispatch.
    }
  }

  // -------------------------------------------------------------------------
  // Close

  async #registerClose(): Promise<void> {
    const off = this.#client.onEvent(closeProcedures.event, (value) => {
      const code = (value as { reason: number }).reason;
      this.#fireClose({ reason: closeReasonName(code), reasonCode: code, source: 'daemon' });
    });
    try {
      await this.#client.call(closeProcedures.register, undefined);
      this.#closeOnDaemon = true;
      this.#closeHook = off;
    } catch (err) {
      off();
      throw err;
    } finally {
      this.#closeRegistration = null;
    }
  }

  /** Calls every close handler once and forgets them (libvirt resets its close callback after calling it). */
  #fireClose(ev: CloseEvent): void {
    const handlers = [...this.#closeHandlers];
    this.#closeHandlers.clear();
    for (const h of handlers) this.#invoke(h as EventHandler<unknown>, ev);
  }

  #connectionEnded(err: ConnectionClosedError): void {
    if (this.#ended) return;
    this.#ended = err;
    this.#down?.resolve();
    this.#down = null;
    for (const reg of [...this.#regs.values()]) this.#dropRegistration(reg);
    for (const ended of [...this.#streamsEnded]) {
      try {
        ended(err);
      } catch {
        // Streams do not throw here.
      }
    }
    this.#streamsEnded.clear();
    this.#fireClose({ reason: err.reason, reasonCode: CloseReason[err.reason], source: 'connection', error: err });
  }
}
