/**
 * The bridge: a WebSocket server (the `ws` package, loaded when a bridge starts) that relays the
 * bytes of each client to a fresh connection to a libvirt daemon, reached by the URI the
 * client's token is configured with (any URI the transport layer dials: unix, tcp, tls, ssh).
 * The client never chooses the URI. Safe by default: loopback only, a token required, browser
 * Origins refused unless allowed, a frame size limit, read-only tokens enforced on every call;
 * `wss` when given a certificate, a message rate limit per connection, and optionally a
 * directory of static files (a page) served on the same port.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ArgumentError } from '../errors/root.js';
import { VIR_ERR_OPERATION_DENIED, VIR_FROM_RPC } from '../procedures/libvirt-api.gen.js';
import { reportedError } from '../api/client-errors.js';
import { dialPlan } from '../transport/dial.js';
import { planRemoteConnection } from '../transport/remote-plan.js';
import { planSecrets, redactUriText } from '../transport/uri-secrets.js';
import { VIR_CONNECT_RO } from '../procedures/libvirt-api.gen.js';
import { WEBSOCKET_SUBPROTOCOL } from '../transport/websocket.js';
import {
  connectOpenName,
  DEFAULT_MAX_FRAME,
  type ErrorFields,
  errorReply,
  FRAME_HEADER_BYTES,
  FrameError,
  FrameSplitter,
  type FrameHeader,
  procedureOf,
  readHeader,
  readOnlyErrorFields,
  readOnlyRefusal,
  rewriteConnectOpen,
} from './frames.js';
import { MessageRate } from './rate.js';
import { staticHandler } from './static.js';

/** What a token grants. */
export interface BridgeGrant {
  /** The libvirt URI the bridge dials for this token's clients. */
  readonly uri: string;
  /** Only calls that look (see frames.ts); the daemon is dialed read-only too. Default false. */
  readonly readOnly?: boolean;
  /** Connections open at once with this token at most (default unlimited). */
  readonly maxConnections?: number;
  /** Messages per second each of this token's connections may send (default the bridge's {@link BridgeOptions.maxMessageRate}). */
  readonly maxMessageRate?: number;
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
  /**
   * Messages per second a connection may send (default `Infinity`: no limit; libvirtd itself
   * works on at most `max_client_requests` calls of each connection at once). A token bucket
   * allows bursts of up to one second's worth. Every message counts; a call over the rate is
   * answered by the bridge with VIR_ERR_OPERATION_DENIED and not passed on (logged); keepalive
   * and stream packets are never refused (that would break the connection or the stream).
   */
  readonly maxMessageRate?: number;
  /** PEM certificate (chain) to serve `wss` with; needs {@link key}. Without it the bridge serves plain `ws`. */
  readonly cert?: string | Buffer;
  /** PEM private key of {@link cert}. */
  readonly key?: string | Buffer;
  /**
   * A directory whose files are served over HTTP(S) GET on the same port (a page that opens the
   * WebSocket from the same Origin; `/` serves its `index.html`). Default: none (every plain
   * request is answered 426).
   */
  readonly staticDir?: string;
  /** Receives one line per refusal and per connection opened or closed (default: none). */
  readonly log?: (line: string) => void;
}

/** A running bridge. */
export interface Bridge extends AsyncDisposable {
  /** The port it listens on. */
  readonly port: number;
  /** `ws://<listen>:<port><path>` (`wss://` with a certificate). */
  readonly url: string;
  /** Clients connected now. */
  readonly clients: number;
  /** Stops listening and closes every client and its daemon connection. */
  close(): Promise<void>;
}

/** The packet types a client sends that start a call (virNetMessageType). */
const CALL = 0;
const CALL_WITH_FDS = 4;

/** True for a CONNECT_OPEN call header. */
function isConnectOpen(header: FrameHeader): boolean {
  return procedureOf(header)?.name === 'REMOTE_PROC_CONNECT_OPEN';
}

