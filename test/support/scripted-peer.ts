/**
 * The one scripted fake peer for unit tests: the daemon's side of a connection, on any Duplex
 * (one end of {@link memoryPair}, or a unix socket accepted by {@link fakeDaemon}).
 *
 * - Frames: it records every frame the client sends ({@link ScriptedPeer.waitFor},
 *   {@link ScriptedPeer.waitFrames}) and sends frames or raw bytes back.
 * - Replies and stream packets as remote_daemon_stream.c sends them: a reply, an error,
 *   data, end of file, holes, the confirmation of a finish or abort, a stream error.
 * - A script: {@link ScriptedPeer.serve} answers calls by procedure name with handlers
 *   (decoding the arguments, encoding the return value or a {@link ReplyError}), and
 *   {@link ScriptedPeer.emit} sends events.
 *
 * Real daemons are the integration suite's; this peer is for edge cases a real daemon will not
 * produce on demand.
 */
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { connect, type Connection, type Procedure } from '../../src/index.js';
import {
  qemuProcedures,
  RemoteAuthType,
  remoteProcedures,
  type VirNetMessageError,
  VirNetMessageStatus,
  VirNetMessageType,
  virNetMessageErrorCodec,
  virNetStreamHoleCodec,
} from '../../src/protocol.js';
import { encodeFrame, FrameReader, type FrameBody, type FrameHeader } from '../../src/rpc/frame.js';

/** A frame the client sent, its payload as a Buffer (the engine hands out Uint8Arrays). */
export interface Frame {
  readonly header: FrameHeader;
  readonly payload: Buffer;
}

/** What the answering methods need of a frame (a peer's {@link Frame} or the engine's). */
type AnyFrame = { readonly header: FrameHeader; readonly payload: Uint8Array };

/** `u` as a Buffer over the same memory. */
export function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
import type { XdrCodec } from '../../src/xdr/codec.js';
import { decodeXdr, encodeXdr } from '../../src/xdr/index.js';

/** Message types and statuses of virnetprotocol.x, short. */
export const T = { CALL: 0, REPLY: 1, MESSAGE: 2, STREAM: 3, HOLE: 6 } as const;
export const S = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

// ---------------------------------------------------------------------------------------------
// An in-memory socket pair

