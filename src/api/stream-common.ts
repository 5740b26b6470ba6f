/**
 * What both stream twins export alike (stream.ts, Node's; stream.browser.ts, the browser
 * build's), and what both root entries export of streams (src/entry-common.ts).
 * @module
 */
export { PendingStream } from './streams/open.js';
export {
  STREAM_ABORT_TIMEOUT_DEFAULT,
  STREAM_BUF_SIZE,
  STREAM_BUFFER_SIZE_DEFAULT,
  STREAM_FINISH_TIMEOUT_DEFAULT,
} from './streams/options.js';
export type { SettleOptions, StreamMode, StreamOptions } from './streams/options.js';
export { StreamErrorCode, StreamOverflowError, StreamStateError } from './streams/errors.js';
