/**
 * The errors the stream API raises besides those of the RPC engine.
 */
import { brandClass } from '../../errors/brand.js';
import { LibvirtRpcError } from '../../rpc/errors.js';

/** Codes of the errors of this module. */
export const StreamErrorCode = {
  /** A caller that asked for a hard bound (`maxBuffered`) fell behind ({@link StreamOverflowError}). */
  OVERFLOW: 'RPC_STREAM_OVERFLOW',
  /** The stream cannot do that: a hole on a stream that is not sparse, a write after finishing ({@link StreamStateError}). */
  STATE: 'RPC_STREAM_STATE',
  /** The file side of a transfer failed ({@link StreamFileError}). */
  FILE: 'RPC_STREAM_FILE',
} as const;

/**
 * The reader fell behind a stream opened with a hard bound (`maxBuffered`)
 * instead of flow control: more than `maxBuffered` received bytes were
 * waiting to be read. The stream was aborted; the connection is still usable.
 */
export class StreamOverflowError extends LibvirtRpcError {
  /** The limit that was passed, in bytes. */
  readonly maxBuffered: number;

  constructor(maxBuffered: number) {
    super(
      StreamErrorCode.OVERFLOW,
      `stream aborted: more than ${maxBuffered} received bytes were waiting to be read (raise maxBuffered, read faster, or leave maxBuffered unset for flow control)`,
    );
    this.name = 'StreamOverflowError';
    this.maxBuffered = maxBuffered;
  }
}
brandClass(StreamOverflowError, 'StreamOverflowError');

/** The stream is not in a state (or of a kind) that allows the operation. */
export class StreamStateError extends LibvirtRpcError {
  constructor(message: string) {
    super(StreamErrorCode.STATE, message);
    this.name = 'StreamStateError';
  }
}
brandClass(StreamStateError, 'StreamStateError');

/** What a {@link StreamFileError} was doing. */
export type StreamFileOp =
  /** writing received data (libvirt's "recv handler") */
  | 'write'
  /** skipping or zero-filling a received hole ("recv holeHandler") */
  | 'hole'
  /** reading data to send ("send handler") */
  | 'read';

/**
 * The file side of {@link pipeToFile} / {@link pipeFromFile} failed (EPIPE,
 * ENOSPC, EIO, ...): the stream was aborted. `cause` is Node's system error;
 * `errno` its code (`'EPIPE'`).
 */
export class StreamFileError extends LibvirtRpcError {
  /** What was being done. */
  readonly op: StreamFileOp;
  /** Node's error code (`'ENOSPC'`), or null. */
  readonly errno: string | null;

  constructor(op: StreamFileOp, cause: unknown) {
    const errno = (cause as NodeJS.ErrnoException | null)?.code ?? null;
    super(StreamErrorCode.FILE, `${FILE_OP_TEXT[op]} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StreamFileError';
    this.op = op;
    this.errno = errno;
  }
}
brandClass(StreamFileError, 'StreamFileError');

const FILE_OP_TEXT: Readonly<Record<StreamFileOp, string>> = {
  write: 'writing received data',
  hole: 'skipping a received hole',
  read: 'reading data to send',
};