/** A call's procedure, for a log line. */
function callName(header: FrameHeader): string {
  const proc = procedureOf(header);
  return proc === null ? `procedure ${header.procedure} of program 0x${header.program.toString(16)}` : proc.name;
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

/** What the bridge answers a call over the message rate with. */
export function rateErrorFields(rate: number): ErrorFields {
  const e = reportedError(VIR_ERR_OPERATION_DENIED, VIR_FROM_RPC, `message rate over the bridge's limit of ${rate} per second`);
  return { code: e.wireCode, domain: e.domain, message: e.wireMessage, level: e.level, str1: e.str1, str2: e.str2, str3: e.str3, int1: e.int1, int2: e.int2 };
}

/** Throws an ArgumentError naming the option unless `value` is undefined or a number >= `min` (`Infinity` allowed when `infinite`). */
function checkNumber(name: string, value: unknown, min: number, infinite: boolean): void {
  if (value === undefined) return;
  const ok = typeof value === 'number' && value >= min && (Number.isFinite(value) ? true : infinite && value === Number.POSITIVE_INFINITY);
  if (!ok) throw new ArgumentError(`startBridge: ${name} must be a number of at least ${min}${infinite ? ' or Infinity' : ''} (got ${String(value)})`);
}

/** Checks a grant (from `tokens` or `verify`); `where` names it in the error. */
function checkGrant(where: string, grant: BridgeGrant): void {
  if (grant === null || typeof grant !== 'object') throw new ArgumentError(`startBridge: ${where} must be an object with a uri`);
  if (typeof grant.uri !== 'string' || grant.uri === '') throw new ArgumentError(`startBridge: ${where}.uri must be a libvirt URI`);
  if (grant.readOnly !== undefined && typeof grant.readOnly !== 'boolean') throw new ArgumentError(`startBridge: ${where}.readOnly must be a boolean`);
  checkNumber(`${where}.maxConnections`, grant.maxConnections, 1, true);
  checkNumber(`${where}.maxMessageRate`, grant.maxMessageRate, 1, true);
  try {
    planRemoteConnection(grant.uri, { env: process.env, readOnly: grant.readOnly ?? false });
  } catch (err) {
    throw new ArgumentError(`startBridge: ${where}.uri ${redactUriText(grant.uri)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Checks the options of {@link startBridge}, each bad one with an ArgumentError naming it. */
function checkOptions(options: BridgeOptions): void {
  if (options === null || typeof options !== 'object') throw new ArgumentError('startBridge: options are required');
  if (options.tokens === undefined && options.verify === undefined) throw new ArgumentError('startBridge: tokens or verify is required');
  if (options.verify !== undefined && typeof options.verify !== 'function') throw new ArgumentError('startBridge: verify must be a function');
  if (options.tokens !== undefined) {
    if (options.tokens === null || typeof options.tokens !== 'object') throw new ArgumentError('startBridge: tokens must be an object of token: grant');
    for (const [token, grant] of Object.entries(options.tokens)) {
      if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(token)) {
        throw new ArgumentError("startBridge: a token may hold only letters, digits and !#$%&'*+-.^_`|~ (a browser sends it as a WebSocket subprotocol)");
      }
      checkGrant(`tokens[${JSON.stringify(token.slice(0, 4))}...]`, grant);
    }
  }
  if (options.listen !== undefined && (typeof options.listen !== 'string' || (isIP(options.listen) === 0 && options.listen !== 'localhost'))) {
    throw new ArgumentError(`startBridge: listen must be an IP address or localhost (got ${String(options.listen)})`);
  }
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 0 && options.port <= 65535)) {
    throw new ArgumentError(`startBridge: port must be an integer from 0 to 65535 (got ${String(options.port)})`);
  }
  if (options.path !== undefined && (typeof options.path !== 'string' || !options.path.startsWith('/'))) {
    throw new ArgumentError(`startBridge: path must start with / (got ${String(options.path)})`);
  }
  checkNumber('maxFrame', options.maxFrame, FRAME_HEADER_BYTES, false);
  checkNumber('dialTimeout', options.dialTimeout, 1, true);
  checkNumber('idleTimeout', options.idleTimeout, 1, true);
  checkNumber('maxMessageRate', options.maxMessageRate, 1, true);
  if ((options.cert === undefined) !== (options.key === undefined)) throw new ArgumentError('startBridge: cert and key go together (wss needs both)');
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
  checkOptions(options);
  const log = options.log ?? (() => {});
  const serveStatic = options.staticDir !== undefined ? staticHandler(options.staticDir, log) : null;
  const { WebSocketServer, createWebSocketStream } = await import('ws');
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
  const plainRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (serveStatic !== null && new URL(req.url ?? '/', 'http://x').pathname !== path) {
      serveStatic(req, res);
      return;
    }
    res.writeHead(426, { 'content-type': 'text/plain' }).end('a WebSocket endpoint\n');
  };
  const tls = options.cert !== undefined;
  let http: Server;
  try {
    http = tls ? (createHttpsServer({ cert: options.cert, key: options.key }, plainRequest) as unknown as Server) : createServer(plainRequest);
  } catch (err) {
    throw new ArgumentError(`startBridge: the certificate or key cannot be used: ${(err as Error).message}`, { cause: err });
  }
  // A TLS handshake that fails (a client that does not trust the certificate, plain HTTP on the
  // TLS port) concerns that client only.
  http.on('tlsClientError', (err: Error, socket: { remoteAddress?: string; remotePort?: number }) => {
    log(`client (${socket.remoteAddress}:${socket.remotePort}) refused: TLS handshake failed: ${err.message}`);
  });
  http.on('clientError', (err: Error, socket: Duplex) => {
    log(`client refused: bad HTTP request: ${err.message}`);
    socket.destroy();
  });

  async function grantFor(token: string, req: IncomingMessage): Promise<BridgeGrant | null> {
    if (!options.verify) return Object.hasOwn(options.tokens!, token) ? options.tokens![token]! : null;
    const grant = await options.verify(token, req);
    if (grant !== null) checkGrant('the grant verify returned', grant);
    return grant;
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
      let openName: string;
      const openFlags = grant.readOnly ? VIR_CONNECT_RO : 0;
      const uriText = redactUriText(grant.uri);
      try {
        const plan = planRemoteConnection(grant.uri, { env: process.env, readOnly: grant.readOnly ?? false });
        openName = planSecrets(plan)?.connectName ?? plan.connectName;
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
        const rate = new MessageRate(grant.maxMessageRate ?? options.maxMessageRate ?? Number.POSITIVE_INFINITY);
        let overRate = 0;
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
          if (overRate > 0) log(`${who} refused ${overRate} calls in all over the message rate limit of ${rate.rate} per second`);
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
            const header = readHeader(frame);
            const call = header.type === CALL || header.type === CALL_WITH_FDS;
            if (!call) rate.charge();
            else if (!rate.take()) {
              if (overRate++ === 0) log(`${who} refused call: ${callName(header)} over the message rate limit of ${rate.rate} per second`);
              client.write(errorReply(header, rateErrorFields(rate.rate)));
              continue;
            }
            const refusal = grant.readOnly ? readOnlyRefusal(header) : null;
            if (refusal === null) {
              if (!daemon.write(call && isConnectOpen(header) ? openAsGranted(frame) : frame)) client.pause();
              continue;
            }
            log(`${who} refused call: ${refusal} on a read-only token`);
            client.write(errorReply(header, readOnlyErrorFields(refusal)));
          }
        });
        // The driver opened is the grant's, whatever name the client's CONNECT_OPEN carries
        // (libvirtd would open any driver it has for any name); read-only adds VIR_CONNECT_RO.
        function openAsGranted(frame: Buffer): Buffer {
          const asked = connectOpenName(frame);
          if (asked !== openName)
            log(
              `${who} asked to open ${asked === undefined ? 'a name that does not decode' : JSON.stringify(redactUriText(asked ?? ''))}: opens the token's ${JSON.stringify(redactUriText(openName))}`,
            );
          return rewriteConnectOpen(frame, openName, openFlags);
        }
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
  const scheme = tls ? 'wss' : 'ws';
  const close = async (): Promise<void> => {
    for (const c of [...live]) c.close();
    wss.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return {
    port,
    url: `${scheme}://${host}:${port}${path}`,
    get clients() {
      return live.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
