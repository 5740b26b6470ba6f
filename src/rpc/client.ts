/**
 * The RPC engine: one connection to a libvirt daemon over any {@link ByteChannel}:
 * a Node `Duplex` (a unix or TCP socket, a TLS socket, a child process's stdio
 * joined into one Duplex) or, in a browser, a WebSocket's adapter. It frames
 * packets, allocates serials, keeps the calls in
 * flight and matches replies to them, answers keepalive PINGs, and routes
 * asynchronous MESSAGE packets (events) and STREAM packets to the listeners
 * and stream sinks registered for them.
 *
 * Dispatch follows upstream `src/rpc/virnetclient.c` (`virNetClientCallDispatch`
 * and friends) and `virnetclientprogram.c`; see the TSDoc of each method for
 * where it differs and why.
 *
 * Building on the hooks:
 * - Events: register the daemon-side callback with the usual call
 *   (`REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY`, ...), then
 *   {@link RpcClient.onEvent} (decoded with the event procedure's `_msg`
 *   codec) or {@link RpcClient.onMessage} (raw payload) per program. Listeners
 *   run synchronously in wire order; one that throws is reported as a
 *   diagnostic and the others still run.
 * - Streams: `const ch = client.openStream(proc, sink)`, then
 *   `client.call(proc, args, { stream: ch })`. Incoming STREAM/STREAM_HOLE
 *   packets reach `sink.onPacket` in wire order (a stream API queues them for
 *   its reader); `ch.write()` returns false when the socket's buffer is full
 *   and `ch.drain()` says when to go on (backpressure for writers). `finish()`
 *   and `abort()` send what `virStreamFinish`/`virStreamAbort` send; the daemon
 *   answers with a `finish` or `error` packet. Call `ch.release()` when done.
 *   Read-side flow control: `ch.pauseReading()` stops reading the socket
 *   until `ch.resumeReading()` (see read-gate.ts); the stream API does it at
 *   its high-water mark.
 *
 * Why this module is a little over ~600 lines: the reply dispatch and the call, stream, keepalive
 * and close paths share the serial table, the write batch and the read gate of one socket, kept
 * private to one class on the hot path. The options and counters are in client-types.ts, one
 * waiting call in pending-call.ts, event routing in message-router.ts, a daemon's error payload
 * in daemon-error.ts, stream packets and channels in stream-channel.ts, the framing, writer,
 * keepalive and in-flight limit in their own modules.
 */
import { emitWarning } from '../util/platform.js';
import { sliceCopy } from '../util/bytes.js';
import { armBound } from '../util/deadline.js';
import { XdrReader } from '../xdr/reader.js';
import { VirNetMessageStatus, VirNetMessageType } from '../procedures/virnet.gen.js';
import { KEEPALIVE_PROGRAM, KEEPALIVE_PROTOCOL_VERSION, KeepaliveProcedure } from '../procedures/keepalive.gen.js';
import { abortErrorFor, ConnectionClosedError, type LibvirtError, ProtocolError, TimeoutError, UnsupportedError } from './errors.js';
import { encodeFrame, encodeFrameHeader, FrameReader, type Frame, type FrameBody, type FrameHeader, type FrameSink } from './frame.js';
import { PacketWriter } from './packet-writer.js';
import { ReadGate } from './read-gate.js';
import { Channel, type StreamChannel, type StreamSink, streamPacketOf } from './stream-channel.js';
import { decodeDaemonError } from './daemon-error.js';
import { MessageRouter } from './message-router.js';
import { Keepalive, type KeepaliveOptions, systemClock } from './keepalive.js';
import type { Procedure, ProcedureCaller, ProcedureInfo } from './procedure.js';
import { diagnostics, newConnectionId, traceCall, tracingCalls } from './diagnostics.js';
import { InFlightLimit } from './in-flight.js';
import type { ByteChannel } from './byte-channel.js';
import { type DaemonErrorHook, PendingCall } from './pending-call.js';
import type { Diagnostic, IncomingMessage, MessageListener, RpcCallOptions, RpcClientOptions, RpcClientStats } from './client-types.js';

