/**
 * The event tables, derived on first use from the generated procedure tables
 * and the API XML enums rather than written by hand:
 *
 * - an event's name is its ID constant without the family prefix, lower-case,
 *   `_` → `-` (`VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2` → `block-job-2`);
 * - its procedures are the `.x` event procedures named after it:
 *   `REMOTE_PROC_DOMAIN_EVENT_CALLBACK_<X>` (the daemon sends it to clients
 *   that registered with a callback ID) and `REMOTE_PROC_DOMAIN_EVENT_<X>`
 *   (the legacy form, or the only form for the events added after libvirt
 *   1.2.1, which carry `callbackID` themselves);
 * - lifecycle names come from the `vir*EventLifecycleType` /
 *   `virDomainEventType` enums, domain lifecycle details from the
 *   `virDomainEvent<Type>DetailType` enum whose name matches the event type.
 *
 * @module
 */
import { ArgumentError, LibvirtRpcError } from '../../errors/root.js';
import { toHex } from '../../util/bytes.js';
// Named imports, not the whole namespace: a bundle keeps only these enums of libvirt-api.gen.
import {
  virDomainEventCrashedDetailType,
  virDomainEventDefinedDetailType,
  virDomainEventID,
  virDomainEventPMSuspendedDetailType,
  virDomainEventResumedDetailType,
  virDomainEventShutdownDetailType,
  virDomainEventStartedDetailType,
  virDomainEventStoppedDetailType,
  virDomainEventSuspendedDetailType,
  virDomainEventType,
  virDomainEventUndefinedDetailType,
  virNetworkEventID,
  virNetworkEventLifecycleType,
  virNodeDeviceEventID,
  virNodeDeviceEventLifecycleType,
  virSecretEventID,
  virSecretEventLifecycleType,
  virStoragePoolEventID,
  virStoragePoolEventLifecycleType,
} from '../../procedures/libvirt-api.gen.js';
import { qemuProcedures } from '../../procedures/qemu-core.gen.js';
import { remoteProcedures } from '../../procedures/remote-core.gen.js';
import type { Procedure } from '../../rpc/procedure.js';
import { lazyObject } from '../../util/lazy.js';

/** The object families whose events libvirt reports through `*_EVENT_REGISTER_ANY`. */
export type EventFamily = 'domain' | 'network' | 'storage-pool' | 'node-device' | 'secret';

/** How one family registers, filters and reports its events. */
export interface FamilySpec {
  readonly family: EventFamily;
  /** The `.x` infix of its procedures: `DOMAIN`, `NETWORK`, `STORAGE_POOL`, ... */
  readonly infix: string;
  /** Prefix of its event ID constants (`VIR_NETWORK_EVENT_ID_`). */
  readonly idPrefix: string;
  /** The `vir*EventID` enum. */
  readonly ids: Readonly<Record<string, number>>;
  /** The field of the `_msg` structs (and of the register args) holding the object. */
  readonly objectField: string;
  /** The field of a delivered event holding the object. */
  readonly publicField: string;
  /** Registration with a callback ID (`..._EVENT_REGISTER_ANY` / `..._EVENT_CALLBACK_REGISTER_ANY`). */
  readonly register: Procedure;
  /** Its deregistration, by callback ID. */
  readonly deregister: Procedure;
  /** The local filter key of an object, as libvirt's `virObjectMeta.key`: a UUID string, or a node device's name. */
  key(object: unknown): string;
  /** Lifecycle event types: the `vir*EventLifecycleType` / `virDomainEventType` enum and its prefix. */
  readonly lifecycle: { readonly values: Readonly<Record<string, number>>; readonly prefix: string };
}

/** One event of one family. */
export interface EventSpec {
  readonly family: EventFamily;
  /** The event ID (`VIR_DOMAIN_EVENT_ID_LIFECYCLE` = 0, ...). */
  readonly id: number;
  /** Its name (`lifecycle`, `block-job-2`, ...). */
  readonly name: string;
  /** The ID constant's name. */
  readonly constant: string;
  /** The event procedures that carry it (callback form first). */
  readonly procedures: readonly Procedure[];
}

