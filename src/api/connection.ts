/**
 * A connection to a libvirt daemon: the RPC engine, the object API (generated
 * `ConnectionApi` methods returning Domain, Network, ... objects), the raw
 * layer (one generated method per remote, qemu and lxc procedure) and events.
 */
import { remoteProcedures } from '../procedures/remote.gen.js';
import { ConnectionApi } from '../procedures/objects.gen.js';
import { RawApi } from '../procedures/raw.gen.js';
import type { RpcClient } from '../rpc/client.js';
import type { ConnectionClosedError } from '../rpc/errors.js';
import type { CallOptions, Procedure, ProcedureCaller } from '../rpc/procedure.js';
import type { RemotePlan } from '../transport/remote-plan.js';
import type { ConnectionFeatures } from './connect.js';
import { ConnectionEvents } from './events.js';

/** How long {@link Connection.close} waits for the daemon to answer CONNECT_CLOSE. */
const CLOSE_TIMEOUT_MS = 5_000;

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
}

/**
 * An open connection. Use {@link connect} to get one; close it with
 * {@link Connection.close} or `await using`. Its object API (inherited from
 * {@link ConnectionApi}) looks objects up and lists them:
 * `(await conn.domainLookupByName('web')).getXMLDesc(0)`.
 */
export class Connection extends ConnectionApi implements ProcedureCaller, AsyncDisposable {
  /** One method per remote, qemu and lxc procedure; see {@link RawApi} for the naming rule. */
  readonly raw: RawApi;
  /** Typed events: domain, network, storage pool, node device, secret, QEMU monitor and close; see {@link ConnectionEvents}. */
  readonly events: ConnectionEvents;
  /** Resolves (never rejects) with the reason once the connection has ended. */
  readonly closed: Promise<ConnectionClosedError>;
  readonly #client: RpcClient;
  readonly #info: ConnectionInfo;
  #closing: Promise<void> | null = null;

  /** @internal Use {@link connect}. */
  constructor(client: RpcClient, info: ConnectionInfo) {
    super();
    this.#client = client;
    this.#info = info;
    this.closed = client.closed;
    this.raw = new RawApi(this);
    this.events = new ConnectionEvents(client, info.features);
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

  /** False once the connection has ended. */
  get isOpen(): boolean {
    return this.#client.isOpen;
  }

  /** The RPC engine (events, streams and statistics). */
  get client(): RpcClient {
    return this.#client;
  }

  /** Makes one call; the raw layer's and the object API's methods all go through here. */
  override call<A, R>(procedure: Procedure<A, R>, args: A, options?: CallOptions): Promise<R> {
    return this.#client.call(procedure, args, options);
  }

  /**
   * Closes the connection as libvirt does: CONNECT_CLOSE (bounded wait, its
   * failure ignored), then the socket. Pending calls reject with a
   * ConnectionClosedError. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      if (this.#client.isOpen) {
        try {
          await this.#client.call(remoteProcedures.REMOTE_PROC_CONNECT_CLOSE, undefined, { timeout: CLOSE_TIMEOUT_MS });
        } catch {
          // The daemon may already be gone; closing goes on regardless.
        }
      }
      await this.#client.close({ timeout: CLOSE_TIMEOUT_MS }).catch(() => this.#client.destroy());
    })();
    return this.#closing;
  }

  /** Same as {@link Connection.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
