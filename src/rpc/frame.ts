/**
 * Framing of libvirt RPC packets.
 *
 * On the wire every packet is a 4-byte big-endian length that counts itself,
 * the 24-byte `virNetMessageHeader` (six 32-bit words: prog, vers, proc, type,
 * serial, status) and the payload. {@link FrameReader} cuts a byte stream into
 * frames; {@link encodeFrame} builds one.
 */
import { Buffer } from 'node:buffer';
import { XdrWriter } from '../xdr/writer.js';
import { VIR_NET_MESSAGE_HEADER_MAX, VIR_NET_MESSAGE_LEN_MAX, VIR_NET_MESSAGE_MAX } from '../procedures/virnet.gen.js';
import { ProtocolError } from './errors.js';

/** Bytes of the length word plus the header: the smallest legal packet. */
export const FRAME_MIN = VIR_NET_MESSAGE_LEN_MAX + VIR_NET_MESSAGE_HEADER_MAX;

/** The largest legal value of the length word (it counts itself). */
export const FRAME_MAX = VIR_NET_MESSAGE_LEN_MAX + VIR_NET_MESSAGE_MAX;

const EMPTY = Buffer.alloc(0);

/** An assembly buffer larger than this is released once it is empty. */
const KEEP_BUFFER_MAX = 1 << 20;

/** A decoded `virNetMessageHeader`. `type` and `status` are not checked here. */
export interface FrameHeader {
  /** Program number (`REMOTE_PROGRAM`, `KEEPALIVE_PROGRAM`, ...). */
  readonly prog: number;
  /** Program version. */
  readonly vers: number;
  /** Procedure number (signed). */
  readonly proc: number;
  /** `virNetMessageType` (signed on the wire; unknown values are passed through). */
  readonly type: number;
  /** Serial of the call this packet belongs to. */
  readonly serial: number;
  /** `virNetMessageStatus` (signed on the wire; unknown values are passed through). */
  readonly status: number;
}

/** One packet read off the wire. */
export interface Frame {
  /** The header. */
  readonly header: FrameHeader;
  /** The payload after the header: a fresh copy the receiver may keep. */
  readonly payload: Buffer;
}

/**
 * Cuts a byte stream into frames.
 *
 * It keeps one buffer and an offset: a chunk that holds only whole frames is
 * parsed in place; the tail of a torn frame is kept and later chunks are
 * merged after it (compacting or growing the buffer as needed, never beyond
 * the frame being assembled). The length word is checked as soon as its four
 * bytes are there: a length below {@link FRAME_MIN} or above {@link FRAME_MAX}
 * is a {@link ProtocolError} thrown before anything is allocated for it.
 * Payloads are copied out, so nothing handed out is ever overwritten.
 */
