/**
 * The types of delivered events, computed from the generated tables: an
 * event's payload is the `_msg` struct of its event procedure (the callback
 * form when there is one), flattened (`callbackID` and the `msg` wrapper
 * dropped) and with the object renamed (`dom` → `domain`, ...). A few events
 * get friendlier fields on top (lifecycle names, typed parameters as a record).
 *
 * @module
 */
import type * as api from '../../procedures/libvirt-api.gen.js';
import type { QemuDomainMonitorEventMsg } from '../../procedures/qemu.gen.js';
import type {
  remoteProcedures,
  RemoteNonnullNetwork,
  RemoteNonnullNodeDevice,
  RemoteNonnullSecret,
  RemoteNonnullStoragePool,
} from '../../procedures/remote.gen.js';
import type { Procedure } from '../../rpc/procedure.js';
import type { Domain, Network, NodeDevice, Secret, StoragePool } from '../objects/index.js';
import type { TypedParams } from '../values.js';

type Procs = typeof remoteProcedures;
type Api = typeof api;

/** `A_B_C` → `a-b-c`. */
type Kebab<S extends string> = S extends `${infer H}_${infer T}` ? `${Lowercase<H>}-${Kebab<T>}` : Lowercase<S>;
/** `a-b-c` → `A_B_C`. */
type Snake<S extends string> = S extends `${infer H}-${infer T}` ? `${Uppercase<H>}_${Snake<T>}` : Uppercase<S>;
/** The names of an enum's members starting with `P`, without it, kebab-case (`_LAST` left out). */
type NamesOf<E, P extends string> = {
  [K in keyof E]: K extends `${P}LAST` ? never : K extends `${P}${infer R}` ? Kebab<R> : never;
}[keyof E];
/** Flattens an intersection for readable hovers. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

type MsgOf<K> = K extends keyof Procs ? (Procs[K] extends Procedure<infer A, unknown> ? A : never) : never;
type ProcKey<Infix extends string, N extends string> = `REMOTE_PROC_${Infix}_EVENT_CALLBACK_${Snake<N>}` extends keyof Procs
  ? `REMOTE_PROC_${Infix}_EVENT_CALLBACK_${Snake<N>}`
  : `REMOTE_PROC_${Infix}_EVENT_${Snake<N>}`;
type Flatten<M> = M extends { msg: infer I } ? Omit<M, 'callbackID' | 'msg'> & I : Omit<M, 'callbackID'>;
type RawPayload<Infix extends string, N extends string, Field extends string> = Omit<Flatten<MsgOf<ProcKey<Infix, N>>>, Field>;

// ---------------------------------------------------------------------------
// Domain

/** Names of domain events: `lifecycle`, `reboot`, `rtc-change`, ... (from `virDomainEventID`). */
export type DomainEventName = NamesOf<Api['virDomainEventID'], 'VIR_DOMAIN_EVENT_ID_'>;
/** Domain lifecycle event types: `defined`, `undefined`, `started`, ... (from `virDomainEventType`). */
export type DomainLifecycleType = NamesOf<Api['virDomainEventType'], 'VIR_DOMAIN_EVENT_'>;
/** The `virDomainEvent<Type>DetailType` enum of one lifecycle type. */
type DetailEnum<T extends string> = {
  [K in keyof Api]: Lowercase<K & string> extends `virdomainevent${Lowercase<Snake<T>>}detailtype` ? Api[K] : never;
}[keyof Api];
/** Detail names of one lifecycle type (`booted`, `restored`, ... for `started`). */
export type DomainLifecycleDetail<T extends DomainLifecycleType> = NamesOf<DetailEnum<T>, `VIR_DOMAIN_EVENT_${Snake<T>}_`>;

/** The payload of a `lifecycle` event: symbolic names, with libvirt's numbers beside them. */
export type DomainLifecyclePayload =
  | {
      [T in DomainLifecycleType]: {
        /** What happened (`virDomainEventType`), or `unknown` for a value newer than this library. */
        event: T;
        /** Why (`virDomainEvent<Type>DetailType`), or `unknown`. */
        detail: DomainLifecycleDetail<T> | 'unknown';
        /** `event` as libvirt's number. */
        eventCode: number;
        /** `detail` as libvirt's number. */
        detailCode: number;
      };
    }[DomainLifecycleType]
  | { event: 'unknown'; detail: 'unknown'; eventCode: number; detailCode: number };

interface DomainOverrides {
  lifecycle: DomainLifecyclePayload;
  tunable: { params: TypedParams };
  'job-completed': { params: TypedParams };
}

/** The fields of one domain event besides `kind`, `eventId` and `domain`. */
export type DomainEventPayload<N extends DomainEventName> = N extends keyof DomainOverrides ? DomainOverrides[N] : RawPayload<'DOMAIN', N, 'dom'>;

/** One delivered domain event, discriminated by `kind`. */
export type DomainEvent<N extends DomainEventName = DomainEventName> = {
  [K in N]: Simplify<
    {
      /** The event's name (the discriminant; `type` is left to the payloads that have one, such as `block-job`). */
      kind: K;
      /** The event ID (`VIR_DOMAIN_EVENT_ID_*`). */
      eventId: number;
      /** The domain it concerns, with its methods. */
      domain: Domain;
    } & DomainEventPayload<K>
  >;
}[N];

// ---------------------------------------------------------------------------
// Other families

