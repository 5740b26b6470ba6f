/**
 * Errors raised by the RPC engine and the transports.
 *
 * One hierarchy under {@link LibvirtRpcError}. Every class has a stable
 * `code` string and a `Symbol.for` brand, so `instanceof` works even when two
 * copies of libvirt-rpc are loaded. Wrapped errors are kept in `cause`.
 */
import { virErrorDomain, virErrorLevel, virErrorNumber } from '../procedures/libvirt-api.gen.js';
import type { VirNetMessageError } from '../procedures/virnet.gen.js';
import { brandClass } from '../errors/brand.js';
import { LibvirtRpcError } from '../errors/root.js';

/**
 * Stable codes carried by {@link LibvirtRpcError.code}. A {@link LibvirtError}
 * carries libvirt's own symbolic error name instead (`VIR_ERR_NO_DOMAIN`).
 */
export const RpcErrorCode = {
  /** The connection is gone ({@link ConnectionClosedError}). */
  CONNECTION_CLOSED: 'RPC_CONNECTION_CLOSED',
  /** A malformed frame or a packet the protocol does not allow ({@link ProtocolError}). */
  PROTOCOL: 'RPC_PROTOCOL',
  /** The caller's AbortSignal fired ({@link AbortError}); the same code Node uses. */
  ABORTED: 'ABORT_ERR',
  /** The call or dial took longer than its `timeout` ({@link TimeoutError}). */
  TIMEOUT: 'RPC_TIMEOUT',
  /** The operation cannot be done over this transport ({@link UnsupportedError}). */
  UNSUPPORTED: 'RPC_UNSUPPORTED',
  /** A transport could not connect ({@link TransportError}). */
  TRANSPORT: 'RPC_TRANSPORT',
} as const;

/** One of the {@link RpcErrorCode} values. */
export type RpcErrorCode = (typeof RpcErrorCode)[keyof typeof RpcErrorCode];

export { LibvirtRpcError } from '../errors/root.js';
export { AbortError, abortErrorFor, TimeoutError } from '../errors/cancel.js';

// ---------------------------------------------------------------------------
// LibvirtError

let reverseNumber: Map<number, string> | undefined;
let reverseDomain: Map<number, string> | undefined;
let reverseLevel: Map<number, string> | undefined;

function reverse(table: Record<string, number>): Map<number, string> {
  const m = new Map<number, string>();
  for (const [name, value] of Object.entries(table)) if (!m.has(value)) m.set(value, name);
  return m;
}

/** The symbolic name of a `virErrorNumber` (`42` → `VIR_ERR_NO_DOMAIN`), or null if unknown. */
export function errorCodeName(code: number): string | null {
  reverseNumber ??= reverse(virErrorNumber);
  return reverseNumber.get(code) ?? null;
}

/** The symbolic name of a `virErrorDomain` (`10` → `VIR_FROM_QEMU`), or null if unknown. */
export function errorDomainName(domain: number): string | null {
  reverseDomain ??= reverse(virErrorDomain);
  return reverseDomain.get(domain) ?? null;
}

/** The symbolic name of a `virErrorLevel` (`2` → `VIR_ERR_ERROR`), or null if unknown. */
export function errorLevelName(level: number): string | null {
  reverseLevel ??= reverse(virErrorLevel);
  return reverseLevel.get(level) ?? null;
}

/** The fields of libvirt's `virError` that travel in a `remote_error` / `virNetMessageError`. */
export interface LibvirtErrorFields {
  /**
   * `remote_error.code`, the `virErrorNumber` (42 for `VIR_ERR_NO_DOMAIN`), as
   * libvirt's client reports it (see {@link LibvirtError.wireCode}). Its symbolic
   * name is {@link LibvirtError.code}, the stable string every error of this package carries.
   */
  readonly errorCode: number;
  /** `virErrorDomain`: the part of libvirt that raised the error. */
  readonly domain: number;
  /** `virErrorLevel`: 1 warning, 2 error. */
  readonly level: number;
  /** Extra string information (often the object name), or null. */
  readonly str1: string | null;
  /** Extra string information, or null. */
  readonly str2: string | null;
  /** Extra string information, or null. */
  readonly str3: string | null;
  /** Extra number information. */
  readonly int1: number;
  /** Extra number information. */
  readonly int2: number;
}

/**
 * An error reply from the daemon (a REPLY or STREAM packet with status
 * `VIR_NET_ERROR`), carrying every field of `remote_error`.
 *
 * As libvirt's client does (`virNetClientProgramDispatchError`), an RPC error
 * from the remote or RPC domain whose message starts with `unknown procedure`
 * is reported as `VIR_ERR_NO_SUPPORT`; the code on the wire stays in
 * {@link wireCode}. A missing message becomes `Unknown error`, also as libvirt does.
 */
