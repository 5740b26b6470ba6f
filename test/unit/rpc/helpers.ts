/**
 * Test helpers: an in-memory socket pair and a fake libvirt daemon that
 * speaks frames on the other end of it.
 */
import { Buffer } from 'node:buffer';
import { Duplex } from 'node:stream';
import { encodeFrame, FrameReader, type Frame, type FrameBody, type FrameHeader } from '../../../src/rpc/frame.js';
import type { Procedure } from '../../../src/rpc/procedure.js';
import type { XdrCodec } from '../../../src/xdr/codec.js';

/** One end of an in-memory socket pair. */
class End extends Duplex {
  other!: End;
  /** When set, writes complete only when `release()` is called (backpressure tests). */
  hold = false;
  private held: Array<() => void> = [];

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const deliver = (): void => {
      if (!this.other.destroyed) this.other.push(Buffer.from(chunk));
      cb();
    };
    if (this.hold) this.held.push(deliver);
    else deliver();
  }

  /** Completes the writes held so far. */
  release(): void {
    this.hold = false;
    const held = this.held;
    this.held = [];
    for (const d of held) d();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.other.destroyed) this.other.push(null);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.other.destroyed && !this.other.readableEnded) this.other.push(null);
    cb(err);
  }
}

/** A connected pair of in-memory Duplex streams. */
export function memoryPair(opts: { clientHighWaterMark?: number } = {}): { client: End; peer: End } {
  const client = new End({ writableHighWaterMark: opts.clientHighWaterMark });
  const peer = new End();
  client.other = peer;
  peer.other = client;
  return { client, peer };
}

/** The fake daemon: collects the client's frames and sends frames back. */
export class FakePeer {
  readonly frames: Frame[] = [];
  readonly raw: Buffer[] = [];
  ended = false;
  private readonly reader = new FrameReader();
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  constructor(readonly socket: End) {
    socket.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      this.reader.push(chunk, (f) => this.frames.push(f));
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.frames.length >= w.n) w.resolve();
      return this.frames.length < w.n;
    });
  }

  /** Resolves once at least `n` frames have arrived. */
  waitFrames(n: number): Promise<Frame[]> {
    if (this.frames.length >= n) return Promise.resolve(this.frames);
    return new Promise((resolve) => this.waiters.push({ n, resolve: () => resolve(this.frames) }));
  }

  /** Sends raw bytes. */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends one frame. */
  send(header: FrameHeader, body?: FrameBody): void {
    this.socket.write(encodeFrame(header, body));
  }

  /** Answers `call` with status OK and `ret` encoded by `codec`. */
  reply<R>(call: Frame, codec: XdrCodec<R> | null, ret?: R): void {
    this.send(
      { ...call.header, type: 1, status: 0 },
      codec ? (w) => codec.encode(w, ret as R) : null,
    );
  }
}

/** Concatenates hex strings with any spacing into bytes. */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** An int codec (the args and ret of the test procedures). */
export const intCodec: XdrCodec<number> = {
  name: 'test_int',
  encode: (w, v) => w.int(v, 'test_int'),
  decode: (r) => r.int('test_int'),
};

/** A test procedure: int in, int out. */
export function testProc(over: Partial<Procedure<number, number>> = {}): Procedure<number, number> {
  return {
    program: 'remote',
    programNumber: 0x20008086,
    version: 1,
    number: 7,
    name: 'TEST_PROC_ECHO',
    api: null,
    since: null,
    method: 'testEcho',
    stream: null,
    sparse: false,
    priority: 'high',
    event: false,
    fds: false,
    generate: null,
    acl: [],
    args: intCodec,
    ret: intCodec,
    ...over,
  };
}

/** A test procedure without args or ret. */
export function voidProc(over: Partial<Procedure<void, void>> = {}): Procedure<void, void> {
  return {
    program: 'remote',
    programNumber: 0x11223344,
    version: 1,
    number: 0x666,
    name: 'TEST_PROC_VOID',
    api: null,
    since: null,
    method: 'testVoid',
    stream: null,
    sparse: false,
    priority: 'high',
    event: false,
    fds: false,
    generate: null,
    acl: [],
    args: null,
    ret: null,
    ...over,
  };
}

/** Resolves after the pending I/O callbacks have run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
