/**
 * The WebSocket transport on the web platform's own `WebSocket` (a browser, an Electron
 * renderer, Deno, Node 22+; or the `ws` package's class, which has the same interface): the
 * protocol's frames travel as binary messages through a bridge (src/bridge) that relays them to
 * a daemon. {@link dialWebSocketChannel} opens one and returns a {@link WebSocketChannel}, the
 * adapter that gives the RPC engine the {@link ByteChannel} it runs over.
 *
 * What a browser cannot do, and what is done instead:
 * - no headers: the token travels as a second subprotocol, `bearer.<token>` (the bridge reads
 *   both forms);
 * - no reason for a refused handshake (a wrong token, a foreign Origin and an unreachable bridge
 *   all look alike, code 1006): the error says so, and the bridge's log names the reason;
 * - no `drain` event: while more than {@link WS_HIGH_WATER_MARK} bytes wait in `bufferedAmount`,
 *   `write` returns false and the adapter looks at `bufferedAmount` again every
 *   {@link WS_DRAIN_POLL_MS} ms until it is below, then emits `drain`;
 * - no way to stop the socket's reading: `pause()` (a stream's reader is behind, see
 *   src/rpc/read-gate.ts) holds incoming messages in the adapter and hands them on at `resume()`,
 *   so the engine's order and flow control hold, though the daemon is not slowed down.
 *
 * @module
 */
import { ArgumentError } from '../errors/root.js';
import type { ByteChannel } from '../rpc/byte-channel.js';
import { TransportError } from '../rpc/errors.js';
import { bounded, type Bound } from '../util/deadline.js';
import { parseWebSocketUrl } from './web-socket-url.js';

/** The subprotocol the bridge speaks (the same as `WEBSOCKET_SUBPROTOCOL` of websocket.ts). */
export const WEB_SOCKET_SUBPROTOCOL = 'libvirt-rpc';

/** Bytes waiting in `bufferedAmount` from which `write` returns false (Node's stream default). */
export const WS_HIGH_WATER_MARK = 1024 * 1024;

/** How often a full socket's `bufferedAmount` is looked at again (a WebSocket has no drain event). */
export const WS_DRAIN_POLL_MS = 10;

/** The members of the web platform's `WebSocket` the adapter uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string; wasClean?: boolean }) => void): void;
}

/** A `WebSocket` constructor (the global one, or e.g. the `ws` package's). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Options of {@link dialWebSocketChannel}. */
export interface WebSocketChannelOptions extends Bound {
  /** The bridge token, sent as the subprotocol `bearer.<token>`. */
  readonly token?: string | undefined;
  /** The WebSocket class to use (default: `globalThis.WebSocket`). */
  readonly WebSocket?: WebSocketConstructor | undefined;
}

/** RFC 7230 `token` characters: what a subprotocol may be made of. */
const TOKEN_CHARS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `readyState` values. */
const OPEN = 1;

type Listener = (arg?: unknown) => void;

/**
 * A connected WebSocket as a {@link ByteChannel}: each `write` is one binary message; each
 * message received is one `data` chunk. See the module comment for `drain` and `pause`.
 */
