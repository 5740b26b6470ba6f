/**
 * What a stream is opened with, and the bounds it works within.
 */
import type { Buffer } from 'node:buffer';
import { VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX } from '../../procedures/virnet.gen.js';
import type { CallOptions } from '../../rpc/procedure.js';

/**
 * Default of {@link StreamOptions.bufferSize}: unread bytes at which a stream
 * pauses reading the connection (4 MiB, sixteen of the daemon's packets).
 */
export const STREAM_BUFFER_SIZE_DEFAULT = 4 * 1024 * 1024;

/**
 * How long {@link LibvirtStream.finish} (and the end of a read stream) waits
 * for the daemon's confirmation, in ms, not counting time the connection's
 * reading is paused by a slow reader. Past it the stream is aborted and
 * fails with a TimeoutError.
 */
export const STREAM_FINISH_TIMEOUT_DEFAULT = 30_000;

/**
 * How long an abort waits for the daemon's confirmation, in ms. Past it the
 * stream is released on this side (late packets are dropped) and
 * {@link LibvirtStream.abort} resolves.
 */
export const STREAM_ABORT_TIMEOUT_DEFAULT = 5_000;

/**
 * The payload of one stream packet: what libvirt's client sends per packet
 * (`VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX`, 262,120 bytes) and the chunk size of
 * the `*All` helpers (libvirt-python's `virStorageVol.streamBufSize`).
 */
export const STREAM_BUF_SIZE = VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX;

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
   * with an AbortError), at any point of the transfer: `AbortSignal.timeout(ms)`
   * bounds the whole transfer. `timeout` only bounds the call.
   */
  readonly signal?: AbortSignal;
  /**
   * Flow control: when this many received bytes are waiting for the reader,
   * the stream pauses reading the connection's socket (TCP backpressure then
   * stops the daemon) and resumes once the reader has taken half of them.
   * Memory stays within this plus one socket read whatever the reader's speed.
   * Default {@link STREAM_BUFFER_SIZE_DEFAULT}.
   */
  readonly bufferSize?: number;
  /**
   * A hard bound instead of flow control: the stream never pauses the
   * connection, queues what arrives, and past `maxBuffered` unread bytes
   * aborts and fails with a {@link StreamOverflowError}. `Infinity` is
   * libvirt's unbounded queue. Unset by default (flow control).
   */
  readonly maxBuffered?: number;
  /**
   * Fails the stream with a TimeoutError when its reader has left the
   * connection paused for this many ms (a consumer that stopped reading).
   * Default: no limit.
   */
  readonly stallTimeout?: number;
  /** `readableHighWaterMark` and `writableHighWaterMark` of the Node stream (Node's default otherwise). */
  readonly highWaterMark?: number;
}

/** One item of {@link LibvirtStream.entries}: data, or a hole of `length` bytes. */
export type StreamEntry = { readonly kind: 'data'; readonly data: Buffer } | { readonly kind: 'hole'; readonly length: bigint };

/** Bounds of {@link LibvirtStream.finish} and {@link LibvirtStream.abort}. */
export interface SettleOptions {
  /** Gives up waiting (see each method for what that does). */
  readonly signal?: AbortSignal;
  /** ms to wait for the daemon's confirmation (defaults above). */
  readonly timeout?: number;
}
