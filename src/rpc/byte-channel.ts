/**
 * What the RPC engine needs of the connection it runs over: an ordered, reliable byte pipe in
 * both directions. A Node `Duplex` (a net, TLS or SSH socket, a child's stdio) satisfies it as it
 * is, so Node's transports hand their sockets over unchanged; in a browser,
 * `WebSocketChannel` (src/transport/web-socket-channel.ts) adapts a `WebSocket` to it.
 *
 * The members are the subset of Node's stream API the engine calls (client.ts, packet-writer.ts,
 * read-gate.ts), with Node's meaning: events `data`, `end` (the peer finished sending), `error`,
 * `close` (the channel is gone; after `end`/`error`, or after {@link ByteChannel.destroy}) and
 * `drain` (a `write` that returned false may go on).
 *
 * @module
 */

/** A connected byte pipe the RPC engine runs over (see the module comment). */
export interface ByteChannel {
  /** Bytes received, in order. */
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  /** `end`: the peer will send nothing more; `close`: the channel is gone; `drain`: writing may go on. */
  on(event: 'end' | 'close' | 'drain', listener: () => void): unknown;
  /** The channel failed (a `close` follows). */
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Like `on('close')`, once. */
  once(event: 'close', listener: () => void): unknown;
  /**
   * Queues `chunk` (not copied: the caller does not change it afterwards) and returns false once
   * {@link writableLength} reaches {@link writableHighWaterMark} (then wait for `drain`).
   * `callback` runs once the bytes have been handed on (with an error if they never will be).
   */
  write(chunk: Uint8Array, callback?: (err?: Error | null) => void): boolean;
  /** Groups the writes until {@link uncork} (a hint: it may send them as they come). */
  cork(): void;
  /** Ends the grouping begun by {@link cork}. */
  uncork(): void;
  /** Sends what is queued, then ends this side; `callback` once that is done. */
  end(callback?: () => void): unknown;
  /** Tears the channel down at once (a `close` follows). */
  destroy(error?: Error): unknown;
  /** Stops delivering `data` until {@link resume} (flow control; see read-gate.ts). */
  pause(): unknown;
  /** Delivers `data` again. */
  resume(): unknown;
  /** Bytes queued and not yet handed on. */
  readonly writableLength: number;
  /** The {@link writableLength} from which `write` returns false. */
  readonly writableHighWaterMark: number;
  /** True once {@link destroy} was called or the channel is gone. */
  readonly destroyed: boolean;
  /** True once `close` has been emitted. */
  readonly closed: boolean;
}
