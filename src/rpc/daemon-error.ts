/**
 * The error a daemon sends in a reply or stream packet with status ERROR (`virNetMessageError`,
 * libvirt's src/rpc/virnetprotocol.x), decoded into a {@link LibvirtError}.
 */
import { XdrReader } from '../xdr/reader.js';
import { virNetMessageErrorCodec } from '../procedures/virnet.gen.js';
import { LibvirtError, ProtocolError } from './errors.js';

/**
 * Decodes the `virNetMessageError` in `bytes[start, end)` (strings only: the bytes may be lent).
 * A payload that does not decode throws a ProtocolError, fatal as in libvirt
 * (`virNetClientStreamSetError`, `virNetClientCallDispatchReply`).
 */
export function decodeDaemonError(bytes: Uint8Array, start: number, end: number, procName: string | null): LibvirtError {
  let err: ReturnType<typeof virNetMessageErrorCodec.decode>;
  try {
    err = virNetMessageErrorCodec.decode(new XdrReader(bytes, start, end, true));
  } catch (cause) {
    throw new ProtocolError(`unable to decode the error of ${procName ?? 'a stream'}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return new LibvirtError(err, procName);
}
