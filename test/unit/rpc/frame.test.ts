import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { encodeFrame, FRAME_MAX, FRAME_MIN, FrameReader, type Frame } from '../../../src/rpc/frame.js';
import { recycleFramePayload } from '../../../src/rpc/frame-pool.js';
import { LibvirtError, ProtocolError } from '../../../src/rpc/errors.js';
import { virNetMessageErrorCodec } from '../../../src/procedures/virnet.gen.js';
import { decodeXdr } from '../../../src/xdr/codec.js';
import { hex } from './helpers.js';

// Vectors from upstream tests/virnetmessagetest.c (see test/fixtures/upstream/test-vectors/README.md).
const HEADER_ONLY_CALL = hex('00 00 00 1c 11 22 33 44 00 00 00 01 00 00 06 66 00 00 00 00 00 00 00 99 00 00 00 00');

const ERROR_MESSAGE = hex(`
  00 00 00 74 11 22 33 44 00 00 00 01 00 00 06 66 00 00 00 02 00 00 00 99 00 00 00 01
  00 00 00 01  00 00 00 07
  00 00 00 01 00 00 00 0b 48 65 6c 6c 6f 20 57 6f 72 6c 64 00
  00 00 00 02  00 00 00 00
  00 00 00 01 00 00 00 03 4f 6e 65 00
  00 00 00 01 00 00 00 03 54 77 6f 00
  00 00 00 01 00 00 00 05 54 68 72 65 65 00 00 00
  00 00 00 01  00 00 00 02  00 00 00 00`);

const FOX = 'The quick brown fox jumps over the lazy dog';
const STREAM_PACKET = Buffer.concat([hex('00 00 00 47 11 22 33 44 00 00 00 01 00 00 06 66 00 00 00 03 00 00 00 99 00 00 00 02'), Buffer.from(FOX, 'latin1')]);

const HDR = { prog: 0x11223344, vers: 1, proc: 0x666, serial: 0x99 };

function readAll(chunks: Uint8Array[]): Frame[] {
  const r = new FrameReader();
  const out: Frame[] = [];
  for (const c of chunks) r.push(c, (f) => out.push(f));
  expect(r.buffered).toBe(0);
  return out;
}

describe('encodeFrame', () => {
  it('encodes the header-only CALL vector', () => {
    expect(encodeFrame({ ...HDR, type: 0, status: 0 })).toEqual(HEADER_ONLY_CALL);
  });

  it('encodes the error MESSAGE vector (116 bytes)', () => {
    const frame = encodeFrame({ ...HDR, type: 2, status: 1 }, (w) =>
      virNetMessageErrorCodec.encode(w, {
        code: 1,
        domain: 7,
        message: 'Hello World',
        level: 2,
        dom: null,
        str1: 'One',
        str2: 'Two',
        str3: 'Three',
        int1: 1,
        int2: 2,
        net: null,
      }),
    );
    expect(frame.length).toBe(116);
    expect(frame).toEqual(ERROR_MESSAGE);
  });

  it('encodes the STREAM vector without padding (71 bytes)', () => {
    const frame = encodeFrame({ ...HDR, type: 3, status: 2 }, Buffer.from(FOX));
    expect(frame.length).toBe(71);
    expect(frame).toEqual(STREAM_PACKET);
  });

  it('refuses a packet larger than the protocol allows', () => {
    const big = Buffer.alloc(FRAME_MAX - FRAME_MIN + 1);
    expect(() => encodeFrame({ ...HDR, type: 3, status: 2 }, big)).toThrow(ProtocolError);
  });

  it('gives each packet memory of its own, also around a large packet and a failed encode', () => {
    const text = (s: string) => (w: { string(v: string, what: string): void }) => w.string(s, 'x');
    const first = encodeFrame({ ...HDR, type: 0, status: 0 }, text('first'));
    const large = encodeFrame({ ...HDR, type: 0, status: 0 }, text('L'.repeat(100_000)));
    expect(() => encodeFrame({ ...HDR, type: 0, status: 0 }, (w) => w.int(2 ** 40, 'x'))).toThrow(/32-bit signed integer/);
    const last = encodeFrame({ ...HDR, type: 0, status: 0 }, text('last'));
    expect(first.buffer === last.buffer && first.byteOffset === last.byteOffset).toBe(false);
    expect([first.length, large.length, last.length]).toEqual([FRAME_MIN + 12, FRAME_MIN + 100_004, FRAME_MIN + 8]);
    expect(Buffer.from(first.subarray(FRAME_MIN + 4, FRAME_MIN + 9)).toString()).toBe('first');
    expect(Buffer.from(large.subarray(FRAME_MIN + 4)).toString()).toBe('L'.repeat(100_000));
    expect(Buffer.from(last.subarray(FRAME_MIN + 4)).toString()).toBe('last');
    expect(new DataView(last.buffer, last.byteOffset).getUint32(0)).toBe(FRAME_MIN + 8);
  });
});

