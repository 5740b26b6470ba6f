/**
 * What a procedure is: the descriptors the generated procedure tables hold (program, number,
 * codecs, annotations). The RPC engine calls them; this module is below it.
 *
 * @module
 */
import type { XdrCodec } from '../xdr/codec.js';

/** The RPC programs libvirt speaks, by the short name used throughout libvirt-rpc. */
export type ProgramName = 'remote' | 'qemu' | 'lxc' | 'admin' | 'keepalive';

/** Direction of the data stream a procedure opens, from the client's point of view. */
export type StreamDirection = 'read' | 'write';

/**
 * Public description of one procedure, as exported by `procedures` (generated
 * from the `.x` files and the API XML).
 */
export interface ProcedureInfo {
  /** Short program name. */
  readonly program: ProgramName;
  /** The program's number on the wire (`REMOTE_PROGRAM` = 0x20008086, ...). */
  readonly programNumber: number;
  /** The program version sent in every header. */
  readonly version: number;
  /** The procedure number. */
  readonly number: number;
  /** The `.x` enum name, e.g. `REMOTE_PROC_DOMAIN_GET_XML_DESC`. */
  readonly name: string;
  /** The public C API with its true casing (`virDomainGetXMLDesc`), or null when there is none. */
  readonly api: string | null;
  /** The libvirt release that introduced the public API (from the API XML), or null. */
  readonly since: string | null;
  /** The name of the raw-layer method on `Connection` that calls it. */
  readonly method: string;
  /**
   * `read` when the call opens a stream the daemon writes (`@readstream`), `write` when
   * the client writes it (`@writestream`), otherwise null.
   */
  readonly stream: StreamDirection | null;
  /** True when the stream may carry holes (`@sparseflag`). */
  readonly sparse: boolean;
  /** The daemon's dispatch priority (`@priority`). */
  readonly priority: 'high' | 'low';
  /** True for an asynchronous event the daemon sends as a MESSAGE (it has a `_msg` struct). */
  readonly event: boolean;
  /** True when the procedure passes file descriptors (CALL_WITH_FDS/REPLY_WITH_FDS). */
  readonly fds: boolean;
  /** The `@generate` annotation (`both`, `client`, `server` or `none`), or null. */
  readonly generate: string | null;
  /** The `@acl` annotations: the access checks the daemon applies. */
  readonly acl: readonly string[];
}

/**
 * What the RPC engine needs to make one call: the public description plus the
 * codecs of the argument and return structs (null when the `.x` file has none).
 */
export interface Procedure<A = unknown, R = unknown> extends ProcedureInfo {
  /** Codec of the args struct (or of the `_msg` struct for an event). */
  readonly args: XdrCodec<A> | null;
  /** Codec of the ret struct. */
  readonly ret: XdrCodec<R> | null;
}

/** Freezes a generated procedure description (used by the generated tables). */
export function defineProcedure<A, R>(procedure: Procedure<A, R>): Procedure<A, R> {
  return Object.freeze(procedure);
}
