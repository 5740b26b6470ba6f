/**
 * The buffers frames are read into: full stream data packets (the most a download brings) come
 * from a small pool their payloads return to once consumed ({@link recycleFramePayload}), so a
 * long download does not allocate 256 KiB per packet; everything else is allocated as it comes.
 * Its own module so that what hands payloads back (src/api/streams/files.ts) need not load the
 * frame codec.
 */
import { allocBytes, allocBytesUnpooled, bytesOf } from '../util/bytes.js';
import { VIR_NET_MESSAGE_HEADER_MAX, VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX, VIR_NET_MESSAGE_LEN_MAX } from '../procedures/virnet.gen.js';

/** Length of a full stream data packet (the header and 262,120 bytes of payload). */
const DATA_FRAME_LEN = VIR_NET_MESSAGE_LEN_MAX + VIR_NET_MESSAGE_HEADER_MAX + VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX;

/** Frames of {@link DATA_FRAME_LEN} kept for reuse (8 MiB at most). */
const POOL_MAX = 32;
const pool: Uint8Array[] = [];
/** Memory of frames handed out that may come back through {@link recycleFramePayload}. */
const recyclable = new WeakSet<ArrayBufferLike>();

/** A buffer for a frame of `len` bytes: a recycled one for full data packets when there is one. */
export function allocFrame(len: number): Uint8Array {
  if (len !== DATA_FRAME_LEN) return allocBytes(len);
  const b = pool.pop() ?? allocBytesUnpooled(len);
  recyclable.add(b.buffer);
  return b;
}

/** First allocation for a torn frame larger than a stream data packet; it doubles as bytes come. */
const TORN_INITIAL = 64 * 1024;

/**
 * The buffer for a torn frame of `len` bytes of which `have` have arrived. A full data packet
 * gets its whole (pooled) buffer; a larger frame gets room for what arrived, at least
 * {@link TORN_INITIAL}, and grows with what comes: a peer that sends a 32 MiB length word and
 * nothing more costs 64 KiB, not 32 MiB.
 */
export function allocTorn(len: number, have: number): Uint8Array {
  if (len <= DATA_FRAME_LEN) return allocFrame(len);
  return allocBytes(Math.min(len, Math.max(have, TORN_INITIAL)));
}

/**
 * Gives the memory of a stream packet's payload back for the next packets,
 * once the caller is sure nothing references `payload` any more (the stream
 * file helpers do it after writing the data out). This saves the allocation
 * of 256 KiB per packet, and with it most of the garbage collections (each a
 * pause of the socket's reading) of a long download. Anything else is
 * ignored; a payload is taken back at most once.
 */
export function recycleFramePayload(payload: Uint8Array): void {
  const mem = payload.buffer;
  if (!recyclable.has(mem) || pool.length >= POOL_MAX) return;
  recyclable.delete(mem);
  pool.push(bytesOf(mem, 0, DATA_FRAME_LEN));
}
