/**
 * The bridge: a WebSocket server (the `ws` package, loaded when a bridge starts) that relays the
 * bytes of each client to a fresh connection to a libvirt daemon, reached by the URI the
 * client's token is configured with (any URI the transport layer dials: unix, tcp, tls, ssh).
 * The client never chooses the URI. Safe by default: loopback only, a token required, browser
 * Origins refused unless allowed, a frame size limit, read-only tokens enforced on every call.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { dialPlan } from '../transport/dial.js';
import { planRemoteConnection } from '../transport/remote-plan.js';
import { redactUriText } from '../transport/uri-secrets.js';
import { WEBSOCKET_SUBPROTOCOL } from '../transport/websocket.js';
import { DEFAULT_MAX_FRAME, errorReply, FrameError, FrameSplitter, readHeader, readOnlyErrorFields, readOnlyRefusal } from './frames.js';

/** What a token grants. */
export interface BridgeGrant {
  /** The libvirt URI the bridge dials for this token's clients. */
  readonly uri: string;
  /** Only calls that look (see frames.ts); the daemon is dialed read-only too. Default false. */
  readonly readOnly?: boolean;
  /** Connections open at once with this token at most (default unlimited). */
  readonly maxConnections?: number;
}

/** Options of {@link startBridge}. */
export interface BridgeOptions {
  /** Address to listen on (default `127.0.0.1`). */
  readonly listen?: string;
  /** TCP port (default 0: any free port; see {@link Bridge.port}). */
  readonly port?: number;
  /** URL path the WebSocket is served on (default `/libvirt`). */
  readonly path?: string;
  /** The tokens and what each grants. Either this or `verify` is required. */
  readonly tokens?: Readonly<Record<string, BridgeGrant>>;
  /** Decides a token (null: refused); used instead of `tokens`. */
  readonly verify?: (token: string, request: IncomingMessage) => BridgeGrant | null | Promise<BridgeGrant | null>;
  /**
   * Origins a browser may connect from (`https://app.example`). A request with an Origin header
   * not listed is refused; with none given, every request with an Origin is (non-browser clients
   * send none).
   */
  readonly origins?: readonly string[];
  /** Largest frame a client may send, in bytes (default libvirt's own, 32 MiB + 4). */
  readonly maxFrame?: number;
  /** Bound in ms on dialing the daemon for a client (default 30 000). */
  readonly dialTimeout?: number;
  /**
   * A client with nothing sent either way for this many ms is closed (default 300 000; `Infinity`
   * for none). A client with keepalive on (connect's default) is never idle: it pings every 5 s.
   */
  readonly idleTimeout?: number;
  /** Receives one line per refusal and per connection opened or closed (default: none). */
  readonly log?: (line: string) => void;
}

/** A running bridge. */
export interface Bridge extends AsyncDisposable {
  /** The port it listens on. */
  readonly port: number;
  /** `ws://<listen>:<port><path>`. */
  readonly url: string;
  /** Clients connected now. */
  readonly clients: number;
  /** Stops listening and closes every client and its daemon connection. */
  close(): Promise<void>;
}

/** Reads the token: `Authorization: Bearer <t>`, or a subprotocol `bearer.<t>` (what a browser can send). */
function tokenOf(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  for (const p of (req.headers['sec-websocket-protocol'] ?? '').split(',')) {
    const t = p.trim();
    if (t.startsWith('bearer.')) return t.slice(7);
  }
  return null;
}

