/**
 * The registration table of `conn.events` (events.ts): which daemon registrations exist, which
 * local listeners share each, and their life on the daemon. Follows libvirt's remote driver
 * (`src/remote/remote_driver.c`, `remoteConnect*EventRegisterAny`) and its client-side
 * bookkeeping (`src/conf/object_event.c`):
 *
 * - one daemon registration is shared by every local listener of the same family, event ID and
 *   object filter (libvirt's `virObjectEventCallbackListCount` with `serverFilter`); the first
 *   listener registers it, the last one to go deregisters it, and a new registration of the same
 *   key waits for that deregistration;
 * - without `REMOTE_EVENT_CALLBACK` (daemons older than libvirt 1.2.1), domain events use the
 *   legacy `CONNECT_DOMAIN_EVENT_REGISTER_ANY` by event ID only: one registration per event ID;
 * - each QEMU monitor listener has its own daemon registration (libvirt does the same for
 *   callbacks with an extra filter);
 * - registering the same handler twice for the same event and object is an error, as libvirt's
 *   "event callback already tracked";
 * - on a connection opened with `reconnect`, a drop suspends every registration and the new
 *   connection registers each again (new callback IDs, same filters); subscriptions made while
 *   it is down wait for it.
 *
 * What reaches the listeners is dispatch.ts's job.
 *
 * @module
 */
import { ArgumentError } from '../../errors/root.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import type { RpcClient } from '../../rpc/client.js';
import { abortErrorFor, ConnectionClosedError } from '../../rpc/errors.js';
import type { Procedure } from '../../rpc/procedure.js';
import type { ConnectionFeatures } from '../session-constants.js';
import type { EventGap } from '../reconnect.js';
import type { EventDispatcher } from './dispatch.js';
import {
  eventKeyOf,
  type EventHandler,
  type Listener,
  qemuFlags,
  type QemuMonitorSubscribeOptions,
  refOf,
  type Registration,
  type RegistrationInfo,
  type Unsubscribe,
} from './subscriptions.js';
import { type EventFamily, type EventSpec, families, findEvent, legacyDomainProcedures, qemuMonitorProcedures, uuidString } from './table.js';

/** See the module documentation. */
export class EventRegistry {
  #client: RpcClient;
  #features: ConnectionFeatures;
  readonly #dispatcher: EventDispatcher;
  readonly #managed: boolean;
  readonly #regs = new Map<string, Registration>();
  /** Deregistrations in flight, by registration key: a new registration of that key waits for it. */
  readonly #draining = new Map<string, Promise<void>>();
  #qemuSeq = 0;
  #ended: ConnectionClosedError | null = null;
  /** Set while a reconnecting connection is down; resolved when it is back. */
  #down: { err: ConnectionClosedError; back: Promise<void>; resolve: () => void } | null = null;

  /** `managed`: the connection ends it itself and reconnects (`reconnect`). */
  constructor(client: RpcClient, features: ConnectionFeatures, dispatcher: EventDispatcher, managed: boolean) {
    this.#client = client;
    this.#features = features;
    this.#dispatcher = dispatcher;
    this.#managed = managed;
  }

  /** The RPC engine of the current connection. */
  get client(): RpcClient {
    return this.#client;
  }

  /** What the current connection's daemon supports. */
  get features(): ConnectionFeatures {
    return this.#features;
  }

  /** True once the connection has ended for good. */
  get ended(): boolean {
    return this.#ended !== null;
  }

  /** The daemon-side registrations in place. */
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

