/**
 * A connection to a libvirt daemon: the RPC engine, the object API (generated
 * `ConnectionApi` methods returning Domain, Network, ... objects), the raw
 * layer (one generated method per remote, qemu and lxc procedure) and events.
 */
import { VIR_ERR_INVALID_ARG, VIR_FROM_DOMAIN } from '../procedures/libvirt-api.gen.js';
import { remoteProcedures } from '../procedures/remote-core.gen.js';
import { ConnectionBase } from './gen/objects.gen.js';
import { RawApi } from './gen/raw.gen.js';
import { Domain, Network, NodeDevice, Secret, StoragePool } from './objects/index.js';
import type { Interface, NWFilter, NWFilterBinding } from './objects/index.js';
import { readDefinition, writeDefinition, type DefinitionOptions } from './objects/definitions.js';
import type * as Xml from './xml/types.gen.js';
import type { RpcClient } from '../rpc/client.js';
import { diagnostics } from '../rpc/diagnostics.js';
import { ConnectionClosedError, type LibvirtError } from '../rpc/errors.js';
import type { CallOptions, Procedure, ProcedureCaller } from '../rpc/procedure.js';
import type { RemotePlan } from '../transport/remote-plan.js';
import { reportedError } from './client-errors.js';
import type { ConnectionFeatures } from './session-constants.js';
import { ConnectionEvents } from './events.js';
import { Reconnector, type ResolvedReconnectOptions } from './reconnect.js';
import type { EventFamily } from './events/table.js';
import { PendingStream, type StreamOptions } from './stream.js';
import { CLOSE_TIMEOUT_MS } from './session-constants.js';
import { tooOldDaemonError } from './too-old.js';
import { cpuMapBits, recordOf, type TypedParams } from './values.js';

/** Facts about a connection, fixed when it was opened. */
export interface ConnectionInfo {
  /** The URI of the connection (asked from the daemon when it chose the driver). */
  readonly uri: string;
  /** Opened read-only. */
  readonly readOnly: boolean;
  /** How the URI was resolved: transport, socket, name sent, ... */
  readonly plan: RemotePlan;
  /** What the daemon supports. */
  readonly features: ConnectionFeatures;
  /**
   * How the client authenticated (`none` when not given). A SASL session makes libvirt call the
   * connection encrypted ({@link Connection.isEncrypted}).
   */
  readonly auth?: 'none' | 'sasl' | 'polkit';
}

/** How a reconnecting Connection opens again (built by connect()). */
export interface ReconnectLink {
  readonly options: ResolvedReconnectOptions;
  open(signal: AbortSignal): Promise<{ client: RpcClient; info: ConnectionInfo }>;
}

/** One record of {@link Connection.getAllDomainStats} and {@link Connection.domainListGetStats}. */
export interface DomainStatsRecord {
  /** The domain the statistics are about. */
  readonly domain: Domain;
  /** The statistics, keyed by field name (`state.state`, `balloon.current`, `block.0.name`, ...). */
  readonly params: TypedParams;
}

/**
 * An open connection. Use {@link connect} to get one; close it with
 * {@link Connection.close} or `await using`. Its object API (inherited from
 * {@link ConnectionBase}) looks objects up and lists them:
 * `(await conn.domainLookupByName('web')).getXMLDesc()`.
 */
export class Connection extends ConnectionBase implements ProcedureCaller, AsyncDisposable {
  /** One method per remote, qemu and lxc procedure; see {@link RawApi} for the naming rule. */
  readonly raw: RawApi;
  /** Typed events: domain, network, storage pool, node device, secret, QEMU monitor and close; see {@link ConnectionEvents}. */
  readonly events: ConnectionEvents;
  /**
   * Resolves (never rejects) with the reason once the connection has ended. With
   * `reconnect`, only when it ends for good: `close()`, or reconnecting gave up.
   */
  readonly closed: Promise<ConnectionClosedError>;
  #client: RpcClient;
  #info: ConnectionInfo;
  #closing: Promise<void> | null = null;
  readonly #reconnector: Reconnector<{ client: RpcClient; info: ConnectionInfo }> | null = null;
  #resolveClosed: ((err: ConnectionClosedError) => void) | null = null;
  #finalError: ConnectionClosedError | null = null;

