/**
 * Framing of libvirt RPC packets.
 *
 * On the wire every packet is a 4-byte big-endian length that counts itself,
 * the 24-byte `virNetMessageHeader` (six 32-bit words: prog, vers, proc, type,
 * serial, status) and the payload. {@link FrameReader} cuts a byte stream into
 * frames; {@link encodeFrame} builds one.
 */
import { allocBytes, asBytes, copyBytes, sliceCopy } from '../util/bytes.js';
import { XdrWriter } from '../xdr/writer.js';
import { VIR_NET_MESSAGE_HEADER_MAX, VIR_NET_MESSAGE_LEN_MAX, VIR_NET_MESSAGE_MAX } from '../procedures/virnet.gen.js';
import { ProtocolError } from './errors.js';
import { allocTorn } from './frame-pool.js';

/** Bytes of the length word plus the header: the smallest legal packet. */
export const FRAME_MIN = VIR_NET_MESSAGE_LEN_MAX + VIR_NET_MESSAGE_HEADER_MAX;

/** The largest legal value of the length word (it counts itself). */
export const FRAME_MAX = VIR_NET_MESSAGE_LEN_MAX + VIR_NET_MESSAGE_MAX;

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
  /** The payload after the header: memory of its own that the receiver may keep. */
  readonly payload: Uint8Array;
}

/**
 * Receives one frame from {@link FrameReader.scan}: its header and its payload, `bytes[start, end)`.
 * When `owned` is false, `bytes` is the chunk given to `scan`, valid only until this returns
 * (copy what you keep); when true, it is memory of the frame's own that the receiver may keep.
 */
export type FrameSink = (header: FrameHeader, bytes: Uint8Array, start: number, end: number, owned: boolean) => void;

/**
 * Cuts a byte stream into frames, copying each payload at most once.
 *
 * A frame that lies whole in a chunk is parsed where it is and its payload
 * copied out by {@link push} (the caller may reuse the chunk), or lent to the
 * receiver by {@link scan} (no copy; the RPC engine decodes a reply from the
 * socket's read buffer and copies only what it keeps). A frame torn across chunks
 * (every 256 KiB stream packet, since a socket read is at most 64 KiB) is
 * assembled in a buffer of its length, allocated once its length word is known
 * (a frame larger than a stream packet in a buffer that doubles as its bytes
 * arrive, up to its length: memory follows the bytes received, not the length
 * a peer announces), and its payload is handed out as a view of that buffer, which the
 * reader then lets go of: no second copy. The length word is checked as soon
 * as its four bytes are there: a length below {@link FRAME_MIN} or above
 * {@link FRAME_MAX} is a {@link ProtocolError} thrown before anything is
 * allocated for it.
 */
export class FrameReader {
  /** The torn frame being assembled (null when none), or the first bytes of its length word. */
  private partial: Uint8Array | null = null;
  /** Bytes of {@link partial} filled so far. */
  private filled = 0;
  /** Length of the torn frame (0 while its length word is incomplete). */
  private need = 0;
  private stopped = false;

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.partial ? this.filled : 0;
  }

  /** Bytes allocated for the frame being assembled (0 when none). */
  get allocated(): number {
    return this.partial ? this.partial.length : 0;
  }

  /**
   * Feeds bytes and calls `onFrame` for every frame they complete, in order.
   * Throws a ProtocolError for a bad length word (frames before it are
   * delivered first). If `onFrame` calls {@link stop}, parsing ends at once.
   */
  push(chunk: Uint8Array, onFrame: (frame: Frame) => void): void {
    this.scan(chunk, (header, bytes, start, end, owned) => onFrame({ header, payload: owned ? bytes.subarray(start, end) : sliceCopy(bytes, start, end) }));
  }

  /**
   * As {@link push}, but a frame that lies whole in `chunk` is handed out where it is, not copied
   * (`owned` false: valid only until `onFrame` returns), so that a receiver that decodes it at
   * once (the RPC engine, replies) copies nothing; torn frames come in memory of their own.
   */
  scan(chunk: Uint8Array, onFrame: FrameSink): void {
    if (this.stopped || chunk.length === 0) return;
    const bytes = asBytes(chunk);
    let off = 0;
    if (this.partial) {
      off = this.fill(bytes);
      if (this.need === 0 || this.filled < this.need) return;
      const frame = this.partial;
      this.partial = null;
      onFrame(readHeader(frame, 0), frame, FRAME_MIN, this.need, true);
    }
    this.parse(bytes, off, onFrame);
  }

  /** Stops parsing for good and drops the buffered bytes. */
  stop(): void {
    this.stopped = true;
    this.partial = null;
    this.filled = this.need = 0;
  }

  /** Adds the start of `bytes` to the torn frame; returns how many bytes were taken. */
  private fill(bytes: Uint8Array): number {
    let off = 0;
    if (this.need === 0) {
      // The length word is still incomplete (partial is a 4-byte scratch buffer).
      const take = Math.min(4 - this.filled, bytes.length);
      copyBytes(bytes, 0, take, this.partial!, this.filled);
      this.filled += take;
      off = take;
      if (this.filled < 4) return off;
      const len = checkLength(readUint32(this.partial!, 0), () => this.stop());
      const frame = allocTorn(len, Math.min(len, 4 + bytes.length - off));
      copyBytes(this.partial!, 0, 4, frame, 0);
      this.partial = frame;
      this.need = len;
    }
    const take = Math.min(this.need - this.filled, bytes.length - off);
    if (this.filled + take > this.partial!.length) {
      const grown = allocBytes(Math.min(this.need, Math.max(this.filled + take, this.partial!.length * 2)));
      copyBytes(this.partial!, 0, this.filled, grown, 0);
      this.partial = grown;
    }
    copyBytes(bytes, off, off + take, this.partial!, this.filled);
    this.filled += take;
    return off + take;
  }

  private parse(buf: Uint8Array, start: number, onFrame: FrameSink): void {
    let p = start;
    while (!this.stopped) {
      const avail = buf.length - p;
      if (avail === 0) return;
      if (avail < 4) {
        this.partial = allocBytes(4);
        copyBytes(buf, p, buf.length, this.partial, 0);
        this.filled = avail;
        this.need = 0;
        return;
      }
      const len = checkLength(readUint32(buf, p), () => this.stop());
      if (avail < len) {
        // Torn: assemble it in a buffer of its own (see allocTorn).
        this.partial = allocTorn(len, avail);
        copyBytes(buf, p, buf.length, this.partial, 0);
        this.filled = avail;
        this.need = len;
        return;
      }
      const header = readHeader(buf, p);
      p += len;
      onFrame(header, buf, p - len + FRAME_MIN, p, false);
    }
  }
}