/** One end of an in-memory socket pair. */
export class MemoryEnd extends Duplex {
  other!: MemoryEnd;
  /** When set, writes complete only when `release()` is called (a full kernel buffer). */
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

/** A connected pair of in-memory Duplex streams: `client` for the code under test, `peer` for the {@link ScriptedPeer}. */
export function memoryPair(opts: { clientHighWaterMark?: number } = {}): { client: MemoryEnd; peer: MemoryEnd } {
  const client = new MemoryEnd({ writableHighWaterMark: opts.clientHighWaterMark });
  const peer = new MemoryEnd();
  client.other = peer;
  peer.other = client;
  return { client, peer };
}

// ---------------------------------------------------------------------------------------------
// The peer

/** Thrown by a handler of {@link ScriptedPeer.serve} to answer with an error. */
export class ReplyError {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

/** A handler answers one call: returns the ret value, or throws a {@link ReplyError}. */
export type Handler = (args: unknown, peer: ScriptedPeer) => unknown;

/** A wire error as libvirtd sends it (defaults: an I/O error of the storage backend). */
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

const byKey = new Map<string, Procedure>();
for (const p of Object.values(remoteProcedures)) byKey.set(`${p.programNumber}/${p.number}`, p as Procedure);
for (const p of Object.values(qemuProcedures)) byKey.set(`${p.programNumber}/${p.number}`, p as Procedure);
const byName = new Map<string, Procedure>([...byKey.values()].map((p) => [p.name, p]));

/** The daemon's side of one connection. */
export class ScriptedPeer {
  /** Every frame the client sent, in order. */
  readonly frames: Frame[] = [];
  /** Every chunk of bytes the client sent. */
  readonly raw: Buffer[] = [];
  /** The calls answered by {@link serve}, decoded. */
  readonly calls: { name: string; args: unknown }[] = [];
  /** Whether the client ended its side. */
  ended = false;
  private readonly reader = new FrameReader();
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  constructor(readonly socket: Duplex) {
    socket.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      this.reader.push(chunk, (f) => this.frames.push({ header: f.header, payload: asBuffer(f.payload) }));
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

  /** Waits for a frame matching `pred` (from index `from`). */
  async waitFor(pred: (f: Frame) => boolean, from = 0): Promise<Frame> {
    for (let n = from + 1; ; n++) {
      const frames = await this.waitFrames(n);
      const hit = frames.slice(from).find(pred);
      if (hit) return hit;
      n = frames.length;
    }
  }

  /** The stream data and hole packets of the stream with `serial` so far. */
  streamFrames(serial: number): Frame[] {
    return this.frames.filter((f) => f.header.serial === serial && (f.header.type === T.STREAM || f.header.type === T.HOLE));
  }

  /** Waits for the client's finish (STREAM, OK) or abort (STREAM, ERROR) of `call`'s stream. */
  waitStatus(call: AnyFrame, status: number): Promise<Frame> {
    return this.waitFor((f) => f.header.serial === call.header.serial && f.header.type === T.STREAM && f.header.status === status);
  }

  /** Sends raw bytes. */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends one frame. */
  send(header: FrameHeader, body?: FrameBody): void {
    this.socket.write(encodeFrame(header, body));
  }

  /**
   * Answers `call` with status OK: `ret` encoded by `codec`; `null` for no body; a number (the
   * default, 0) for an int body (the test procedures' ret).
   */
  reply<R>(call: AnyFrame, codec: XdrCodec<R> | number | null = 0, ret?: R): void {
    const header = { ...call.header, type: T.REPLY, status: S.OK };
    if (typeof codec === 'number') this.send(header, (w) => w.int(codec, 'ret'));
    else this.send(header, codec ? (w) => codec.encode(w, ret as R) : null);
  }

  /** Answers `call` with an error. */
  replyError(call: AnyFrame, err = remoteError()): void {
    this.send({ ...call.header, type: T.REPLY, status: S.ERROR }, (w) => virNetMessageErrorCodec.encode(w, err));
  }

  /** Sends a data packet of `call`'s stream. */
  data(call: AnyFrame, bytes: Uint8Array): void {
    this.send({ ...call.header, type: T.STREAM, status: S.CONTINUE }, Buffer.from(bytes));
  }

  /** Sends the end of `call`'s stream (an empty data packet). */
  eof(call: AnyFrame): void {
    this.send({ ...call.header, type: T.STREAM, status: S.CONTINUE }, null);
  }

  /** Sends a hole of `length` bytes in `call`'s stream. */
  hole(call: AnyFrame, length: bigint): void {
    this.send({ ...call.header, type: T.HOLE, status: S.CONTINUE }, (w) => virNetStreamHoleCodec.encode(w, { length, flags: 0 }));
  }

  /** The zero-length confirmation of a finish or abort (virNetServerProgramSendStreamData with NULL). */
  confirm(call: AnyFrame): void {
    this.send({ ...call.header, type: T.STREAM, status: S.OK }, null);
  }

  /** Fails `call`'s stream with `err`. */
  streamError(call: AnyFrame, err = remoteError()): void {
    this.send({ ...call.header, type: T.STREAM, status: S.ERROR }, (w) => virNetMessageErrorCodec.encode(w, err));
  }

  /**
   * Answers every call of a remote or qemu procedure as `handlers` say (by procedure name):
   * arguments decoded, the handler's value encoded as the procedure's ret, a thrown
   * {@link ReplyError} (or anything else) sent as an error. Calls are recorded in {@link calls}.
   */
  serve(handlers: Readonly<Record<string, Handler>>, onCall?: (call: { name: string; args: unknown }) => void): this {
    this.socket.on('data', () => {
      for (; this.served < this.frames.length; this.served++) this.answer(this.frames[this.served]!, handlers, onCall);
    });
    return this;
  }

  private served = 0;

  private answer(frame: AnyFrame, handlers: Readonly<Record<string, Handler>>, onCall?: (call: { name: string; args: unknown }) => void): void {
    const proc = byKey.get(`${frame.header.prog}/${frame.header.proc}`);
    if (!proc || frame.header.type !== VirNetMessageType.VIR_NET_CALL) return;
    const args = proc.args ? decodeXdr(proc.args, frame.payload) : undefined;
    const call = { name: proc.name, args };
    this.calls.push(call);
    onCall?.(call);
    const handler = handlers[proc.name];
    const header = { ...frame.header, type: VirNetMessageType.VIR_NET_REPLY };
    try {
      if (!handler) throw new ReplyError(1, `fake daemon has no handler for ${proc.name}`);
      const ret = handler(args, this);
      const body = proc.ret ? encodeXdr(proc.ret, ret) : Buffer.alloc(0);
      this.send({ ...header, status: VirNetMessageStatus.VIR_NET_OK }, (w) => w.bytes(body));
    } catch (e) {
      const err = e instanceof ReplyError ? e : new ReplyError(1, String(e));
      this.send({ ...header, status: VirNetMessageStatus.VIR_NET_ERROR }, (w) =>
        virNetMessageErrorCodec.encode(w, remoteError({ code: err.code, domain: 7, message: err.message })),
      );
    }
  }

  /** Sends the event `procName` (a MESSAGE packet of a remote or qemu event procedure). */
  emit(procName: string, msg: unknown): void {
    this.sendRaw(eventFrame(procName, msg));
  }
}

/** The bytes of the event `procName` carrying `msg`. */
function eventFrame(procName: string, msg: unknown): Buffer {
  const p = byName.get(procName);
  if (!p?.args) throw new Error(`no event ${procName}`);
  const body = encodeXdr(p.args, msg);
  return asBuffer(
    encodeFrame(
      { prog: p.programNumber, vers: p.version, proc: p.number, type: VirNetMessageType.VIR_NET_MESSAGE, serial: 0, status: VirNetMessageStatus.VIR_NET_OK },
      (w) => w.bytes(body),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// A fake daemon on a unix socket: a scripted peer per connection

/** A daemon whose every connection is a {@link ScriptedPeer} serving the same handlers. */
export interface FakeDaemon {
  readonly socketPath: string;
  /** The calls of every connection, in order. */
  readonly calls: { name: string; args: unknown }[];
  /** Sends an event to every client. */
  emit(procName: string, msg: unknown): void;
  /** The calls made, without the open sequence. */
  eventCalls(): { name: string; args: unknown }[];
  /** Drops every client connection. */
  dropClients(): void;
  close(): Promise<void>;
  /** Opens a client connection (`test+unix:///default` on the socket, no keepalive). */
  connect(): Promise<Connection>;
}

const OPEN_SEQUENCE = new Set([
  'REMOTE_PROC_AUTH_LIST',
  'REMOTE_PROC_CONNECT_SUPPORTS_FEATURE',
  'REMOTE_PROC_CONNECT_OPEN',
  'REMOTE_PROC_CONNECT_GET_URI',
  'REMOTE_PROC_CONNECT_CLOSE',
]);

const cleanups: Array<() => Promise<void>> = [];

/** Closes every fake daemon (call in afterEach). */
export async function closeFakeDaemons(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((c) => c()));
}

/**
 * Starts a fake daemon answering the open sequence and the event (de)registration calls;
 * `handlers` replace or add procedures. `eventCallbacks: false` makes it an old daemon (no
 * REMOTE_EVENT_CALLBACK), `closeCallback: false` one without close callbacks.
 */
export async function fakeDaemon(opts: { handlers?: Record<string, Handler>; eventCallbacks?: boolean; closeCallback?: boolean } = {}): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'lvrpc-evfake-'));
  const socketPath = join(dir, 'sock');
  const calls: { name: string; args: unknown }[] = [];
  const peers = new Set<ScriptedPeer>();
  let nextCallbackId = 100;
  const callbackId = (): { callbackID: number } => ({ callbackID: nextCallbackId++ });
  const none = (): undefined => undefined;
  const defaults: Record<string, Handler> = {
    REMOTE_PROC_AUTH_LIST: () => ({ types: [RemoteAuthType.REMOTE_AUTH_NONE] }),
    REMOTE_PROC_CONNECT_SUPPORTS_FEATURE: (a) => {
      const f = (a as { feature: number }).feature;
      if (f === 14) return { supported: opts.eventCallbacks === false ? 0 : 1 };
      if (f === 15) return { supported: opts.closeCallback === false ? 0 : 1 };
      return { supported: 0 };
    },
    REMOTE_PROC_CONNECT_OPEN: none,
    REMOTE_PROC_CONNECT_CLOSE: none,
    REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: callbackId,
    REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY: none,
    REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY: none,
    REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY: none,
    REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY: callbackId,
    REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY: none,
    REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY: callbackId,
    REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY: none,
    REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY: callbackId,
    REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY: none,
    REMOTE_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY: callbackId,
    REMOTE_PROC_CONNECT_SECRET_EVENT_DEREGISTER_ANY: none,
    REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK: none,
    REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK: none,
    QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER: callbackId,
    QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER: none,
  };
  const daemon: FakeDaemon = {
    socketPath,
    calls,
    emit: (procName, msg) => {
      for (const p of peers) p.emit(procName, msg);
    },
    eventCalls: () => calls.filter((c) => !OPEN_SEQUENCE.has(c.name)),
    dropClients: () => {
      for (const p of peers) p.socket.destroy();
    },
    close: async () => {
      for (const p of peers) p.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
    connect: () => connect(`test+unix:///default?socket=${socketPath}`, { keepalive: false }),
  };
  const handlers: Record<string, Handler> = { ...defaults, ...opts.handlers };
  const server: Server = createServer((sock: Socket) => {
    const peer = new ScriptedPeer(sock);
    peers.add(peer);
    sock.on('close', () => peers.delete(peer));
    peer.serve(handlers, (call) => calls.push(call));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(daemon.close);
  return daemon;
}

/** A domain as the daemon names it. */
export function dom(name: string, n: number, id = -1): { name: string; uuid: Uint8Array; id: number } {
  const uuid = new Uint8Array(16);
  uuid[15] = n;
  return { name, uuid, id };
}

/** Waits until `cond()` holds (bounded): a poll for state the peer cannot signal, such as a listener having run. */
export async function until(cond: () => boolean, what = 'condition', ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
