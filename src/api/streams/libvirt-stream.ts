/**
 * {@link LibvirtStream}: a libvirt data stream (`virStreamPtr`) as a Node
 * `Duplex`, and the stream's side of the wire protocol (see stream.ts for
 * the whole picture).
 *
 * Why this module is longer than ~600 lines: a Node `Duplex` and the stream's wire state
 * (receive queue, holes, finish/abort handshakes, pause/resume of the connection's reading)
 * change together on every packet and every read or write, in one class. The options, the
 * receive queue, the python-style helpers, file sources and the opening call live beside it.
 */
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import type { Duplex, DuplexOptions } from 'node:stream';
import { AbortError, type ConnectionClosedError, ProtocolError, TimeoutError } from '../../rpc/errors.js';
import type { ProcedureCaller, ProcedureInfo } from '../../rpc/procedure.js';
import { armBound } from '../../util/deadline.js';
import { lazyBase } from '../../util/lazy.js';
import type { StreamChannel, StreamPacket, StreamSink } from '../../rpc/stream-channel.js';
import { StreamOverflowError, StreamStateError } from './errors.js';
import {
  STREAM_ABORT_TIMEOUT_DEFAULT,
  STREAM_BUFFER_SIZE_DEFAULT,
  STREAM_FINISH_TIMEOUT_DEFAULT,
  type SettleOptions,
  type StreamEntry,
  type StreamMode,
} from './options.js';
import * as py from './python-style.js';
import { ReceiveQueue } from './receive-queue.js';

/** Largest hole length the protocol carries (`hyper`). */
const HOLE_MAX = (1n << 63n) - 1n;

/** @internal Only {@link openStreamCall} makes streams. */
export const CREATE = Symbol('LibvirtStream.create');

/** @internal What {@link openStreamCall} makes a stream with. */
export interface StreamInit {
  readonly mode: StreamMode;
  readonly sparse: boolean;
  readonly procedure: ProcedureInfo;
  readonly bufferSize?: number;
  readonly maxBuffered?: number;
  readonly stallTimeout?: number;
  readonly highWaterMark?: number;
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
  /** Over: confirmed, failed, given up or the connection ended; the channel is released. */
  | 'closed';

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
const writtenCallbacks = new WeakMap<Buffer, () => void>();

/**
 * @internal Writes `chunk` like `stream.write(chunk)`, and calls `onWritten`
 * once the connection has handed all of it to the OS, so that its memory can
 * be reused (the file helpers read the next chunk into it). Returns what
 * `write()` returns.
 */
export function writeReusable(stream: LibvirtStream, chunk: Buffer, onWritten: () => void): boolean {
  writtenCallbacks.set(chunk, onWritten);
  return stream.write(chunk);
}
const noop = (): void => {};

function positive(name: string, value: number | undefined, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (!(value > 0)) throw new RangeError(`${name} must be positive, got ${value}`);
  return value;
}

/** What `class LibvirtStream` is declared to extend; {@link lazyBase} replaces it at once (below). */
class DuplexStandIn {}

/**
 * Node's `Duplex`, loaded when `LibvirtStream` first needs its base (see the `lazyBase` call
 * below): `process.getBuiltinModule` (Node >= 20.16), else a `require` of its own.
 */
function nodeDuplex(): typeof Duplex {
  const node = process as { getBuiltinModule?: (id: string) => unknown };
  const stream = (
    node.getBuiltinModule ? node.getBuiltinModule('node:stream') : createRequire(process.execPath)('node:stream')
  ) as typeof import('node:stream');
  return stream.Duplex;
}

/**
 * A libvirt data stream as a Node `Duplex`: readable for `read` streams,
 * writable for `write` streams, both for `duplex` ones (the other side is
 * ended from the start). Get one from a raw-layer or object method that opens
 * a stream (`conn.raw.storageVolDownload(...)`, `vol.upload(...)`).
 *
 * Besides the Node stream API: {@link finish} (end and wait for the daemon's
 * confirmation), {@link abort}, {@link sendHole} and {@link entries} for
 * sparse streams, and libvirt-python's `send`/`recv`/`*All` helpers.
 */
export class LibvirtStream extends (DuplexStandIn as unknown as typeof Duplex) {
  /** Which way data flows. */
  readonly mode: StreamMode;
  /** True when holes may be sent or received (the call had the sparse-stream flag). */
  readonly sparse: boolean;
  /** The procedure that opened the stream. */
  readonly procedure: ProcedureInfo;
  /** The hard bound of {@link bufferedBytes} the stream was opened with, or null (flow control). */
  readonly maxBuffered: number | null;
  /** Unread bytes at which the stream pauses the connection's reading (flow control). */
  readonly bufferSize: number;

