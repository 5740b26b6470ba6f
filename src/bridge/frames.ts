/**
 * What the bridge reads of the bytes a WebSocket client sends: whole protocol frames (libvirt's
 * framing: a 4-byte big-endian length that counts itself, then the 24-byte header
 * program/version/procedure/type/serial/status, then the body), the read-only rule per
 * procedure, and the error reply a refused call gets.
 *
 * @module
 */
import { procedures } from '../procedures/index.gen.js';
import type { ProcedureInfo, ProgramName } from '../procedures/procedure.js';
import { VIR_FROM_NONE } from '../procedures/libvirt-api.gen.js';
import { errorDomainOfApi, readOnlyError } from '../api/client-errors.js';
import { brandClass } from '../errors/brand.js';
import { ProtocolError } from '../rpc/errors.js';

/** Bytes of the length word plus the header. */
export const FRAME_HEADER_BYTES = 28;

/** libvirt's own bound on a whole packet (`VIR_NET_MESSAGE_MAX` + the length word; virnetprotocol.x). */
export const DEFAULT_MAX_FRAME = 33_554_432 + 4;

/** The header of one frame. */
export interface FrameHeader {
  readonly length: number;
  readonly program: number;
  readonly version: number;
  readonly procedure: number;
  /** `virNetMessageType`: 0 CALL, 1 REPLY, 2 MESSAGE, 3 STREAM, 4 CALL_WITH_FDS, ... */
  readonly type: number;
  readonly serial: number;
  readonly status: number;
}

/** Reads the header at the start of `frame` (at least {@link FRAME_HEADER_BYTES} long). */
export function readHeader(frame: Buffer): FrameHeader {
  return {
    length: frame.readUInt32BE(0),
    program: frame.readUInt32BE(4),
    version: frame.readUInt32BE(8),
    procedure: frame.readInt32BE(12),
    type: frame.readInt32BE(16),
    serial: frame.readUInt32BE(20),
    status: frame.readInt32BE(24),
  };
}

/** A frame the splitter will not pass on, with the reason (a protocol error of that client). */
export class FrameError extends ProtocolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FrameError';
  }
}
brandClass(FrameError, 'FrameError');

/**
 * Cuts a byte stream into whole frames, however the WebSocket messages split or join them.
 * `push` returns the frames completed by `chunk`; it throws a {@link FrameError} for a length
 * below the header size or above `maxFrame` (checked as soon as the length word is in).
 */
export class FrameSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrame: number) {}

  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Buffer[] = [];
    while (this.pendingBytes >= 4) {
      const head = this.pending[0]!.length >= 4 ? this.pending[0]! : this.join();
      const length = head.readUInt32BE(0);
      if (length < FRAME_HEADER_BYTES) throw new FrameError(`frame length ${length} is below the ${FRAME_HEADER_BYTES}-byte header`);
      if (length > this.maxFrame) throw new FrameError(`frame of ${length} bytes is over the limit of ${this.maxFrame}`);
      if (this.pendingBytes < length) break;
      const all = this.join();
      frames.push(all.subarray(0, length));
      const rest = all.subarray(length);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
    }
    return frames;
  }

  private join(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    return this.pending[0]!;
  }
}

const PROGRAM_NAMES = new Map<number, ProgramName>();
for (const [name, table] of Object.entries(procedures) as [ProgramName, Readonly<Record<number, ProcedureInfo>>][]) {
  const first = Object.values(table)[0];
  if (first) PROGRAM_NAMES.set(first.programNumber, name);
}

/** The procedure a header names, or null when the program or number is unknown. */
export function procedureOf(header: FrameHeader): ProcedureInfo | null {
  const program = PROGRAM_NAMES.get(header.program);
  return program === undefined ? null : (procedures[program][header.procedure] ?? null);
}

/**
 * Permissions a read-only connection may use: libvirt refuses every public API that changes
 * state on a read-only connection (`virCheckReadOnlyGoto` in src/libvirt-*.c); the ones it lets
 * through are exactly those whose unconditional `@acl` checks (remote_protocol.x) only look
 * (`getattr`, `read`, `search_*`) or check nothing (`none`). Checks tied to a flag
 * (`domain:read_secure:VIR_DOMAIN_XML_SECURE`) are left to the daemon, which the bridge reaches
 * on its read-only socket for a read-only token.
 */
function lookOnly(acl: string): boolean {
  const [, permission, flag] = acl.split(':');
  if (flag !== undefined && flag !== '') return true;
  if (acl === 'none') return true;
  return permission === 'getattr' || permission === 'read' || (permission?.startsWith('search_') ?? false);
}

/** The packet types a client sends that start a call. */
const CALL = 0;
const CALL_WITH_FDS = 4;

/**
 * The API (or procedure) a read-only client may not call with this frame, or null when it may: keepalive always; a call
 * of a procedure whose `@acl` checks only look; the admin program never (libvirt serves it on its
 * own socket); stream packets pass (a read-only client can open no stream that writes).
 */
export function readOnlyRefusal(header: FrameHeader): string | null {
  if (header.type !== CALL && header.type !== CALL_WITH_FDS) return null;
  const proc = procedureOf(header);
  if (proc === null) return `procedure ${header.procedure} of program 0x${header.program.toString(16)}`;
  if (proc.program === 'keepalive') return null;
  if (proc.program === 'admin') return proc.name;
  if (proc.acl.length > 0 && proc.acl.every(lookOnly)) return null;
  return `${proc.api ?? proc.name}`;
}

