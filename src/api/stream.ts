/**
 * Data streams: what `virStreamPtr` is to libvirt's C API, as a Node `Duplex`.
 *
 * A procedure that opens a stream (`storageVolDownload`, `storageVolUpload`,
 * `domainScreenshot`, `domainOpenConsole`, ...) is called with a stream
 * channel bound to the call's serial (see `RpcClient.openStream`); the raw
 * layer's method for it resolves to a {@link LibvirtStream} once the daemon
 * has accepted the call. What the stream does on the wire follows libvirt's
 * client (`src/rpc/virnetclientstream.c`, `src/libvirt-stream.c`) and what
 * the daemon expects of it (`src/remote/remote_daemon_stream.c`):
 *
 * - **Receiving.** The daemon sends one data packet (at most 256 KiB) at a
 *   time, the next as soon as the previous one has been written to the
 *   socket: the only flow control is the socket's. The protocol has no
 *   receive window and the connection's socket is shared by every call, so
 *   a slow reader cannot slow the daemon down without stalling the whole
 *   connection (keepalive included). Like libvirt's client, the stream
 *   therefore queues what arrives; unlike it, the queue is bounded: when
 *   more than `maxBuffered` bytes (default 64 MiB) are waiting for the
 *   reader, the stream is aborted and fails with a {@link StreamOverflowError}.
 *   Set `maxBuffered: Infinity` for libvirt's unbounded behaviour.
 * - **End of data.** The daemon marks the end with an empty data packet. A
 *   read stream then sends what `virStreamFinish` sends (STREAM, status OK)
 *   and ends (`'end'`) only when the daemon has confirmed it; an error in
 *   the confirmation fails the stream instead.
 * - **Holes** (sparse streams, opened with `VIR_STORAGE_VOL_*_SPARSE_STREAM`).
 *   Read as a Node stream, a hole comes out as that many zero bytes, as
 *   `virStreamRecv` returns them (generated lazily, so a large hole costs no
 *   memory). {@link LibvirtStream.entries} gives data and holes one by one
 *   instead, as `virStreamRecvFlags(VIR_STREAM_RECV_STOP_AT_HOLE)` and
 *   `virStreamRecvHole` do. {@link LibvirtStream.sendHole} sends one, in
 *   order with the data written before it.
 * - **Sending.** `write()` follows Node's backpressure: a chunk is handed on
 *   only when the connection's socket has room (`RpcClient.drain`), so memory
 *   stays bounded by the stream's `writableHighWaterMark` plus one chunk.
 *   The daemon, in turn, stops reading the socket while it has too many
 *   packets waiting for the storage backend, which is what slows a writer.
 * - **Finishing.** `end()` (or {@link LibvirtStream.finish}) sends the finish
 *   packet and completes (`'finish'`) when the daemon has confirmed it: only
 *   then is the upload known to be complete.
 * - **Aborting.** {@link LibvirtStream.abort}, `destroy()`, an early `break`
 *   out of `for await`, the call's `signal`, or a failure sends what
 *   `virStreamAbort` sends (STREAM, status ERROR); the daemon confirms and
 *   the serial is released. The connection stays usable.
 * - **Errors.** An error the daemon sends for the stream fails it with that
 *   {@link LibvirtError}; the end of the connection fails it with the
 *   {@link ConnectionClosedError}. Either way the stream emits `'error'`.
 */
import { Buffer } from 'node:buffer';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Duplex, type DuplexOptions } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { brandClass } from '../errors/brand.js';
import type { RpcCallOptions } from '../rpc/client.js';
import {
  abortErrorFor,
  AbortError,
  type ConnectionClosedError,
  LibvirtRpcError,
  ProtocolError,
  TimeoutError,
  UnsupportedError,
} from '../rpc/errors.js';
import type { CallOptions, Procedure, ProcedureCaller, ProcedureInfo } from '../rpc/procedure.js';
import type { StreamChannel, StreamPacket, StreamSink } from '../rpc/stream-channel.js';

/** Default of {@link StreamOptions.maxBuffered}: 64 MiB. */
export const STREAM_MAX_BUFFERED_DEFAULT = 64 * 1024 * 1024;

/** Largest chunk of zeros a hole is read as (the daemon's packet size). */
const ZERO_CHUNK = 256 * 1024;

/** Largest hole length the protocol carries (`hyper`). */
const HOLE_MAX = (1n << 63n) - 1n;

/**
 * Which way data flows: `read` (the daemon sends: downloads, screenshots),
 * `write` (the client sends: uploads, tunnelled migration) or `duplex` (both:
 * consoles and channels, which the `.x` file marks `@readstream`).
 */
export type StreamMode = 'read' | 'write' | 'duplex';

