import { XdrReader } from './reader.js';
import { XdrWriter } from './writer.js';

/**
 * An encoder and decoder pair for one XDR type. Generated code exports one
 * per `.x` type (`remoteNonnullDomainCodec`, ...).
 */
export interface XdrCodec<T> {
  /** The `.x` name of the type. */
  readonly name: string;
  /** Appends `value` to `w`. */
  encode(w: XdrWriter, value: T): void;
  /** Reads one value from `r`. */
  decode(r: XdrReader): T;
}

/** The TypeScript type a codec carries. */
export type CodecType<C> = C extends XdrCodec<infer T> ? T : never;

/** Encodes one value into a fresh buffer (nothing else refers to it). */
export function encodeXdr<T>(codec: XdrCodec<T>, value: T): Uint8Array {
  const w = new XdrWriter();
  codec.encode(w, value);
  // The writer is dropped here, so its buffer can be handed out as it is,
  // unless most of it is unused (then copy, not to keep the excess alive).
  const size = w.buf.length;
  return size <= 4096 || w.pos >= size >>> 1 ? w.written() : w.toBytes();
}

/** Decodes one value that must fill `bytes` exactly. */
export function decodeXdr<T>(codec: XdrCodec<T>, bytes: Uint8Array): T {
  const r = new XdrReader(bytes);
  const v = codec.decode(r);
  r.done(codec.name);
  return v;
}

/** The codec of XDR `void`: no bytes, value `undefined`. */
export const voidCodec: XdrCodec<void> = {
  name: 'void',
  encode() {},
  decode() {},
};