export type { Diagnostic, IncomingMessage, MessageListener, RpcCallOptions, RpcClientOptions, RpcClientStats } from './client-types.js';

const { VIR_NET_CALL, VIR_NET_REPLY, VIR_NET_MESSAGE, VIR_NET_STREAM, VIR_NET_REPLY_WITH_FDS, VIR_NET_STREAM_HOLE } = VirNetMessageType;
const { VIR_NET_OK, VIR_NET_ERROR, VIR_NET_CONTINUE } = VirNetMessageStatus;
const { KEEPALIVE_PROC_PING } = KeepaliveProcedure;

export { WRITE_BUFFER_MAX } from './packet-writer.js';

const NO_OPTIONS: RpcCallOptions = Object.freeze({});

interface StreamEntry {
  readonly channel: Channel;
  readonly sink: StreamSink;
}

/**
 * One RPC connection.
 *
 * Life cycle: it is open from construction until the first of: the peer
 * closes (reason `eof`), a socket error or a protocol violation (`error`),
 * keepalive death (`keepalive`), {@link close} or {@link destroy} (`client`).
 * At that moment every pending call rejects with one
 * {@link ConnectionClosedError} saying why, every stream sink gets `onClose`,
 * and {@link closed} resolves with that same error. New calls then reject
 * with it at once.
 */
export class RpcClient implements ProcedureCaller {
  /** Resolves (never rejects) with the reason once the connection has ended. */
  readonly closed: Promise<ConnectionClosedError>;

  private readonly socket: ByteChannel;
  private readonly reader = new FrameReader();
  private readonly keepalive: Keepalive;
  private readonly gate: ReadGate;
  private readonly diagnose: (d: Diagnostic) => void;
  private readonly pending = new Map<number, PendingCall>();
  private readonly abandoned = new Map<number, { prog: number; vers: number; slot: boolean }>();
  private readonly messages: MessageRouter;
  private readonly streams = new Map<number, StreamEntry>();
  private readonly writer: PacketWriter;
  private nextSerial = 0;
  private serialsWrapped = false;
  private closeError: ConnectionClosedError | null = null;
  private resolveClosed!: (e: ConnectionClosedError) => void;
  private readonly socketGone: Promise<void>;
  private counters = { lateReplies: 0, droppedStreamPackets: 0, framesReceived: 0 };
  private readonly limit: InFlightLimit<PendingCall>;
  private daemonErrorHook: DaemonErrorHook | null = null;
  /** Process-unique id of this connection, in diagnostics channel messages. */
  readonly connectionId = newConnectionId();
  /** The URI given in the options (for diagnostics), or ''. */
  readonly uri: string;

