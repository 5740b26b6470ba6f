/**
 * Data streams in the browser build (replaces stream.ts there): the stream methods resolve to
 * a {@link WebLibvirtStream}, a `ReadableStream` and a `WritableStream` over the same wire
 * rules as Node's `LibvirtStream` (see streams/web-stream.ts). The file helpers of stream.ts
 * (`pipeToFile`, `sendFile`, ...) have no counterpart in a page.
 *
 * @module
 */
import type { Procedure, ProcedureCaller } from '../rpc/procedure.js';
import { openStreamWith } from './streams/open.js';
import type { StreamMode, StreamOptions } from './streams/options.js';
import { WebLibvirtStream } from './streams/web-stream.js';

export { WebLibvirtStream, WebLibvirtStream as LibvirtStream } from './streams/web-stream.js';
export { PendingStream } from './streams/open.js';
export type { StreamCaller } from './streams/open.js';
export {
  STREAM_ABORT_TIMEOUT_DEFAULT,
  STREAM_BUF_SIZE,
  STREAM_BUFFER_SIZE_DEFAULT,
  STREAM_FINISH_TIMEOUT_DEFAULT,
} from './streams/options.js';
export type { SettleOptions, StreamMode, StreamOptions } from './streams/options.js';
export { StreamErrorCode, StreamOverflowError, StreamStateError } from './streams/errors.js';

/**
 * Makes a call that opens a stream and resolves with the call's return value and the
 * {@link WebLibvirtStream} once the daemon has accepted it (see `openStreamWith`).
 */
export function openStreamCall<A, R>(
  caller: ProcedureCaller,
  procedure: Procedure<A, R>,
  args: A,
  mode: StreamMode,
  sparse: boolean,
  options: StreamOptions = {},
): Promise<{ ret: R; stream: WebLibvirtStream }> {
  return openStreamWith((init) => new WebLibvirtStream(init), caller, procedure, args, mode, sparse, options);
}
