/**
 * Opening a stream: {@link openStreamCall}, what every raw-layer and object
 * method that opens a stream does, and {@link PendingStream}, libvirt's
 * `virStreamNew` for libvirt-python's style.
 */
import type { RpcCallOptions } from '../../rpc/client.js';
import { armBound } from '../../util/deadline.js';
import { abortErrorFor, TimeoutError, UnsupportedError } from '../../rpc/errors.js';
import type { Procedure, ProcedureCaller, ProcedureInfo } from '../../rpc/procedure.js';
import type { StreamChannel, StreamSink } from '../../rpc/stream-channel.js';
import { StreamStateError } from './errors.js';
import type { LibvirtStream, StreamInit } from './libvirt-stream.js';
import type { StreamMode, StreamOptions } from './options.js';

/** What can open a stream: the RPC engine, or a connection wrapping it. */
export interface StreamCaller extends ProcedureCaller {
  /** Registers a sink for the stream packets of a call about to be made (`RpcClient.openStream`). */
  openStream(procedure: ProcedureInfo, sink: StreamSink): StreamChannel;
}

/** The RPC engine behind `caller`: itself, or a connection's `client`; null if none can open streams. */
function streamCaller(caller: ProcedureCaller): StreamCaller | null {
  const isOne = (c: unknown): c is StreamCaller => typeof c === 'object' && c !== null && typeof (c as Partial<StreamCaller>).openStream === 'function';
  if (isOne(caller)) return caller;
  const client = (caller as { client?: unknown }).client;
  return isOne(client) ? client : null;
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
  /** See {@link StreamOptions.bufferSize}. */
  readonly bufferSize?: number;
  /** See {@link StreamOptions.maxBuffered}. */
  readonly maxBuffered?: number;
  /** See {@link StreamOptions.stallTimeout}. */
  readonly stallTimeout?: number;
  /** See {@link StreamOptions.highWaterMark}. */
  readonly highWaterMark?: number;
  #stream: LibvirtStream | null = null;
  #used = false;

  constructor(flags = 0, options: StreamOptions = {}) {
    this.flags = flags;
    if (options.signal !== undefined) this.signal = options.signal;
    if (options.timeout !== undefined) this.timeout = options.timeout;
    if (options.bufferSize !== undefined) this.bufferSize = options.bufferSize;
    if (options.maxBuffered !== undefined) this.maxBuffered = options.maxBuffered;
    if (options.stallTimeout !== undefined) this.stallTimeout = options.stallTimeout;
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
 * What {@link streamOpener} needs of the streams it makes: Node's `LibvirtStream`
 * (libvirt-stream.ts), or the browser build's web-streams one (web-stream.ts).
 */
export interface OpenableStream {
  /** The sink the RPC engine delivers this stream's packets to. */
  readonly sink: StreamSink;
  /** Binds the stream to its channel (before the call is sent). */
  attach(channel: StreamChannel): void;
  /** Records the caller that opened it. */
  bindCaller(caller: ProcedureCaller): void;
  /** The call succeeded: the stream is open (or aborted at once if destroyed meanwhile). */
  opened(): void;
  /** The call failed or was given up before it was sent. */
  failedToOpen(err: Error): void;
  /** Tears the stream down (with `err`, or quietly). */
  destroy(err?: Error): unknown;
  /** Runs `listener` once the stream is closed. */
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Makes a call that opens a stream of kind `S` (`caller`, the procedure and its arguments, the
 * stream's direction, whether it carries holes, its options) and resolves with the call's return
 * value and the stream: the type of both stream twins' `openStreamCall`.
 */
export type OpenStreamCall<S> = <A, R>(
  caller: ProcedureCaller,
  procedure: Procedure<A, R>,
  args: A,
  mode: StreamMode,
  sparse: boolean,
  options?: StreamOptions,
) => Promise<{ ret: R; stream: S }>;

/**
 * The {@link OpenStreamCall} whose streams `create` makes: each stream twin's `openStreamCall`
 * (stream.ts, stream.browser.ts). The call registers the stream with the caller's
 * RPC engine (`caller` itself, or a `Connection`'s `client`), sends the call with its serial,
 * and resolves with the call's decoded return value and the stream once the
 * daemon has accepted it. This is what the raw layer's stream methods do.
 *
 * Rejects like any call (LibvirtError, ConnectionClosedError, AbortError,
 * TimeoutError); an UnsupportedError if `caller` cannot open streams; a
 * RangeError for a `bufferSize`, `maxBuffered` or `stallTimeout` that is not
 * positive. When `signal` or `timeout` gives up on the call before the daemon
 * answered, the call still completes in the background and a stream it opened
 * is aborted, so nothing is left open on the daemon.
 */
export function streamOpener<S extends OpenableStream>(create: (init: StreamInit) => S): OpenStreamCall<S> {
  return (caller, procedure, args, mode, sparse, options = {}) => {
    const { signal, timeout, bufferSize, maxBuffered, stallTimeout, highWaterMark } = options;
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
    let stream: S;
    let channel: StreamChannel;
    try {
      stream = create({ mode, sparse, procedure, bufferSize, maxBuffered, stallTimeout, highWaterMark });
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
      let disarm: (() => void) | undefined;
      const cleanup = (): void => disarm?.();
      const giveUp = (err: Error): void => {
        if (settled) return;
        settled = true;
        cleanup();
        // The stream is nobody's: destroyed; opened() aborts it on the wire if
        // the call succeeds after all.
        stream.destroy();
        reject(err);
      };
      disarm = armBound({ signal, timeout }, giveUp, (ms) => new TimeoutError(`${procedure.name} timed out after ${ms} ms`, ms));
      call.then(
        (ret) => {
          stream.opened();
          if (settled) return;
          settled = true;
          cleanup();
          if (signal) {
            // The signal keeps bounding the transfer: it destroys the stream with the AbortError.
            const disarmStream = armBound({ signal }, (err) => void stream.destroy(err), 'streaming');
            stream.once('close', () => disarmStream?.());
          }
          // (PendingStream is typed with Node's stream; the browser build binds its own kind.)
          pending?.bind(stream as unknown as LibvirtStream);
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
  };
}
