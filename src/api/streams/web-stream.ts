/**
 * A libvirt data stream as web streams: what the browser build's stream methods
 * (`dom.openConsole(...)`, `conn.raw.domainScreenshot(...)`, `vol.download(...)`, ...) resolve
 * to instead of Node's `LibvirtStream` Duplex. The wire rules are those of libvirt-stream.ts
 * (libvirt's virnetclientstream.c and remote_daemon_stream.c):
 *
 * - `readable` (a `ReadableStream<Uint8Array>`) gets the daemon's data. When its queue holds
 *   `bufferSize` bytes (default 4 MiB) the connection's reading pauses until the reader pulls.
 *   The daemon's empty packet ends the data: the stream sends what `virStreamFinish` sends and
 *   `readable` closes once the daemon has confirmed it.
 * - `writable` (a `WritableStream<Uint8Array>`) sends data in packets of at most 262,120 bytes,
 *   waiting while the connection's write buffer is full; closing it sends the finish packet and
 *   resolves when the daemon confirmed it (bounded: 30 s). Do not change a chunk after writing it.
 * - {@link WebLibvirtStream.abort}, `readable.cancel()` or `writable.abort()` send what
 *   `virStreamAbort` sends; the daemon's confirmation (or 5 s) releases the stream.
 * - An error from the daemon, or the end of the connection, errors both sides and rejects
 *   {@link WebLibvirtStream.closed}.
 *
 * A `read` stream's `writable` and a `write` stream's `readable` are closed from the start.
 * Sparse streams (holes) are not supported here: a hole fails the stream.
 *
 * @module
 */
import { ArgumentError } from '../../errors/root.js';
import { armBound } from '../../util/deadline.js';
import { TimeoutError, UnsupportedError, type ConnectionClosedError } from '../../rpc/errors.js';
import type { ProcedureCaller, ProcedureInfo } from '../../rpc/procedure.js';
import type { StreamChannel, StreamPacket, StreamSink } from '../../rpc/stream-channel.js';
import { StreamStateError } from './errors.js';
import type { StreamInit } from './libvirt-stream.js';
import { STREAM_ABORT_TIMEOUT_DEFAULT, STREAM_BUFFER_SIZE_DEFAULT, STREAM_FINISH_TIMEOUT_DEFAULT, type StreamMode } from './options.js';

type WireState = 'opening' | 'open' | 'finishing' | 'aborting' | 'closed';

/** A libvirt stream as a `ReadableStream` and a `WritableStream` (see the module comment). */
export class WebLibvirtStream {
  /** Which way data flows. */
  readonly mode: StreamMode;
  /** True when the call had the sparse-stream flag (holes then fail the stream here). */
  readonly sparse: boolean;
  /** The procedure that opened the stream. */
  readonly procedure: ProcedureInfo;
  /** The daemon's data. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Data for the daemon. */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves when the stream ended normally (the daemon confirmed its end), rejects with what failed it. */
  readonly closed: Promise<void>;

  #channel: StreamChannel | null = null;
  #wire: WireState = 'opening';
  #caller: ProcedureCaller | null = null;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #readableDone = false;
  #failure: Error | null = null;
  #destroyed = false;
  #resolveClosed!: () => void;
  #rejectClosed!: (err: Error) => void;
  #opened!: () => void;
  readonly #openedPromise: Promise<void>;
  readonly #confirmWaiters: Array<{ resolve(): void; reject(err: Error): void }> = [];
  #timer: (() => void) | undefined;
  readonly #closeListeners: Array<() => void> = [];