function refuse(socket: Duplex, status: number, text: string, reason: string): void {
  const body = `${reason}\n`;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * Starts a bridge and resolves once it listens. Each accepted client gets its own daemon
 * connection; a client's bad frame, refusal or failure closes that client only.
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  if (options.tokens === undefined && options.verify === undefined) throw new TypeError('startBridge: tokens or verify is required');
  const { WebSocketServer, createWebSocketStream } = await import('ws');
  const log = options.log ?? (() => {});
  const listen = options.listen ?? '127.0.0.1';
  const path = options.path ?? '/libvirt';
  const maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
  const origins = new Set(options.origins ?? []);
  const idleTimeout = options.idleTimeout ?? 300_000;
  const open = new Map<string, number>();
  const live = new Set<{ close(): void }>();
  let nextId = 1;

  const wss = new WebSocketServer({
    noServer: true,
    // Frames are checked one by one (FrameSplitter); a message may hold more than one.
    maxPayload: maxFrame + 1024 * 1024,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(WEBSOCKET_SUBPROTOCOL) ? WEBSOCKET_SUBPROTOCOL : false),
  });
  const http: Server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('a WebSocket endpoint\n');
  });

  async function grantFor(token: string, req: IncomingMessage): Promise<BridgeGrant | null> {
    if (options.verify) return options.verify(token, req);
    return Object.hasOwn(options.tokens!, token) ? options.tokens![token]! : null;
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const id = nextId++;
    const who = `client ${id} (${req.socket.remoteAddress}:${req.socket.remotePort})`;
    socket.on('error', () => {});
    void (async () => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== path) {
        log(`${who} refused: path ${req.url} is not ${path}`);
        return refuse(socket, 404, 'Not Found', `no WebSocket at ${req.url}`);
      }
      const origin = req.headers.origin;
      if (origin !== undefined && !origins.has(origin)) {
        log(`${who} refused: Origin ${origin} is not allowed`);
        return refuse(socket, 403, 'Forbidden', `Origin ${origin} is not allowed`);
      }
      const token = tokenOf(req);
      if (token === null) {
        log(`${who} refused: no token`);
        return refuse(socket, 401, 'Unauthorized', 'a token is required');
      }
      const grant = await grantFor(token, req);
      if (grant === null) {
        log(`${who} refused: unknown token`);
        return refuse(socket, 401, 'Unauthorized', 'the token is not valid');
      }
      const inUse = open.get(token) ?? 0;
      if (grant.maxConnections !== undefined && inUse >= grant.maxConnections) {
        log(`${who} refused: the token has ${inUse} connections open, its limit`);
        return refuse(socket, 429, 'Too Many Requests', `the token's limit of ${grant.maxConnections} connections is reached`);
      }
      open.set(token, inUse + 1);
      const release = (): void => {
        open.set(token, (open.get(token) ?? 1) - 1);
      };
      let daemon: Duplex;
      const uriText = redactUriText(grant.uri);
      try {
        const plan = planRemoteConnection(grant.uri, { env: process.env, readOnly: grant.readOnly ?? false });
        daemon = await dialPlan(plan, { timeout: options.dialTimeout ?? 30_000 });
      } catch (err) {
        release();
        log(`${who} refused: cannot reach ${uriText}: ${(err as Error).message}`);
        return refuse(socket, 502, 'Bad Gateway', 'the daemon cannot be reached');
      }
      if (socket.destroyed) {
        release();
        daemon.destroy();
        log(`${who} left while its daemon connection was dialed`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        log(`${who} connected to ${uriText}${grant.readOnly ? ' read-only' : ''}`);
        const client = createWebSocketStream(ws);
        const splitter = new FrameSplitter(maxFrame);
        let closed = false;
        const entry = { close: () => finish('bridge closing') };
        live.add(entry);
        let idle: ReturnType<typeof setTimeout> | undefined;
        const active = (): void => {
          if (!Number.isFinite(idleTimeout)) return;
          if (idle !== undefined) idle.refresh();
          else idle = setTimeout(() => finish(`idle for ${idleTimeout} ms`), idleTimeout);
        };
        active();
        function finish(why: string): void {
          if (closed) return;
          closed = true;
          if (idle !== undefined) clearTimeout(idle);
          live.delete(entry);
          release();
          log(`${who} closed: ${why}`);
          daemon.destroy();
          client.destroy();
        }
        client.on('data', (chunk: Buffer) => {
          active();
          let frames: Buffer[];
          try {
            frames = splitter.push(chunk);
          } catch (err) {
            if (!(err instanceof FrameError)) throw err;
            log(`${who} refused frame: ${err.message}`);
            ws.close(1009, err.message.slice(0, 120));
            return finish(err.message);
          }
          for (const frame of frames) {
            const refusal = grant.readOnly ? readOnlyRefusal(readHeader(frame)) : null;
            if (refusal === null) {
              if (!daemon.write(frame)) client.pause();
              continue;
            }
            log(`${who} refused call: ${refusal} on a read-only token`);
            client.write(errorReply(readHeader(frame), readOnlyErrorFields(refusal)));
          }
        });
        daemon.on('drain', () => client.resume());
        daemon.on('data', (chunk: Buffer) => {
          active();
          // The daemon's socket may reuse its read buffer: copy before it is queued.
          if (!client.write(Buffer.from(chunk))) daemon.pause();
        });
        client.on('drain', () => daemon.resume());
        client.on('close', () => finish('client left'));
        client.on('error', (err) => finish(`client error: ${err.message}`));
        daemon.on('close', () => finish('daemon connection ended'));
        daemon.on('error', (err) => finish(`daemon error: ${err.message}`));
      });
    })().catch((err: unknown) => {
      log(`${who} refused: ${(err as Error).message}`);
      refuse(socket, 500, 'Internal Server Error', 'bridge error');
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, listen, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const host = listen.includes(':') ? `[${listen}]` : listen;
  const close = async (): Promise<void> => {
    for (const c of [...live]) c.close();
    wss.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return {
    port,
    url: `ws://${host}:${port}${path}`,
    get clients() {
      return live.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