/** A UUID (16 bytes) in libvirt's string form. */
export function uuidString(uuid: Uint8Array): string {
  const h = toHex(uuid);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const procs = remoteProcedures as unknown as Readonly<Record<string, Procedure>>;

function proc(name: string): Procedure {
  const p = procs[name];
  if (!p) throw new LibvirtRpcError('INTERNAL', `libvirt-rpc: no procedure ${name} in the generated tables`);
  return p;
}

const uuidKey =
  (field: string) =>
  (object: unknown): string =>
    uuidString((object as Record<string, Uint8Array>)[field] ?? (object as { uuid: Uint8Array }).uuid);

/** The five families, keyed by name. */
export const families: Readonly<Record<EventFamily, FamilySpec>> = {
  domain: {
    family: 'domain',
    infix: 'DOMAIN',
    idPrefix: 'VIR_DOMAIN_EVENT_ID_',
    ids: virDomainEventID,
    objectField: 'dom',
    publicField: 'domain',
    get register() {
      return proc('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY');
    },
    get deregister() {
      return proc('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY');
    },
    key: uuidKey('uuid'),
    lifecycle: { values: virDomainEventType, prefix: 'VIR_DOMAIN_EVENT_' },
  },
  network: {
    family: 'network',
    infix: 'NETWORK',
    idPrefix: 'VIR_NETWORK_EVENT_ID_',
    ids: virNetworkEventID,
    objectField: 'net',
    publicField: 'network',
    get register() {
      return proc('REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY');
    },
    get deregister() {
      return proc('REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY');
    },
    key: uuidKey('uuid'),
    lifecycle: { values: virNetworkEventLifecycleType, prefix: 'VIR_NETWORK_EVENT_' },
  },
  'storage-pool': {
    family: 'storage-pool',
    infix: 'STORAGE_POOL',
    idPrefix: 'VIR_STORAGE_POOL_EVENT_ID_',
    ids: virStoragePoolEventID,
    objectField: 'pool',
    publicField: 'pool',
    get register() {
      return proc('REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY');
    },
    get deregister() {
      return proc('REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY');
    },
    key: uuidKey('uuid'),
    lifecycle: { values: virStoragePoolEventLifecycleType, prefix: 'VIR_STORAGE_POOL_EVENT_' },
  },
  'node-device': {
    family: 'node-device',
    infix: 'NODE_DEVICE',
    idPrefix: 'VIR_NODE_DEVICE_EVENT_ID_',
    ids: virNodeDeviceEventID,
    objectField: 'dev',
    publicField: 'device',
    get register() {
      return proc('REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY');
    },
    get deregister() {
      return proc('REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY');
    },
    key: (object) => (object as { name: string }).name,
    lifecycle: { values: virNodeDeviceEventLifecycleType, prefix: 'VIR_NODE_DEVICE_EVENT_' },
  },
  secret: {
    family: 'secret',
    infix: 'SECRET',
    idPrefix: 'VIR_SECRET_EVENT_ID_',
    ids: virSecretEventID,
    objectField: 'secret',
    publicField: 'secret',
    get register() {
      return proc('REMOTE_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY');
    },
    get deregister() {
      return proc('REMOTE_PROC_CONNECT_SECRET_EVENT_DEREGISTER_ANY');
    },
    key: uuidKey('uuid'),
    lifecycle: { values: virSecretEventLifecycleType, prefix: 'VIR_SECRET_EVENT_' },
  },
};

/** Legacy domain registration (daemons without `REMOTE_EVENT_CALLBACK`): by event ID only, no filter; and its deregistration, by event ID. */
export const legacyDomainProcedures = {
  get register(): Procedure {
    return proc('REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY');
  },
  get deregister(): Procedure {
    return proc('REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY');
  },
} as const;
/** The close callback. */
export const closeProcedures = {
  get register(): Procedure {
    return proc('REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK');
  },
  get unregister(): Procedure {
    return proc('REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK');
  },
  get event(): Procedure {
    return proc('REMOTE_PROC_CONNECT_EVENT_CONNECTION_CLOSED');
  },
} as const;
/** QEMU monitor events. */
export const qemuMonitorProcedures = {
  get register(): Procedure {
    return qemuProcedures.QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER as Procedure;
  },
  get deregister(): Procedure {
    return qemuProcedures.QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER as Procedure;
  },
  get event(): Procedure {
    return qemuProcedures.QEMU_PROC_DOMAIN_MONITOR_EVENT as Procedure;
  },
} as const;

/** `SOME_NAME` → `some-name`. */
export function kebab(snake: string): string {
  return snake.toLowerCase().replace(/_/g, '-');
}

function buildSpecs(f: FamilySpec): Map<string, EventSpec> {
  const out = new Map<string, EventSpec>();
  for (const [constant, id] of Object.entries(f.ids)) {
    if (!constant.startsWith(f.idPrefix) || constant.endsWith('_LAST')) continue;
    const x = constant.slice(f.idPrefix.length);
    const found = [procs[`REMOTE_PROC_${f.infix}_EVENT_CALLBACK_${x}`], procs[`REMOTE_PROC_${f.infix}_EVENT_${x}`]].filter(
      (p): p is Procedure => p?.event === true,
    );
    if (found.length === 0) throw new LibvirtRpcError('INTERNAL', `libvirt-rpc: no event procedure for ${constant}`);
    out.set(kebab(x), { family: f.family, id, name: kebab(x), constant, procedures: found });
  }
  return out;
}

/**
 * Every event of every family: `eventSpecs[family]` maps names to specs. Built on first use
 * (src/util/lazy.ts), like the procedure tables it reads.
 */
export const eventSpecs: Readonly<Record<EventFamily, ReadonlyMap<string, EventSpec>>> = lazyObject((out) => {
  for (const f of Object.values(families)) out[f.family] = buildSpecs(f);
});

/** Finds an event by name or ID number; throws a RangeError for an unknown one. */
export function findEvent(family: EventFamily, idOrName: number | string): EventSpec {
  const specs = eventSpecs[family];
  if (typeof idOrName === 'string') {
    const spec = specs.get(idOrName) ?? specs.get(kebab(idOrName.replace(families[family].idPrefix, '')));
    if (spec) return spec;
  } else {
    for (const spec of specs.values()) if (spec.id === idOrName) return spec;
  }
  throw new ArgumentError(`unknown ${family} event ${JSON.stringify(idOrName)} (known: ${[...specs.keys()].join(', ')})`);
}

let eventsByNumber: ReadonlyMap<number, EventSpec | 'close'> | undefined;

/** Every event procedure number of the remote program → the event it carries (or the close event); built at the first call. */
export function remoteEventProcedures(): ReadonlyMap<number, EventSpec | 'close'> {
  if (eventsByNumber === undefined) {
    const m = new Map<number, EventSpec | 'close'>();
    for (const specs of Object.values(eventSpecs)) {
      for (const spec of specs.values()) for (const p of spec.procedures) m.set(p.number, spec);
    }
    m.set(closeProcedures.event.number, 'close');
    eventsByNumber = m;
  }
  return eventsByNumber;
}

// ---------------------------------------------------------------------------
// Symbolic names

function reverse(values: Readonly<Record<string, number>>, prefix: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const [k, v] of Object.entries(values)) {
    if (k.startsWith(prefix) && !k.endsWith('_LAST') && !m.has(v)) m.set(v, kebab(k.slice(prefix.length)));
  }
  return m;
}

