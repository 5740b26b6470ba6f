/**
 * The XDR (RFC 4506) runtime that generated codecs are built on.
 * @packageDocumentation
 */
export { XdrReader } from './reader.js';
export { XdrWriter } from './writer.js';
export { XdrError, XdrErrorCode } from './errors.js';
export { encodeXdr, decodeXdr, voidCodec } from './codec.js';
export type { XdrCodec, CodecType } from './codec.js';