  /** Takes over `socket`, which must be connected (see the dialers in `src/transport/`). */
  constructor(socket: ByteChannel, options: RpcClientOptions = {}) {
    this.socket = socket;
    this.uri = options.uri ?? '';
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const report = options.onDiagnostic;
    this.diagnose = (d) => {
      try {
        if (report) report(d);
        else if (d.kind === 'listener-error') {
          emitWarning(`libvirt-rpc: a listener threw: ${String(d.error)}`);
        }
      } catch {
        // A diagnostic hook must not break the connection.
      }
    };
    this.messages = new MessageRouter(this.diagnose, (fn) => this.guard(fn));
    this.keepalive = new Keepalive(
      {
        send: (proc) => this.sendKeepalive(proc),
        dead: (idleMs, pings) => {
          this.publishKeepalive('dead');
          this.terminate(
            new ConnectionClosedError(
              'keepalive',
              `connection closed due to keepalive timeout (${pings} pings unanswered, ${Math.round(idleMs)} ms without data)`,
            ),
          );
          this.socket.destroy();
        },
      },
      options.clock ?? systemClock,
    );
    this.gate = new ReadGate(socket, (paused) => this.keepalive.setPaused(paused));

    this.socketGone = new Promise<void>((resolve) => {
      if (socket.closed) resolve();
      else socket.once('close', () => resolve());
    });
    socket.on('data', (chunk: Uint8Array) => this.onData(chunk));
    this.writer = new PacketWriter(socket);
    const max = options.maxInFlight ?? Number.POSITIVE_INFINITY;
    if (!(max >= 1)) throw new TypeError(`maxInFlight must be at least 1 (got ${String(options.maxInFlight)})`);
    this.limit = new InFlightLimit(max, (frame, call) => this.write(frame, call));
    socket.on('end', () => {
      this.terminate(new ConnectionClosedError('eof', 'the daemon closed the connection'));
      this.socket.destroy();
    });
    socket.on('error', (err: Error) => {
      this.terminate(new ConnectionClosedError('error', `connection error: ${err.message}`, { cause: err }));
      this.socket.destroy();
    });
    socket.on('close', () => {
      this.terminate(new ConnectionClosedError('eof', 'the connection was closed'));
    });
    if (socket.destroyed || socket.closed) {
      this.terminate(new ConnectionClosedError('eof', 'the connection was already closed'));
    } else if (options.keepalive) {
      this.keepalive.start({ clock: options.clock, ...options.keepalive });
    }
  }

  /** True until the connection has ended (see {@link closed}). */
  get isOpen(): boolean {
    return this.closeError === null;
  }

  /** Counters, for logging and tests. */
  get stats(): RpcClientStats {
    return {
      pending: this.pending.size,
      abandoned: this.abandoned.size,
      ...this.counters,
      droppedMessages: this.messages.dropped,
      framesSent: this.writer.sent,
      readingPaused: this.gate.paused,
      readPauses: this.gate.pauseCount,
      inFlight: this.limit.inFlight,
      queued: this.limit.queued,
      queuedTotal: this.limit.queuedTotal,
    };
  }

  // -------------------------------------------------------------------------
  // Calls

  /**
   * Calls `proc` with `args` and resolves with its decoded return value.
   *
   * Rejects with: an AbortError if `signal` is (or becomes) aborted; a
   * TimeoutError after `timeout` ms; an UnsupportedError for a procedure that
   * passes file descriptors (nothing is sent); a LibvirtError when the daemon
   * answers with an error; a ProtocolError when the reply does not match the
   * call or does not decode (the connection stays up, as in libvirt); a
   * ConnectionClosedError if the connection ends first; an XdrError if `args`
   * do not encode (nothing is sent). An aborted or timed-out call's reply is
   * dropped by serial when it comes, and the connection stays usable.
   */
  call<A, R>(proc: Procedure<A, R>, args: A, opts: RpcCallOptions = NO_OPTIONS): Promise<R> {
    const { signal, timeout, stream } = opts;
    if (signal?.aborted) return Promise.reject(abortErrorFor(signal));
    if (proc.fds) {
      return Promise.reject(new UnsupportedError(`${proc.name} passes file descriptors, which is not supported over this transport`));
    }
    if (this.closeError) return Promise.reject(this.closeError);

    let serial: number;
    if (stream) {
      const entry = this.streams.get(stream.serial);
      if (!entry || entry.channel !== stream || stream.procedure.number !== proc.number) {
        return Promise.reject(new TypeError(`${proc.name}: the stream channel is not an open stream of this call`));
      }
      serial = stream.serial;
    } else {
      serial = this.allocSerial();
    }

    let frame: Uint8Array;
    try {
      const argsCodec = proc.args;
      frame = this.encode(proc, VIR_NET_CALL, serial, VIR_NET_OK, argsCodec ? (w) => argsCodec.encode(w, args) : null);
    } catch (err) {
      return Promise.reject(err);
    }

    const startTime = tracingCalls() ? performance.now() : -1;
    let resolve!: (value: unknown) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<R>((res, rej) => {
      resolve = res as (value: unknown) => void;
      reject = rej;
    });
    const call = new PendingCall(serial, proc as Procedure<unknown, unknown>, resolve, reject);
    this.pending.set(serial, call);
    if (signal || timeout !== undefined) {
      call.disarm = armBound(
        opts,
        (err) => this.giveUp(call, err),
        (ms) => new TimeoutError(`${proc.name} timed out after ${ms} ms`, ms),
      );
    }
    this.limit.submit(frame, call);
    if (startTime < 0) return promise;
    const { connectionId, uri } = this;
    return traceCall(
      { connectionId, uri, program: proc.programNumber, version: proc.version, procedure: proc.number, name: proc.name, serial, startTime },
      promise,
    );
  }

