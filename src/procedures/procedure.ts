/**
 * What a procedure is: the descriptors the generated procedure tables hold (program, number,
 * codecs, annotations). The RPC engine calls them; this module is below it.
 *
 * @module
 */
import { lazyObject } from '../util/lazy.js';
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

/** Freezes a procedure description. */
export function defineProcedure<A, R>(procedure: Procedure<A, R>): Procedure<A, R> {
  return Object.freeze(procedure);
}

/** What every procedure of one program shares, given once per generated table. */
export interface ProgramDefaults {
  readonly program: ProgramName;
  readonly programNumber: number;
  readonly version: number;
  /** The `.x` prefix of the procedure names (`REMOTE_PROC_`), left out of each row. */
  readonly prefix: string;
}

/** Bits of {@link ProcedureRow}'s flags. */
export const ProcedureFlag = {
  READ_STREAM: 1,
  WRITE_STREAM: 2,
  SPARSE: 4,
  HIGH_PRIORITY: 8,
  EVENT: 16,
  FDS: 32,
  /** The `@generate` annotation is `(flags >> GENERATE_SHIFT)`: 0 none given, then {@link GENERATE}'s order. */
  GENERATE_SHIFT: 6,
} as const;

/** The values of `@generate`, in the order {@link ProcedureRow}'s flags number them (from 1). */
export const GENERATE = ['both', 'client', 'server', 'none'] as const;

/**
 * One procedure as a generated table lists it (the compact form keeps the generated module
 * small; {@link procedureTable} expands it): number, name without the program's prefix, C API
 * (0: none), `since` (0: none), {@link ProcedureFlag} bits, the `@acl` annotations separated by
 * spaces, the args and ret codecs (a codec, or its index in the module's codec table), and the raw
 * method's name when it is not the C API's name without `vir`/`virAdm`, first letter lowered.
 */
export type ProcedureRow = readonly [
  number: number,
  name: string,
  api: string | 0,
  since: string | 0,
  flags: number,
  acl: string,
  args: XdrCodec<unknown> | number | null,
  ret: XdrCodec<unknown> | number | null,
  method?: string,
];

/** The raw method of a procedure with a C API, unless its row names another. */
function methodOf(api: string): string {
  const bare = api.replace(/^vir(Adm)?/, '');
  return bare[0]!.toLowerCase() + bare.slice(1);
}

/**
 * A program's procedure table (used by the generated modules): each row expanded into a frozen
 * {@link Procedure}, keyed by its `.x` name; a codec given by number is that entry of `codecs`
 * (the module's codec table). The table is built on first use (src/util/lazy.ts), not when its
 * module is imported: `rows` is then called once, and each Procedure is the same object at every
 * read.
 */
export function procedureTable<T>(defaults: ProgramDefaults, rows: () => readonly ProcedureRow[], codecs: readonly XdrCodec<never>[] = []): T {
  return lazyObject<T & object>((table) => {
    const F = ProcedureFlag;
    const codec = (c: XdrCodec<unknown> | number | null): XdrCodec<unknown> | null => (typeof c === 'number' ? (codecs[c] as XdrCodec<unknown>) : c);
    for (const [number, tail, api, since, flags, acl, args, ret, method] of rows()) {
      const name = defaults.prefix + tail;
      const generate = flags >> F.GENERATE_SHIFT;
      table[name] = defineProcedure({
        program: defaults.program,
        programNumber: defaults.programNumber,
        version: defaults.version,
        number,
        name,
        api: api || null,
        since: since || null,
        method: method ?? methodOf(api as string),
        stream: flags & F.READ_STREAM ? 'read' : flags & F.WRITE_STREAM ? 'write' : null,
        sparse: (flags & F.SPARSE) !== 0,
        priority: flags & F.HIGH_PRIORITY ? 'high' : 'low',
        event: (flags & F.EVENT) !== 0,
        fds: (flags & F.FDS) !== 0,
        generate: generate ? GENERATE[generate - 1]! : null,
        acl: acl ? acl.split(' ') : [],
        args: codec(args),
        ret: codec(ret),
      });
    }
  });
}

/**
 * A program's procedures by number (the public `procedures` export, generated in
 * src/procedures/index.gen.ts), frozen, built on first use from its table.
 */
export function byNumber(table: object): Readonly<Record<number, ProcedureInfo>> {
  return lazyObject((out) => {
    for (const p of Object.values(table as Record<string, ProcedureInfo>)) out[p.number] = p;
    Object.freeze(out);
  });
}