export class LibvirtError extends LibvirtRpcError implements LibvirtErrorFields {
  /** `virErrorDomain`: the part of libvirt that raised the error. */
  readonly domain: number;
  /** `virErrorLevel`: 1 warning, 2 error. */
  readonly level: number;
  /** Extra string information (often the object name), or null. */
  readonly str1: string | null;
  /** Extra string information, or null. */
  readonly str2: string | null;
  /** Extra string information, or null. */
  readonly str3: string | null;
  /** Extra number information. */
  readonly int1: number;
  /** Extra number information. */
  readonly int2: number;
  /** `remote_error.code`, the `virErrorNumber`, as libvirt's client reports it (see {@link wireCode}). */
  readonly errorCode: number;
  /** The code exactly as it was on the wire. */
  readonly wireCode: number;
  /** The message exactly as it was on the wire (null when the daemon sent none). */
  readonly wireMessage: string | null;
  /** Symbolic name of {@link errorCode}, e.g. `VIR_ERR_NO_DOMAIN` (null if this libvirt-rpc does not know it). */
  readonly codeName: string | null;
  /** Symbolic name of {@link domain}, e.g. `VIR_FROM_QEMU` (null if unknown). */
  readonly domainName: string | null;
  /** Symbolic name of {@link level}, e.g. `VIR_ERR_ERROR` (null if unknown). */
  readonly levelName: string | null;
  /** The procedure whose call failed (`REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME`), when known. */
  readonly procedure: string | null;

  constructor(err: VirNetMessageError, procedure: string | null = null, options?: { cause?: unknown }) {
    const wireCode = err.code;
    let code = wireCode;
    if (
      (err.domain === virErrorDomain.VIR_FROM_REMOTE || err.domain === virErrorDomain.VIR_FROM_RPC) &&
      wireCode === virErrorNumber.VIR_ERR_RPC &&
      err.level === virErrorLevel.VIR_ERR_ERROR &&
      err.message?.startsWith('unknown procedure') === true
    ) {
      code = virErrorNumber.VIR_ERR_NO_SUPPORT;
    }
    // `code` is libvirt's symbolic name, as Node errors carry `ENOENT`; a number
    // this libvirt-rpc does not know (a newer daemon) gets `VIR_ERR_<number>`.
    super(errorCodeName(code) ?? `VIR_ERR_${code}`, err.message ?? 'Unknown error', options);
    this.name = 'LibvirtError';
    this.errorCode = code;
    this.wireCode = wireCode;
    this.wireMessage = err.message;
    this.domain = err.domain;
    this.level = err.level;
    this.str1 = err.str1;
    this.str2 = err.str2;
    this.str3 = err.str3;
    this.int1 = err.int1;
    this.int2 = err.int2;
    this.codeName = errorCodeName(code);
    this.domainName = errorDomainName(err.domain);
    this.levelName = errorLevelName(err.level);
    this.procedure = procedure;
  }
}
brandClass(LibvirtError, 'LibvirtError');

// ---------------------------------------------------------------------------
// ConnectionClosedError

/**
 * Why a connection ended, with the numbers of libvirt's `virConnectCloseReason`
 * (what a close callback receives).
 */
export const CloseReason = {
  /** An I/O error, a protocol error or a transport failure (`VIR_CONNECT_CLOSE_REASON_ERROR`). */
  error: 0,
  /** The daemon closed the connection (`VIR_CONNECT_CLOSE_REASON_EOF`). */
  eof: 1,
  /** The peer stopped answering keepalive pings (`VIR_CONNECT_CLOSE_REASON_KEEPALIVE`). */
  keepalive: 2,
  /** This side closed it: `close()` or `destroy()` (`VIR_CONNECT_CLOSE_REASON_CLIENT`). */
  client: 3,
} as const;

/** One of the {@link CloseReason} keys. */
export type CloseReason = keyof typeof CloseReason;

/**
 * The connection ended before (or instead of) the operation completing.
 * Every pending call rejects with the same instance when a connection ends.
 */
export class ConnectionClosedError extends LibvirtRpcError {
  /** Why the connection ended. */
  readonly reason: CloseReason;

  constructor(reason: CloseReason, message: string, options?: { cause?: unknown }) {
    super(RpcErrorCode.CONNECTION_CLOSED, message, options);
    this.name = 'ConnectionClosedError';
    this.reason = reason;
  }

  /** libvirt's `virConnectCloseReason` number for {@link reason}. */
  get closeReason(): number {
    return CloseReason[this.reason];
  }
}
brandClass(ConnectionClosedError, 'ConnectionClosedError');

// ---------------------------------------------------------------------------
// The rest

/** A malformed frame, a reply that does not decode, or a packet the protocol does not allow. */
export class ProtocolError extends LibvirtRpcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(RpcErrorCode.PROTOCOL, message, options);
    this.name = 'ProtocolError';
  }
}
brandClass(ProtocolError, 'ProtocolError');

/** The operation cannot be done over this transport (for example passing file descriptors). */
export class UnsupportedError extends LibvirtRpcError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(RpcErrorCode.UNSUPPORTED, message, options);
    this.name = 'UnsupportedError';
  }
}
brandClass(UnsupportedError, 'UnsupportedError');

/**
 * A transport could not connect. `errno` is the system error code
 * (`ENOENT`, `ECONNREFUSED`, ...) when there is one; `cause` is the original error.
 */
export class TransportError extends LibvirtRpcError {
  /** The system error code of the failure, or null. */
  readonly errno: string | null;
  /** The unix socket path that could not be connected, when that was the failure; else null. */
  readonly socketPath: string | null;

  constructor(message: string, errno: string | null, options?: { cause?: unknown; socketPath?: string }) {
    super(RpcErrorCode.TRANSPORT, message, options);
    this.name = 'TransportError';
    this.errno = errno;
    this.socketPath = options?.socketPath ?? null;
  }
}
brandClass(TransportError, 'TransportError');
