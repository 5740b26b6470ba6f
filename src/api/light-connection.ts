/**
 * `libvirt-rpc/calls`'s connection: the session the root entry's `connect` opens (same URI
 * resolution, transports, authentication and handshake: session-recipe.ts, open-session.ts),
 * without the object API around it. Calls are the functions of `libvirt-rpc/calls`
 * (`domainGetXMLDesc(conn, dom, 0)`) or `conn.call(procedure, args)`; there are no objects,
 * events, typed XML nor reconnecting, so a bundle that uses it carries none of them.
 *
 * @module
 */
import type { RpcClient } from '../rpc/client.js';
import type { ConnectionClosedError } from '../rpc/errors.js';
import type { CallOptions, Procedure, ProcedureCaller } from '../rpc/procedure.js';
import type { ConnectionInfo } from './connection.js';
import { openSession } from './open-session.js';
import { CLOSE_TIMEOUT_MS, type ConnectionFeatures } from './session-constants.js';
import { REMOTE_PROC_CONNECT_CLOSE } from '../procedures/remote-procs.gen.js';
import { type SessionConnectOptions, sessionRecipe } from './session-recipe.js';
import type { RemotePlan } from '../transport/remote-plan.js';
import { tooOldDaemonError } from './too-old.js';

/** Options of {@link open}: those of the root entry's `connect`, except `reconnect`. */
export type OpenOptions = SessionConnectOptions;

/** An open session to a daemon, for the functions of `libvirt-rpc/calls`. */
export class LightConnection implements ProcedureCaller, AsyncDisposable {
  readonly #client: RpcClient;
  #closing: Promise<void> | null = null;
  /** The connection's URI (the daemon's when it chose the driver), without secrets. */
  readonly uri: string;
  /** Opened read-only. */
  readonly readOnly: boolean;
  /** How the connection was made (transport, socket, ...). */
  readonly plan: RemotePlan;
  /** What the daemon said about itself while the connection was opened. */
  readonly features: ConnectionFeatures;
  /** Settles once, when the connection ends, with why. */
  readonly closed: Promise<ConnectionClosedError>;

  /** @internal Made by {@link open}. */
  constructor(client: RpcClient, info: ConnectionInfo) {
    this.#client = client;
    this.uri = info.uri;
    this.readOnly = info.readOnly;
    this.plan = info.plan;
    this.features = info.features;
    this.closed = client.closed;
  }

  /** The RPC engine (the stream functions open their streams through it, as `Connection`'s). */
  get client(): RpcClient {
    return this.#client;
  }

  /** Whether calls can be made. */
  get isOpen(): boolean {
    return this.#client.isOpen;
  }

  /** Makes one call (what every function of `libvirt-rpc/calls` does). */
  call<A, R>(procedure: Procedure<A, R>, args: A, options?: CallOptions): Promise<R> {
    const pending = this.#client.call(procedure, args, options);
    // A procedure the daemon does not know: say which API, since when, and the daemon's version.
    return procedure.api === null ? pending : pending.catch((err: unknown) => tooOldDaemonError(err, procedure, this.#client));
  }

  /** Closes as libvirt does: CONNECT_CLOSE (bounded wait, its failure ignored), then the socket. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#client.isOpen) {
        try {
          await this.#client.call(REMOTE_PROC_CONNECT_CLOSE, undefined, { timeout: CLOSE_TIMEOUT_MS });
        } catch {
          // The daemon may already be gone; closing goes on regardless.
        }
      }
      await this.#client.close({ timeout: CLOSE_TIMEOUT_MS }).catch(() => this.#client.destroy());
    })();
    return this.#closing;
  }

  /** Same as {@link LightConnection.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Opens a connection to a libvirt daemon for the functions of `libvirt-rpc/calls`: the URI and
 * options are those of the root entry's `connect` (no `reconnect`).
 *
 * @example
 * ```ts
 * import { open, connectListAllDomains, domainGetXMLDesc } from 'libvirt-rpc/calls';
 * await using conn = await open('qemu:///system');
 * const { domains } = await connectListAllDomains(conn, 1, 0);
 * for (const dom of domains) console.log(dom.name, await domainGetXMLDesc(conn, dom, 0));
 * ```
 */
export async function open(uri?: string | null, options: OpenOptions = {}): Promise<LightConnection> {
  options.signal?.throwIfAborted();
  const { client, info } = await openSession(sessionRecipe(uri, options), options.signal);
  return new LightConnection(client, info);
}