/** Each family's lifecycle names by value, built at the first {@link lifecycleName} (not at import). */
let lifecycleNames: Map<EventFamily, Map<number, string>> | null = null;

/** The symbolic name of a lifecycle event type (`started`), or `unknown` for a value this table lacks. */
export function lifecycleName(family: EventFamily, value: number): string {
  lifecycleNames ??= new Map((Object.values(families) as FamilySpec[]).map((f) => [f.family, reverse(f.lifecycle.values, f.lifecycle.prefix)]));
  return lifecycleNames.get(family)?.get(value) ?? 'unknown';
}

/** The `virDomainEvent<Type>DetailType` enums, by name. */
const detailEnums: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  virDomainEventCrashedDetailType,
  virDomainEventDefinedDetailType,
  virDomainEventPMSuspendedDetailType,
  virDomainEventResumedDetailType,
  virDomainEventShutdownDetailType,
  virDomainEventStartedDetailType,
  virDomainEventStoppedDetailType,
  virDomainEventSuspendedDetailType,
  virDomainEventUndefinedDetailType,
};
/** The detail names of each domain lifecycle event type, built at the first {@link lifecycleDetailName}. */
let detailNames: Map<number, Map<number, string>> | null = null;

function buildDetailNames(): Map<number, Map<number, string>> {
  const names = new Map<number, Map<number, string>>();
  for (const [typeConst, typeValue] of Object.entries(virDomainEventType)) {
    if (typeConst.endsWith('_LAST')) continue;
    const x = typeConst.slice('VIR_DOMAIN_EVENT_'.length); // DEFINED, PMSUSPENDED, ...
    const enumName = Object.keys(detailEnums).find((k) => k.toLowerCase() === `virdomainevent${x.toLowerCase()}detailtype`);
    const values = enumName ? detailEnums[enumName]! : {};
    names.set(typeValue, reverse(values, `${typeConst}_`));
  }
  return names;
}

/** The symbolic name of a domain lifecycle detail (`booted` for `started`), or `unknown`. */
export function lifecycleDetailName(event: number, detail: number): string {
  detailNames ??= buildDetailNames();
  return detailNames.get(event)?.get(detail) ?? 'unknown';
}
