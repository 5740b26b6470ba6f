/**
 * The stream side of a connection: the packets a stream receives, the sink
 * that takes them, and the channel that sends them, bound to the serial of
 * the call that opened the stream (as libvirt's virnetclientstream.c does).
 */
import { VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX, VirNetMessageStatus, VirNetMessageType, virNetStreamHoleCodec } from '../procedures/virnet.gen.js';
import { XdrReader } from '../xdr/reader.js';
import { decodeDaemonError } from './daemon-error.js';
import { type ConnectionClosedError, type LibvirtError, ProtocolError } from './errors.js';
import type { Frame, FrameBody } from './frame.js';
import type { ProcedureInfo } from './procedure.js';

const { VIR_NET_STREAM, VIR_NET_STREAM_HOLE } = VirNetMessageType;
const { VIR_NET_OK, VIR_NET_ERROR, VIR_NET_CONTINUE } = VirNetMessageStatus;

/** One packet of a stream, as delivered to a {@link StreamSink}. */
export type StreamPacket =
  /**
   * STREAM with status CONTINUE: raw data (never padded). An empty `data` is
   * how the daemon says the stream has reached its end.
   */
  | { readonly kind: 'data'; readonly data: Uint8Array }
  /** STREAM_HOLE with status CONTINUE: a hole of `length` bytes (sparse streams). */
  | { readonly kind: 'hole'; readonly length: bigint; readonly flags: number }
  /** STREAM with status OK: the daemon confirms a finish or abort this side sent. */
  | { readonly kind: 'finish' }
  /**
   * STREAM with status ERROR: the daemon failed the stream (a LibvirtError), or a
   * hole packet could not be decoded (a ProtocolError). No more data follows.
   */
  | { readonly kind: 'error'; readonly error: LibvirtError | ProtocolError };

/**
 * The packet a STREAM or STREAM_HOLE frame carries. Throws a ProtocolError (fatal for the
 * connection) for a status libvirt never sends on a stream, or an error payload that does not
 * decode; a malformed hole is an `error` packet for this stream only.
 */
export function streamPacketOf(frame: Frame): StreamPacket {
  const h = frame.header;
  switch (h.status) {
    case VIR_NET_CONTINUE:
      if (h.type === VIR_NET_STREAM) return { kind: 'data', data: frame.payload };
      try {
        const hole = virNetStreamHoleCodec.decode(new XdrReader(frame.payload));
        return { kind: 'hole', length: hole.length, flags: hole.flags };
      } catch (cause) {
        return { kind: 'error', error: new ProtocolError('malformed stream hole packet', { cause }) };
      }
    case VIR_NET_OK:
      return { kind: 'finish' };
    case VIR_NET_ERROR:
      return { kind: 'error', error: decodeDaemonError(frame.payload, 0, frame.payload.length, null) };
    default:
      throw new ProtocolError(`stream packet with unexpected status ${h.status} (serial ${h.serial}, proc ${h.proc})`);
  }
}

/**
 * Where the packets of one stream go. A stream API builds on this: it queues
 * `data` packets for its reader and applies its own flow control.
 */
export interface StreamSink {
  /** One packet for this stream, in wire order. Exceptions are reported, never fatal. */
  onPacket(packet: StreamPacket): void;
  /** The connection ended; nothing more will arrive. Called at most once. */
  onClose(reason: ConnectionClosedError): void;
}

/**
 * The sending half of a stream, bound to the serial of the call that opens it.
 * Returned by {@link RpcClient.openStream}; pass it as `stream` in that call's options.
 */
export interface StreamChannel {
  /** The serial every packet of this stream carries. */
  readonly serial: number;
  /** The procedure that opened the stream (packets carry its program, version and number). */
  readonly procedure: ProcedureInfo;
  /** False once released or once the connection has ended. */
  readonly open: boolean;
  /**
   * Sends data (STREAM, status CONTINUE), split into packets of at most
   * `VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX` (262,120) bytes as libvirt's client
   * does. The bytes are not copied: do not change them afterwards. Returns
   * false when the connection's write buffer is full: wait for {@link drain}
   * before writing more. Throws the ConnectionClosedError if the connection is gone.
   * `onWritten` is called once all of `data` has been handed to the OS (so
   * its memory may be reused), never if the connection fails first.
   */
  write(data: Uint8Array, onWritten?: () => void): boolean;
  /** Sends a hole (STREAM_HOLE, status CONTINUE, a `virNetStreamHole`). Same return value as {@link write}. */
  writeHole(length: bigint, flags?: number): boolean;
  /**
   * Says this side has finished sending (STREAM, status OK, no payload; what
   * `virStreamFinish` sends). The daemon confirms with a `finish` packet.
   */
  finish(): void;
  /** Aborts the stream (STREAM, status ERROR, no payload; what `virStreamAbort` sends). */
  abort(): void;
  /** Resolves when the connection's write buffer has room again; rejects if the connection ends. */
  drain(): Promise<void>;
  /**
   * Read-side flow control: asks the connection to stop reading its socket
   * (the stream's reader is behind), so that TCP backpressure reaches the
   * daemon. Every stream and call of the connection waits until each stream
   * that paused it has resumed. Idempotent; {@link release} resumes too.
   */
  pauseReading(): void;
  /** Withdraws this stream's {@link pauseReading}. Idempotent. */
  resumeReading(): void;
  /** True while the connection is not reading its socket (paused by any stream). */
  readonly readingPaused: boolean;
  /** Unregisters the sink (and resumes reading): later packets with this serial are dropped. Idempotent. */
  release(): void;
}

/** What a {@link Channel} may do to its connection. */
export interface ChannelOps {
  send(type: number, status: number, body: FrameBody): boolean;
  /** Sends raw data after its header without copying it; same return value as `send`. */
  sendData(data: Uint8Array, onWritten?: () => void): boolean;
  isOpen(): boolean;
  release(): void;
  drain(): Promise<void>;
  pauseReading(paused: boolean): void;
  readingPaused(): boolean;
}

/** The {@link StreamChannel} implementation. */
export class Channel implements StreamChannel {
  constructor(
    readonly procedure: ProcedureInfo,
    readonly serial: number,
    private readonly ops: ChannelOps,
  ) {}

  get open(): boolean {
    return this.ops.isOpen();
  }

  write(data: Uint8Array, onWritten?: () => void): boolean {
    const max = VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX;
    if (data.length <= max) return this.ops.sendData(data, onWritten);
    let ok = true;
    // Writes complete in order: the last packet's callback means all of them.
    for (let off = 0; off < data.length; off += max) {
      const end = Math.min(off + max, data.length);
      ok = this.ops.sendData(data.subarray(off, end), end === data.length ? onWritten : undefined);
    }
    return ok;
  }

  writeHole(length: bigint, flags = 0): boolean {
    return this.ops.send(VIR_NET_STREAM_HOLE, VIR_NET_CONTINUE, (w) => virNetStreamHoleCodec.encode(w, { length, flags }));
  }

  finish(): void {
    this.ops.send(VIR_NET_STREAM, VIR_NET_OK, null);
  }

  abort(): void {
    this.ops.send(VIR_NET_STREAM, VIR_NET_ERROR, null);
  }

  drain(): Promise<void> {
    return this.ops.drain();
  }

  pauseReading(): void {
    this.ops.pauseReading(true);
  }

  resumeReading(): void {
    this.ops.pauseReading(false);
  }

  get readingPaused(): boolean {
    return this.ops.readingPaused();
  }

  release(): void {
    this.ops.release();
  }
}