  /** @internal Made by the stream methods (openStreamWith), never directly. */
  constructor(init: StreamInit) {
    this.mode = init.mode;
    this.sparse = init.sparse;
    this.procedure = init.procedure;
    const bufferSize = init.bufferSize ?? STREAM_BUFFER_SIZE_DEFAULT;
    if (!(bufferSize > 0)) throw new RangeError(`bufferSize must be positive, got ${bufferSize}`);
    this.closed = new Promise((resolve, reject) => {
      this.#resolveClosed = resolve;
      this.#rejectClosed = reject;
    });
    this.closed.catch(() => {});
    this.#openedPromise = new Promise((resolve) => (this.#opened = resolve));
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
          if (this.mode === 'write') {
            this.#readableDone = true;
            controller.close();
          }
        },
        pull: () => this.#channel?.resumeReading(),
        cancel: () => this.abort(),
      },
      { highWaterMark: bufferSize, size: (chunk) => chunk.byteLength },
    );
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => this.#write(chunk),
      close: () => this.finish(),
      abort: () => this.abort(),
    });
    if (this.mode === 'read') void this.writable.close().catch(() => {});
  }

  /** The connection the stream was opened on (libvirt-python's `connect()`), or null. */
  get connection(): ProcedureCaller | null {
    return this.#caller;
  }

  /**
   * Ends this side: sends the finish packet and resolves when the daemon has confirmed it
   * (`virStreamFinish`). Rejects with a TimeoutError after 30 s without a confirmation.
   */
  async finish(): Promise<void> {
    await this.#openedPromise;
    if (this.#failure) throw this.#failure;
    if (this.#wire === 'closed') return;
    if (this.#wire === 'open') this.#sendFinish();
    return new Promise<void>((resolve, reject) => void this.#confirmWaiters.push({ resolve, reject }));
  }

  /** Aborts the stream (`virStreamAbort`); resolves once the daemon confirmed it or after 5 s. */
  async abort(): Promise<void> {
    if (this.#wire === 'closed' || this.#wire === 'aborting') return this.#settledOrNot();
    this.#destroyed = true;
    this.#endReadable(new StreamStateError(`${this.procedure.name}: the stream was aborted`));
    if (this.#wire === 'opening') return; // opened() aborts it on the wire
    this.#sendAbort();
    return this.#settledOrNot();
  }

  // ---------------------------------------------------------------------------
  // Wiring (used by openStreamWith, streams/open.ts)

  /** @internal The sink the RPC engine delivers this stream's packets to. */
  readonly sink: StreamSink = {
    onPacket: (packet) => this.#onPacket(packet),
    onClose: (reason) => this.#onClose(reason),
  };

  /** @internal */
  attach(channel: StreamChannel): void {
    this.#channel = channel;
  }

  /** @internal */
  bindCaller(caller: ProcedureCaller): void {
    this.#caller ??= caller;
  }

  /** @internal The call succeeded. */
  opened(): void {
    if (this.#wire !== 'opening') return;
    this.#wire = 'open';
    this.#opened();
    if (this.#destroyed) this.#sendAbort();
  }

  /** @internal The call failed or was given up before it was sent. */
  failedToOpen(err: Error): void {
    this.#fail(err);
    this.#opened();
  }

  /** @internal Tears the stream down (the call was given up, or a signal fired). */
  destroy(err?: Error): void {
    if (err) this.#fail(err, true);
    else void this.abort();
  }

  /** @internal Runs `listener` once the stream is over on the wire. */
  once(_event: 'close', listener: () => void): void {
    if (this.#wire === 'closed') queueMicrotask(listener);
    else this.#closeListeners.push(listener);
  }

  // ---------------------------------------------------------------------------
  // Internals

  async #write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) throw new TypeError(`${this.procedure.name}: a stream takes Uint8Array chunks`);
    if (this.mode === 'read') throw new StreamStateError(`${this.procedure.name}: a read stream cannot be written`);
    await this.#openedPromise;
    if (this.#failure) throw this.#failure;
    const channel = this.#channel;
    if (!channel || this.#wire !== 'open') throw new StreamStateError(`${this.procedure.name}: the stream is not open for writing`);
    if (chunk.length === 0) return; // an empty packet would say "end of data"
    if (!channel.write(chunk)) await channel.drain();
  }

  #onPacket(packet: StreamPacket): void {
    if (this.#wire === 'closed') return;
    switch (packet.kind) {
      case 'data':
        if (this.#wire === 'aborting') return;
        if (packet.data.length === 0) this.#onEof();
        else if (!this.#readableDone) {
          this.#controller.enqueue(packet.data);
          if ((this.#controller.desiredSize ?? 1) <= 0) this.#channel?.pauseReading();
        }
        return;
      case 'hole':
        this.#fail(new UnsupportedError(`${this.procedure.name}: sparse streams (holes) are not supported by the browser build's streams`), true);
        return;
      case 'finish':
        this.#onFinish();
        return;
      case 'error':
        if (this.#wire === 'aborting') this.#close();
        else this.#fail(packet.error);
    }
  }

  /** The daemon's empty data packet: no more data; end the stream as virStreamFinish does. */
  #onEof(): void {
    if (this.#wire === 'open') this.#sendFinish();
  }

  /** The confirmation of a finish or abort, or the daemon closing the stream unasked. */
  #onFinish(): void {
    const wasAborting = this.#wire === 'aborting';
    this.#close();
    if (wasAborting) return;
    this.#endReadable(null);
    this.#resolveClosed();
    for (const w of this.#confirmWaiters.splice(0)) w.resolve();
  }

  #onClose(reason: ConnectionClosedError): void {
    if (this.#wire === 'closed') return;
    const aborting = this.#wire === 'aborting';
    this.#close();
    if (!aborting) this.#fail(reason);
  }

  #sendFinish(): void {
    const channel = this.#channel;
    if (!channel || this.#wire !== 'open') return;
    this.#wire = 'finishing';
    try {
      channel.finish();
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    const ms = STREAM_FINISH_TIMEOUT_DEFAULT;
    this.#timer = armBound(
      { timeout: ms },
      (err) => this.#fail(err, true),
      () => new TimeoutError(`${this.procedure.name}: the daemon did not confirm the end of the stream within ${ms} ms`, ms),
    );
  }

  #sendAbort(): void {
    const channel = this.#channel;
    if (!channel || this.#wire === 'closed') return;
    this.#wire = 'aborting';
    try {
      channel.abort();
    } catch {
      this.#close();
      return;
    }
    this.#timer?.();
    this.#timer = armBound({ timeout: STREAM_ABORT_TIMEOUT_DEFAULT }, () => this.#close(), 'aborting the stream');
  }

  /** Over on the wire: releases the channel (and with it any pause of the connection). */
  #close(): void {
    if (this.#wire === 'closed') return;
    this.#wire = 'closed';
    this.#timer?.();
    this.#timer = undefined;
    this.#channel?.release();
    this.#opened();
    for (const l of this.#closeListeners.splice(0)) l();
  }

  /** Fails the stream with `err`; tells the daemon (abort) when asked and it is still open. */
  #fail(err: Error, tellDaemon = false): void {
    if (!this.#failure) this.#failure = err;
    if (tellDaemon && (this.#wire === 'open' || this.#wire === 'finishing')) this.#sendAbort();
    else if (this.#wire !== 'aborting') this.#close();
    this.#destroyed = true;
    this.#endReadable(err);
    this.#rejectClosed(err);
    for (const w of this.#confirmWaiters.splice(0)) w.reject(err);
  }

  /** Closes (`err` null) or errors the readable side, once. */
  #endReadable(err: Error | null): void {
    if (this.#readableDone) return;
    this.#readableDone = true;
    try {
      if (err) this.#controller.error(err);
      else this.#controller.close();
    } catch {
      // Already closed or errored by its reader.
    }
  }

  /** Waits for the wire to be over (abort confirmed or given up). */
  #settledOrNot(): Promise<void> {
    if (this.#wire === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.#closeListeners.push(resolve));
  }
}

/**
 * `stream` typed as what it is in the browser build. The object API's declarations are shared
 * with Node's build, where stream methods return Node's `LibvirtStream`; in the browser build
 * they return a {@link WebLibvirtStream}, and this says so to TypeScript (checked at run time).
 *
 * @throws ArgumentError when `stream` is not one (Node's build, or something else).
 */
export function webStream(stream: unknown): WebLibvirtStream {
  if (stream instanceof WebLibvirtStream) return stream;
  throw new ArgumentError('webStream: not a stream of the browser build (in Node, stream methods return Node streams)');
}
