/**
 * Helpers for the stream tests: an RpcClient over an in-memory socket, and a
 * fake daemon side that answers calls and speaks the stream packets of
 * remote_daemon_stream.c.
 */
import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { RpcClient, type Diagnostic } from '../../../src/rpc/client.js';
import { encodeFrame, type Frame } from '../../../src/rpc/frame.js';
import { openStreamCall, type LibvirtStream, type StreamOptions } from '../../../src/api/stream.js';
import { virNetMessageErrorCodec, virNetStreamHoleCodec, type VirNetMessageError } from '../../../src/procedures/virnet.gen.js';
import { FakePeer, memoryPair, testProc } from '../rpc/helpers.js';
import type { Procedure } from '../../../src/rpc/procedure.js';

export const T = { CALL: 0, REPLY: 1, STREAM: 3, HOLE: 6 } as const;
export const S = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

let clients: RpcClient[] = [];

/** Destroys the clients made by {@link setup} (call from afterEach). */
export function destroyClients(): void {
  for (const c of clients) c.destroy();
  clients = [];
}

/** A procedure that opens a stream: int in, int out. */
export function streamProc(stream: 'read' | 'write', sparse = false): Procedure<number, number> {
  return testProc({ number: 209, name: 'TEST_PROC_STREAM', stream, sparse });
}

export function remoteError(over: Partial<VirNetMessageError> = {}): VirNetMessageError {
  return {
    code: 38,
    domain: 18,
    message: 'an I/O error in the storage backend',
    level: 2,
    dom: null,
    str1: null,
    str2: null,
    str3: null,
    int1: 0,
    int2: 0,
    net: null,
    ...over,
  };
}

export class StreamPeer {
  constructor(readonly peer: FakePeer) {}

  get frames(): Frame[] {
    return this.peer.frames;
  }

  /** Waits for a frame matching `pred` (from index `from`). */
  async waitFor(pred: (f: Frame) => boolean, from = 0): Promise<Frame> {
    for (let n = from + 1; ; n++) {
      const frames = await this.peer.waitFrames(n);
      const hit = frames.slice(from).find(pred);
      if (hit) return hit;
      n = frames.length;
    }
  }

  /** The frames of the stream with `serial` of `type`/`status` so far. */
  streamFrames(serial: number): Frame[] {
    return this.frames.filter((f) => f.header.serial === serial && (f.header.type === T.STREAM || f.header.type === T.HOLE));
  }

  reply(call: Frame, ret = 0): void {
    this.peer.send({ ...call.header, type: T.REPLY, status: S.OK }, (w) => w.int(ret, 'ret'));
  }

  replyError(call: Frame, err = remoteError()): void {
    this.peer.send({ ...call.header, type: T.REPLY, status: S.ERROR }, (w) => virNetMessageErrorCodec.encode(w, err));
  }

  data(call: Frame, bytes: Uint8Array): void {
    this.peer.send({ ...call.header, type: T.STREAM, status: S.CONTINUE }, Buffer.from(bytes));
  }

  eof(call: Frame): void {
    this.peer.send({ ...call.header, type: T.STREAM, status: S.CONTINUE }, null);
  }

  hole(call: Frame, length: bigint): void {
    this.peer.send({ ...call.header, type: T.HOLE, status: S.CONTINUE }, (w) =>
      virNetStreamHoleCodec.encode(w, { length, flags: 0 }),
    );
  }

  /** The zero-length confirmation of a finish or abort (virNetServerProgramSendStreamData with NULL). */
  confirm(call: Frame): void {
    this.peer.send({ ...call.header, type: T.STREAM, status: S.OK }, null);
  }

  streamError(call: Frame, err = remoteError()): void {
    this.peer.send({ ...call.header, type: T.STREAM, status: S.ERROR }, (w) => virNetMessageErrorCodec.encode(w, err));
  }

  /** Waits for the client's finish (STREAM, OK) or abort (STREAM, ERROR) of `call`'s stream. */
  waitStatus(call: Frame, status: number): Promise<Frame> {
    return this.waitFor(
      (f) => f.header.serial === call.header.serial && f.header.type === T.STREAM && f.header.status === status,
    );
  }
}

/** What {@link setup} returns. */
export interface StreamTestContext {
  readonly client: RpcClient;
  /** The client's end of the socket pair (`hold`/`release()` simulate a full kernel buffer). */
  readonly socket: Duplex & { hold: boolean; release(): void };
  /** The daemon's end. */
  readonly peerSocket: Duplex;
  readonly peer: StreamPeer;
  readonly diagnostics: Diagnostic[];
}

export function setup(opts: { clientHighWaterMark?: number } = {}): StreamTestContext {
  const { client: socket, peer: peerSocket } = memoryPair({ clientHighWaterMark: opts.clientHighWaterMark });
  const diagnostics: Diagnostic[] = [];
  const client = new RpcClient(socket, { onDiagnostic: (d) => diagnostics.push(d) });
  clients.push(client);
  const peer = new FakePeer(peerSocket);
  return { client, socket, peerSocket, peer: new StreamPeer(peer), diagnostics };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Bytes 0..n-1 mod 251 (a pattern that shows misordering). */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i + seed) % 251;
  return b;
}

/** Opens a stream through the fake daemon, which accepts the call with 77. */
export async function openAccepted(
  ctx: StreamTestContext,
  proc: Procedure<number, number>,
  options: StreamOptions = {},
): Promise<{ call: Frame; stream: LibvirtStream }> {
  const from = ctx.peer.frames.length;
  const opening = openStreamCall(ctx.client, proc, 5, proc.stream ?? 'read', proc.sparse, options);
  const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL, from);
  ctx.peer.reply(call, 77);
  const { stream } = await opening;
  return { call, stream };
}

/** The raw bytes of one stream data packet of `call`'s stream. */
export function dataFrame(call: Frame, bytes: Uint8Array): Buffer {
  return encodeFrame({ ...call.header, type: T.STREAM, status: S.CONTINUE }, Buffer.from(bytes));
}