/** Options of a call that opens a stream. */
export interface StreamOptions extends CallOptions {
  /**
   * Aborts the call and, once it has succeeded, the stream (which then fails
   * with an AbortError). `timeout` only bounds the call.
   */
  readonly signal?: AbortSignal;
  /**
   * Bytes received but not yet read that the stream holds before it gives up:
   * past this it aborts and fails with a {@link StreamOverflowError}. Default
   * {@link STREAM_MAX_BUFFERED_DEFAULT}; `Infinity` never gives up (libvirt's behaviour).
   */
  readonly maxBuffered?: number;
  /** `readableHighWaterMark` and `writableHighWaterMark` of the Node stream (Node's default otherwise). */
  readonly highWaterMark?: number;
}

/** One item of {@link LibvirtStream.entries}: data, or a hole of `length` bytes. */
export type StreamEntry =
  | { readonly kind: 'data'; readonly data: Buffer }
  | { readonly kind: 'hole'; readonly length: bigint };

/** The chunk size of the `*All` helpers (libvirt-python's `virStorageVol.streamBufSize`). */
export const STREAM_BUF_SIZE = 262120;

/**
 * What {@link LibvirtStream.sendAll} sends: a function asked for up to `nbytes` at a time
 * (nothing, or an empty chunk, ends it), or an (async) iterable of chunks.
 */
export type StreamSource =
  | ((nbytes: number) => Uint8Array | null | undefined | Promise<Uint8Array | null | undefined>)
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/** Codes of the errors this module raises besides those of the RPC engine. */
export const StreamErrorCode = {
  /** More than `maxBuffered` bytes were waiting for a slow reader ({@link StreamOverflowError}). */
  OVERFLOW: 'RPC_STREAM_OVERFLOW',
  /** The stream cannot do that: a hole on a stream that is not sparse, a write after finishing ({@link StreamStateError}). */
  STATE: 'RPC_STREAM_STATE',
} as const;

/**
 * The reader fell behind: more than `maxBuffered` bytes arrived that were not
 * read. The stream was aborted; the connection is still usable.
 */
export class StreamOverflowError extends LibvirtRpcError {
  /** The limit that was passed, in bytes. */
  readonly maxBuffered: number;

  constructor(maxBuffered: number) {
    super(
      StreamErrorCode.OVERFLOW,
      `stream aborted: more than ${maxBuffered} received bytes were waiting to be read (raise maxBuffered or read faster)`,
    );
    this.name = 'StreamOverflowError';
    this.maxBuffered = maxBuffered;
  }
}
brandClass(StreamOverflowError, 'StreamOverflowError');

/** The stream is not in a state (or of a kind) that allows the operation. */
export class StreamStateError extends LibvirtRpcError {
  constructor(message: string) {
    super(StreamErrorCode.STATE, message);
    this.name = 'StreamStateError';
  }
}
brandClass(StreamStateError, 'StreamStateError');

/** What can open a stream: the RPC engine, or a connection wrapping it. */
export interface StreamCaller extends ProcedureCaller {
  /** Registers a sink for the stream packets of a call about to be made (`RpcClient.openStream`). */
  openStream(procedure: ProcedureInfo, sink: StreamSink): StreamChannel;
}

/** The RPC engine behind `caller`: itself, or a connection's `client`; null if none can open streams. */
function streamCaller(caller: ProcedureCaller): StreamCaller | null {
  const isOne = (c: unknown): c is StreamCaller =>
    typeof c === 'object' && c !== null && typeof (c as Partial<StreamCaller>).openStream === 'function';
  if (isOne(caller)) return caller;
  const client = (caller as { client?: unknown }).client;
  return isOne(client) ? client : null;
}

/** Where the stream is on the wire. */
type WireState =
  /** The call that opens it is in flight. */
  | 'opening'
  /** Open both ways. */
  | 'open'
  /** This side sent finish; waiting for the daemon's confirmation. */
  | 'finishing'
  /** This side sent abort; waiting for the daemon's confirmation. */
  | 'aborting'
  /** Over: confirmed, failed or the connection ended; the channel is released. */
  | 'closed';

interface HoleItem {
  remaining: bigint;
}

type QueueItem = Buffer | HoleItem;

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

const holeMarkers = new WeakMap<Buffer, bigint>();
const noop = (): void => {};
const CREATE = Symbol('LibvirtStream.create');

/**
 * A libvirt data stream as a Node `Duplex`: readable for `read` streams,
 * writable for `write` streams, both for `duplex` ones (the other side is
 * ended from the start). Get one from a raw-layer stream method such as
 * `conn.raw.storageVolDownload(...)`. See the module documentation for how
 * it behaves on the wire.
 *
 * Besides the Node stream API: {@link finish} (end and wait for the
 * daemon's confirmation), {@link abort}, {@link sendHole} and
 * {@link entries} for sparse streams.
 */
export class LibvirtStream extends Duplex {
  /** Which way data flows. */
  readonly mode: StreamMode;
  /** True when holes may be sent or received (the call had the sparse-stream flag). */
  readonly sparse: boolean;
  /** The procedure that opened the stream. */
  readonly procedure: ProcedureInfo;
  /** Limit of {@link bufferedBytes}. */
  readonly maxBuffered: number;

