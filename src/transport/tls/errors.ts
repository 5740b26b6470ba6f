/**
 * The TLS transport's error: {@link TlsError}, a {@link TransportError} whose
 * `reason` says which of libvirt's checks failed.
 */
import { brandClass } from '../../errors/brand.js';
import { TransportError } from '../../rpc/errors.js';

/** Why a TLS connection was refused ({@link TlsError.reason}). */
export type TlsFailure =
  /** A certificate, key or CRL file is missing or unreadable (`file` names it). */
  | 'missing-file'
  /** A file is not a valid PEM certificate / key / CRL, or key and certificate do not match. */
  | 'bad-file'
  /** Our own certificate or CA failed libvirt's sanity checks (`no_sanity=1` skips them). */
  | 'local-certificate'
  /** The server's certificate does not chain to our CA (or is revoked, badly signed, ...). */
  | 'untrusted'
  /** The server's certificate is expired or not yet valid. */
  | 'expired'
  /** The server's certificate does not name the host of the URI. */
  | 'hostname-mismatch'
  /** The server's certificate is not usable as a server certificate (a CA, ...). */
  | 'bad-server-certificate'
  /** The TLS handshake failed (protocol versions, ciphers, an alert from the server). */
  | 'handshake'
  /** The server refused us after the handshake (usually our certificate): no confirmation byte. */
  | 'server-refused';

/**
 * A TLS connection that could not be set up. `reason` says which check failed,
 * `file` names the file concerned (when one is), the message says both in
 * words. It is a {@link TransportError} (code `RPC_TRANSPORT`), and `errno` is
 * the system error (`ENOENT`) or OpenSSL's verification code
 * (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `CERT_HAS_EXPIRED`, ...) when there is one.
 */
export class TlsError extends TransportError {
  /** Which check failed. */
  readonly reason: TlsFailure;
  /** The certificate, key or CRL file concerned, or null. */
  readonly file: string | null;

  constructor(reason: TlsFailure, message: string, options: { errno?: string | null; file?: string | null; cause?: unknown } = {}) {
    super(message, options.errno ?? null, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TlsError';
    this.reason = reason;
    this.file = options.file ?? null;
  }
}
brandClass(TlsError, 'TlsError');