/** Validates a length word; calls `stop` and throws a ProtocolError when it is out of range. */
function checkLength(len: number, stop: () => void): number {
  if (len >= FRAME_MIN && len <= FRAME_MAX) return len;
  stop();
  throw new ProtocolError(
    len < FRAME_MIN
      ? `packet of ${len} bytes received is too small, want at least ${FRAME_MIN}`
      : `packet of ${len} bytes received is too large, the limit is ${FRAME_MAX}`,
  );
}

/** The big-endian signed 32-bit word at `p`. */
function readInt32(b: Uint8Array, p: number): number {
  return (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
}

/** The big-endian unsigned 32-bit word at `p`. */
function readUint32(b: Uint8Array, p: number): number {
  return readInt32(b, p) >>> 0;
}

/** Stores `v` as a big-endian 32-bit word at `p` (signed or unsigned alike). */
function writeWord(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
}

function readHeader(buf: Uint8Array, p: number): FrameHeader {
  return {
    prog: readUint32(buf, p + 4),
    vers: readUint32(buf, p + 8),
    proc: readInt32(buf, p + 12),
    type: readInt32(buf, p + 16),
    serial: readUint32(buf, p + 20),
    status: readInt32(buf, p + 24),
  };
}

/** What {@link encodeFrame} needs besides the header: raw bytes, or a function writing XDR. */
export type FrameBody = Uint8Array | ((w: XdrWriter) => void) | null | undefined;

/**
 * The writer {@link encodeFrame} encodes XDR bodies into, reused from packet to packet (null
 * while in use): a packet then costs one buffer of its exact length, not a writer of its own (a
 * buffer with room to spare, a `DataView`, a view of what was written).
 */
let scratch: XdrWriter | null = null;
/** A scratch writer grown beyond this (after a large packet) is dropped rather than kept. */
const SCRATCH_KEEP_MAX = 64 * 1024;

/**
 * Encodes one packet: reserves the length word, writes the header and the
 * body, then patches the length. Throws a {@link ProtocolError} when the
 * packet would exceed {@link FRAME_MAX} (the caller's own packet: the
 * connection is not affected), and lets an `XdrError` from the body through.
 *
 * The result is a view of a buffer nobody else holds.
 */
export function encodeFrame(header: FrameHeader, body?: FrameBody, sizeHint = 256): Uint8Array {
  const raw = body instanceof Uint8Array ? body : null;
  let w: XdrWriter;
  if (raw) {
    w = new XdrWriter(FRAME_MIN + raw.length);
  } else {
    w = scratch ?? new XdrWriter(FRAME_MIN + Math.max(0, sizeHint));
    scratch = null;
    w.pos = 0;
  }
  try {
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
      return finishFrame(w).written();
    }
    if (typeof body === 'function') body(w);
    return copyOut(finishFrame(w));
  } finally {
    if (!raw && w.buf.length <= SCRATCH_KEEP_MAX) scratch = w;
  }
}

/** Checks the size of the packet in `w` and patches its length word. */
function finishFrame(w: XdrWriter): XdrWriter {
  if (w.pos > FRAME_MAX) {
    throw new ProtocolError(`packet of ${w.pos} bytes is too large to send, the limit is ${FRAME_MAX}`);
  }
  w.patchUint(0, w.pos);
  return w;
}

/** Packets up to this length are copied out of the scratch writer byte by byte (cheaper than a native copy's setup). */
const SMALL_PACKET_COPY_MAX = 128;

/** A copy of what `w` holds, in a buffer of its exact length. */
function copyOut(w: XdrWriter): Uint8Array {
  const n = w.pos;
  if (n > SMALL_PACKET_COPY_MAX) return sliceCopy(w.buf, 0, n);
  const src = w.buf;
  const out = allocBytes(n);
  for (let i = 0; i < n; i++) out[i] = src[i]!;
  return out;
}

/**
 * Encodes the length word and header of a packet whose payload (`payloadLength`
 * raw bytes, such as stream data) is sent separately after it, so that the
 * payload is never copied: the socket writes both in one `writev`.
 */
export function encodeFrameHeader(header: FrameHeader, payloadLength: number): Uint8Array {
  const len = FRAME_MIN + payloadLength;
  if (len > FRAME_MAX) throw new ProtocolError(`packet of ${len} bytes is too large to send, the limit is ${FRAME_MAX}`);
  const b = allocBytes(FRAME_MIN);
  writeWord(b, 0, len);
  writeWord(b, 4, header.prog);
  writeWord(b, 8, header.vers);
  writeWord(b, 12, header.proc);
  writeWord(b, 16, header.type);
  writeWord(b, 20, header.serial);
  writeWord(b, 24, header.status);
  return b;
}