  #channel: StreamChannel | null = null;
  #wire: WireState = 'opening';
  /** Settles when the stream is over on the wire: resolves on a confirmed finish. */
  readonly #settled = deferred();
  /** Settles when the channel is released (after an abort's confirmation too). */
  readonly #released = deferred();
  #queue: QueueItem[] = [];
  #head = 0;
  #queuedBytes = 0;
  /** The reader's end is queued after the data (no more data will be queued). */
  #endQueued = false;
  #pushedEnd = false;
  #wantRead = false;
  #pumping = false;
  #consumer: 'node' | 'entries' | null = null;
  #wake: (() => void) | null = null;
  #failure: Error | null = null;
  #pendingFinal: ((err?: Error | null) => void) | null = null;
  /** The daemon's end-of-data packet arrived. */
  #eof = false;
  /** The caller that opened the stream (for {@link LibvirtStream.connection}). */
  #caller: ProcedureCaller | null = null;

  /** @internal Use a raw-layer stream method, or {@link openStreamCall}. */
  constructor(
    token: typeof CREATE,
    init: { mode: StreamMode; sparse: boolean; procedure: ProcedureInfo; maxBuffered?: number; highWaterMark?: number },
  ) {
    if (token !== CREATE) throw new TypeError('LibvirtStream is created by the stream methods of the raw layer');
    // `readable`/`writable: false` (Node >= 15) end one side from the start; @types/node lacks them.
    const options: DuplexOptions & { readable: boolean; writable: boolean } = {
      readable: init.mode !== 'write',
      writable: init.mode !== 'read',
      allowHalfOpen: init.mode !== 'duplex',
      ...(init.highWaterMark !== undefined
        ? { readableHighWaterMark: init.highWaterMark, writableHighWaterMark: init.highWaterMark }
        : {}),
    };
    super(options);
    // A failure is never an unhandled 'error' (which would kill the process
    // when, say, the connection drops under a stream nobody reads yet): it is
    // still emitted to listeners, kept in `errored`, and rejects pipeline(),
    // for await, readAll() and finish().
    this.on('error', noop);
    const max = init.maxBuffered ?? STREAM_MAX_BUFFERED_DEFAULT;
    if (!(max > 0)) throw new RangeError(`maxBuffered must be positive, got ${max}`);
    this.mode = init.mode;
    this.sparse = init.sparse;
    this.procedure = init.procedure;
    this.maxBuffered = max;
  }

  /** Received bytes waiting to be read (not counting Node's own readable buffer, at most `readableHighWaterMark`). */
  get bufferedBytes(): number {
    return this.#queuedBytes;
  }

  /** The serial of the call that opened the stream (null before it is sent). */
  get serial(): number | null {
    return this.#channel?.serial ?? null;
  }

  // ---------------------------------------------------------------------------
  // Public operations

  /**
   * Finishes the stream and resolves when the daemon has confirmed it, as
   * `virStreamFinish` does; rejects with the stream's error (the daemon's
   * LibvirtError, a ConnectionClosedError, an AbortError after an abort).
   *
   * A writable stream is ended first (data already written is sent before
   * the finish packet). A read stream finishes by itself at the end of the
   * data; calling this earlier stops the transfer: what was received is
   * still readable, then the stream ends.
   */
  finish(): Promise<void> {
    if (this.mode !== 'read') {
      if (!this.writableEnded && !this.destroyed) this.end();
    } else if (this.#wire === 'open') {
      this.#sendFinish();
    }
    return this.#settled.promise;
  }

  /**
   * Aborts the stream, as `virStreamAbort` does: the daemon is told to drop
   * it, the Node stream is destroyed (without an error) and unread data is
   * discarded. Resolves once the daemon has confirmed (or the connection has
   * ended); never rejects. A no-op on a stream that is already over.
   */
  abort(): Promise<void> {
    if (!this.destroyed) this.destroy();
    return this.#released.promise;
  }

  /**
   * Sends a hole of `length` bytes (`virStreamSendHole`), in order with the
   * data written before and after it. Returns what `write()` returns. Throws a
   * {@link StreamStateError} on a stream that is not sparse or not writable,
   * and a RangeError for a length that is not positive or exceeds 2^63 - 1.
   */
  sendHole(length: number | bigint): boolean {
    if (this.mode === 'read') throw new StreamStateError(`${this.procedure.name}: cannot send a hole on a read stream`);
    if (!this.sparse) {
      throw new StreamStateError(
        `${this.procedure.name}: holes are not supported on this stream (open it with the sparse-stream flag)`,
      );
    }
    const len = typeof length === 'bigint' ? length : Number.isSafeInteger(length) ? BigInt(length) : -1n;
    if (len <= 0n || len > HOLE_MAX) throw new RangeError(`hole length must be a positive integer below 2^63, got ${length}`);
    const marker = Buffer.alloc(0);
    holeMarkers.set(marker, len);
    return this.write(marker);
  }

