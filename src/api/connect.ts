/**
 * Opening a connection the way libvirt's remote driver does
 * (src/remote/remote_driver.c, doRemoteOpen): resolve the URI, dial the
 * transport, authenticate (AUTH_LIST, then the chosen method), ask whether
 * the daemon speaks keepalive, CONNECT_OPEN with the name the driver would
 * send, learn the URI when the daemon chose the driver, and probe the event
 * and close-callback features.
 */
import { ArgumentError } from '../errors/root.js';
import type { RpcClientOptions } from '../rpc/client.js';
import type { KeepaliveOptions } from '../rpc/keepalive.js';
import type { CallOptions } from '../rpc/procedure.js';
import type { Duplex } from 'node:stream';
import type { RemotePlan } from '../transport/remote-plan.js';
import type { SshConnectOptions } from '../transport/ssh/dial.js';
import type { TlsMaterial } from '../transport/tls/index.js';
import type { Credentials } from '../auth/credentials.js';
import { Connection } from './connection.js';
import { type ReconnectOptions, resolveReconnectOptions } from './reconnect.js';

/** Options of {@link connect}. */
export interface ConnectOptions extends CallOptions {
  /** Open read-only (`VIR_CONNECT_RO`): the `-ro` socket, and no changes allowed. */
  readonly readonly?: boolean;
  /**
   * Keepalive: PINGs after `interval` seconds of silence, the peer declared dead
   * after `interval * (count + 1)` seconds without anything received. On by
   * default with libvirt's defaults (5 s, 5); `false` turns it off (PINGs from
   * the daemon are always answered).
   */
  readonly keepalive?: KeepaliveOptions | false;
  /** Environment used for URI defaults, aliases and socket discovery (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Receives transport warnings (TLS certificate problems ignored with `no_verify=1`, `tls_priority` items with no effect). Default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
  /** Receives engine diagnostics (late replies, dropped packets, ...). */
  readonly onDiagnostic?: RpcClientOptions['onDiagnostic'];
  /**
   * Credentials for a daemon that asks for SASL: `{ username, password }`, or a callback asked
   * for the `VIR_CRED_*` credentials it needs (libvirt's virConnectAuth). auth.conf
   * (`LIBVIRT_AUTH_FILE`, `~/.config/libvirt/auth.conf`) is consulted as libvirt does.
   */
  readonly credentials?: Credentials;
  /**
   * SSH: `client` (`auto`, `program`, `in-process`) for `+ssh`, and material for the in-process
   * client: `privateKey` (+ `passphrase`), `knownHosts` text or a `hostVerifier`, an `agent`
   * socket, `proxyJump` hosts, `configFile`. See README, "SSH".
   */
  readonly ssh?: SshConnectOptions;
  /**
   * TLS: CA, client certificate and key (and CRL) as PEM text, used instead of the files. With
   * {@link ConnectOptions.webSocket} a `wss:` bridge's certificate is checked against `ca` (Node's
   * default CAs without it).
   */
  readonly tls?: TlsMaterial;
  /**
   * Bring your own stream: the protocol runs over it instead of the transport the URI names
   * (the URI still gives the driver name, `auth=` and the rest). A `Duplex` already connected to a
   * daemon (or to whatever relays to one), or a function given the resolved plan that returns one.
   */
  readonly stream?: Duplex | ((plan: RemotePlan, options: CallOptions) => Duplex | Promise<Duplex>);
  /**
   * A WebSocket bridge to reach the daemon through (`ws://host:port/path` or `wss://...`), such as
   * the one `startBridge` serves: the protocol's frames travel as binary messages. The bridge, not
   * the URI, decides which daemon answers; the URI still gives the driver name sent in
   * CONNECT_OPEN. The `ws` package is loaded on first use. See README, "WebSocket bridge".
   */
  readonly webSocket?: string | URL;
  /** The bridge token sent with {@link ConnectOptions.webSocket} (as `Authorization: Bearer`). */
  readonly token?: string;
  /** Debug lines of the in-process SSH client (never holding a secret). */
  readonly onDebug?: (line: string) => void;
  /**
   * Reconnect when the connection ends for any reason but `close()`: same URI, options and
   * credentials, backoff with jitter, every event subscription registered again. `true` for the
   * defaults. See README, "Reconnecting", and {@link ReconnectOptions}. Default off.
   */
  readonly reconnect?: boolean | ReconnectOptions;
  /**
   * Calls that may block (procedures libvirt does not mark `@priority: high`) sent and not
   * answered at most (default 4: libvirtd's default `max_client_requests` less one, so the
   * daemon can always read keepalive; see README, "Calls in flight"). Further such calls wait
   * in the client; calls that do not block are never held. `Infinity` turns the limit off.
   */
  readonly maxInFlight?: number;
  /**
   * Bound, in ms, on each step of opening when no `timeout` is given: dialing (unix, tcp, tls)
   * and each call of the handshake (AUTH_LIST, CONNECT_OPEN, ...). Default
   * {@link DEFAULT_OPEN_TIMEOUT_MS}; `Infinity` waits as long as the daemon takes.
   */
  readonly openTimeout?: number;
}

/**
 * Opens a connection to a libvirt daemon.
 *
 * With no URI, `LIBVIRT_DEFAULT_URI` and then `uri_default` from libvirt.conf
 * apply; names in `uri_aliases` are resolved. A malformed URI fails before any
 * network I/O with a UriError naming the bad part.
 *
 * @example
 * ```ts
 * await using conn = await connect('qemu+tcp://127.0.0.1/system');
 * console.log(await conn.raw.connectGetHostname());
 * ```
 */
export async function connect(uri?: string | null, options: ConnectOptions = {}): Promise<Connection> {
  options.signal?.throwIfAborted();
  const reconnect = resolveReconnectOptions(options.reconnect);
  if (reconnect && options.stream !== undefined && typeof options.stream !== 'function') {
    throw new ArgumentError('connect: reconnect needs to dial again: give the stream option as a function returning a new Duplex, not a Duplex');
  }
  // The RPC engine, the transports and authentication are loaded on the first call, not by
  // importing the package (`npm run bench:import`).
  const { sessionRecipe, openSession } = await import('./session.js');
  const ctx = sessionRecipe(uri, options);
  const first = await openSession(ctx, options.signal);
  if (!reconnect) return new Connection(first.client, first.info);
  return new Connection(first.client, first.info, {
    options: reconnect,
    // The caller's signal bounded the first open only; later opens are bounded by openTimeout.
    open: (signal) => openSession(ctx, signal),
  });
}