interface FamilyInfo<Ids, Prefix extends string, Infix extends string, Field extends string, Public extends string, Ref, Obj, Life, LifePrefix extends string> {
  ids: Ids;
  prefix: Prefix;
  infix: Infix;
  field: Field;
  public: Public;
  ref: Ref;
  object: Obj;
  life: Life;
  lifePrefix: LifePrefix;
}

type Families = {
  network: FamilyInfo<
    Api['virNetworkEventID'],
    'VIR_NETWORK_EVENT_ID_',
    'NETWORK',
    'net',
    'network',
    RemoteNonnullNetwork,
    Network,
    Api['virNetworkEventLifecycleType'],
    'VIR_NETWORK_EVENT_'
  >;
  'storage-pool': FamilyInfo<
    Api['virStoragePoolEventID'],
    'VIR_STORAGE_POOL_EVENT_ID_',
    'STORAGE_POOL',
    'pool',
    'pool',
    RemoteNonnullStoragePool,
    StoragePool,
    Api['virStoragePoolEventLifecycleType'],
    'VIR_STORAGE_POOL_EVENT_'
  >;
  'node-device': FamilyInfo<
    Api['virNodeDeviceEventID'],
    'VIR_NODE_DEVICE_EVENT_ID_',
    'NODE_DEVICE',
    'dev',
    'device',
    RemoteNonnullNodeDevice,
    NodeDevice,
    Api['virNodeDeviceEventLifecycleType'],
    'VIR_NODE_DEVICE_EVENT_'
  >;
  secret: FamilyInfo<
    Api['virSecretEventID'],
    'VIR_SECRET_EVENT_ID_',
    'SECRET',
    'secret',
    'secret',
    RemoteNonnullSecret,
    Secret,
    Api['virSecretEventLifecycleType'],
    'VIR_SECRET_EVENT_'
  >;
};

/** The families other than `domain`. */
export type ObjectFamily = keyof Families;

/** Names of one family's events (`lifecycle`, `refresh`, `update`, `value-changed`, `metadata-change`). */
export type ObjectEventName<F extends ObjectFamily> = NamesOf<Families[F]['ids'], Families[F]['prefix']>;

/** Lifecycle event types of one family (`defined`, `started`, ...). */
export type ObjectLifecycleType<F extends ObjectFamily> = NamesOf<Families[F]['life'], Families[F]['lifePrefix']>;

type ObjectPayload<F extends ObjectFamily, N extends string> = N extends 'lifecycle'
  ? {
      /** What happened, or `unknown` for a value newer than this library. */
      event: ObjectLifecycleType<F> | 'unknown';
      /** `event` as libvirt's number. */
      eventCode: number;
      /** libvirt's detail number (always 0 so far). */
      detail: number;
    }
  : RawPayload<Families[F]['infix'], N, Families[F]['field']>;

/** One delivered event of a network, storage pool, node device or secret, discriminated by `kind`. */
export type ObjectEvent<F extends ObjectFamily, N extends ObjectEventName<F> = ObjectEventName<F>> = {
  [K in N]: Simplify<{ kind: K; eventId: number } & { [P in Families[F]['public']]: Families[F]['object'] } & ObjectPayload<F, K>>;
}[N];

/** A network event. */
export type NetworkEvent<N extends ObjectEventName<'network'> = ObjectEventName<'network'>> = ObjectEvent<'network', N>;
/** A storage pool event. */
export type StoragePoolEvent<N extends ObjectEventName<'storage-pool'> = ObjectEventName<'storage-pool'>> = ObjectEvent<'storage-pool', N>;
/** A node device event. */
export type NodeDeviceEvent<N extends ObjectEventName<'node-device'> = ObjectEventName<'node-device'>> = ObjectEvent<'node-device', N>;
/** A secret event. */
export type SecretEvent<N extends ObjectEventName<'secret'> = ObjectEventName<'secret'>> = ObjectEvent<'secret', N>;

/** The object a family's events are about (and can be filtered by). */
export type FamilyObject<F extends ObjectFamily> = Families[F]['object'];
/** The wire reference of a family's object (also accepted as a filter). */
export type FamilyRef<F extends ObjectFamily> = Families[F]['ref'];

// ---------------------------------------------------------------------------
// QEMU monitor and close

/** A QEMU monitor event (`virConnectDomainQemuMonitorEventCallback`). */
export interface QemuMonitorEvent {
  kind: 'qemu-monitor';
  /** The domain it concerns, with its methods. */
  domain: Domain;
  /** QEMU's event name (`STOP`, `RESUME`, `DEVICE_DELETED`, ...). */
  event: QemuDomainMonitorEventMsg['event'];
  /** When QEMU sent it: seconds since the epoch (QMP's `timestamp.seconds`; -1 when QEMU gave none). */
  seconds: bigint;
  /** Microseconds within that second. */
  micros: number;
  /** The event's `data` as JSON text, or null when it had none. */
  details: string | null;
}

/** Why a connection closed, as libvirt's close callback reports it. */
export interface CloseEvent {
  /** `error`, `eof`, `keepalive` or `client`. */
  reason: 'error' | 'eof' | 'keepalive' | 'client' | 'unknown';
  /** libvirt's `virConnectCloseReason` number. */
  reasonCode: number;
  /** `daemon`: the daemon sent CONNECT_EVENT_CONNECTION_CLOSED (its driver connection closed); `connection`: this connection ended. */
  source: 'daemon' | 'connection';
  /** For `connection`: the error saying why. */
  error?: Error;
}