  throwIfEnded(): void {
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

  /** A reconnecting connection dropped: registrations wait for the next connection. */
  suspend(err: ConnectionClosedError): void {
    if (this.#ended || this.#down) return;
    let resolve!: () => void;
    const back = new Promise<void>((r) => (resolve = r));
    this.#down = { err, back, resolve };
    for (const reg of this.#regs.values()) if (reg.state === 'active') reg.state = 'suspended';
    this.#draining.clear();
  }

  /**
   * The connection is back on `client`: hooks the event procedures on it and returns the
   * function that releases the subscriptions waiting for it (call it after {@link reregister}).
   */
  resume(client: RpcClient, features: ConnectionFeatures): () => void {
    this.#client = client;
    this.#features = features;
    this.#dispatcher.rehook(client);
    const down = this.#down;
    this.#down = null;
    return () => down?.resolve();
  }

  /** Registers every suspended registration again; a failure (say the filtered object is gone) is reported with `gap`. */
  reregister(gap: EventGap): void {
    for (const reg of [...this.#regs.values()]) {
      if (reg.state !== 'suspended') continue;
      reg.state = 'registering';
      reg.remoteId = null;
      reg.ready = this.#register(reg, reg.registerCall);
      // Its listeners stay subscribed; a failure (say the filtered object is gone) is reported.
      reg.ready.catch((err: unknown) => this.#dispatcher.report(err, gap));
    }
  }

  /** The connection ended for good: drops every registration. False when it had already ended. */
  end(err: ConnectionClosedError): boolean {
    if (this.#ended) return false;
    this.#ended = err;
    this.#down?.resolve();
    this.#down = null;
    for (const reg of [...this.#regs.values()]) this.#dropRegistration(reg);
    return true;
  }

  /** The error a subscription fails with once the connection is gone. */
  closedError(): ConnectionClosedError {
    return this.#ended ?? new ConnectionClosedError('client', 'the connection is closed');
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
    this.#dispatcher.add(reg);
    return reg;
  }

  #dropRegistration(reg: Registration): void {
    reg.state = 'gone';
    if (this.#regs.get(reg.key) === reg) this.#regs.delete(reg.key);
    this.#dispatcher.remove(reg);
  }

  /** Adds `handler` to the registration of `family`'s event `idOrName` and filter, registering it on the daemon if it is the first. */
  async subscribe(
    family: EventFamily,
    idOrName: number | string,
    handler: EventHandler<never>,
    filterObject: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Unsubscribe> {
    const spec = findEvent(family, idOrName);
    if (signal?.aborted) throw abortErrorFor(signal);
    this.throwIfEnded();
    const fam = families[family];
    const filter = refOf(filterObject);
    const filterKey = filter ? fam.key(filter) : null;
    const legacy = family === 'domain' && !this.#features.eventCallbacks;
    // Legacy: one registration per event ID, whatever the filter (the daemon cannot filter).
    const key = legacy ? `domain/${spec.id}/legacy` : `${family}/${spec.id}/${filterKey ?? '*'}`;
    for (let d = this.#draining.get(key); d; d = this.#draining.get(key)) await d;
    this.throwIfEnded();

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

  /** A QEMU monitor listener, with its own daemon registration. */
  async subscribeQemuMonitor(handler: EventHandler<never>, options: QemuMonitorSubscribeOptions): Promise<Unsubscribe> {
    const { signal } = options;
    if (signal?.aborted) throw abortErrorFor(signal);
    this.throwIfEnded();
    const key = `qemu-monitor/${++this.#qemuSeq}`;
    const qemuDomain = refOf(options.domain) as RemoteNonnullDomain | null;
    const reg = this.#newRegistration(key, 'qemu-monitor', null, qemuDomain ? uuidString(qemuDomain.uuid) : null, false, [qemuMonitorProcedures.event]);
    const listener: Listener = { handler, filterKey: null };
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

  /** Runs the daemon registration of `reg`; on failure drops it (its listeners' subscriptions reject). */
  async #register(reg: Registration, call: () => Promise<number | null>): Promise<void> {
    reg.registerCall = call;
    const eventKey = eventKeyOf(reg);
    const early = this.#dispatcher.early;
    early.begin();
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
      early.end(eventKey, undefined);
      this.#dropRegistration(reg);
      throw err;
    }
    if (reg.state === 'gone') {
      early.end(eventKey, undefined);
      return;
    }
    reg.remoteId = remoteId;
    reg.state = 'active';
    early.end(eventKey, remoteId, reg);
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
      throw this.closedError();
    }
    let done: Promise<void> | null = null;
    const unsubscribe: Unsubscribe = () => {
      done ??= (async () => {
        await this.#removeListener(reg, listener);
      })();
      return done;
    };
    return this.unsubscribeOnAbort(signal, unsubscribe);
  }

  /**
   * Ties `unsubscribe` to `signal`: at once if it has already fired (then
   * rejects with the AbortError), else when it fires. The returned function
   * unsubscribes and lets go of the signal.
   */
  async unsubscribeOnAbort(signal: AbortSignal | undefined, unsubscribe: Unsubscribe): Promise<Unsubscribe> {
    if (!signal) return unsubscribe;
    if (signal.aborted) {
      await unsubscribe();
      throw abortErrorFor(signal);
    }
    const onAbort = (): void => void unsubscribe().catch((err: unknown) => this.#dispatcher.report(err, null));
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
}