  /** @internal Use {@link connect}. */
  constructor(client: RpcClient, info: ConnectionInfo, reconnect?: ReconnectLink) {
    super();
    this.#client = client;
    client.setDaemonErrorHook(this.#daemonError);
    this.#info = info;
    this.raw = new RawApi(this);
    this.events = new ConnectionEvents(client, info.features, (family, ref) => wrapEventObject(this, family, ref), {
      managed: reconnect !== undefined,
      uri: info.uri,
    });
    if (!reconnect) {
      this.closed = client.closed;
      return;
    }
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#reconnector = new Reconnector(reconnect.options, {
      uri: info.uri,
      open: (signal) => reconnect.open(signal),
      up: (opened, gap) => {
        this.#client = opened.client;
        opened.client.setDaemonErrorHook(this.#daemonError);
        this.#info = { ...opened.info, auth: opened.info.auth ?? this.#info.auth };
        this.#watch(opened.client);
        this.events._resume(opened.client, opened.info.features, gap);
        if (diagnostics.reconnect.hasSubscribers) {
          diagnostics.reconnect.publish({
            uri: info.uri,
            phase: 'connected',
            attempt: gap.attempts,
            connectionId: opened.client.connectionId,
            downtime: gap.downtime,
          });
        }
      },
      discard: (opened) => opened.client.destroy(),
      gaveUp: (err) => this.#finish(err),
    });
    this.#watch(client);
  }

  /** Follows the end of `client`: a drop to recover from, or the end of the connection. */
  #watch(client: RpcClient): void {
    void client.closed.then((err) => {
      if (this.#client !== client) return;
      const r = this.#reconnector!;
      if (r.state === 'stopped' || err.reason === 'client') {
        this.#finish(err);
        return;
      }
      this.events._suspend(err);
      r.dropped(err);
    });
  }

