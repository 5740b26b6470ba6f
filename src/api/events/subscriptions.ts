/**
 * The vocabulary of `conn.events` (events.ts): subscription options, what a registration holds,
 * and the pure steps of delivery (an event's wire `_msg` flattened and turned into the object a
 * listener receives). No state lives here.
 *
 * @module
 */
import type { RemoteNonnullDomain, RemoteTypedParam } from '../../procedures/remote.gen.js';
import { CloseReason } from '../../rpc/errors.js';
import type { Procedure } from '../../rpc/procedure.js';
import type { Domain } from '../objects/index.js';
import { recordOf } from '../values.js';
import { families, lifecycleDetailName, lifecycleName, type EventFamily, type EventSpec } from './table.js';
import type { CloseEvent, FamilyObject, FamilyRef } from './types.js';

/** Ends one subscription. Idempotent; resolves once the daemon-side registration is gone (when this was its last listener). */
export type Unsubscribe = () => Promise<void>;

/** A listener. It may return a promise; a rejection is reported like a thrown error. */
export type EventHandler<E> = (event: E) => unknown;

/** Makes the object (`Domain`, `Network`, ...) an event is about from its wire reference. */
export type ObjectWrapper = (family: EventFamily, ref: unknown) => unknown;

/** Options every subscription takes. */
export interface SubscribeOptions {
  /** Aborts a pending subscription (it rejects with an `AbortError`) or ends an active one. */
  readonly signal?: AbortSignal;
}

/** Options of domain subscriptions. */
export interface DomainSubscribeOptions extends SubscribeOptions {
  /** Only events of this domain. */
  readonly domain?: Domain | RemoteNonnullDomain;
}

/** Options of network subscriptions. */
export interface NetworkSubscribeOptions extends SubscribeOptions {
  /** Only events of this network. */
  readonly network?: FamilyObject<'network'> | FamilyRef<'network'>;
}

/** Options of storage pool subscriptions. */
export interface StoragePoolSubscribeOptions extends SubscribeOptions {
  /** Only events of this pool. */
  readonly pool?: FamilyObject<'storage-pool'> | FamilyRef<'storage-pool'>;
}

/** Options of node device subscriptions. */
export interface NodeDeviceSubscribeOptions extends SubscribeOptions {
  /** Only events of this device. */
  readonly device?: FamilyObject<'node-device'> | FamilyRef<'node-device'>;
}

/** Options of secret subscriptions. */
export interface SecretSubscribeOptions extends SubscribeOptions {
  /** Only events of this secret. */
  readonly secret?: FamilyObject<'secret'> | FamilyRef<'secret'>;
}

/** Options of QEMU monitor subscriptions (`virConnectDomainQemuMonitorEventRegister`). */
export interface QemuMonitorSubscribeOptions extends SubscribeOptions {
  /** Only events of this domain. */
  readonly domain?: Domain | RemoteNonnullDomain;
  /** Only this QEMU event name (`STOP`, ...); with `regex`, a POSIX extended regex. */
  readonly event?: string;
  /** `VIR_CONNECT_DOMAIN_QEMU_MONITOR_EVENT_REGISTER_*` flags, or `{ regex, nocase }`. */
  readonly flags?: number | { readonly regex?: boolean; readonly nocase?: boolean };
}

/** One daemon-side registration as {@link ConnectionEvents.registrations} reports it. */
export interface RegistrationInfo {
  readonly family: EventFamily | 'qemu-monitor';
  readonly event: string;
  /** The filter's key (UUID or node device name), or null. */
  readonly filter: string | null;
  /** The daemon's callback ID, or null for a legacy registration. */
  readonly callbackId: number | null;
  readonly listeners: number;
  /** `suspended`: the connection dropped and is being re-established (`reconnect`). */
  readonly state: 'registering' | 'active' | 'suspended';
}

/** Events dropped before reaching a listener ({@link ConnectionEvents.dropped}). */
export interface EventDropCounts {
  /** Events whose callback ID no registration has (another client's registration, one already gone). */
  readonly unknownCallback: number;
  /** Events of a registration lost because a bound was reached while it was being registered. */
  readonly overflow: number;
}

export interface Listener {
  readonly handler: EventHandler<never>;
  /** Local filter key, or null. */
  readonly filterKey: string | null;
}

export interface Registration {
  readonly key: string;
  readonly family: EventFamily | 'qemu-monitor';
  readonly spec: EventSpec | null;
  readonly filterKey: string | null;
  readonly legacy: boolean;
  readonly procedures: readonly Procedure[];
  remoteId: number | null;
  state: 'registering' | 'active' | 'suspended' | 'gone';
  readonly listeners: Set<Listener>;
  ready: Promise<void>;
  /** The daemon registration call (run again after a reconnect); resolves with the callback ID. */
  registerCall: () => Promise<number | null>;
}

/** A wire reference from an object (`dom`) or the reference itself; null when none. */
export function refOf(x: unknown): unknown {
  if (x === undefined || x === null) return null;
  return typeof x === 'object' && 'ref' in x ? (x as { ref: unknown }).ref : x;
}

/** Splits a decoded `_msg` into its callback ID and its flattened fields. */
export function flatten(value: Record<string, unknown>): { callbackId: number | null; fields: Record<string, unknown> } {
  const { callbackID, msg, ...rest } = value;
  const fields = msg !== null && typeof msg === 'object' ? { ...(msg as Record<string, unknown>), ...rest } : rest;
  return { callbackId: typeof callbackID === 'number' ? callbackID : null, fields };
}

/** Builds the delivered event of `spec` from the flattened fields. */
export function buildEvent(spec: EventSpec, fields: Record<string, unknown>, wrap: ObjectWrapper): { event: Record<string, unknown>; key: string } {
  const fam = families[spec.family];
  const { [fam.objectField]: object, ...rest } = fields;
  const event: Record<string, unknown> = { kind: spec.name, eventId: spec.id, [fam.publicField]: wrap(spec.family, object), ...rest };
  if (spec.name === 'lifecycle') {
    const code = rest.event as number;
    event.event = lifecycleName(spec.family, code);
    event.eventCode = code;
    if (spec.family === 'domain') {
      event.detail = lifecycleDetailName(code, rest.detail as number);
      event.detailCode = rest.detail;
    }
  }
  if (Array.isArray(rest.params)) event.params = recordOf(rest.params as RemoteTypedParam[]);
  return { event, key: fam.key(object) };
}

export function qemuFlags(flags: QemuMonitorSubscribeOptions['flags']): number {
  if (typeof flags === 'number') return flags;
  if (!flags) return 0;
  return (flags.regex ? 1 : 0) | (flags.nocase ? 2 : 0);
}

/** The dispatch key of a registration's event kind: `family/eventId`, or `qemu-monitor`. */
export function eventKeyOf(reg: Registration): string {
  return reg.spec ? `${reg.spec.family}/${reg.spec.id}` : 'qemu-monitor';
}

export function closeReasonName(code: number): CloseEvent['reason'] {
  for (const [name, value] of Object.entries(CloseReason)) if (value === code) return name as CloseEvent['reason'];
  return 'unknown';
}