export class FrameReader {
  private buf: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  private stopped = false;
  /** The assembly buffer this reader allocated; `buf` is either this or a caller's chunk. */
  private own: Buffer = EMPTY;

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  /**
   * Feeds bytes and calls `onFrame` for every frame they complete, in order.
   * Throws a ProtocolError for a bad length word (frames before it are
   * delivered first). If `onFrame` calls {@link stop}, parsing ends at once.
   */
  push(chunk: Uint8Array, onFrame: (frame: Frame) => void): void {
    if (this.stopped || chunk.length === 0) return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.start === this.end) {
      // Nothing pending: parse the chunk where it is.
      this.buf = bytes;
      this.start = 0;
      this.end = bytes.length;
    } else {
      this.append(bytes);
    }
    this.parse(onFrame);
  }

  /** Stops parsing for good and drops the buffered bytes. */
  stop(): void {
    this.stopped = true;
    this.buf = this.own = EMPTY;
    this.start = this.end = 0;
  }

  private append(bytes: Buffer): void {
    // Only reached with a torn frame pending, which always sits in our own buffer.
    const pending = this.end - this.start;
    const need = pending + bytes.length;
    if (this.end + bytes.length > this.buf.length) {
      if (need <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        // Size for the frame being assembled when its (validated) length is
        // known, so a large frame is allocated once; otherwise double.
        const frameLen = pending >= 4 ? this.buf.readUInt32BE(this.start) : 0;
        const size = Math.max(need, frameLen, pending >= 4 ? 0 : this.buf.length * 2);
        const next = Buffer.allocUnsafe(size);
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = this.own = next;
      }
      this.start = 0;
      this.end = pending;
    }
    bytes.copy(this.buf, this.end);
    this.end += bytes.length;
  }

  private parse(onFrame: (frame: Frame) => void): void {
    while (!this.stopped) {
      const avail = this.end - this.start;
      if (avail < 4) break;
      const buf = this.buf;
      const p = this.start;
      const len = buf.readUInt32BE(p);
      if (len < FRAME_MIN || len > FRAME_MAX) {
        this.stop();
        throw new ProtocolError(
          len < FRAME_MIN
            ? `packet of ${len} bytes received is too small, want at least ${FRAME_MIN}`
            : `packet of ${len} bytes received is too large, the limit is ${FRAME_MAX}`,
        );
      }
      if (avail < len) break;
      const header: FrameHeader = {
        prog: buf.readUInt32BE(p + 4),
        vers: buf.readUInt32BE(p + 8),
        proc: buf.readInt32BE(p + 12),
        type: buf.readInt32BE(p + 16),
        serial: buf.readUInt32BE(p + 20),
        status: buf.readInt32BE(p + 24),
      };
      const payload = Buffer.allocUnsafe(len - FRAME_MIN);
      buf.copy(payload, 0, p + FRAME_MIN, p + len);
      this.start = p + len;
      if (this.start === this.end) {
        // Everything consumed: let go of a caller's chunk and of a huge buffer.
        this.start = this.end = 0;
        this.buf = EMPTY;
        if (this.own.length > KEEP_BUFFER_MAX) this.own = EMPTY;
      }
      onFrame({ header, payload });
    }
    if (!this.stopped && this.buf !== this.own && this.start !== this.end) {
      // A torn frame is left in the caller's chunk: copy it into our buffer
      // now, since the caller may reuse the chunk before the rest arrives.
      const pending = this.end - this.start;
      const frameLen = pending >= 4 ? this.buf.readUInt32BE(this.start) : 0;
      const want = Math.max(pending, frameLen);
      if (this.own.length < want) this.own = Buffer.allocUnsafe(Math.max(want, 1024));
      this.buf.copy(this.own, 0, this.start, this.end);
      this.buf = this.own;
      this.end = pending;
      this.start = 0;
    }
  }
}

/** What {@link encodeFrame} needs besides the header: raw bytes, or a function writing XDR. */
export type FrameBody = Uint8Array | ((w: XdrWriter) => void) | null | undefined;

/**
 * Encodes one packet: reserves the length word, writes the header and the
 * body, then patches the length. Throws a {@link ProtocolError} when the
 * packet would exceed {@link FRAME_MAX} (the caller's own packet: the
 * connection is not affected), and lets an `XdrError` from the body through.
 *
 * The result is a view of a buffer nobody else holds.
 */
export function encodeFrame(header: FrameHeader, body?: FrameBody, sizeHint = 256): Buffer {
  const raw = body instanceof Uint8Array ? body : null;
  const w = new XdrWriter(FRAME_MIN + (raw ? raw.length : Math.max(0, sizeHint)));
  w.reserve(4);
  w.uint(header.prog, 'virNetMessageHeader.prog');
  w.uint(header.vers, 'virNetMessageHeader.vers');
  w.int(header.proc, 'virNetMessageHeader.proc');
  w.int(header.type, 'virNetMessageHeader.type');
  w.uint(header.serial, 'virNetMessageHeader.serial');
  w.int(header.status, 'virNetMessageHeader.status');
  if (raw) {
    // Stream data: raw bytes, no length word, no padding. (Reserve first, then
    // read `w.buf`: reserving may replace the buffer.)
    const p = w.reserve(raw.length);
    w.buf.set(raw, p);
  } else if (typeof body === 'function') {
    body(w);
  }
  if (w.pos > FRAME_MAX) {
    throw new ProtocolError(`packet of ${w.pos} bytes is too large to send, the limit is ${FRAME_MAX}`);
  }
  w.patchUint(0, w.pos);
  return w.written();
}
