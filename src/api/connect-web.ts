/**
 * `connect` of the browser build (`libvirt-rpc/browser`, and the package's `browser` export
 * condition): the same {@link Connection} (object API, `raw`, events, streams) over a WebSocket
 * to a bridge (`startBridge`, src/bridge), on the platform's own `WebSocket`. The bridge decides
 * which daemon answers; the URI gives the driver name sent in CONNECT_OPEN and `auth=`, as in
 * Node (see src/transport/web-plan.ts). What Node's `connect` reads from the machine
 * (libvirt.conf, the environment, auth.conf) does not exist in a page; SASL is not offered.
 *
 * @module
 */
import { ArgumentError } from '../errors/root.js';
import type { RpcClientOptions } from '../rpc/client.js';
import { diagnostics } from '../rpc/diagnostics.js';
import type { KeepaliveOptions } from '../rpc/keepalive.js';
import type { CallOptions } from '../rpc/procedure.js';
import { dialWebSocketChannel, type WebSocketConstructor } from '../transport/web-socket-channel.js';
import { planWebConnection } from '../transport/web-plan.js';
import { redactUriText } from '../transport/uri-secrets.js';
import { authenticate } from './authenticate.js';
import { Connection } from './connection.js';
import { openSession, type SessionRecipe } from './open-session.js';
import { type ReconnectOptions, resolveReconnectOptions } from './reconnect.js';

/** Options of the browser build's {@link connect}. */
export interface WebConnectOptions extends CallOptions {
  /**
   * The bridge (`wss://host/libvirt`, or `ws://` on loopback): required, a page reaches a daemon
   * only through one.
   */
  readonly webSocket: string | URL;
  /** The bridge token, sent as the WebSocket subprotocol `bearer.<token>` (a page cannot set headers). */
  readonly token?: string;
  /** The WebSocket class (default `globalThis.WebSocket`; e.g. the `ws` package's in Node 20). */
  readonly WebSocket?: WebSocketConstructor;
  /** Open read-only (`VIR_CONNECT_RO`). A read-only bridge token refuses writes either way. */
  readonly readonly?: boolean;
  /** Keepalive as in Node (default libvirt's 5 s and 5; `false` turns it off). */
  readonly keepalive?: KeepaliveOptions | false;
  /** Receives engine diagnostics (late replies, dropped packets, ...). */
  readonly onDiagnostic?: RpcClientOptions['onDiagnostic'];
  /** Reconnect when the connection ends for any reason but `close()` (see README, "Reconnecting"). */
  readonly reconnect?: boolean | ReconnectOptions;
  /** Calls sent and not answered at most (default 4; see README, "Calls in flight"). */
  readonly maxInFlight?: number;
  /** Bound, in ms, on dialing and on each call of the handshake when no `timeout` is given (default 30 s). */
  readonly openTimeout?: number;
}

/**
 * Opens a connection to a libvirt daemon through a WebSocket bridge.
 *
 * @example
 * ```ts
 * import { connect } from 'libvirt-rpc'; // the browser build, by the `browser` condition
 * const conn = await connect('qemu:///system', { webSocket: 'wss://bridge.example/libvirt', token });
 * for (const dom of await conn.listAllDomains()) console.log(dom.name);
 * ```
 */
export async function connect(uri: string | null | undefined, options: WebConnectOptions): Promise<Connection> {
  options?.signal?.throwIfAborted();
  if (options === undefined || options === null || options.webSocket === undefined) {
    throw new ArgumentError("connect: the browser build reaches a daemon only through a bridge: give { webSocket: 'wss://…/libvirt', token }");
  }
  const reconnect = resolveReconnectOptions(options.reconnect);
  const readOnly = options.readonly ?? false;
  const plan = planWebConnection(uri ?? null, readOnly);
  const uriText = redactUriText(uri ?? '');
  if (diagnostics.connectionPlan.hasSubscribers) diagnostics.connectionPlan.publish({ uri: uriText, plan });
  const recipe: SessionRecipe = {
    plan,
    uriText,
    readOnly,
    options,
    boundedDial: true,
    dial: (bound) => dialWebSocketChannel(options.webSocket, { ...bound, token: options.token, WebSocket: options.WebSocket }),
    authenticate: (client, callOptions) => authenticate(client, plan, uriText, callOptions, { sasl: null }),
  };
  const first = await openSession(recipe, options.signal);
  if (!reconnect) return new Connection(first.client, first.info);
  return new Connection(first.client, first.info, {
    options: reconnect,
    open: (signal) => openSession(recipe, signal),
  });
}