  /**
   * Passes the error a daemon answers a call with (a {@link LibvirtError}) through `hook` before
   * the caller sees it: the call settles with the promise `hook` returns, which rejects (with
   * `err` or an error saying more). The API layer names the C API a daemon is too old for this
   * way (src/api/too-old.ts) instead of chaining a handler to every call's promise. `null`: none.
   */
  setDaemonErrorHook(hook: DaemonErrorHook | null): void {
    this.daemonErrorHook = hook;
  }

  /** An aborted or timed-out call: rejects it now; its reply, if one comes, is dropped by serial. */
  private giveUp(call: PendingCall, err: Error): void {
    if (this.pending.get(call.serial) !== call) return;
    this.pending.delete(call.serial);
    call.cleanup();
    if (call.written) this.abandoned.set(call.serial, { prog: call.prog, vers: call.vers, slot: call.slot });
    else if (call.slot) this.limit.release(); // never written: no reply will free it
    call.cancelled = true;
    call.reject(err);
  }

  /**
   * Decodes a reply's payload, `bytes[start, end)`, for `proc`; `owned` false: the socket's read
   * buffer, lent until this returns (see XdrReader's `borrowed`).
   */
  private readonly decodeReply = <R>(proc: Procedure<unknown, R>, h: FrameHeader, bytes: Uint8Array, start: number, end: number, owned: boolean): R => {
    if (h.proc !== proc.number) {
      throw new ProtocolError(`${proc.name}: unexpected reply procedure ${h.proc}, expected ${proc.number}`);
    }
    if (h.status === VIR_NET_OK) {
      const r = new XdrReader(bytes, start, end, !owned);
      let value: R;
      try {
        value = proc.ret ? proc.ret.decode(r) : (undefined as R);
      } catch (err) {
        throw new ProtocolError(`${proc.name}: unable to decode the reply: ${(err as Error).message}`, { cause: err });
      }
      if (r.remaining > 0) this.diagnose({ kind: 'trailing-bytes', header: h, bytes: r.remaining });
      return value;
    }
    if (h.status === VIR_NET_ERROR) throw decodeDaemonError(bytes, start, end, proc.name);
    throw new ProtocolError(`${proc.name}: unexpected reply status ${h.status}`);
  };

  private allocSerial(): number {
    let s = this.nextSerial;
    if (this.serialsWrapped) {
      // After 2^32 serials, skip those still in use.
      while (this.pending.has(s) || this.abandoned.has(s) || this.streams.has(s)) s = (s + 1) >>> 0;
    }
    this.nextSerial = (s + 1) >>> 0;
    // Until the counter wraps, every serial in use is below it: no lookup needed.
    if (this.nextSerial === 0) this.serialsWrapped = true;
    return s;
  }

  // -------------------------------------------------------------------------
  // Events

  /**
   * Registers `listener` for the MESSAGE packets (events) of `program`
   * (`REMOTE_PROGRAM`, `QEMU_PROGRAM`, ...). Keepalive packets never reach
   * listeners. Returns a function that unregisters it.
   *
   * As in libvirt (`virNetClientProgramDispatch`), a MESSAGE whose status is
   * not OK is dropped. Unlike libvirt, which closes the connection on a
   * MESSAGE for a program it did not register, one with no listener is only
   * dropped (and reported as a diagnostic): listeners come and go with event
   * registrations.
   */
  onMessage(program: number, listener: MessageListener): () => void {
    return this.messages.on(program, listener);
  }

