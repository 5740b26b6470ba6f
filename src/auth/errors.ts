/**
 * Errors of the authentication layer.
 *
 * A failure libvirt's own client would report as `VIR_ERR_AUTH_FAILED` (no usable mechanism,
 * missing credentials, a server that fails mutual authentication) is an
 * {@link AuthenticationError}: a {@link LibvirtError} with that code, raised on this side, so one
 * check (`err.code === 'VIR_ERR_AUTH_FAILED'`) covers it and the daemon's own refusal alike.
 * SCRAM protocol problems are {@link ScramError}s, carried as the `cause` of an
 * AuthenticationError when they happen during a connection.
 *
 * @module
 */
import { brandClass } from '../errors/brand.js';
import { VIR_ERR_AUTH_FAILED, VIR_FROM_REMOTE } from '../procedures/libvirt-api.gen.js';
import { LibvirtError, LibvirtRpcError } from '../rpc/errors.js';

/** Why an {@link AuthenticationError} was raised on this side. */
export type AuthFailureReason =
  /** The daemon offers no SASL mechanism this client implements (or none usable over this transport). */
  | 'no-mechanism'
  /** The caller supplied no credentials, or the callback failed or left one unanswered. */
  | 'credentials'
  /** The SASL exchange failed on this side: a malformed or dishonest server message (`cause` says which). */
  | 'negotiation'
  /** `auth=` names an authentication type libvirt does not know. */
  | 'unknown-type';

/**
 * Authentication failed on the client side, as libvirt's remote driver reports it:
 * `code` is `VIR_ERR_AUTH_FAILED` (45), `domain` `VIR_FROM_REMOTE`. `reason` tells the cases apart;
 * `local` is true (a LibvirtError from the daemon has no such field).
 */
export class AuthenticationError extends LibvirtError {
  /** What went wrong. */
  readonly reason: AuthFailureReason;
  /** Always true: raised by this client, not sent by the daemon. */
  readonly local = true;

  constructor(reason: AuthFailureReason, message: string, options?: { cause?: unknown }) {
    super(
      {
        code: VIR_ERR_AUTH_FAILED,
        domain: VIR_FROM_REMOTE,
        message: `authentication failed: ${message}`,
        level: 2,
        dom: null,
        str1: 'authentication failed: %s',
        str2: message,
        str3: null,
        int1: -1,
        int2: -1,
        net: null,
      },
      null,
    );
    if (options?.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true, enumerable: false });
    }
    this.name = 'AuthenticationError';
    this.reason = reason;
  }
}
brandClass(AuthenticationError, 'AuthenticationError');

/** Stable codes of {@link ScramError}. */
export type ScramErrorCode =
  /** A server message that does not follow RFC 5802's grammar (or breaks its rules: a nonce not extending ours, a bad iteration count, an unknown mandatory extension). */
  | 'SCRAM_MALFORMED'
  /** The server's signature (`v=`) is not the one the password gives: the server does not know the password, or the exchange was tampered with. */
  | 'SCRAM_SERVER_SIGNATURE'
  /** The server ended the exchange with `e=<error>`. */
  | 'SCRAM_SERVER_ERROR'
  /** A username or password this client cannot send (SASLprep prohibits a character, or it is empty). */
  | 'SCRAM_BAD_INPUT'
  /** The client was used out of order (a message after the exchange ended, or before it began). */
  | 'SCRAM_STATE';

/** A SCRAM exchange could not go on. */
export class ScramError extends LibvirtRpcError {
  declare readonly code: ScramErrorCode;
  constructor(code: ScramErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ScramError';
  }
}
brandClass(ScramError, 'ScramError');
