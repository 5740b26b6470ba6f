/**
 * One reused read buffer per socket, for the unix and TCP dialers.
 *
 * By default Node allocates a fresh 64 KiB buffer for every read of a
 * socket: a 1 GiB download allocates 1 GiB in them, and the garbage
 * collections that memory brings pause the whole connection. With Node's
 * `onread` option the socket reads into one buffer of {@link READ_BUFFER_SIZE}
 * instead and each read is emitted as a `'data'` chunk that is a view of that
 * buffer, valid only until the listener returns: the RPC engine's frame
 * reader copies what it keeps (see src/rpc/frame.ts). `pause()` and
 * `resume()` still stop and restart the reads (flow control).
 */
import type { OnReadOpts, Socket } from 'node:net';

/** Bytes read at most per read of the socket: one full stream packet fits. */
export const READ_BUFFER_SIZE = 256 * 1024;

/** The `onread` option for a socket that `socket()` returns once created. */
export function reusedReadBuffer(socket: () => Socket): OnReadOpts {
  return {
    buffer: Buffer.allocUnsafe(READ_BUFFER_SIZE),
    callback: (bytes, buf) => {
      socket().emit('data', (buf as Buffer).subarray(0, bytes));
      return true;
    },
  };
}