  /**
   * Registers `listener` for one event procedure, decoding its payload with
   * the procedure's `args` codec (the `_msg` struct). Packets of another
   * version, or that do not decode, are dropped (as libvirt does) and reported
   * as `bad-event` diagnostics. Returns a function that unregisters it.
   */
  onEvent<A>(proc: Procedure<A, unknown>, listener: (value: A, message: IncomingMessage) => void): () => void {
    return this.messages.onEvent(proc, listener);
  }

  // -------------------------------------------------------------------------
  // Streams

  /**
   * Opens a stream channel for a call of `procedure` that is about to be made:
   * allocates its serial and routes STREAM and STREAM_HOLE packets with that
   * serial (and the procedure's program, version and number, which libvirt
   * also matches) to `sink`, from now until {@link StreamChannel.release} or
   * the end of the connection. Make the call with `{ stream: channel }`.
   *
   * Throws the ConnectionClosedError if the connection has ended.
   */
  openStream(procedure: ProcedureInfo, sink: StreamSink): StreamChannel {
    if (this.closeError) throw this.closeError;
    const serial = this.allocSerial();
    const isMine = (): boolean => this.streams.get(serial)?.channel === channel;
    const channel: Channel = new Channel(procedure, serial, {
      send: (type, status, body) => {
        if (this.closeError) throw this.closeError;
        if (!isMine()) throw new ProtocolError(`stream ${serial} of ${procedure.name} has been released`);
        this.write(this.encode(procedure, type, serial, status, body), null);
        return this.streamHasRoom();
      },
      sendData: (data, onWritten) => {
        if (this.closeError) throw this.closeError;
        if (!isMine()) throw new ProtocolError(`stream ${serial} of ${procedure.name} has been released`);
        const header = {
          prog: procedure.programNumber,
          vers: procedure.version,
          proc: procedure.number,
          type: VIR_NET_STREAM,
          serial,
          status: VIR_NET_CONTINUE,
        };
        this.write(encodeFrameHeader(header, data.length), null, data, onWritten ?? null);
        return this.streamHasRoom();
      },
      isOpen: () => this.closeError === null && isMine(),
      release: () => {
        if (!isMine()) return;
        this.streams.delete(serial);
        this.gate.set(channel, false);
        this.publishStream('close', serial, procedure.name);
      },
      drain: () => this.drain(),
      pauseReading: (paused) => {
        if (isMine() || !paused) this.gate.set(channel, paused);
      },
      readingPaused: () => this.gate.paused,
    });
    this.streams.set(serial, { channel, sink });
    this.publishStream('open', serial, procedure.name);
    return channel;
  }

  /**
   * Resolves once every packet queued so far has been handed to the OS (at
   * once if nothing is waiting); rejects with the ConnectionClosedError if the
   * connection ends first.
   */
  drain(): Promise<void> {
    if (this.closeError) return Promise.reject(this.closeError);
    return this.writer.drain();
  }

  // -------------------------------------------------------------------------
  // Keepalive

  /**
   * Starts sending keepalive PINGs (defaults as libvirt's client: every 5 s of
   * silence, dead after 5 unanswered, i.e. 30 s). A no-op if already started.
   */
  startKeepalive(opts: KeepaliveOptions = {}): void {
    if (this.closeError) return;
    this.keepalive.start(opts);
  }

  /** Stops sending PINGs; PINGs from the daemon are still answered. */
  stopKeepalive(): void {
    this.keepalive.stop();
  }

  /**
   * Says whether the daemon speaks keepalive (connect() asks it): if so, PINGs
   * are sent while reading is paused for flow control even when this side's
   * own pinging is off, so that the daemon's keepalive never closes a
   * connection whose reader is merely slow (see keepalive.ts).
   */
  setPeerSpeaksKeepalive(speaks: boolean): void {
    this.keepalive.setPeerSpeaksKeepalive(speaks);
  }

