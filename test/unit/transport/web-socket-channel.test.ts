/**
 * The WebSocket adapter of the browser build (src/transport/web-socket-channel.ts) over a fake
 * WebSocket with the web platform's interface: messages in order as `data`, backpressure by
 * `bufferedAmount` with a `drain` once it falls, messages held while paused, the closing codes
 * as `end` or `error`, then `close`; and the RPC engine running over it against the scripted peer.
 */
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { remoteProcedures } from '../../../src/procedures/remote.gen.js';
import { RpcClient } from '../../../src/rpc/client.js';
import { ConnectionClosedError, TransportError } from '../../../src/rpc/errors.js';
import { dialWebSocketChannel, WebSocketChannel, WS_HIGH_WATER_MARK, type WebSocketLike } from '../../../src/transport/web-socket-channel.js';
import { ArgumentError } from '../../../src/errors/root.js';
import { ScriptedPeer } from '../../support/scripted-peer.js';

type Handler = (event: never) => void;

/** A WebSocket as a page sees one, driven by the test. */
class FakeWebSocket implements WebSocketLike {
  static last: FakeWebSocket | null = null;
  binaryType = 'blob';
  readyState = 1;
  bufferedAmount = 0;
  protocol = 'libvirt-rpc';
  readonly sent: Uint8Array[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onSend: ((data: Uint8Array) => void) | null = null;
  readonly #handlers = new Map<string, Handler[]>();

  constructor(
    readonly url = 'ws://fake/',
    readonly protocols: string | string[] = [],
  ) {
    FakeWebSocket.last = this;
  }

  addEventListener(type: string, listener: Handler): void {
    this.#handlers.set(type, [...(this.#handlers.get(type) ?? []), listener]);
  }

  send(data: Uint8Array): void {
    this.sent.push(data);
    this.bufferedAmount += data.length;
    this.onSend?.(data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
  }

  fire(type: string, event: object = {}): void {
    if (type === 'close') this.readyState = 3;
    for (const h of this.#handlers.get(type) ?? []) h(event as never);
  }

  message(bytes: number[] | Uint8Array): void {
    this.fire('message', { data: Uint8Array.from(bytes).buffer });
  }
}

function events(ch: WebSocketChannel): string[] {
  const log: string[] = [];
  ch.on('data', (c) => log.push(`data ${Array.from(c).join(',')}`));
  ch.on('end', () => log.push('end'));
  ch.on('error', (e) => log.push(`error ${e.message}`));
  ch.on('close', () => log.push('close'));
  ch.on('drain', () => log.push('drain'));
  return log;
}

describe('WebSocketChannel', () => {
  it('asks for binary messages as ArrayBuffers and hands each one on as bytes, in order', () => {
    const ws = new FakeWebSocket();
    const ch = new WebSocketChannel(ws);
    expect(ws.binaryType).toBe('arraybuffer');
    const log = events(ch);
    ws.message([1, 2]);
    ws.message([3]);
    expect(log).toEqual(['data 1,2', 'data 3']);
  });

  it('sends each write as one message and says when bufferedAmount passes the high-water mark; drain once it falls', async () => {
    const ws = new FakeWebSocket();
    const ch = new WebSocketChannel(ws);
    const log = events(ch);
    expect(ch.write(Uint8Array.of(1, 2, 3))).toBe(true);
    expect(ch.writableLength).toBe(3);
    expect(ch.write(new Uint8Array(WS_HIGH_WATER_MARK))).toBe(false);
    expect(ws.sent).toHaveLength(2);
    const drained = new Promise<void>((resolve) => ch.on('drain', () => resolve()));
    ws.bufferedAmount = 0;
    await drained;
    expect(log).toEqual(['drain']);
  });

  it('holds messages while paused and delivers them, in order, on resume', () => {
    const ws = new FakeWebSocket();
    const ch = new WebSocketChannel(ws);
    const log = events(ch);
    ch.pause();
    ws.message([1]);
    ws.message([2]);
    expect(log).toEqual([]);
    ch.resume();
    ws.message([3]);
    expect(log).toEqual(['data 1', 'data 2', 'data 3']);
  });

  it('a normal close is the end (held messages first), any other code an error naming it; then close', () => {
    const ws = new FakeWebSocket();
    const ch = new WebSocketChannel(ws);
    const log = events(ch);
    ch.pause();
    ws.message([7]);
    ws.fire('close', { code: 1000, reason: '' });
    expect(log).toEqual(['data 7', 'end', 'close']);
    expect(ch.closed).toBe(true);
    expect(ch.destroyed).toBe(true);

    const ws2 = new FakeWebSocket();
    const log2 = events(new WebSocketChannel(ws2));
    ws2.fire('close', { code: 1008, reason: 'frame of 70000 bytes is over the limit' });
    expect(log2).toEqual(['error the WebSocket was closed with code 1008: frame of 70000 bytes is over the limit', 'close']);
  });

  it('destroy closes the socket and emits the error given, then close; writing afterwards fails', async () => {
    const ws = new FakeWebSocket();
    const ch = new WebSocketChannel(ws);
    const log = events(ch);
    const closed = new Promise<void>((resolve) => ch.once('close', resolve));
    ch.destroy(new Error('bye'));
    expect(ws.closedWith).not.toBeNull();
    await closed;
    expect(log).toEqual(['error bye', 'close']);
    const err = await new Promise<unknown>((resolve) => expect(ch.write(Uint8Array.of(1), resolve)).toBe(false));
    expect(err).toBeInstanceOf(TransportError);
  });

  it('a text message is a protocol violation: error, and the channel is torn down', async () => {
    const ws = new FakeWebSocket();
    const ch = new WebSocketChannel(ws);
    const log = events(ch);
    const closed = new Promise<void>((resolve) => ch.once('close', resolve));
    ws.fire('message', { data: 'hello' });
    await closed;
    expect(log[0]).toMatch(/text message/);
    expect(log.at(-1)).toBe('close');
  });

  it('runs the RPC engine: calls answered through it, and the bridge going away closes the connection', async () => {
    const ws = new FakeWebSocket();
    // The daemon's side: what the page sends arrives as its input; what it writes comes back as messages.
    const far = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        ws.message(chunk);
        cb();
      },
    });
    ws.onSend = (data) => void far.push(Buffer.from(data));
    const peer = new ScriptedPeer(far).serve({ REMOTE_PROC_CONNECT_GET_HOSTNAME: () => ({ hostname: 'over-ws' }) });
    const client = new RpcClient(new WebSocketChannel(ws));
    const got = await Promise.all([1, 2, 3].map(() => client.call(remoteProcedures.REMOTE_PROC_CONNECT_GET_HOSTNAME, undefined)));
    expect(got.map((r) => r.hostname)).toEqual(['over-ws', 'over-ws', 'over-ws']);
    expect(peer.calls.map((c) => c.name)).toEqual(Array(3).fill('REMOTE_PROC_CONNECT_GET_HOSTNAME'));
    const pending = client.call(remoteProcedures.REMOTE_PROC_CONNECT_GET_LIB_VERSION, undefined);
    ws.fire('close', { code: 1006, reason: '' });
    await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError);
    expect((await client.closed).message).toMatch(/code 1006 \(the connection was lost\)/);
  });
});