export class WebSocketChannel implements ByteChannel {
  readonly writableHighWaterMark = WS_HIGH_WATER_MARK;
  #destroyed = false;
  #closed = false;
  #ended = false;
  #paused = false;
  #held: Uint8Array[] = [];
  #drainTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(private readonly ws: WebSocketLike) {
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('message', (event) => this.#onMessage(event.data));
    ws.addEventListener('close', (event) => this.#onClose(event.code, event.reason));
    ws.addEventListener('error', () => {}); // the 'close' that follows carries the code
  }

  get writableLength(): number {
    return this.#closed ? 0 : this.ws.bufferedAmount;
  }

  get destroyed(): boolean {
    return this.#destroyed || this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  on(event: 'data', listener: (chunk: Uint8Array) => void): this;
  on(event: 'end' | 'close' | 'drain', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string, listener: (arg: never) => void): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    return this;
  }

  once(event: 'close', listener: () => void): this {
    const once: Listener = () => {
      this.#listeners.get(event)?.delete(once);
      listener();
    };
    return this.on(event, once);
  }

  write(chunk: Uint8Array, callback?: (err?: Error | null) => void): boolean {
    if (this.destroyed || this.ws.readyState !== OPEN) {
      const err = new TransportError('write after the WebSocket was closed', null);
      if (callback) queueMicrotask(() => callback(err));
      return false;
    }
    this.ws.send(chunk);
    // send() has taken the bytes (the platform copies them into its buffer).
    if (callback) queueMicrotask(() => callback(null));
    if (this.ws.bufferedAmount < WS_HIGH_WATER_MARK) return true;
    this.#watchDrain();
    return false;
  }

  cork(): void {}

  uncork(): void {}

  end(callback?: () => void): this {
    if (callback) this.once('close', callback);
    if (!this.#closed) this.ws.close(1000, 'client done');
    return this;
  }

  destroy(error?: Error): this {
    if (this.#destroyed) return this;
    this.#destroyed = true;
    this.#held = [];
    if (this.#drainTimer !== null) clearTimeout(this.#drainTimer);
    if (!this.#closed) this.ws.close(1000, error ? 'client error' : 'client done');
    // Node's rule: after destroy(), 'error' (if given) and 'close' follow, asynchronously;
    // they do not wait for the closing handshake.
    queueMicrotask(() => {
      if (error) this.#emit('error', error);
      this.#finish();
    });
    return this;
  }

  pause(): this {
    this.#paused = true;
    return this;
  }

  resume(): this {
    this.#paused = false;
    while (!this.#paused && this.#held.length > 0 && !this.#destroyed) this.#emit('data', this.#held.shift());
    return this;
  }

  #onMessage(data: unknown): void {
    if (this.#destroyed) return;
    if (!(data instanceof ArrayBuffer)) {
      this.#emit('error', new TransportError('the bridge sent a text message; the protocol uses binary messages only', null));
      this.destroy();
      return;
    }
    const chunk = new Uint8Array(data);
    if (this.#paused) this.#held.push(chunk);
    else this.#emit('data', chunk);
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    if (!this.#destroyed) {
      // Messages held for a paused reader are still delivered, before the end.
      this.#paused = false;
      this.resume();
      if (code === 1000 || code === 1005) {
        this.#ended = true;
        this.#emit('end');
      } else {
        const why = reason ? `: ${reason}` : code === 1006 ? ' (the connection was lost)' : '';
        this.#emit('error', new TransportError(`the WebSocket was closed with code ${code}${why}`, null));
      }
    }
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#drainTimer !== null) clearTimeout(this.#drainTimer);
    this.#emit('close');
  }

  #watchDrain(): void {
    if (this.#drainTimer !== null) return;
    const check = (): void => {
      this.#drainTimer = null;
      if (this.destroyed) return;
      if (this.ws.bufferedAmount >= WS_HIGH_WATER_MARK) this.#drainTimer = setTimeout(check, WS_DRAIN_POLL_MS);
      else this.#emit('drain');
    };
    this.#drainTimer = setTimeout(check, WS_DRAIN_POLL_MS);
  }

  #emit(event: string, arg?: unknown): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const l of [...set]) l(arg);
  }

  /** True once the bridge closed normally (`end` was emitted). */
  get ended(): boolean {
    return this.#ended;
  }
}

/**
 * Opens `url` (`ws:` or `wss:`; relative URLs are not resolved here) with the bridge's
 * subprotocol and `bearer.<token>`, and resolves with the channel once the handshake succeeded.
 *
 * @throws ArgumentError for a URL that is not `ws:`/`wss:`, a token a subprotocol cannot carry,
 *   or no WebSocket class available.
 * @throws TransportError when the handshake fails (the browser does not say why).
 */
export async function dialWebSocketChannel(url: string | URL, options: WebSocketChannelOptions = {}): Promise<WebSocketChannel> {
  const parsed = parseWebSocketUrl(url);
  const protocols = [WEB_SOCKET_SUBPROTOCOL];
  if (options.token !== undefined) {
    if (!TOKEN_CHARS.test(options.token)) {
      throw new ArgumentError(
        'connect: the token must be made of letters, digits and !#$%&\'*+-.^_`|~ only (it travels as the WebSocket subprotocol "bearer.<token>")',
      );
    }
    protocols.push(`bearer.${options.token}`);
  }
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (typeof Ctor !== 'function') {
    throw new ArgumentError('connect: this platform has no WebSocket class; pass one as the WebSocket option');
  }
  const where = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  let ws: WebSocketLike | undefined;
  await bounded<void>({ ...options, timeoutReason: `connecting to WebSocket ${where}`, onFail: () => ws?.close() }, (ok, fail) => {
    ws = new Ctor(parsed.href, protocols);
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('open', () => ok());
    // An 'error' always comes with a 'close', which says what there is to say.
    ws.addEventListener('error', () => {});
    ws.addEventListener('close', (event) =>
      fail(
        new TransportError(
          `cannot connect to WebSocket ${where}: the handshake failed (code ${event.code}${event.reason ? `: ${event.reason}` : ''}); ` +
            'a browser does not say why: a wrong token, an Origin the bridge does not allow and an unreachable bridge look the same (the bridge logs the reason)',
          null,
        ),
      ),
    );
    return undefined;
  });
  return new WebSocketChannel(ws!);
}