  /** The connection is over for good (reconnecting connections only). */
  #finish(err: ConnectionClosedError): void {
    const resolve = this.#resolveClosed;
    if (!resolve) return;
    this.#resolveClosed = null;
    this.#finalError = err;
    this.#reconnector?.stop(err);
    this.events._end(err);
    resolve(err);
  }

  /**
   * `open` (usable now), `reconnecting` (dropped; a new connection is being made, see
   * `reconnect`) or `closed`.
   */
  get state(): 'open' | 'reconnecting' | 'closed' {
    if (this.#client.isOpen) return 'open';
    const r = this.#reconnector;
    return r && r.state !== 'stopped' && this.#resolveClosed !== null ? 'reconnecting' : 'closed';
  }

  /** How many times this connection was re-established after a drop (always 0 without `reconnect`). */
  get reconnects(): number {
    return this.#reconnector?.reconnects ?? 0;
  }

  /** The URI of the connection. */
  get uri(): string {
    return this.#info.uri;
  }

  /** True when the connection was opened read-only. */
  get readOnly(): boolean {
    return this.#info.readOnly;
  }

  /** How the URI was resolved (transport, socket path, the name sent to the daemon, ...). */
  get plan(): RemotePlan {
    return this.#info.plan;
  }

  /** What the daemon said it supports when the connection was opened. */
  get features(): ConnectionFeatures {
    return this.#info.features;
  }

  /** False once the connection has ended (with `reconnect`: while it is down, too). */
  get isOpen(): boolean {
    return this.#client.isOpen;
  }

  /** The RPC engine (events, streams and statistics); with `reconnect`, the current one. */
  get client(): RpcClient {
    return this.#client;
  }

  /**
   * `virConnectIsAlive`: true while the connection is open (no call is made). libvirt-python
   * returns 1 or 0.
   */
  isAlive(): boolean {
    return this.#client.isOpen;
  }

  /**
   * `virConnectIsSecure`, as libvirt's remote driver answers it: true when the daemon says its
   * side is secure (CONNECT_IS_SECURE) and the transport is one libvirt trusts (a UNIX socket,
   * TLS, SSH). Plain TCP and `ext` are never secure here: libvirt counts TCP as secure only
   * with a SASL security layer, which this client does not negotiate.
   */
  override async isSecure(options?: CallOptions): Promise<boolean> {
    const daemonSays = await super.isSecure(options);
    // plan.secure: the transports libvirt trusts (unix, tls and the SSH ones), as isSecureTransport (auth/sasl.ts).
    return daemonSays && this.#info.plan.secure;
  }

  /**
   * `virConnectIsEncrypted`, as libvirt's remote driver answers it: true when the daemon says
   * its side is secure (CONNECT_IS_SECURE) and the connection is encrypted by TLS or carries a
   * SASL session (a UNIX socket or SSH is secure but not encrypted by libvirt).
   */
  async isEncrypted(options?: CallOptions): Promise<boolean> {
    const daemonSays = await super.isSecure(options);
    return daemonSays && (this.#info.plan.transport === 'tls' || this.#info.auth === 'sasl');
  }

  /**
   * `virConnectSetKeepAlive`: PINGs after `interval` seconds of silence, the daemon declared
   * dead after `count` unanswered ones; `interval` <= 0 stops them. Returns 1 (and does
   * nothing) when the daemon does not speak keepalive, else 0. Unlike libvirt, which ignores the
   * call while keepalive runs, this restarts it with the new values (connect() starts it by
   * default, libvirt does not).
   */
  setKeepAlive(interval: number, count: number): number {
    if (!this.#info.features.keepalive) return 1;
    this.#client.stopKeepalive();
    if (interval > 0) this.#client.startKeepalive({ interval, count });
    return 0;
  }

  /**
   * `virStreamNew`: a stream to open with a method that opens one, libvirt-python's way:
   * `const st = conn.newStream(); await vol.upload(0n, 0n, 0, st); await st.stream.send(...)`.
   * The method resolves to the same stream, so this is only needed for that style.
   */
  newStream(flags = 0, options: StreamOptions = {}): PendingStream {
    return new PendingStream(flags, options);
  }

  /**
   * `virConnectGetURI`: the URI the connection was opened with, as libvirt's client answers it
   * (libvirt-host.c formats `conn->uri` and calls no driver); the daemon is asked only while
   * opening, when the URI left the driver to it (see {@link Connection.uri}).
   */
  override async getURI(options?: CallOptions): Promise<string> {
    options?.signal?.throwIfAborted();
    return this.uri;
  }

  /**
   * `virNodeGetCPUMap`: the host's CPU count, which of them are online (one boolean per CPU, as
   * libvirt-python gives them) and how many are.
   */
  async nodeGetCPUMap(flags = 0, options?: CallOptions): Promise<{ cpus: number; cpumap: boolean[]; online: number }> {
    const r = await this.call(remoteProcedures.REMOTE_PROC_NODE_GET_CPU_MAP, { need_map: 1, need_online: 1, flags }, options);
    return { cpus: r.ret, cpumap: cpuMapBits(r.cpumap, 0, r.ret), online: r.online };
  }

  /** `virConnectListDomainsID`, libvirt-python's name for the IDs of the running domains. */
  async listDomainsID(options?: CallOptions): Promise<number[]> {
    return await this.listDomains(options);
  }

  /**
   * `virConnectGetAllDomainStats`: the statistics of every domain (`stats`: `VIR_DOMAIN_STATS_*`,
   * 0 for all; `flags`: `VIR_CONNECT_GET_ALL_DOMAINS_STATS_*`).
   */
  async getAllDomainStats(stats = 0, flags = 0, options?: CallOptions): Promise<DomainStatsRecord[]> {
    return await statsOf(this, [], stats, flags, options);
  }

  /**
   * `virDomainListGetStats`: the statistics of the given domains (GET_ALL_DOMAIN_STATS with
   * that list, on the domains' connection). As libvirt, rejects an empty list and domains of
   * several connections before any call.
   */
  async domainListGetStats(doms: readonly Domain[], stats = 0, flags = 0, options?: CallOptions): Promise<DomainStatsRecord[]> {
    const first = doms[0];
    if (!first) {
      throw reportedError(VIR_ERR_INVALID_ARG, VIR_FROM_DOMAIN, 'doms array in virDomainListGetStats must contain at least one domain');
    }
    if (doms.some((d) => d.connection !== first.connection)) {
      throw reportedError(VIR_ERR_INVALID_ARG, VIR_FROM_DOMAIN, "domains in 'doms' array must belong to a single connection");
    }
    return await statsOf(first.connection, doms, stats, flags, options);
  }

  // Typed companions of the XML APIs (libvirt-rpc/xml's model, loaded on first use). A definition
  // is validated against libvirt's schema before it is sent unless `{ validate: false }`.

  /** `virDomainDefineXML` (`virDomainDefineXMLFlags` with flags) from a typed definition. */
  async defineDomain(def: Xml.DomainDef, flags = 0, options?: DefinitionOptions): Promise<Domain> {
    const xml = await writeDefinition('domain', def, options);
    return flags === 0 ? await this.domainDefineXML(xml, options) : await this.domainDefineXMLFlags(xml, flags, options);
  }

  /** `virDomainCreateXML` (a transient domain, started) from a typed definition. */
  async createDomain(def: Xml.DomainDef, flags = 0, options?: DefinitionOptions): Promise<Domain> {
    return await this.domainCreateXML(await writeDefinition('domain', def, options), flags, options);
  }

  /** `virNetworkDefineXML` (`virNetworkDefineXMLFlags` with flags) from a typed definition. */
  async defineNetwork(def: Xml.NetworkDef, flags = 0, options?: DefinitionOptions): Promise<Network> {
    const xml = await writeDefinition('network', def, options);
    return flags === 0 ? await this.networkDefineXML(xml, options) : await this.networkDefineXMLFlags(xml, flags, options);
  }

  /** `virNetworkCreateXML` (a transient network, started) from a typed definition. */
  async createNetwork(def: Xml.NetworkDef, flags = 0, options?: DefinitionOptions): Promise<Network> {
    const xml = await writeDefinition('network', def, options);
    return flags === 0 ? await this.networkCreateXML(xml, options) : await this.networkCreateXMLFlags(xml, flags, options);
  }

  /** `virStoragePoolDefineXML` from a typed definition. */
  async defineStoragePool(def: Xml.StoragePoolDef, flags = 0, options?: DefinitionOptions): Promise<StoragePool> {
    return await this.storagePoolDefineXML(await writeDefinition('storagepool', def, options), flags, options);
  }

  /** `virStoragePoolCreateXML` (a transient pool, started) from a typed definition. */
  async createStoragePool(def: Xml.StoragePoolDef, flags = 0, options?: DefinitionOptions): Promise<StoragePool> {
    return await this.storagePoolCreateXML(await writeDefinition('storagepool', def, options), flags, options);
  }

  /** `virSecretDefineXML` from a typed definition. */
  async defineSecret(def: Xml.SecretDef, flags = 0, options?: DefinitionOptions): Promise<Secret> {
    return await this.secretDefineXML(await writeDefinition('secret', def, options), flags, options);
  }

  /** `virInterfaceDefineXML` from a typed definition. */
  async defineInterface(def: Xml.InterfaceDef, flags = 0, options?: DefinitionOptions): Promise<Interface> {
    return await this.interfaceDefineXML(await writeDefinition('interface', def, options), flags, options);
  }

  /** `virNWFilterDefineXML` (`virNWFilterDefineXMLFlags` with flags) from a typed definition. */
  async defineNWFilter(def: Xml.NWFilterDef, flags = 0, options?: DefinitionOptions): Promise<NWFilter> {
    const xml = await writeDefinition('nwfilter', def, options);
    return flags === 0 ? await this.nwFilterDefineXML(xml, options) : await this.nwFilterDefineXMLFlags(xml, flags, options);
  }

  /** `virNWFilterBindingCreateXML` from a typed definition. */
  async createNWFilterBinding(def: Xml.NWFilterBindingDef, flags = 0, options?: DefinitionOptions): Promise<NWFilterBinding> {
    return await this.nwFilterBindingCreateXML(await writeDefinition('nwfilterbinding', def, options), flags, options);
  }

  /** `virNodeDeviceCreateXML` (a transient device, e.g. a vHBA or mediated device) from a typed definition. */
  async createNodeDevice(def: Xml.NodeDeviceDef, flags = 0, options?: DefinitionOptions): Promise<NodeDevice> {
    return await this.nodeDeviceCreateXML(await writeDefinition('nodedev', def, options), flags, options);
  }

  /** `virNodeDeviceDefineXML` from a typed definition. */
  async defineNodeDevice(def: Xml.NodeDeviceDef, flags = 0, options?: DefinitionOptions): Promise<NodeDevice> {
    return await this.nodeDeviceDefineXML(await writeDefinition('nodedev', def, options), flags, options);
  }

  /** The host's capabilities, typed (`virConnectGetCapabilities` read with libvirt-rpc/xml's model). */
  async getCapabilitiesDefinition(options?: CallOptions): Promise<Xml.CapabilitiesDef> {
    return await readDefinition<Xml.CapabilitiesDef>('capabilities', await this.getCapabilities(options));
  }

  /** What a hypervisor offers to domains, typed (`virConnectGetDomainCapabilities` read with libvirt-rpc/xml's model). */
  async getDomainCapabilitiesDefinition(
    emulatorbin: string | null = null,
    arch: string | null = null,
    machine: string | null = null,
    virttype: string | null = null,
    flags = 0,
    options?: CallOptions,
  ): Promise<Xml.DomainCapabilitiesDef> {
    return await readDefinition<Xml.DomainCapabilitiesDef>(
      'domaincaps',
      await this.getDomainCapabilities(emulatorbin, arch, machine, virttype, flags, options),
    );
  }

  /** Makes one call; the raw layer's and the object API's methods all go through here. */
  override call<A, R>(procedure: Procedure<A, R>, args: A, options?: CallOptions): Promise<R> {
    const client = this.#client;
    const r = this.#reconnector;
    if (r !== null && !client.isOpen) {
      if (r.state !== 'stopped') return this.#callWhenUp(client, r, procedure, args, options);
      if (this.#finalError) return Promise.reject(this.#finalError);
    }
    return client.call(procedure, args, options);
  }

  /**
   * The daemon's error for a call, on its way to the caller (RpcClient.setDaemonErrorHook): for a
   * procedure the daemon does not know, say which API, since when, and the daemon's version.
   */
  readonly #daemonError = (err: LibvirtError, procedure: Procedure<unknown, unknown>): Promise<never> =>
    procedure.api === null ? Promise.reject(err) : tooOldDaemonError(err, procedure as Procedure, this.#client);

  /** A call made while the connection is down: waits for it to come back (or fails), then calls. */
  async #callWhenUp<A, R>(client: RpcClient, r: Reconnector<unknown>, procedure: Procedure<A, R>, args: A, options: CallOptions | undefined): Promise<R> {
    // The drop may not have been noticed yet (its handler runs first on the same promise).
    if (r.state === 'up') await client.closed;
    const started = performance.now();
    await r.whenUp(options);
    const timeout = options?.timeout;
    const rest = timeout === undefined ? options : { ...options, timeout: Math.max(0, timeout - (performance.now() - started)) };
    return await this.call(procedure, args, rest);
  }

  /**
   * Closes the connection as libvirt does: CONNECT_CLOSE (bounded wait, its
   * failure ignored), then the socket. Pending calls reject with a
   * ConnectionClosedError. Idempotent. With `reconnect`, it also stops reconnecting.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    const byClient = new ConnectionClosedError('client', 'the connection was closed by the client');
    this.#reconnector?.stop(byClient);
    this.#closing = (async () => {
      if (this.#client.isOpen) {
        try {
          await this.#client.call(remoteProcedures.REMOTE_PROC_CONNECT_CLOSE, undefined, { timeout: CLOSE_TIMEOUT_MS });
        } catch {
          // The daemon may already be gone; closing goes on regardless.
        }
      }
      await this.#client.close({ timeout: CLOSE_TIMEOUT_MS }).catch(() => this.#client.destroy());
      this.#finish(byClient);
    })();
    return this.#closing;
  }

  /** Same as {@link Connection.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** GET_ALL_DOMAIN_STATS for `doms` (none: every domain), records with Domain objects on `caller`. */
async function statsOf(caller: ProcedureCaller, doms: readonly Domain[], stats: number, flags: number, options?: CallOptions): Promise<DomainStatsRecord[]> {
  const { retStats } = await caller.call(remoteProcedures.REMOTE_PROC_CONNECT_GET_ALL_DOMAIN_STATS, { doms: doms.map((d) => d.ref), stats, flags }, options);
  return retStats.map((r) => ({ domain: new Domain(caller, r.dom), params: recordOf(r.params) }));
}

/** The object an event is about, on the connection it came on. */
function wrapEventObject(caller: ProcedureCaller, family: EventFamily, ref: unknown): unknown {
  switch (family) {
    case 'domain':
      return new Domain(caller, ref as Domain['ref']);
    case 'network':
      return new Network(caller, ref as Network['ref']);
    case 'storage-pool':
      return new StoragePool(caller, ref as StoragePool['ref']);
    case 'node-device':
      return new NodeDevice(caller, ref as NodeDevice['ref']);
    case 'secret':
      return new Secret(caller, ref as Secret['ref']);
  }
}
