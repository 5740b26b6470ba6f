/**
 * The writing side of a connection: packets go to the socket in order,
 * respecting its backpressure. The small packets written in one tick (calls,
 * keepalive, stream control) are copied into one buffer that is handed to the
 * socket once at the end of the tick: one `write` system call for a burst of
 * calls, and no per-packet bookkeeping in the socket's own queue (a socket
 * `write()` per packet and a `writev` of them all cost more than the copy of a
 * few dozen bytes each).
 *
 * A call waits in the writer's own queue while the socket is full, so that a
 * call given up before it was written is never sent. Stream packets may fill
 * the socket up to {@link WRITE_BUFFER_MAX} (Node's own high-water mark, 16
 * KiB, would stop a stream after every 256 KiB packet), and their payload is
 * written as it is, after its header, without a copy.
 */
import { concatBytes } from '../util/bytes.js';
import { nextTick } from '../util/platform.js';
import type { ByteChannel } from './byte-channel.js';

/** Bytes the socket may hold unwritten before stream writers are told to wait. */
export const WRITE_BUFFER_MAX = 1024 * 1024;

/** Packets up to this size are copied into the tick's batch; larger ones are written as they are. */
const SMALL_PACKET_MAX = 4096;

/** What the writer needs to know of a call's packet. */
export interface WrittenCall {
  /** Set once the packet is handed to the socket (a reply may come). */
  written: boolean;
  /** Settled or given up before being written: it is skipped. */
  readonly cancelled: boolean;
}

interface QueuedWrite {
  readonly buf: Uint8Array;
  /** Raw payload written right after `buf` (stream data, not copied). */
  readonly data: Uint8Array | null;
  /** Called once `data` has been handed to the OS (not on failure). */
  readonly onWritten: (() => void) | null;
  readonly call: WrittenCall | null;
}

/** The writer of one connection. */
export class PacketWriter {
  private readonly queue: QueuedWrite[] = [];
  private head = 0;
  /** The socket said it is full: wait for its 'drain'. */
  private waitingDrain = false;
  /** Small packets of this tick, not yet handed to the socket. */
  private readonly batch: Uint8Array[] = [];
  private batchBytes = 0;
  private batchScheduled = false;
  private readonly endOfTick = (): void => {
    this.batchScheduled = false;
    this.writeBatch();
  };
  private drainWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private endRequested = false;
  /** Packets handed to the socket so far. */
  sent = 0;

  constructor(private readonly socket: ByteChannel) {
    socket.on('drain', () => this.flush());
  }

  /** Writes or queues one packet (`buf`, then `data` if any), in order. */
  write(buf: Uint8Array, call: WrittenCall | null, data: Uint8Array | null = null, onWritten: (() => void) | null = null): void {
    if (this.head < this.queue.length || (this.waitingDrain && (call !== null || !this.streamHasRoom()))) {
      this.queue.push({ buf, data, call, onWritten });
      return;
    }
    this.writeNow(buf, data, call, onWritten);
  }

  /** True when a stream may write more now. */
  streamHasRoom(): boolean {
    return this.head >= this.queue.length && this.socket.writableLength + this.batchBytes < WRITE_BUFFER_MAX;
  }

  /** Resolves once the socket has drained what was queued (at once when nothing waits). */
  drain(): Promise<void> {
    if (!this.waitingDrain) return Promise.resolve();
    return new Promise((resolve, reject) => this.drainWaiters.push({ resolve, reject }));
  }

  /** Ends the socket once everything queued has been written. */
  end(): void {
    if (this.endRequested) return;
    this.endRequested = true;
    this.maybeEnd();
  }

  /** Drops everything queued (the connection is torn down). */
  clear(): void {
    this.queue.length = 0;
    this.head = 0;
    this.batch.length = 0;
    this.batchBytes = 0;
  }

  /** The connection ended: {@link drain} waiters reject with `err`. */
  fail(err: Error): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  private writeNow(buf: Uint8Array, data: Uint8Array | null, call: WrittenCall | null, onWritten: (() => void) | null): void {
    if (call) call.written = true;
    this.sent++;
    if (data === null && buf.length <= SMALL_PACKET_MAX) {
      this.batch.push(buf);
      this.batchBytes += buf.length;
      // Once the batch would fill the socket, it goes now, so that the socket's
      // backpressure is seen at once and the next calls wait in the queue
      // (where a call given up is never sent), as with one write per packet.
      if (this.batchBytes + this.socket.writableLength >= this.socket.writableHighWaterMark) this.writeBatch();
      else if (!this.batchScheduled) {
        this.batchScheduled = true;
        nextTick(this.endOfTick);
      }
      return;
    }
    this.writeBatch(); // what came before goes first
    let ok: boolean;
    if (data) {
      // Header and payload in one writev, the payload not copied.
      this.socket.cork();
      this.socket.write(buf);
      ok = this.socket.write(data, onWritten ? (err) => void (err ? undefined : onWritten()) : undefined);
      this.socket.uncork();
    } else {
      ok = this.socket.write(buf);
    }
    if (!ok) this.waitingDrain = true;
  }

  /** Hands the small packets gathered so far to the socket, as one buffer. */
  private writeBatch(): void {
    const n = this.batch.length;
    if (n === 0) return;
    const buf = n === 1 ? this.batch[0]! : concatBytes(this.batch, this.batchBytes);
    this.batch.length = 0;
    this.batchBytes = 0;
    if (this.socket.destroyed) return;
    if (!this.socket.write(buf)) this.waitingDrain = true;
  }

  private flush(): void {
    this.waitingDrain = false;
    while (!this.waitingDrain && this.head < this.queue.length) {
      const item = this.queue[this.head++];
      if (item.call?.cancelled) continue;
      if (this.socket.destroyed) break;
      this.writeNow(item.buf, item.data, item.call, item.onWritten);
    }
    if (this.head >= this.queue.length) {
      // The queue is empty (the tick's batch, if any, is still to be written).
      this.queue.length = 0;
      this.head = 0;
    }
    if (!this.waitingDrain) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w.resolve();
      this.maybeEnd();
    }
  }

  private maybeEnd(): void {
    if (!this.endRequested || this.waitingDrain || this.head < this.queue.length) return;
    if (this.socket.destroyed) return;
    this.writeBatch();
    this.socket.end(() => this.socket.destroy());
  }
}
