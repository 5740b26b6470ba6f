/**
 * Data streams in the browser build (replaces stream.ts there): the stream methods resolve to
 * a {@link WebLibvirtStream}, a `ReadableStream` and a `WritableStream` over the same wire
 * rules as Node's `LibvirtStream` (see streams/web-stream.ts). The file helpers of stream.ts
 * (`pipeToFile`, `sendFile`, ...) have no counterpart in a page.
 *
 * @module
 */
import type { Twin } from '../util/twin.js';
import type * as NodeTwin from './stream.js';
import type * as ThisTwin from './stream.browser.js';
import { type OpenStreamCall, streamOpener } from './streams/open.js';
import { WebLibvirtStream } from './streams/web-stream.js';

export * from './stream-common.js';
export { WebLibvirtStream, WebLibvirtStream as LibvirtStream } from './streams/web-stream.js';
export type { StreamCaller } from './streams/open.js';

/**
 * Makes a call that opens a stream and resolves with the call's return value and the
 * {@link WebLibvirtStream} once the daemon has accepted it (see `streamOpener` in streams/open.ts).
 */
export const openStreamCall: OpenStreamCall<WebLibvirtStream> = /*@__PURE__*/ streamOpener((init) => new WebLibvirtStream(init));

/**
 * The compiler holds this module to stream.ts's exports (see util/twin.ts), but for what a page
 * has no use for (the file helpers), and with web streams where Node's are `LibvirtStream`s.
 */
type _Checked = Twin<
  Omit<typeof NodeTwin, 'pipeFromFile' | 'pipeToFile' | 'readAll' | 'sendFile' | 'StreamFileError' | 'LibvirtStream' | 'openStreamCall'> & {
    LibvirtStream: typeof WebLibvirtStream;
    WebLibvirtStream: typeof WebLibvirtStream;
    openStreamCall: OpenStreamCall<WebLibvirtStream>;
  },
  typeof ThisTwin
>;
