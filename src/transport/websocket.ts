/**
 * Dialer for a WebSocket that carries libvirt's protocol (`connect(uri, { webSocket, token })`):
 * each protocol frame travels as binary WebSocket messages, in both directions, through a bridge
 * (src/bridge) that relays them to a daemon. The `ws` package is loaded on first use, so a
 * program that never dials a WebSocket does not load it.
 */
import type { Duplex } from 'node:stream';
import { bounded, type Bound } from '../util/deadline.js';
import { parseWebSocketUrl } from './web-socket-url.js';
import { TransportError } from '../rpc/errors.js';

/** The subprotocol the bridge speaks; a browser sends its token as a second one, `bearer.<token>`. */
export const WEBSOCKET_SUBPROTOCOL = 'libvirt-rpc';

/** Options of {@link dialWebSocket}. */
export interface WebSocketDialOptions extends Bound {
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** Sent as the `Origin` header (a browser sends its page's own). */
  readonly origin?: string | undefined;
  /** CA certificate(s) (PEM) a `wss:` bridge's certificate must chain to, instead of Node's default CAs. */
  readonly ca?: string | Buffer | undefined;
}

/**
 * Opens `url` (`ws:` or `wss:`) and resolves with a Duplex of the bytes its binary messages carry
 * once the handshake succeeded. A refused handshake (the bridge's 401/403) rejects with a
 * TransportError quoting the status and the bridge's reason.
 */
export async function dialWebSocket(url: string | URL, opts: WebSocketDialOptions = {}): Promise<Duplex> {
  const parsed = parseWebSocketUrl(url);
  const { WebSocket, createWebSocketStream } = await import('ws');
  const where = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let ws: InstanceType<typeof WebSocket> | undefined;
  await bounded<void>({ ...opts, timeoutReason: `connecting to WebSocket ${where}`, onFail: () => ws?.terminate() }, (ok, fail) => {
    ws = new WebSocket(parsed, [WEBSOCKET_SUBPROTOCOL], {
      headers,
      ...(opts.origin !== undefined ? { origin: opts.origin } : {}),
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      perMessageDeflate: false,
    });
    ws.once('open', () => ok());
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const reason = body.trim() || res.statusMessage || 'refused';
        fail(new TransportError(`WebSocket ${where} refused: ${res.statusCode} ${reason}`, null));
      });
    });
    ws.once('error', (err: Error & { code?: string }) =>
      fail(new TransportError(`cannot connect to WebSocket ${where}: ${err.message}`, err.code ?? null, { cause: err })),
    );
    return undefined;
  });
  return createWebSocketStream(ws!);
}