  private sendKeepalive(proc: number): void {
    if (this.closeError) return;
    if (diagnostics.keepalive.hasSubscribers) this.publishKeepalive(proc === KEEPALIVE_PROC_PING ? 'ping-sent' : 'pong-sent');
    const header = {
      prog: KEEPALIVE_PROGRAM,
      vers: KEEPALIVE_PROTOCOL_VERSION,
      proc,
      type: VIR_NET_MESSAGE,
      serial: 0,
      status: VIR_NET_OK,
    };
    this.write(encodeFrame(header, null, 0), null);
  }

  // -------------------------------------------------------------------------
  // Closing

  /**
   * Closes the connection gracefully: pending calls reject at once with a
   * ConnectionClosedError (reason `client`), packets already queued (except
   * calls nobody waits for any more) are still written, then the socket is
   * ended and destroyed. Resolves once the socket is closed; with `timeout`
   * (ms) the socket is destroyed if writing has not finished by then, and
   * `signal` does the same on demand. Never rejects.
   */
  close(opts: { signal?: AbortSignal; timeout?: number } = {}): Promise<void> {
    this.terminate(new ConnectionClosedError('client', 'the connection was closed by the client'));
    this.writer.end();
    const disarm = armBound(opts, () => void this.socket.destroy(), 'closing');
    if (disarm) void this.socketGone.then(disarm);
    return this.socketGone;
  }

  /**
   * Tears the connection down at once: nothing more is written, pending calls
   * reject with a ConnectionClosedError (reason `client`, `cause` = `err`).
   */
  destroy(err?: Error): void {
    this.terminate(
      new ConnectionClosedError(
        'client',
        err ? `the connection was destroyed: ${err.message}` : 'the connection was destroyed by the client',
        err ? { cause: err } : undefined,
      ),
    );
    this.writer.clear();
    this.socket.destroy();
  }

