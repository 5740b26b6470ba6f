/**
 * What a stream received and its reader has not taken yet: data buffers and
 * holes, in wire order, with the read-side flow control of the stream.
 *
 * With flow control (the default) the queue asks its stream to pause the
 * connection's reading when `highWaterMark` bytes are waiting and to resume
 * once half of them have been taken (hysteresis, so that a reader keeping up
 * does not pause and resume at every packet). With a hard bound
 * (`maxBuffered`) it never pauses and reports an overflow instead. Holes
 * cost no memory and do not count.
 */
import { Buffer } from 'node:buffer';

/** A hole not yet fully read: `remaining` bytes of zeros. */
export interface HoleItem {
  remaining: bigint;
}

/** One queued item. */
export type QueueItem = Buffer | HoleItem;

/** Largest chunk of zeros a hole is read as (one of the daemon's packets). */
export const ZERO_CHUNK = 256 * 1024;

/** What the queue asks of its stream. */
export interface QueueFlow {
  /** Stop (true) or resume (false) reading the connection. */
  pause(paused: boolean): void;
  /** The hard bound was passed. */
  overflow(): void;
}

/** The queue of one stream. */
export class ReceiveQueue {
  private items: QueueItem[] = [];
  private head = 0;
  private queued = 0;
  private pausing = false;

  constructor(
    /** Bytes at which to pause (flow control). */
    readonly highWaterMark: number,
    /** Hard bound instead of flow control, or null. */
    readonly maxBuffered: number | null,
    private readonly flow: QueueFlow,
  ) {}

  /** Data bytes waiting. */
  get bytes(): number {
    return this.queued;
  }

  /** True when nothing is waiting. */
  get empty(): boolean {
    return this.head >= this.items.length;
  }

  /** True while this queue holds the connection paused. */
  get paused(): boolean {
    return this.pausing;
  }

  /** Appends data or a hole; returns false when the hard bound was passed (the stream must fail). */
  push(item: QueueItem): boolean {
    this.items.push(item);
    if (!Buffer.isBuffer(item)) return true;
    this.queued += item.length;
    if (this.maxBuffered !== null) {
      if (this.queued <= this.maxBuffered) return true;
      this.flow.overflow();
      return false;
    }
    if (!this.pausing && this.queued >= this.highWaterMark) {
      this.pausing = true;
      this.flow.pause(true);
    }
    return true;
  }

  /** Takes the next item whole (a hole with all its remaining length). */
  shift(): QueueItem {
    const item = this.items[this.head];
    this.items[this.head++] = undefined as unknown as QueueItem;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (Buffer.isBuffer(item)) this.took(item.length);
    return item;
  }

  /** Takes the next bytes as one Buffer: a data item, or up to {@link ZERO_CHUNK} zeros of a hole. */
  takeBytes(): Buffer {
    const item = this.items[this.head];
    if (Buffer.isBuffer(item)) return this.shift() as Buffer;
    const n = item.remaining > BigInt(ZERO_CHUNK) ? ZERO_CHUNK : Number(item.remaining);
    item.remaining -= BigInt(n);
    if (item.remaining === 0n) this.shift();
    return Buffer.alloc(n);
  }

  /** Drops everything (and resumes reading). */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.took(this.queued);
  }

  private took(n: number): void {
    this.queued -= n;
    if (this.pausing && this.queued <= this.highWaterMark / 2) {
      this.pausing = false;
      this.flow.pause(false);
    }
  }
}
