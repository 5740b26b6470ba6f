/**
 * Data streams: what `virStreamPtr` is to libvirt's C API, as a Node `Duplex`.
 *
 * A procedure that opens a stream (`storageVolDownload`, `storageVolUpload`,
 * `domainScreenshot`, `domainOpenConsole`, ...) is called with a stream
 * channel bound to the call's serial (see `RpcClient.openStream`); the raw
 * layer's method for it resolves to a {@link LibvirtStream} once the daemon
 * has accepted the call. What the stream does on the wire follows libvirt's
 * client (`src/rpc/virnetclientstream.c`, `src/libvirt-stream.c`) and what
 * the daemon expects of it (`src/remote/remote_daemon_stream.c`):
 *
 * - **Receiving.** The daemon sends one data packet (at most 262,120 bytes)
 *   at a time, the next as soon as the previous one has been written to the
 *   socket: the only flow control is the socket's. So when `bufferSize`
 *   bytes (default 4 MiB) are waiting for the reader, the stream pauses the
 *   connection's reading of its socket, TCP backpressure stops the daemon,
 *   and reading resumes when the reader has taken half of them: memory stays
 *   bounded whatever the reader's speed (libvirt's C client gets the same
 *   effect by reading only while a caller waits in `virStreamRecv`). The
 *   socket is shared: while paused, replies, events and other streams of the
 *   connection wait too (use a second connection for calls during a slow
 *   download); keepalive PINGs keep the daemon from closing it (keepalive.ts).
 *   A caller that wants a hard bound instead sets `maxBuffered`: the stream
 *   then never pauses and fails with a {@link StreamOverflowError} past it
 *   (`Infinity` is libvirt's unbounded queue).
 * - **End of data.** The daemon marks the end with an empty data packet. A
 *   read stream then sends what `virStreamFinish` sends (STREAM, status OK)
 *   and ends (`'end'`) only when the daemon has confirmed it; an error in
 *   the confirmation fails the stream instead.
 * - **Holes** (sparse streams, opened with `VIR_STORAGE_VOL_*_SPARSE_STREAM`).
 *   Read as a Node stream, a hole comes out as that many zero bytes, as
 *   `virStreamRecv` returns them (generated lazily, so a large hole costs no
 *   memory). {@link LibvirtStream.entries} gives data and holes one by one
 *   instead, as `virStreamRecvFlags(VIR_STREAM_RECV_STOP_AT_HOLE)` and
 *   `virStreamRecvHole` do. {@link LibvirtStream.sendHole} sends one, in
 *   order with the data written before it.
 * - **Sending.** `write()` follows Node's backpressure: a chunk is handed on
 *   only while the connection's write buffer (1 MiB) has room, split into
 *   packets of 262,120 bytes that are written without being copied (do not
 *   change a buffer after writing it). The daemon, in turn, stops reading the
 *   socket while it has too many packets waiting for the storage backend,
 *   which is what slows a writer.
 * - **Finishing.** `end()` (or {@link LibvirtStream.finish}) sends the finish
 *   packet and completes (`'finish'`) when the daemon has confirmed it: only
 *   then is the upload known to be complete. Bounded: without a confirmation
 *   in 30 s (time paused by a slow reader aside) the stream is aborted and
 *   fails with a TimeoutError.
 * - **Aborting.** {@link LibvirtStream.abort}, `destroy()`, an early `break`
 *   out of `for await`, the call's `signal`, or a failure sends what
 *   `virStreamAbort` sends (STREAM, status ERROR); the daemon confirms and
 *   the serial is released, or after 5 s without a confirmation the stream
 *   is released on this side. The connection stays usable.
 * - **Errors.** An error the daemon sends for the stream fails it with that
 *   {@link LibvirtError}; the end of the connection fails it with the
 *   {@link ConnectionClosedError}. Either way the stream emits `'error'`.
 */
import { CREATE, LibvirtStream } from './streams/libvirt-stream.js';
import { type OpenStreamCall, streamOpener } from './streams/open.js';

export * from './stream-common.js';
export { LibvirtStream } from './streams/libvirt-stream.js';
export type { StreamCaller } from './streams/open.js';
export type { StreamEntry } from './streams/options.js';
export { StreamFileError } from './streams/errors.js';
export type { StreamFileOp } from './streams/errors.js';
export type { StreamSource } from './streams/python-style.js';
export { pipeFromFile, pipeToFile, readAll, sendFile } from './streams/files.js';
export type { TransferProgress } from './streams/files.js';

/**
 * Makes a call that opens a stream and resolves with the call's return value and the
 * {@link LibvirtStream} once the daemon has accepted it: what the raw layer's stream methods
 * do (see `streamOpener` in streams/open.ts for the rules).
 */
export const openStreamCall: OpenStreamCall<LibvirtStream> = /*@__PURE__*/ streamOpener((init) => new LibvirtStream(CREATE, init));