  /** Ends the connection for `err`: rejects everything waiting, once. */
  private terminate(err: ConnectionClosedError): void {
    if (this.closeError) return;
    this.closeError = err;
    this.keepalive.dispose();
    this.gate.close();
    this.reader.stop();
    const calls = [...this.pending.values()];
    this.pending.clear();
    this.abandoned.clear();
    for (const call of calls) call.fail(err);
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const { sink } of streams) this.guard(() => sink.onClose(err));
    this.writer.fail(err);
    this.limit.clear();
    if (diagnostics.connectionClose.hasSubscribers) {
      diagnostics.connectionClose.publish({ connectionId: this.connectionId, uri: this.uri, reason: err.reason, error: err });
    }
    this.resolveClosed(err);
  }

  private publishKeepalive(kind: 'ping-sent' | 'pong-sent' | 'ping-received' | 'pong-received' | 'dead'): void {
    if (diagnostics.keepalive.hasSubscribers) diagnostics.keepalive.publish({ connectionId: this.connectionId, uri: this.uri, kind });
  }

  private publishStream(phase: 'open' | 'close', serial: number, name: string): void {
    if (diagnostics.stream.hasSubscribers) diagnostics.stream.publish({ connectionId: this.connectionId, uri: this.uri, phase, serial, name });
  }

  // -------------------------------------------------------------------------
  // Writing

  private encode(proc: ProcedureInfo, type: number, serial: number, status: number, body: FrameBody): Uint8Array {
    return encodeFrame({ prog: proc.programNumber, vers: proc.version, proc: proc.number, type, serial, status }, body);
  }

  private write(buf: Uint8Array, call: PendingCall | null, data: Uint8Array | null = null, onWritten: (() => void) | null = null): void {
    this.writer.write(buf, call, data, onWritten);
  }

  private streamHasRoom(): boolean {
    return this.writer.streamHasRoom();
  }

  // -------------------------------------------------------------------------
  // Reading and dispatch

  private readonly stillOpen = (): boolean => this.closeError === null;

  private readonly onFrame: FrameSink = (h, bytes, start, end, owned) => this.dispatch(h, bytes, start, end, owned);

  private onData(chunk: Uint8Array): void {
    try {
      // Frames whole in the chunk are lent, not copied: a reply is decoded at once from the
      // socket's read buffer; what is kept (events, stream data) is copied below.
      this.reader.scan(chunk, this.onFrame);
    } catch (err) {
      const cause = err instanceof ProtocolError ? err : new ProtocolError(String(err), { cause: err });
      this.terminate(new ConnectionClosedError('error', `protocol error: ${cause.message}`, { cause }));
      this.socket.destroy();
    }
  }

  /**
   * Handles one packet, its payload `bytes[start, end)` (lent until this returns unless `owned`);
   * throws a ProtocolError for what must close the connection.
   */
  private dispatch(h: FrameHeader, bytes: Uint8Array, start: number, end: number, owned: boolean): void {
    if (this.closeError) return;
    this.counters.framesReceived++;
    if (this.keepalive.received(h)) {
      if (diagnostics.keepalive.hasSubscribers) this.publishKeepalive(h.proc === KEEPALIVE_PROC_PING ? 'ping-received' : 'pong-received');
      return;
    }
    switch (h.type) {
      case VIR_NET_REPLY:
        this.dispatchReply(h, bytes, start, end, owned);
        return;
      case VIR_NET_MESSAGE:
        this.messages.dispatch({ header: h, payload: owned ? bytes.subarray(start, end) : sliceCopy(bytes, start, end) }, this.stillOpen);
        return;
      case VIR_NET_STREAM:
      case VIR_NET_STREAM_HOLE:
        this.dispatchStream({ header: h, payload: owned ? bytes.subarray(start, end) : sliceCopy(bytes, start, end) });
        return;
      case VIR_NET_REPLY_WITH_FDS:
        throw new ProtocolError(
          `got a reply with file descriptors (prog ${h.prog} proc ${h.proc} serial ${h.serial}), which is not supported over this transport`,
        );
      default:
        throw new ProtocolError(`got unexpected RPC call prog ${h.prog} vers ${h.vers} proc ${h.proc} type ${h.type}`);
    }
  }

  private dispatchReply(h: FrameHeader, bytes: Uint8Array, start: number, end: number, owned: boolean): void {
    const call = this.pending.get(h.serial);
    if (!call || call.prog !== h.prog || call.vers !== h.vers) {
      const gone = this.abandoned.get(h.serial);
      if (gone && gone.prog === h.prog && gone.vers === h.vers) {
        this.abandoned.delete(h.serial);
        if (gone.slot) this.limit.release();
        this.counters.lateReplies++;
        this.diagnose({ kind: 'late-reply', header: h });
        return;
      }
      // libvirt (virNetClientCallDispatchReply) treats this as fatal.
      throw new ProtocolError(`no call waiting for reply with prog ${h.prog} vers ${h.vers} serial ${h.serial}`);
    }
    this.pending.delete(h.serial);
    if (call.slot) this.limit.release();
    call.settle(h, bytes, start, end, owned, this.decodeReply, this.daemonErrorHook);
  }

  private dispatchStream(frame: Frame): void {
    const h = frame.header;
    const entry = this.streams.get(h.serial);
    const p = entry?.channel.procedure;
    if (!entry || !p || p.programNumber !== h.prog || p.version !== h.vers || p.number !== h.proc) {
      // libvirt: stream packets may keep coming after a stream was shut down.
      this.counters.droppedStreamPackets++;
      this.diagnose({ kind: 'unhandled-stream', header: h });
      return;
    }
    const packet = streamPacketOf(frame);
    this.guard(() => entry.sink.onPacket(packet));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.diagnose({ kind: 'listener-error', error });
    }
  }
}