const REPLY = 1;
const STATUS_ERROR = 1;

/** The error fields a reply carries (`remote_error` without its domain and network). */
export interface ErrorFields {
  readonly code: number;
  readonly domain: number;
  readonly message: string | null;
  readonly level: number;
  readonly str1: string | null;
  readonly str2: string | null;
  readonly str3: string | null;
  readonly int1: number;
  readonly int2: number;
}

/**
 * What libvirt's `virCheckReadOnlyGoto` raises in `api` on a read-only connection
 * (VIR_ERR_OPERATION_DENIED, "operation forbidden: read only access prevents <api>"), with the
 * error domain of the API's module (VIR_FROM_NONE for the connection and host APIs).
 */
export function readOnlyErrorFields(api: string): ErrorFields {
  let domain: number;
  try {
    domain = errorDomainOfApi(api);
  } catch {
    domain = VIR_FROM_NONE;
  }
  const e = readOnlyError(api, domain);
  return { code: e.wireCode, domain: e.domain, message: e.wireMessage, level: e.level, str1: e.str1, str2: e.str2, str3: e.str3, int1: e.int1, int2: e.int2 };
}

/** The REPLY with status ERROR answering the call `header` names, as the daemon would send it. */
export function errorReply(header: FrameHeader, err: ErrorFields): Buffer {
  const strings = [err.message, null /* dom */, err.str1, err.str2, err.str3];
  const encoded = strings.map((t) => (t === null ? null : Buffer.from(t, 'utf8')));
  // code, domain, level, int1, int2, net (absent) + each optional string: flag (+ length + padded bytes)
  let body = 4 * 6;
  for (const b of encoded) body += 4 + (b === null ? 0 : 4 + ((b.length + 3) & ~3));
  const out = Buffer.alloc(FRAME_HEADER_BYTES + body);
  let o = 0;
  o = out.writeUInt32BE(out.length, o);
  o = out.writeUInt32BE(header.program, o);
  o = out.writeUInt32BE(header.version, o);
  o = out.writeInt32BE(header.procedure, o);
  o = out.writeInt32BE(REPLY, o);
  o = out.writeUInt32BE(header.serial, o);
  o = out.writeInt32BE(STATUS_ERROR, o);
  o = out.writeInt32BE(err.code, o);
  o = out.writeInt32BE(err.domain, o);
  const optional = (b: Buffer | null): void => {
    if (b === null) {
      o = out.writeUInt32BE(0, o);
      return;
    }
    o = out.writeUInt32BE(1, o);
    o = out.writeUInt32BE(b.length, o);
    b.copy(out, o);
    o += (b.length + 3) & ~3;
  };
  optional(encoded[0]!);
  o = out.writeInt32BE(err.level, o);
  // dom is a remote_domain (a pointer to a struct), never sent here: absent.
  o = out.writeUInt32BE(0, o);
  for (const b of encoded.slice(2)) optional(b);
  o = out.writeInt32BE(err.int1, o);
  out.writeInt32BE(err.int2, o);
  // net absent: zero bytes already.
  return out;
}

/** XDR's optional string at `offset` of `frame` (`remote_string`), or undefined when it does not decode. */
function optionalStringAt(frame: Buffer, offset: number): { value: string | null; end: number } | undefined {
  if (offset + 4 > frame.length) return undefined;
  if (frame.readUInt32BE(offset) === 0) return { value: null, end: offset + 4 };
  if (offset + 8 > frame.length) return undefined;
  const n = frame.readUInt32BE(offset + 4);
  const end = offset + 8 + ((n + 3) & ~3);
  if (end > frame.length) return undefined;
  return { value: frame.toString('utf8', offset + 8, offset + 8 + n), end };
}

/**
 * The name a CONNECT_OPEN call asks the daemon for (`remote_connect_open_args.name`; null: the
 * daemon's default), or undefined when its body does not decode.
 */
export function connectOpenName(frame: Buffer): string | null | undefined {
  const name = optionalStringAt(frame, FRAME_HEADER_BYTES);
  return name !== undefined && name.end + 4 === frame.length ? name.value : undefined;
}

/**
 * The CONNECT_OPEN call `frame` with its name replaced by `name` and `addFlags` set in its flags
 * (the bridge opens the driver its grant names, whatever the client asked for). A body that does
 * not decode keeps no flags of its own.
 */
export function rewriteConnectOpen(frame: Buffer, name: string, addFlags: number): Buffer {
  const flags = connectOpenName(frame) !== undefined ? frame.readUInt32BE(frame.length - 4) : 0;
  const bytes = Buffer.from(name, 'utf8');
  const out = Buffer.alloc(FRAME_HEADER_BYTES + 8 + ((bytes.length + 3) & ~3) + 4);
  frame.copy(out, 0, 0, FRAME_HEADER_BYTES);
  out.writeUInt32BE(out.length, 0);
  out.writeUInt32BE(1, FRAME_HEADER_BYTES);
  out.writeUInt32BE(bytes.length, FRAME_HEADER_BYTES + 4);
  bytes.copy(out, FRAME_HEADER_BYTES + 8);
  out.writeUInt32BE((flags | addFlags) >>> 0, out.length - 4);
  return out;
}