describe('FrameReader', () => {
  it('decodes the header-only CALL vector', () => {
    const [f] = readAll([HEADER_ONLY_CALL]);
    expect(f.header).toEqual({ ...HDR, type: 0, status: 0 });
    expect(f.payload.length).toBe(0);
  });

  it('decodes the error MESSAGE vector into a LibvirtError with every field', () => {
    const [f] = readAll([ERROR_MESSAGE]);
    expect(f.header).toEqual({ ...HDR, type: 2, status: 1 });
    const err = new LibvirtError(decodeXdr(virNetMessageErrorCodec, f.payload));
    expect(err).toMatchObject({
      errorCode: 1,
      codeName: 'VIR_ERR_INTERNAL_ERROR',
      domain: 7,
      domainName: 'VIR_FROM_RPC',
      message: 'Hello World',
      level: 2,
      levelName: 'VIR_ERR_ERROR',
      str1: 'One',
      str2: 'Two',
      str3: 'Three',
      int1: 1,
      int2: 2,
      code: 'VIR_ERR_INTERNAL_ERROR',
    });
  });

  it('decodes the STREAM vector', () => {
    const [f] = readAll([STREAM_PACKET]);
    expect(f.header).toEqual({ ...HDR, type: 3, status: 2 });
    expect(Buffer.from(f.payload).toString('latin1')).toBe(FOX);
  });

  it('reassembles frames torn at every possible point', () => {
    const stream = Buffer.concat([HEADER_ONLY_CALL, ERROR_MESSAGE, STREAM_PACKET]);
    for (let cut = 1; cut < stream.length; cut++) {
      const frames = readAll([stream.subarray(0, cut), stream.subarray(cut)]);
      expect(frames.map((f) => f.header.type)).toEqual([0, 2, 3]);
      expect(frames[2].payload.toString()).toBe(FOX);
    }
  });

  it('handles 1-byte reads', () => {
    const stream = Buffer.concat([ERROR_MESSAGE, STREAM_PACKET, HEADER_ONLY_CALL]);
    const chunks = [...stream].map((b) => Buffer.from([b]));
    const frames = readAll(chunks);
    expect(frames.map((f) => f.header.type)).toEqual([2, 3, 0]);
    expect(frames[0].payload).toEqual(ERROR_MESSAGE.subarray(28));
  });

  it('delivers many frames from one chunk', () => {
    const many = Buffer.concat(Array.from({ length: 500 }, (_, i) => encodeFrame({ ...HDR, serial: i, type: 1, status: 0 })));
    const frames = readAll([many]);
    expect(frames.map((f) => f.header.serial)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('hands out payloads that later chunks never overwrite', () => {
    const r = new FrameReader();
    const out: Frame[] = [];
    const chunk = Buffer.from(STREAM_PACKET);
    r.push(chunk.subarray(0, 40), (f) => out.push(f)); // torn: the tail must be copied out
    const rest = Buffer.from(chunk.subarray(40));
    chunk.fill(0xee); // the caller reuses its buffer
    r.push(rest, (f) => out.push(f));
    rest.fill(0xee);
    const whole = Buffer.from(STREAM_PACKET);
    r.push(whole, (f) => out.push(f));
    whole.fill(0xee);
    expect(out.map((f) => f.payload.toString())).toEqual([FOX, FOX]);
  });

  it('scan() lends frames that lie whole in the chunk, and hands torn ones out in memory of their own', () => {
    const r = new FrameReader();
    const seen: { serial: number; text: string; owned: boolean; lent: boolean }[] = [];
    const two = Buffer.concat([Buffer.from(STREAM_PACKET), Buffer.from(STREAM_PACKET)]);
    const onFrame = (h: { serial: number }, bytes: Uint8Array, start: number, end: number, owned: boolean): void => {
      seen.push({ serial: h.serial, text: Buffer.from(bytes.subarray(start, end)).toString(), owned, lent: bytes === chunk });
    };
    // One whole frame, then the start of a second one.
    let chunk = two.subarray(0, STREAM_PACKET.length + 30);
    r.scan(chunk, onFrame);
    chunk = two.subarray(STREAM_PACKET.length + 30);
    r.scan(chunk, onFrame);
    expect(seen).toEqual([
      { serial: 0x99, text: FOX, owned: false, lent: true },
      { serial: 0x99, text: FOX, owned: true, lent: false },
    ]);
  });

  it('grows for a large frame spread over many chunks', () => {
    const payload = Buffer.alloc(300_000, 7);
    const frame = encodeFrame({ ...HDR, type: 3, status: 2 }, payload);
    const chunks: Uint8Array[] = [];
    for (let off = 0; off < frame.length; off += 65536) chunks.push(frame.subarray(off, off + 65536));
    const [f] = readAll(chunks);
    expect(Buffer.from(f.payload).equals(payload)).toBe(true);
  });

  it('rejects an oversized length word as soon as it is read, before allocating', () => {
    const r = new FrameReader();
    const word = Buffer.alloc(4);
    word.writeUInt32BE(FRAME_MAX + 1);
    expect(() => r.push(word, () => {})).toThrow(/too large/);
    expect(r.buffered).toBe(0);
    // Later input is ignored: the stream is unusable.
    r.push(HEADER_ONLY_CALL, () => expect.unreachable());
  });

  it('rejects 0xffffffff arriving one byte at a time', () => {
    const r = new FrameReader();
    r.push(Buffer.from([0xff]), () => {});
    r.push(Buffer.from([0xff, 0xff]), () => {});
    expect(() => r.push(Buffer.from([0xff]), () => {})).toThrow(ProtocolError);
  });

  it('accepts a length word of exactly the maximum and waits for the rest', () => {
    const r = new FrameReader();
    const word = Buffer.alloc(4);
    word.writeUInt32BE(FRAME_MAX);
    r.push(word, () => expect.unreachable());
    expect(r.buffered).toBe(4);
  });

  it.each([0, 4, 27])('rejects a length of %i (below 28)', (len) => {
    const r = new FrameReader();
    const bytes = Buffer.alloc(32);
    bytes.writeUInt32BE(len);
    expect(() => r.push(bytes, () => {})).toThrow(/too small/);
  });

  it('delivers the valid frames before the garbage that follows them', () => {
    const r = new FrameReader();
    const got: number[] = [];
    const input = Buffer.concat([HEADER_ONLY_CALL, hex('ff ff ff ff 00 00')]);
    expect(() => r.push(input, (f) => got.push(f.header.serial))).toThrow(ProtocolError);
    expect(got).toEqual([0x99]);
  });

  it('stops at once when the consumer calls stop()', () => {
    const r = new FrameReader();
    let n = 0;
    r.push(Buffer.concat([HEADER_ONLY_CALL, HEADER_ONLY_CALL, HEADER_ONLY_CALL]), () => {
      n++;
      r.stop();
    });
    expect(n).toBe(1);
  });
});

describe('FrameReader: one copy per packet, recycled memory', () => {
  const DATA = { ...HDR, type: 3, status: 2 };
  /** A full stream data packet (262,120 bytes of payload) cut into socket reads of `read` bytes. */
  const fullPacket = (fill: number): Uint8Array => encodeFrame(DATA, Buffer.alloc(262_120, fill));
  const feed = (reader: FrameReader, bytes: Uint8Array, read: number): Frame[] => {
    const got: Frame[] = [];
    for (let off = 0; off < bytes.length; off += read) reader.push(bytes.subarray(off, off + read), (f) => got.push(f));
    return got;
  };

  it('assembles a torn packet in memory of its own and hands its payload out as a view of it', () => {
    const [frame] = feed(new FrameReader(), fullPacket(7), 65_536);
    expect(frame.payload.length).toBe(262_120);
    expect(frame.payload.byteOffset).toBe(FRAME_MIN);
    expect(frame.payload.buffer.byteLength).toBe(FRAME_MIN + 262_120);
    expect(frame.payload.every((b) => b === 7)).toBe(true);
  });

  it('reuses the memory of a recycled payload for a later full packet, and only once', () => {
    const reader = new FrameReader();
    const [first] = feed(reader, fullPacket(1), 65_536);
    const mem = first.payload.buffer;
    recycleFramePayload(first.payload);
    recycleFramePayload(first.payload); // a second time is ignored
    const [second] = feed(reader, fullPacket(2), 65_536);
    expect(second.payload.buffer).toBe(mem);
    expect(second.payload.every((b) => b === 2)).toBe(true);
    const [third] = feed(reader, fullPacket(3), 65_536);
    expect(third.payload.buffer).not.toBe(mem);
    expect(second.payload.every((b) => b === 2)).toBe(true);
  });

  it('ignores payloads it did not make: small packets, packets read whole, foreign buffers', () => {
    const reader = new FrameReader();
    const [small] = feed(reader, encodeFrame(DATA, Buffer.alloc(100, 9)), 40);
    recycleFramePayload(small.payload);
    recycleFramePayload(Buffer.alloc(262_120));
    const [whole] = feed(reader, fullPacket(4), 1 << 20);
    recycleFramePayload(whole.payload);
    const [next] = feed(reader, fullPacket(5), 65_536);
    for (const p of [small.payload, whole.payload]) expect(next.payload.buffer).not.toBe(p.buffer);
    expect(small.payload.every((b) => b === 9)).toBe(true);
    expect(whole.payload.every((b) => b === 4)).toBe(true);
  });
});