describe('dialWebSocketChannel', () => {
  const WS = FakeWebSocket as never;

  it('offers the bridge subprotocol and bearer.<token>, and resolves on open', async () => {
    const dialing = dialWebSocketChannel('wss://bridge.example/libvirt', { token: 'abc.DEF-1', WebSocket: WS });
    const ws = FakeWebSocket.last!;
    expect(ws.url).toBe('wss://bridge.example/libvirt');
    expect(ws.protocols).toEqual(['libvirt-rpc', 'bearer.abc.DEF-1']);
    ws.fire('open');
    expect(await dialing).toBeInstanceOf(WebSocketChannel);
  });

  it('a failed handshake rejects with a TransportError saying why a browser cannot tell', async () => {
    const dialing = dialWebSocketChannel('ws://127.0.0.1:1/libvirt', { WebSocket: WS });
    FakeWebSocket.last!.fire('error');
    FakeWebSocket.last!.fire('close', { code: 1006, reason: '' });
    await expect(dialing).rejects.toThrow(/handshake failed \(code 1006\).*wrong token, an Origin/);
  });

  it('refuses what cannot work before opening anything', async () => {
    FakeWebSocket.last = null;
    await expect(dialWebSocketChannel('http://bridge/', { WebSocket: WS })).rejects.toThrow(/ws: or wss: URL/);
    await expect(dialWebSocketChannel('not a url', { WebSocket: WS })).rejects.toBeInstanceOf(ArgumentError);
    await expect(dialWebSocketChannel('ws://bridge/', { token: 'has space', WebSocket: WS })).rejects.toThrow(/token must be made of/);
    expect(FakeWebSocket.last).toBeNull();
  });

  it('gives up on a bridge that never answers when the timeout passes, and closes the socket', async () => {
    const dialing = dialWebSocketChannel('ws://bridge/', { WebSocket: WS, timeout: 1 });
    await expect(dialing).rejects.toThrow(/timed out/);
    expect(FakeWebSocket.last!.closedWith).not.toBeNull();
  });
});
