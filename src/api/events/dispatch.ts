/**
 * Dispatch of `conn.events` (events.ts): from an event procedure the RPC engine decoded to the
 * listeners of the registrations it belongs to.
 *
 * - each event procedure is hooked on the engine once, however many registrations use it
 *   (counted), and hooked again on the new engine after a reconnect;
 * - an event reaches the registrations of its kind (`family/eventId`, or `qemu-monitor`) whose
 *   daemon callback ID it carries (a legacy registration takes every event of its ID); its
 *   listeners with an object filter are matched locally by the event's UUID (or node device
 *   name), as libvirt's `key_filter` (`src/conf/object_event.c`);
 * - an event for a registration whose REGISTER call is still in flight is held (early.ts);
 *   one no registration claims is counted as dropped;
 * - listeners run synchronously in wire order; what one throws, or rejects with, is reported
 *   and never reaches the connection or the other listeners.
 *
 * The registration table itself is kept by registry.ts.
 *
 * @module
 */
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import type { RpcClient } from '../../rpc/client.js';
import { diagnostics } from '../../rpc/diagnostics.js';
import type { Procedure } from '../../rpc/procedure.js';
import { emitWarning } from '../../util/platform.js';
import { withJson } from '../values.js';
import { EarlyEvents } from './early.js';
import { buildEvent, type EventDropCounts, type EventHandler, eventKeyOf, flatten, type ObjectWrapper, type Registration } from './subscriptions.js';
import { qemuMonitorProcedures, remoteEventProcedures, type EventSpec, uuidString } from './table.js';

/** See the module documentation. */
export class EventDispatcher {
  #client: RpcClient;
  readonly #wrap: ObjectWrapper;
  readonly #uri: string;
  /** Hands what a listener threw to `onListenerError`; false when there is none (then: a process warning). */
  readonly #onError: (error: unknown, event: unknown) => boolean;
  /** Registrations by `family/eventId` (or `qemu-monitor`), for dispatch. */
  readonly #byEvent = new Map<string, Set<Registration>>();
  /** Engine hooks per event procedure, with how many registrations use them. */
  readonly #hooks = new Map<Procedure, { off: () => void; refs: number }>();
  readonly #dropCounts = { unknownCallback: 0, overflow: 0 };
  /** Events that arrive while registrations are in flight. */
  readonly early: EarlyEvents<Registration>;

  constructor(client: RpcClient, wrap: ObjectWrapper, uri: string, onError: (error: unknown, event: unknown) => boolean) {
    this.#client = client;
    this.#wrap = wrap;
    this.#uri = uri;
    this.#onError = onError;
    this.early = new EarlyEvents((cause, procedure, callbackId, n) => this.#countDrop(cause, procedure, callbackId, n));
  }

  /** Events dropped so far (see `ConnectionEvents.dropped`). */
  get dropped(): EventDropCounts {
    return { ...this.#dropCounts };
  }

  /** Indexes `reg` for dispatch and hooks its procedures on the engine. */
  add(reg: Registration): void {
    const byKey = eventKeyOf(reg);
    let set = this.#byEvent.get(byKey);
    if (!set) this.#byEvent.set(byKey, (set = new Set()));
    set.add(reg);
    for (const p of reg.procedures) this.#hook(p);
  }

  /** Undoes {@link add}. */
  remove(reg: Registration): void {
    const byKey = eventKeyOf(reg);
    const set = this.#byEvent.get(byKey);
    if (set?.delete(reg) && set.size === 0) this.#byEvent.delete(byKey);
    for (const p of reg.procedures) this.#unhook(p);
  }

  /** The connection is back on `client`: hook every event procedure in use on it. */
  rehook(client: RpcClient): void {
    this.#client = client;
    for (const [proc, h] of this.#hooks) h.off = client.onEvent(proc, (value) => this.#dispatch(proc, value as Record<string, unknown>));
  }

  #countDrop(cause: 'unknown-callback' | 'overflow', procedure: number, callbackId: number | null, n = 1): void {
    if (cause === 'overflow') this.#dropCounts.overflow += n;
    else this.#dropCounts.unknownCallback += n;
    if (diagnostics.eventDropped.hasSubscribers) {
      for (let i = 0; i < n; i++) diagnostics.eventDropped.publish({ uri: this.#uri, cause, procedure, callbackId });
    }
  }

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
    if (registering) this.early.hold(eventKeyOf(registering), proc.number, callbackId, (reg) => this.#deliver(reg, key, event));
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
      this.invoke(l.handler as EventHandler<unknown>, event);
    }
  }

  /** Calls one listener; what it throws, or its promise rejects with, is reported. */
  invoke(handler: EventHandler<unknown>, event: unknown): void {
    try {
      const r = handler(event);
      if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
        (r as PromiseLike<unknown>).then(undefined, (err: unknown) => this.report(err, event));
      }
    } catch (err) {
      this.report(err, event);
    }
  }

  /** Reports what a listener threw (or a re-registration failed with) to `onListenerError`, or as a process warning. */
  report(error: unknown, event: unknown): void {
    try {
      if (!this.#onError(error, event)) emitWarning(`libvirt-rpc: an event listener threw: ${String(error)}`);
    } catch {
      // The error hook must not break dispatch.
    }
  }
}
