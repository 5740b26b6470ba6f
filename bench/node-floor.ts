/**
 * The floor for any Node client on one sequential connection: a unix socket that sends a fixed,
 * pre-encoded request (only the serial changes), waits for the reply's length word and whole
 * frame, and decodes nothing. What it cannot do faster is Node's socket I/O, the kernel's
 * wake-ups and the daemon; what libvirt-rpc measures above it is its own per-call work.
 *
 * It speaks just enough of the remote protocol for the test driver: `REMOTE_PROC_CONNECT_OPEN`
 * (header: program 0x20008086, version 1, procedure, type CALL, serial, status OK; see
 * libvirt's src/rpc/virnetprotocol.x), then the benchmarked procedure.
 */
import { createConnection, type Socket } from 'node:net';

const REMOTE_PROGRAM = 0x20008086;
const HEADER_BYTES = 28;
const PROC_CONNECT_OPEN = 1;
const PROC_DOMAIN_GET_XML_DESC = 14;
const PROC_CONNECT_GET_LIB_VERSION = 157;

/** A request frame: length word, header, `body` (already XDR). The serial is set per call. */
function frame(procedure: number, body: Uint8Array): Buffer {
  const f = Buffer.alloc(HEADER_BYTES + body.length);
  f.writeUInt32BE(f.length, 0);
  f.writeUInt32BE(REMOTE_PROGRAM, 4);
  f.writeUInt32BE(1, 8);
  f.writeUInt32BE(procedure, 12);
  f.set(body, HEADER_BYTES);
  return f;
}

/** XDR of a string: length, bytes, padding to 4. */
function xdrString(s: string): Buffer {
  const b = Buffer.from(s);
  const out = Buffer.alloc(4 + ((b.length + 3) & ~3));
  out.writeUInt32BE(b.length, 0);
  b.copy(out, 4);
  return out;
}

export class NodeFloorClient {
  private pending: ((reply: Buffer) => void) | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private serial = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      while (this.buffered.length >= 4) {
        const len = this.buffered.readUInt32BE(0);
        if (this.buffered.length < len) break;
        const reply = this.buffered.subarray(0, len);
        this.buffered = this.buffered.subarray(len);
        const p = this.pending;
        this.pending = null;
        p?.(reply);
      }
    });
  }

  /** Connects to the daemon's socket and opens `uri` on it (the test driver's `test:///default`). */
  static async open(socketPath: string, uri: string): Promise<NodeFloorClient> {
    const socket = createConnection({ path: socketPath });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new NodeFloorClient(socket);
    // remote_connect_open_args: remote_string name (optional: 1, then the string), flags.
    const open = await client.send(frame(PROC_CONNECT_OPEN, Buffer.concat([Buffer.from([0, 0, 0, 1]), xdrString(uri), Buffer.alloc(4)])));
    if (open.readUInt32BE(24) !== 0) throw new Error('node floor client: connectOpen failed');
    return client;
  }

  private send(request: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      this.pending = resolve;
      request.writeUInt32BE(++this.serial, 20);
      this.socket.write(request);
    });
  }

  /** A call of `connectGetLibVersion` (no arguments). */
  getLibVersion(): () => Promise<Buffer> {
    const request = frame(PROC_CONNECT_GET_LIB_VERSION, new Uint8Array(0));
    return () => this.send(request);
  }

  /** A call of `domainGetXMLDesc(dom, 0)` for the domain `name`/`uuid`/`id`. */
  getXMLDesc(dom: { readonly name: string; readonly uuid: Uint8Array; readonly id: number }): () => Promise<Buffer> {
    const id = Buffer.alloc(8); // id, then flags 0
    id.writeInt32BE(dom.id, 0);
    const request = frame(PROC_DOMAIN_GET_XML_DESC, Buffer.concat([xdrString(dom.name), dom.uuid, id]));
    return () => this.send(request);
  }

  close(): void {
    this.socket.destroy();
  }
}