  #channel: StreamChannel | null = null;
  #wire: WireState = 'opening';
  /** Settles when the stream is over on the wire: resolves on a confirmed finish. */
  readonly #settled = deferred();
  /** Settles when the channel is released (after an abort's confirmation too). */
  readonly #released = deferred();
  readonly #queue: ReceiveQueue;
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
  #finishTimer: ReturnType<typeof setTimeout> | null = null;
  #abortTimer: ReturnType<typeof setTimeout> | null = null;
  #stallTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #stallTimeout: number | null;

  /** @internal Use a method that opens a stream, or {@link openStreamCall}. */
  constructor(token: typeof CREATE, init: StreamInit) {
    if (token !== CREATE) throw new TypeError('LibvirtStream is created by the stream methods of the raw layer');
    // `readable`/`writable: false` (Node >= 15) end one side from the start; @types/node lacks them.
    const options: DuplexOptions & { readable: boolean; writable: boolean } = {
      readable: init.mode !== 'write',
      writable: init.mode !== 'read',
      allowHalfOpen: init.mode !== 'duplex',
      ...(init.highWaterMark !== undefined ? { readableHighWaterMark: init.highWaterMark, writableHighWaterMark: init.highWaterMark } : {}),
    };
    super(options);
    // A failure is never an unhandled 'error' (which would kill the process
    // when, say, the connection drops under a stream nobody reads yet): it is
    // still emitted to listeners, kept in `errored`, and rejects pipeline(),
    // for await, readAll() and finish().
    this.on('error', noop);
    this.mode = init.mode;
    this.sparse = init.sparse;
    this.procedure = init.procedure;
    this.maxBuffered = positive('maxBuffered', init.maxBuffered, null);
    this.bufferSize = positive('bufferSize', init.bufferSize, STREAM_BUFFER_SIZE_DEFAULT)!;
    this.#stallTimeout = positive('stallTimeout', init.stallTimeout, null);
    this.#queue = new ReceiveQueue(this.bufferSize, this.maxBuffered, {
      pause: (paused) => this.#pauseReading(paused),
      overflow: () => this.#fail(new StreamOverflowError(this.maxBuffered!)),
    });
  }

  /** Received bytes waiting to be read (not counting Node's own readable buffer, at most `readableHighWaterMark`). */
  get bufferedBytes(): number {
    return this.#queue.bytes;
  }

  /** True while this stream holds the connection's reading paused (its reader is behind). */
  get readingPaused(): boolean {
    return this.#queue.paused;
  }

  /** The serial of the call that opened the stream (null before it is sent). */
  get serial(): number | null {
    return this.#channel?.serial ?? null;
  }

  /** @internal The error the stream failed with (also for a plain `destroy()`: an AbortError). */
  get failure(): Error | null {
    return this.#failure;
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
   *
   * Bounded: without the daemon's confirmation within `timeout` ms (default
   * {@link STREAM_FINISH_TIMEOUT_DEFAULT}, not counting time the connection
   * is paused by a slow reader) or when `signal` fires, the stream is aborted
   * and this rejects with a TimeoutError or AbortError.
   */
  finish(opts: SettleOptions = {}): Promise<void> {
    if (this.mode !== 'read') {
      if (!this.writableEnded && !this.destroyed) this.end();
    } else if (this.#wire === 'open') {
      this.#sendFinish();
    }
    const { signal, timeout } = opts;
    if (!signal && timeout === undefined) return this.#settled.promise;
    return new Promise<void>((resolve, reject) => {
      let gaveUp = false;
      const giveUp = (err: Error): void => {
        gaveUp = true;
        this.#fail(err);
        reject(this.#failure ?? err);
      };
      const disarm = armBound({ signal, timeout }, giveUp, (ms) => this.#finishTimeoutError(ms));
      if (gaveUp) return;
      const cleanup = (): void => disarm?.();
      this.#settled.promise.then(
        () => {
          cleanup();
          resolve();
        },
        (err: Error) => {
          cleanup();
          reject(err);
        },
      );
    });
  }

  /**
   * Aborts the stream, as `virStreamAbort` does: the daemon is told to drop
   * it, the Node stream is destroyed (without an error) and unread data is
   * discarded. Resolves once the daemon has confirmed, the connection has
   * ended, or the bound passed: `timeout` ms (default
   * {@link STREAM_ABORT_TIMEOUT_DEFAULT}) or `signal`; then the stream is
   * released on this side and later packets for it are dropped. Never
   * rejects. A no-op on a stream that is already over.
   */
  abort(opts: SettleOptions = {}): Promise<void> {
    if (!this.destroyed) this.destroy();
    const { signal, timeout } = opts;
    if (this.#wire === 'closed' || (!signal && timeout === undefined)) return this.#released.promise;
    return new Promise<void>((resolve) => {
      let gaveUp = false;
      const disarm = armBound(
        { signal, timeout },
        () => {
          gaveUp = true;
          this.#close();
          resolve();
        },
        'aborting the stream',
      );
      if (gaveUp) return;
      void this.#released.promise.then(() => {
        disarm?.();
        resolve();
      });
    });
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
      throw new StreamStateError(`${this.procedure.name}: holes are not supported on this stream (open it with the sparse-stream flag)`);
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
        if (!this.#queue.empty) {
          const item = this.#queue.shift();
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
  // libvirt-python's virStream methods, as promise-based helpers (python-style.ts)

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
  send(data: Uint8Array): Promise<number> {
    return py.send(this, data);
  }

  /**
   * Receives at most `nbytes` bytes (`virStreamRecv`): what is there, waiting for data when
   * nothing is; an empty Buffer at the end of the stream (after the daemon confirmed it). A hole
   * reads as zeros. Rejects with the stream's error.
   */
  recv(nbytes: number): Promise<Buffer> {
    return py.recv(this, nbytes);
  }

  /**
   * Sends everything `source` gives (libvirt-python's `sendAll`): a function asked for up to
   * `nbytes` at a time until it returns nothing (null, undefined or empty), or an (async)
   * iterable of chunks. Does not finish the stream: call {@link finish} after it. When the
   * source throws, the stream is aborted (in the background) and the error rethrown.
   */
  sendAll(source: py.StreamSource): Promise<void> {
    return py.sendAll(this, source);
  }

  /**
   * Receives the whole stream, handing each chunk to `handler` (libvirt-python's `recvAll`),
   * and resolves at the end of the stream. A handler that throws or returns a negative number
   * aborts the stream, and the error is rethrown. A handler returning a promise is awaited
   * before more is read (flow control).
   */
  recvAll(handler: (data: Buffer) => unknown): Promise<void> {
    return py.recvAll(this, handler);
  }

  /**
   * Receives the whole stream keeping its holes (libvirt-python's `sparseRecvAll`): data to
   * `handler`, holes (their length) to `holeHandler`, as {@link entries} gives them. A handler
   * that throws or returns a negative number aborts the stream, and the error is rethrown.
   */
  sparseRecvAll(handler: (data: Buffer) => unknown, holeHandler: (length: bigint) => unknown): Promise<void> {
    return py.sparseRecvAll(this, handler, holeHandler);
  }

  /**
   * Sends a sparse source (libvirt-python's `sparseSendAll`): `holeHandler` tells where the
   * source is (`[inData, sectionLength]`); a hole is sent as one and skipped with
   * `skipHandler(length)`, data is read with `handler(nbytes)` until it returns nothing. Does not
   * finish the stream. A handler that throws or returns a negative number aborts the stream,
   * and the error is rethrown.
   */
  sparseSendAll(
    handler: (nbytes: number) => Uint8Array | null | undefined | number | Promise<Uint8Array | null | undefined | number>,
    holeHandler: () => readonly [boolean, number | bigint] | Promise<readonly [boolean, number | bigint]>,
    skipHandler: (length: number | bigint) => unknown,
  ): Promise<void> {
    return py.sparseSendAll(this, handler, holeHandler, skipHandler);
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
    if (hole === undefined && chunk.length === 0) {
      cb();
      return;
    }
    const channel = this.#channel;
    if (this.#wire !== 'open' || !channel) {
      cb(this.#failure ?? new StreamStateError(`${this.procedure.name}: the stream is ${this.#wire === 'closed' ? 'closed' : 'finishing'}`));
      return;
    }
    let ok: boolean;
    try {
      ok = hole === undefined ? channel.write(chunk, writtenCallbacks.get(chunk)) : channel.writeHole(hole);
    } catch (err) {
      cb(err as Error);
      return;
    }
    if (ok) {
      cb();
      return;
    }
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
        cb(this.#failure);
        return;
      default:
        cb(this.#failure ?? new StreamStateError(`${this.procedure.name}: the stream is ${this.#wire}`));
    }
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.#failure && (err || this.#wire !== 'closed')) this.#failure = err ?? new AbortError('the stream was aborted');
    this.#pendingFinal = null;
    if (this.#failure) this.#settled.reject(this.#failure);
    if (this.#wire === 'open' || this.#wire === 'finishing') this.#sendAbort();
    else if (this.#wire === 'opening') this.#armAbortTimer();
    this.#queue.clear();
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
        if (packet.data.length === 0) this.#onEof();
        // (A daemon never sends data on an upload.)
        // (The engine's bytes are Buffers in Node: src/util/bytes.ts.)
        else if (this.mode !== 'write') this.#enqueue(packet.data as Buffer);
        return;
      case 'hole':
        if (this.#wire === 'aborting' || this.destroyed) return;
        if (!this.sparse || this.mode === 'write') this.#fail(new ProtocolError(`${this.procedure.name}: unexpected stream hole`));
        else if (packet.length < 0n) this.#fail(new ProtocolError(`${this.procedure.name}: stream hole of negative length ${packet.length}`));
        else if (packet.length > 0n) this.#enqueue({ remaining: packet.length });
        return;
      case 'finish':
        this.#onFinish();
        return;
      case 'error':
        if (this.#wire === 'aborting') this.#close();
        else this.#fail(packet.error, false);
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
      return;
    }
    if (this.#finishTimer === null) this.#armFinishTimer(STREAM_FINISH_TIMEOUT_DEFAULT);
  }

  /** Bounds the wait for the finish confirmation; time the connection is paused (by a slow reader) does not count. */
  #armFinishTimer(ms: number): void {
    this.#finishTimer = setTimeout(() => {
      this.#finishTimer = null;
      if (this.#wire === 'closed' || this.#wire === 'aborting') return;
      if (this.#channel?.readingPaused) this.#armFinishTimer(ms);
      else this.#fail(this.#finishTimeoutError(ms));
    }, ms);
  }

  #finishTimeoutError(ms: number): TimeoutError {
    return new TimeoutError(`${this.procedure.name}: the daemon did not confirm the end of the stream within ${ms} ms`, ms);
  }

  #sendAbort(): void {
    const channel = this.#channel;
    if (!channel) return;
    this.#wire = 'aborting';
    try {
      channel.abort();
    } catch {
      this.#close();
      return;
    }
    this.#armAbortTimer();
  }

  /** Without the daemon's confirmation in time, the stream is released on this side. */
  #armAbortTimer(): void {
    if (this.#abortTimer !== null) return;
    this.#abortTimer = setTimeout(() => {
      this.#abortTimer = null;
      this.#close();
    }, STREAM_ABORT_TIMEOUT_DEFAULT);
  }

  /** Over on the wire: releases the channel (and with it any pause of the connection). */
  #close(): void {
    if (this.#wire === 'closed') return;
    this.#wire = 'closed';
    for (const t of [this.#finishTimer, this.#abortTimer, this.#stallTimer]) if (t !== null) clearTimeout(t);
    this.#finishTimer = this.#abortTimer = this.#stallTimer = null;
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

  /** The queue asks to stop or resume reading the connection (flow control). */
  #pauseReading(paused: boolean): void {
    const channel = this.#channel;
    if (paused) {
      channel?.pauseReading();
      if (this.#stallTimeout !== null && this.#stallTimer === null) {
        const ms = this.#stallTimeout;
        this.#stallTimer = setTimeout(() => {
          this.#stallTimer = null;
          this.#fail(new TimeoutError(`${this.procedure.name}: the stream's reader took nothing for ${ms} ms`, ms));
        }, ms);
      }
    } else {
      if (this.#stallTimer !== null) clearTimeout(this.#stallTimer);
      this.#stallTimer = null;
      channel?.resumeReading();
    }
  }

  #enqueue(item: Buffer | { remaining: bigint }): void {
    if (this.#endQueued) return;
    if (!this.#queue.push(item)) return;
    this.#pump();
  }

  #queueEnd(): void {
    if (this.#endQueued || this.mode === 'write') return;
    this.#endQueued = true;
    this.#pump();
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
        if (!this.#queue.empty) {
          this.#wantRead = this.push(this.#queue.takeBytes());
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

// Node's stream module is loaded when a stream is first made or the class first inspected.
lazyBase(LibvirtStream, nodeDuplex);
