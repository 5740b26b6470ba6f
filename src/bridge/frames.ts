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

/** A frame the splitter will not pass on, with the reason. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

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
 * Why a read-only client may not send this frame, or null when it may: keepalive always; a call
 * of a procedure whose `@acl` checks only look; the admin program never (libvirt serves it on its
 * own socket); stream packets pass (a read-only client can open no stream that writes).
 */
export function readOnlyRefusal(header: FrameHeader): string | null {
  if (header.type !== CALL && header.type !== CALL_WITH_FDS) return null;
  const proc = procedureOf(header);
  if (proc === null) return `unknown procedure ${header.procedure} of program 0x${header.program.toString(16)}`;
  if (proc.program === 'keepalive') return null;
  if (proc.program === 'admin') return `${proc.name}: the admin program is not served read-only`;
  if (proc.acl.length > 0 && proc.acl.every(lookOnly)) return null;
  return `${proc.api ?? proc.name}`;
}

/** libvirt's `VIR_ERR_OPERATION_DENIED` (virerror.h). */
export const VIR_ERR_OPERATION_DENIED = 6;
const VIR_FROM_NONE = 0;
const VIR_ERR_ERROR = 2;
const REPLY = 1;
const STATUS_ERROR = 1;

/**
 * The REPLY with status ERROR answering the call `header` names, carrying a `remote_error` with
 * `code`, level ERROR and `message` (the other fields null/0), as the daemon would send it.
 */
export function errorReply(header: FrameHeader, code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const padded = (text.length + 3) & ~3;
  // code, domain, message (present flag, length, bytes), level, dom, str1..3 (absent), int1, int2, net (absent)
  const body = 4 + 4 + 4 + 4 + padded + 4 + 4 + 4 * 3 + 4 + 4 + 4;
  const out = Buffer.alloc(FRAME_HEADER_BYTES + body);
  let o = 0;
  o = out.writeUInt32BE(out.length, o);
  o = out.writeUInt32BE(header.program, o);
  o = out.writeUInt32BE(header.version, o);
  o = out.writeInt32BE(header.procedure, o);
  o = out.writeInt32BE(REPLY, o);
  o = out.writeUInt32BE(header.serial, o);
  o = out.writeInt32BE(STATUS_ERROR, o);
  o = out.writeInt32BE(code, o);
  o = out.writeInt32BE(VIR_FROM_NONE, o);
  o = out.writeUInt32BE(1, o);
  o = out.writeUInt32BE(text.length, o);
  text.copy(out, o);
  o += padded;
  o = out.writeInt32BE(VIR_ERR_ERROR, o);
  // dom, str1, str2, str3 absent; int1, int2 zero; net absent: all zero bytes already.
  return out;
}