  /**
   * The received data and holes, one by one, instead of reading the stream
   * as bytes (for sparse downloads: a hole is `{ kind: 'hole', length }`
   * rather than zeros). Use it instead of the Node stream API, not beside it:
   * it throws a StreamStateError once data has been read the other way.
   * Leaving the loop early aborts the stream; the iterator throws the
   * stream's error.
   */
  async *entries(): AsyncGenerator<StreamEntry, void, undefined> {
    if (this.mode === 'write') throw new StreamStateError(`${this.procedure.name}: a write stream has nothing to read`);
    if (this.#consumer === 'node') throw new StreamStateError('the stream is already being read as bytes');
    this.#consumer = 'entries';
    let done = false;
    try {
      for (;;) {
        if (this.#head < this.#queue.length) {
          const item = this.#dequeue();
          yield Buffer.isBuffer(item) ? { kind: 'data', data: item } : { kind: 'hole', length: item.remaining };
          continue;
        }
        if (this.#failure) throw this.#failure;
        if (this.#endQueued) {
          done = true;
          return;
        }
        if (this.destroyed) throw new AbortError('the stream was destroyed');
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = null;
      }
    } finally {
      if (done) {
        // Let the Node side end too ('end', then 'close').
        if (!this.#pushedEnd) {
          this.#pushedEnd = true;
          this.push(null);
        }
        this.resume();
      } else if (!this.destroyed) {
        this.destroy();
      }
    }
  }

  // ---------------------------------------------------------------------------
  // libvirt-python's virStream methods, as thin promise-based helpers

  /** @internal Set by {@link openStreamCall}: the caller that opened the stream. */
  bindCaller(caller: ProcedureCaller): void {
    this.#caller ??= caller;
  }

  /**
   * The connection the stream was opened on (libvirt-python's `connect()`), or null for a
   * stream not opened by {@link openStreamCall}.
   */
  get connection(): ProcedureCaller | null {
    return this.#caller;
  }

  /**
   * Sends `data` (`virStreamSend`) and resolves with its length once it has been handed to the
   * connection; rejects with the stream's error. Call {@link finish} after the last one.
   */
  async send(data: Uint8Array): Promise<number> {
    if (this.mode === 'read') throw new StreamStateError(`${this.procedure.name}: cannot send on a read stream`);
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await new Promise<void>((resolve, reject) => {
      this.write(chunk, (err) => (err ? reject(this.#failure ?? err) : resolve()));
    });
    return chunk.length;
  }

  /**
   * Receives at most `nbytes` bytes (`virStreamRecv`): what is there, waiting for data when
   * nothing is; an empty Buffer at the end of the stream (after the daemon confirmed it). A hole
   * reads as zeros. Rejects with the stream's error.
   */
  async recv(nbytes: number): Promise<Buffer> {
    if (this.mode === 'write') throw new StreamStateError(`${this.procedure.name}: a write stream has nothing to read`);
    if (!(Number.isSafeInteger(nbytes) && nbytes > 0)) throw new RangeError(`nbytes must be a positive integer, got ${nbytes}`);
    for (;;) {
      const chunk = this.read() as Buffer | null;
      if (chunk !== null) {
        if (chunk.length <= nbytes) return chunk;
        this.unshift(chunk.subarray(nbytes));
        return chunk.subarray(0, nbytes);
      }
      if (this.readableEnded) return Buffer.alloc(0);
      if (this.#failure) throw this.#failure;
      if (this.destroyed) throw new AbortError('the stream was destroyed');
      await this.#nextEvent(['readable', 'end', 'close']);
    }
  }

  /**
   * Sends everything `source` gives (libvirt-python's `sendAll`): a function asked for up to
   * `nbytes` at a time until it returns nothing (null, undefined or empty), or an (async)
   * iterable of chunks. Does not finish the stream: call {@link finish} after it. When the
   * source throws, the stream is aborted (in the background) and the error rethrown.
   */
  async sendAll(source: StreamSource): Promise<void> {
    try {
      if (typeof source === 'function') {
        for (;;) {
          const got = await source(STREAM_BUF_SIZE);
          if (!got || got.length === 0) break;
          await this.send(got);
        }
      } else {
        for await (const got of source) if (got.length > 0) await this.send(got);
      }
    } catch (err) {
      void this.abort();
      throw err;
    }
  }

  /**
   * Receives the whole stream, handing each chunk to `handler` (libvirt-python's `recvAll`),
   * and resolves at the end of the stream. A handler that throws or returns a negative number
   * aborts the stream, and the error is rethrown.
   */
  async recvAll(handler: (data: Buffer) => unknown): Promise<void> {
    for (;;) {
      const got = await this.recv(STREAM_BUF_SIZE);
      if (got.length === 0) return;
      await this.#handle(() => handler(got), 'recvAll handler');
    }
  }

  /**
   * Receives the whole stream keeping its holes (libvirt-python's `sparseRecvAll`): data to
   * `handler`, holes (their length) to `holeHandler`, as {@link entries} gives them. A handler
   * that throws or returns a negative number aborts the stream, and the error is rethrown.
   */
  async sparseRecvAll(handler: (data: Buffer) => unknown, holeHandler: (length: bigint) => unknown): Promise<void> {
    for await (const entry of this.entries()) {
      if (entry.kind === 'data') await this.#handle(() => handler(entry.data), 'sparseRecvAll handler');
      else await this.#handle(() => holeHandler(entry.length), 'sparseRecvAll hole handler');
    }
  }

  /**
   * Sends a sparse source (libvirt-python's `sparseSendAll`): `holeHandler` tells where the
   * source is (`[inData, sectionLength]`); a hole is sent as one and skipped with
   * `skipHandler(length)`, data is read with `handler(nbytes)` until it returns nothing. Does not
   * finish the stream. A handler that throws or returns a negative number aborts the stream,
   * and the error is rethrown.
   */
  async sparseSendAll(
    handler: (nbytes: number) => Uint8Array | null | undefined | number | Promise<Uint8Array | null | undefined | number>,
    holeHandler: () => readonly [boolean, number | bigint] | Promise<readonly [boolean, number | bigint]>,
    skipHandler: (length: number | bigint) => unknown,
  ): Promise<void> {
    for (;;) {
      const [inData, sectionLen] = await this.#handle(() => holeHandler(), 'sparseSendAll hole handler');
      if (!inData && sectionLen > 0) {
        if (!this.sendHole(sectionLen)) await this.#nextEvent(['drain', 'close']);
        await this.#handle(() => skipHandler(sectionLen), 'sparseSendAll skip handler');
        continue;
      }
      const want = Math.min(STREAM_BUF_SIZE, Number(sectionLen));
      const got = await this.#handle(() => handler(want), 'sparseSendAll handler');
      if (typeof got === 'number' || !got || got.length === 0) return;
      await this.send(got);
    }
  }

  /**
   * Runs a handler of the `*All` helpers: a throw or a negative number aborts the stream (the
   * error is rethrown at once; the abort completes in the background, see {@link abort}).
   */
  async #handle<T>(fn: () => T | Promise<T>, what: string): Promise<T> {
    let ret: T;
    try {
      ret = await fn();
    } catch (err) {
      void this.abort();
      throw err;
    }
    if (typeof ret === 'number' && ret < 0) {
      void this.abort();
      throw new StreamStateError(`${what} returned ${ret}`);
    }
    return ret;
  }

  /** Resolves at the first of `events` (or 'error'). */
  #nextEvent(events: readonly string[]): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        for (const e of [...events, 'error']) this.off(e, done);
        resolve();
      };
      for (const e of [...events, 'error']) this.once(e, done);
    });
  }

  // ---------------------------------------------------------------------------
  // Node stream hooks

  override _read(): void {
    if (this.#consumer === 'entries') return;
    this.#consumer = 'node';
    this.#wantRead = true;
    this.#pump();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const hole = holeMarkers.get(chunk);
    if (hole === undefined && chunk.length === 0) return cb();
    const channel = this.#channel;
    if (this.#wire !== 'open' || !channel) {
      return cb(this.#failure ?? new StreamStateError(`${this.procedure.name}: the stream is ${this.#wire === 'closed' ? 'closed' : 'finishing'}`));
    }
    let ok: boolean;
    try {
      ok = hole === undefined ? channel.write(chunk) : channel.writeHole(hole);
    } catch (err) {
      return cb(err as Error);
    }
    if (ok) return cb();
    channel.drain().then(
      () => cb(),
      (err: Error) => cb(this.#failure ?? err),
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    switch (this.#wire) {
      case 'open':
        this.#pendingFinal = cb;
        this.#sendFinish();
        return;
      case 'finishing':
        this.#pendingFinal = cb;
        return;
      case 'closed':
        return cb(this.#failure);
      default:
        return cb(this.#failure ?? new StreamStateError(`${this.procedure.name}: the stream is ${this.#wire}`));
    }
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.#failure && (err || this.#wire !== 'closed')) this.#failure = err ?? new AbortError('the stream was aborted');
    this.#pendingFinal = null;
    if (this.#failure) this.#settled.reject(this.#failure);
    if (this.#wire === 'open' || this.#wire === 'finishing') this.#sendAbort();
    this.#dropQueue();
    this.#wake?.();
    cb(err);
  }

  // ---------------------------------------------------------------------------
  // Wiring (used by openStreamCall)

  /** @internal The sink the RPC engine delivers this stream's packets to. */
  readonly sink: StreamSink = {
    onPacket: (packet) => this.#onPacket(packet),
    onClose: (reason) => this.#onClose(reason),
  };

  /** @internal */
  attach(channel: StreamChannel): void {
    this.#channel = channel;
  }

  /** @internal The call succeeded: the stream is open (or aborted at once if destroyed meanwhile). */
  opened(): void {
    if (this.#wire !== 'opening') return;
    this.#wire = 'open';
    if (this.destroyed) this.#sendAbort();
    else if (this.#eof && this.mode === 'read') this.#sendFinish();
  }

  /** @internal The call failed or was given up before it was sent: nothing is open on the daemon. */
  failedToOpen(err: Error): void {
    if (!this.#failure) this.#failure = err;
    this.#close();
    this.#settled.reject(err);
    if (!this.destroyed) {
      // Nobody holds the stream yet: no 'error' event.
      this.destroy();
    }
  }

  // ---------------------------------------------------------------------------
  // Internals

  #onPacket(packet: StreamPacket): void {
    if (this.#wire === 'closed') return;
    switch (packet.kind) {
      case 'data':
        if (this.#wire === 'aborting' || this.destroyed) return;
        if (packet.data.length === 0) return this.#onEof();
        if (this.mode === 'write') return; // a daemon never sends data on an upload
        return this.#enqueue(packet.data);
      case 'hole':
        if (this.#wire === 'aborting' || this.destroyed) return;
        if (!this.sparse || this.mode === 'write') {
          return this.#fail(new ProtocolError(`${this.procedure.name}: unexpected stream hole`));
        }
        if (packet.length < 0n) {
          return this.#fail(new ProtocolError(`${this.procedure.name}: stream hole of negative length ${packet.length}`));
        }
        if (packet.length === 0n) return;
        return this.#enqueue({ remaining: packet.length });
      case 'finish':
        return this.#onFinish();
      case 'error':
        if (this.#wire === 'aborting') return this.#close();
        return this.#fail(packet.error, false);
    }
  }

  /** The daemon's empty data packet: no more data will come. */
  #onEof(): void {
    this.#eof = true;
    if (this.mode === 'read') {
      if (this.#wire === 'open') this.#sendFinish();
    } else if (this.mode === 'duplex') {
      // The reader ends after the queued data; with allowHalfOpen off, Node
      // then ends the writable side, which sends the finish packet.
      this.#queueEnd();
    }
  }

  /** STREAM with status OK: the confirmation of a finish or abort, or (unasked) the daemon closing the stream. */
  #onFinish(): void {
    const wasAborting = this.#wire === 'aborting';
    this.#close();
    if (wasAborting) return;
    this.#settled.resolve();
    this.#queueEnd();
    const final = this.#pendingFinal;
    this.#pendingFinal = null;
    final?.();
  }

  #onClose(reason: ConnectionClosedError): void {
    if (this.#wire === 'closed') return;
    const aborting = this.#wire === 'aborting';
    this.#close();
    if (!aborting) this.#fail(reason, false);
  }

  #sendFinish(): void {
    const channel = this.#channel;
    if (!channel || this.#wire !== 'open') return;
    this.#wire = 'finishing';
    try {
      channel.finish();
    } catch (err) {
      this.#close();
      this.#fail(err as Error, false);
    }
  }

  #sendAbort(): void {
    const channel = this.#channel;
    if (!channel) return;
    this.#wire = 'aborting';
    try {
      channel.abort();
    } catch {
      this.#close();
    }
  }

  /** Over on the wire: releases the channel. */
  #close(): void {
    if (this.#wire === 'closed') return;
    this.#wire = 'closed';
    this.#channel?.release();
    this.#released.resolve();
  }

  /** Fails the stream with `err`; tells the daemon unless it is the one that failed it. */
  #fail(err: Error, tellDaemon = true): void {
    if (!tellDaemon) this.#close();
    if (!this.#failure) this.#failure = err;
    this.#settled.reject(err);
    if (this.destroyed) return;
    this.destroy(err);
  }

  #enqueue(item: QueueItem): void {
    if (this.#endQueued) return;
    this.#queue.push(item);
    if (Buffer.isBuffer(item)) {
      this.#queuedBytes += item.length;
      if (this.#queuedBytes > this.maxBuffered) {
        this.#fail(new StreamOverflowError(this.maxBuffered));
        return;
      }
    }
    this.#pump();
  }

  #queueEnd(): void {
    if (this.#endQueued || this.mode === 'write') return;
    this.#endQueued = true;
    this.#pump();
  }

  #dequeue(): QueueItem {
    const item = this.#queue[this.#head];
    this.#queue[this.#head++] = undefined as unknown as QueueItem;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (Buffer.isBuffer(item)) this.#queuedBytes -= item.length;
    return item;
  }

  #dropQueue(): void {
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }

  /** Hands queued data to whoever reads. */
  #pump(): void {
    if (this.#consumer === 'entries') {
      this.#wake?.();
      return;
    }
    if (this.#pumping || this.destroyed) return;
    this.#pumping = true;
    try {
      while (this.#wantRead && !this.destroyed) {
        if (this.#head < this.#queue.length) {
          const item = this.#queue[this.#head];
          let chunk: Buffer;
          if (Buffer.isBuffer(item)) {
            this.#dequeue();
            chunk = item;
          } else {
            const n = item.remaining > BigInt(ZERO_CHUNK) ? ZERO_CHUNK : Number(item.remaining);
            item.remaining -= BigInt(n);
            if (item.remaining === 0n) this.#dequeue();
            chunk = Buffer.alloc(n);
          }
          this.#wantRead = this.push(chunk);
        } else if (this.#endQueued) {
          this.#wantRead = false;
          if (!this.#pushedEnd) {
            this.#pushedEnd = true;
            this.push(null);
          }
        } else {
          break;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }
}

/**
 * A stream not opened yet: what libvirt's `virStreamNew` returns, from
 * `Connection.newStream()`. Pass it as the options of a method that opens a stream
 * (`vol.upload(0n, 0n, 0, pending)`, `conn.raw.storageVolDownload(...)`); once the daemon has
 * accepted that call, {@link PendingStream.stream} is the {@link LibvirtStream} it opened
 * (the same object the method resolves to). A pending stream is used once.
 */
export class PendingStream implements StreamOptions {
  /** The flags given to `newStream` (`VIR_STREAM_NONBLOCK`; every stream here is asynchronous anyway). */
  readonly flags: number;
  /** See {@link StreamOptions.signal}. */
  readonly signal?: AbortSignal;
  /** See {@link StreamOptions.timeout}. */
  readonly timeout?: number;
  /** See {@link StreamOptions.maxBuffered}. */
  readonly maxBuffered?: number;
  /** See {@link StreamOptions.highWaterMark}. */
  readonly highWaterMark?: number;
  #stream: LibvirtStream | null = null;
  #used = false;

  constructor(flags = 0, options: StreamOptions = {}) {
    this.flags = flags;
    if (options.signal !== undefined) this.signal = options.signal;
    if (options.timeout !== undefined) this.timeout = options.timeout;
    if (options.maxBuffered !== undefined) this.maxBuffered = options.maxBuffered;
    if (options.highWaterMark !== undefined) this.highWaterMark = options.highWaterMark;
  }

  /** True once a call has opened the stream. */
  get opened(): boolean {
    return this.#stream !== null;
  }

  /** The stream the call opened; throws a {@link StreamStateError} before that. */
  get stream(): LibvirtStream {
    if (!this.#stream) {
      throw new StreamStateError('the stream is not open: pass it to a method that opens one (StorageVol.upload(), ...) first');
    }
    return this.#stream;
  }

  /** @internal Claims the pending stream for one call; throws if it was used already. */
  claim(): void {
    if (this.#used) throw new StreamStateError('this pending stream was already given to a call');
    this.#used = true;
  }

  /** @internal The call succeeded with `stream`. */
  bind(stream: LibvirtStream): void {
    this.#stream = stream;
  }
}

/**
 * Makes a call that opens a stream: registers the stream with the caller's
 * RPC engine (`caller` itself, or a {@link Connection}'s `client`), sends the call with its serial,
 * and resolves with the call's decoded return value and the stream once the
 * daemon has accepted it. This is what the raw layer's stream methods do.
 *
 * Rejects like any call (LibvirtError, ConnectionClosedError, AbortError,
 * TimeoutError); an UnsupportedError if `caller` cannot open streams. When
 * `signal` or `timeout` gives up on the call before the daemon answered, the
 * call still completes in the background and a stream it opened is aborted,
 * so nothing is left open on the daemon.
 */
export function openStreamCall<A, R>(
  caller: ProcedureCaller,
  procedure: Procedure<A, R>,
  args: A,
  mode: StreamMode,
  sparse: boolean,
  options: StreamOptions = {},
): Promise<{ ret: R; stream: LibvirtStream }> {
  const { signal, timeout, maxBuffered, highWaterMark } = options;
  if (signal?.aborted) return Promise.reject(abortErrorFor(signal));
  const pending = options instanceof PendingStream ? options : null;
  try {
    pending?.claim();
  } catch (err) {
    return Promise.reject(err);
  }
  const engine = streamCaller(caller);
  if (!engine) {
    return Promise.reject(new UnsupportedError(`${procedure.name} opens a stream, which this caller cannot do`));
  }
  let stream: LibvirtStream;
  let channel: StreamChannel;
  try {
    stream = new LibvirtStream(CREATE, { mode, sparse, procedure, maxBuffered, highWaterMark });
    channel = engine.openStream(procedure, stream.sink);
  } catch (err) {
    return Promise.reject(err);
  }
  stream.attach(channel);
  stream.bindCaller(caller);
  const callOptions: RpcCallOptions = { stream: channel };
  const call = engine.call(procedure, args, callOptions);

  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const giveUp = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      // The stream is nobody's: destroyed; opened() aborts it on the wire if
      // the call succeeds after all.
      stream.destroy();
      reject(err);
    };
    const onAbort = (): void => giveUp(abortErrorFor(signal!));
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined && Number.isFinite(timeout)) {
      const ms = Math.max(0, timeout);
      timer = setTimeout(() => giveUp(new TimeoutError(`${procedure.name} timed out after ${ms} ms`, ms)), ms);
    }
    call.then(
      (ret) => {
        stream.opened();
        if (settled) return;
        settled = true;
        cleanup();
        if (signal) {
          const onStreamAbort = (): void => void stream.destroy(abortErrorFor(signal));
          signal.addEventListener('abort', onStreamAbort, { once: true });
          stream.once('close', () => signal.removeEventListener('abort', onStreamAbort));
        }
        pending?.bind(stream);
        resolve({ ret, stream });
      },
      (err: Error) => {
        stream.failedToOpen(err);
        if (settled) return;
        settled = true;
        cleanup();
        reject(err);
      },
    );
  });
}

// -----------------------------------------------------------------------------
// Helpers

/**
 * Reads a stream to its end and returns everything as one Buffer (holes as
 * zeros). Rejects with the stream's error, or a {@link StreamOverflowError}
 * past `maxBytes` (the stream is then aborted).
 */
export async function readAll(stream: LibvirtStream, opts: { maxBytes?: number } = {}): Promise<Buffer> {
  const max = opts.maxBytes ?? Infinity;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) {
      const err = new StreamOverflowError(max);
      stream.destroy(err);
      throw err;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Writes a read stream into the file at `path` (created or truncated) and
 * resolves once the daemon has confirmed the end of the stream, with the
 * stream's length (holes included). On a sparse stream, holes are skipped in
 * the file rather than written as zeros, so the file is sparse too.
 */
export async function pipeToFile(stream: LibvirtStream, path: string): Promise<number> {
  if (!stream.sparse) {
    const file = createWriteStream(path);
    await pipeline(stream, file);
    return file.bytesWritten;
  }
  const fh = await open(path, 'w');
  let pos = 0;
  try {
    for await (const entry of stream.entries()) {
      if (entry.kind === 'hole') {
        pos += Number(entry.length);
        continue;
      }
      let off = 0;
      while (off < entry.data.length) {
        const { bytesWritten } = await fh.write(entry.data, off, entry.data.length - off, pos);
        off += bytesWritten;
        pos += bytesWritten;
      }
    }
    await fh.truncate(pos);
  } finally {
    await fh.close();
  }
  return pos;
}

/**
 * Sends the file at `path` through a write stream and finishes it: resolves
 * once the daemon has confirmed the upload, with the number of bytes sent
 * (holes included). With `detectHoles` (only on a sparse stream), runs of
 * zero bytes, in blocks of 64 KiB, are sent as holes, as `virsh vol-upload
 * --sparse` does for the holes of a sparse file.
 */
export async function pipeFromFile(
  path: string,
  stream: LibvirtStream,
  opts: { detectHoles?: boolean } = {},
): Promise<number> {
  if (!opts.detectHoles) {
    const source = createReadStream(path, { highWaterMark: 1024 * 1024 });
    await pipeline(source, stream);
    return source.bytesRead;
  }
  if (!stream.sparse) throw new StreamStateError('detectHoles needs a sparse stream');
  const BLOCK = 64 * 1024;
  let total = 0;
  let hole = 0;
  const waitDrain = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        stream.off('drain', onDrain);
        stream.off('close', onClose);
        stream.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(new AbortError('the stream closed while writing'));
      stream.on('drain', onDrain);
      stream.on('close', onClose);
      stream.on('error', done);
    });
  const send = async (fn: () => boolean): Promise<void> => {
    if (stream.destroyed) throw new AbortError('the stream closed while writing');
    if (!fn()) await waitDrain();
  };
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      total += chunk.length;
      for (let off = 0; off < chunk.length; off += BLOCK) {
        const block = chunk.subarray(off, off + BLOCK);
        if (isZero(block)) {
          hole += block.length;
          continue;
        }
        if (hole > 0) {
          const len = hole;
          hole = 0;
          await send(() => stream.sendHole(len));
        }
        await send(() => stream.write(block));
      }
    }
    if (hole > 0) await send(() => stream.sendHole(hole));
    await stream.finish();
  } catch (err) {
    if (!stream.destroyed) stream.destroy(err as Error);
    throw err;
  }
  return total;
}

const ZERO_BLOCK = Buffer.alloc(64 * 1024);

function isZero(b: Buffer): boolean {
  return b.length <= ZERO_BLOCK.length && b.equals(ZERO_BLOCK.subarray(0, b.length));
}

