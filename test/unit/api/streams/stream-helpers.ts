/**
 * Helpers for the stream tests: an RpcClient over an in-memory socket with the one scripted
 * peer (test/support/scripted-peer.ts) on the daemon's side, and stream fixtures.
 */
import { Buffer } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { RpcClient, type Diagnostic } from '../../../../src/rpc/client.js';
import { encodeFrame, type Frame } from '../../../../src/rpc/frame.js';
import { openStreamCall, type LibvirtStream, type StreamOptions } from '../../../../src/api/stream.js';
import { memoryPair, S, ScriptedPeer, T } from '../../../support/scripted-peer.js';
import { testProc } from '../../rpc/helpers.js';
import type { Procedure } from '../../../../src/rpc/procedure.js';

export { remoteError, S, T } from '../../../support/scripted-peer.js';

let clients: RpcClient[] = [];

/** Destroys the clients made by {@link setup} (call from afterEach). */
export function destroyClients(): void {
  for (const c of clients) c.destroy();
  clients = [];
}

/** A procedure that opens a stream: int in, int out. */
export function streamProc(stream: 'read' | 'write', sparse = false): Procedure<number, number> {
  return testProc({ number: 209, name: 'TEST_PROC_STREAM', stream, sparse });
}

/** What {@link setup} returns. */
export interface StreamTestContext {
  readonly client: RpcClient;
  /** The client's end of the socket pair (`hold`/`release()` simulate a full kernel buffer). */
  readonly socket: Duplex & { hold: boolean; release(): void };
  /** The daemon's end. */
  readonly peerSocket: Duplex;
  /** The daemon's side. */
  readonly peer: ScriptedPeer;
  readonly diagnostics: Diagnostic[];
  /** Resolves with the client's next diagnostic of `kind` (a dropped packet is `unhandled-stream`). */
  nextDiagnostic(kind: Diagnostic['kind']): Promise<Diagnostic>;
}

export function setup(opts: { clientHighWaterMark?: number } = {}): StreamTestContext {
  const { client: socket, peer: peerSocket } = memoryPair({ clientHighWaterMark: opts.clientHighWaterMark });
  const diagnostics: Diagnostic[] = [];
  let waiters: Array<{ kind: Diagnostic['kind']; resolve: (d: Diagnostic) => void }> = [];
  const onDiagnostic = (d: Diagnostic): void => {
    diagnostics.push(d);
    const due = waiters.filter((w) => w.kind === d.kind);
    waiters = waiters.filter((w) => w.kind !== d.kind);
    for (const w of due) w.resolve(d);
  };
  const nextDiagnostic = (kind: Diagnostic['kind']): Promise<Diagnostic> => new Promise((resolve) => waiters.push({ kind, resolve }));
  const client = new RpcClient(socket, { onDiagnostic });
  clients.push(client);
  return { client, socket, peerSocket, peer: new ScriptedPeer(peerSocket), diagnostics, nextDiagnostic };
}

/**
 * Resolves once the client has handled what the peer sent so far: over the in-memory pair a
 * packet reaches the client within the I/O callbacks of one event-loop turn, so two turns are
 * enough, and no time is waited for.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Bytes 0..n-1 mod 251 (a pattern that shows misordering). */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i + seed) % 251;
  return b;
}

/** Opens a stream through the fake daemon, which accepts the call with 77. */
export async function openAccepted(
  ctx: StreamTestContext,
  proc: Procedure<number, number>,
  options: StreamOptions = {},
): Promise<{ call: Frame; stream: LibvirtStream }> {
  const from = ctx.peer.frames.length;
  const opening = openStreamCall(ctx.client, proc, 5, proc.stream ?? 'read', proc.sparse, options);
  const call = await ctx.peer.waitFor((f) => f.header.type === T.CALL, from);
  ctx.peer.reply(call, 77);
  const { stream } = await opening;
  return { call, stream };
}

/** The raw bytes of one stream data packet of `call`'s stream. */
export function dataFrame(call: Frame, bytes: Uint8Array): Buffer {
  return Buffer.from(encodeFrame({ ...call.header, type: T.STREAM, status: S.CONTINUE }, Buffer.from(bytes)));
}
