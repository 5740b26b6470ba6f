import { Buffer } from 'node:buffer';
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient, type Diagnostic, type RpcClientOptions } from '../../../src/rpc/client.js';
import { AbortError, ConnectionClosedError, LibvirtError, LibvirtRpcError, ProtocolError, TimeoutError, UnsupportedError } from '../../../src/rpc/errors.js';
import { encodeFrame, type Frame } from '../../../src/rpc/frame.js';
import { virNetMessageErrorCodec, type VirNetMessageError } from '../../../src/procedures/virnet.gen.js';
import { memoryPair, ScriptedPeer } from '../../support/scripted-peer.js';
import { hex, intCodec, testProc, tick, voidProc } from './helpers.js';
import type { XdrCodec } from '../../../src/xdr/codec.js';

const REPLY = 1;
const ERROR = 1;

let clients: RpcClient[] = [];
afterEach(() => {
  for (const c of clients) c.destroy();
  clients = [];
});

function setup(opts: RpcClientOptions & { clientHighWaterMark?: number } = {}) {
  const { client: socket, peer: peerSocket } = memoryPair({ clientHighWaterMark: opts.clientHighWaterMark });
  const diagnostics: Diagnostic[] = [];
  const client = new RpcClient(socket, { onDiagnostic: (d) => diagnostics.push(d), ...opts });
  clients.push(client);
  return { client, socket, peer: new ScriptedPeer(peerSocket), diagnostics };
}

function remoteError(over: Partial<VirNetMessageError> = {}): VirNetMessageError {
  return {
    code: 42,
    domain: 10,
    message: "Domain not found: no domain with matching name 'nope'",
    level: 2,
    dom: null,
    str1: 'Domain not found',
    str2: 'nope',
    str3: null,
    int1: -1,
    int2: 7,
    net: null,
    ...over,
  };
}

describe('RpcClient calls', () => {
  it('wraps serials after 2^32 - 1 and then skips the ones still waiting for a reply', async () => {
    const { client, peer } = setup();
    const proc = testProc();
    const first = client.call(proc, 0); // serial 0, left waiting
    (client as unknown as { nextSerial: number }).nextSerial = 0xfffffffe;
    const late = [client.call(proc, 1), client.call(proc, 2), client.call(proc, 3)];
    const frames = await peer.waitFrames(4);
    expect(frames.map((f) => f.header.serial)).toEqual([0, 0xfffffffe, 0xffffffff, 1]);
    for (const f of frames) peer.reply(f, intCodec, f.payload.readInt32BE(0));
    await expect(Promise.all([first, ...late])).resolves.toEqual([0, 1, 2, 3]);
  });

  it('sends the header-only CALL vector byte for byte (serial 0x99)', async () => {
    const { client, peer } = setup();
    const proc = voidProc();
    const calls = Array.from({ length: 0x9a }, () => client.call(proc, undefined));
    const frames = await peer.waitFrames(0x9a);
    const sent = Buffer.concat(peer.raw);
    expect(sent.subarray(0x99 * 28, 0x9a * 28)).toEqual(hex('00 00 00 1c 11 22 33 44 00 00 00 01 00 00 06 66 00 00 00 00 00 00 00 99 00 00 00 00'));
    expect(frames.map((f) => f.header.serial)).toEqual(Array.from({ length: 0x9a }, (_, i) => i));
    for (const f of frames) peer.reply(f, null);
    await expect(Promise.all(calls)).resolves.toHaveLength(0x9a);
  });

  it('encodes args and decodes the return value', async () => {
    const { client, peer } = setup();
    const p = client.call(testProc(), 21);
    const [f] = await peer.waitFrames(1);
    expect(f.header).toMatchObject({ prog: 0x20008086, vers: 1, proc: 7, type: 0, status: 0 });
    expect(f.payload).toEqual(hex('00 00 00 15'));
    peer.reply(f, intCodec, 42);
    await expect(p).resolves.toBe(42);
  });

  it('reads a reply that arrives one byte at a time', async () => {
    const { client, peer } = setup();
    const p = client.call(testProc(), 1);
    const [f] = await peer.waitFrames(1);
    const reply = encodeFrame({ ...f.header, type: REPLY, status: 0 }, (w) => w.int(77, 'x'));
    for (const b of reply) {
      peer.sendRaw(Buffer.from([b]));
      await tick();
    }
    await expect(p).resolves.toBe(77);
  });

  it('answers 1,000 concurrent calls replied in shuffled order', async () => {
    const { client, peer } = setup();
    const proc = testProc();
    const calls = Array.from({ length: 1000 }, (_, i) => client.call(proc, i));
    const frames = [...(await peer.waitFrames(1000))];
    for (let i = frames.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [frames[i], frames[j]] = [frames[j], frames[i]];
    }
    // Replies go out in one burst, many frames per chunk.
    peer.sendRaw(Buffer.concat(frames.map((f) => encodeFrame({ ...f.header, type: REPLY, status: 0 }, (w) => w.int(f.payload.readInt32BE(0) * 2, 'x')))));
    const results = await Promise.all(calls);
    expect(results).toEqual(Array.from({ length: 1000 }, (_, i) => i * 2));
    expect(client.stats.pending).toBe(0);
  });

  it('decodes replies from a read buffer the transport reuses: what the values keep stays intact', async () => {
    const { client, socket, peer } = setup();
    const refCodec: XdrCodec<{ name: string; uuid: Uint8Array }> = {
      name: 'test_ref',
      encode: (w, v) => {
        w.string(v.name, 'name');
        w.fixedOpaque(v.uuid, 'uuid', 16);
      },
      decode: (r) => ({ name: r.string('name'), uuid: r.fixedOpaque('uuid', 16) }),
    };
    const proc = testProc({ ret: refCodec as never });
    const calls = [client.call(proc, 1), client.call(proc, 2)] as unknown as Promise<{ name: string; uuid: Uint8Array }>[];
    const frames = await peer.waitFrames(2);
    // One read buffer, as the unix and TCP dialers' (src/transport/read-buffer.ts): each reply
    // is read into the same memory, the first one's bytes overwritten by the second's.
    const readBuffer = Buffer.alloc(256);
    frames.forEach((f, i) => {
      const reply = encodeFrame({ ...f.header, type: REPLY, status: 0 }, (w) => refCodec.encode(w, { name: `dom-${i}`, uuid: new Uint8Array(16).fill(i + 1) }));
      readBuffer.set(reply);
      socket.emit('data', readBuffer.subarray(0, reply.length));
    });
    readBuffer.fill(0xee);
    const [a, b] = await Promise.all(calls);
    expect([a.name, [...a.uuid]]).toEqual(['dom-0', Array(16).fill(1)]);
    expect([b.name, [...b.uuid]]).toEqual(['dom-1', Array(16).fill(2)]);
  });

  it('copies an event out of the read buffer before its listeners see it', async () => {
    const { client, socket } = setup();
    const got: Uint8Array[] = [];
    client.onMessage(0x20008086, (m) => got.push(m.payload));
    const readBuffer = Buffer.alloc(64);
    for (const n of [5, 6]) {
      const msg = encodeFrame({ prog: 0x20008086, vers: 1, proc: 300, type: 2, serial: 0, status: 0 }, (w) => w.int(n, 'x'));
      readBuffer.set(msg);
      socket.emit('data', readBuffer.subarray(0, msg.length));
    }
    readBuffer.fill(0xee);
    expect(got.map((p) => Buffer.from(p).readInt32BE(0))).toEqual([5, 6]);
  });

  it("passes the daemon's errors, and only those, through the daemon error hook", async () => {
    const { client, peer } = setup();
    const seen: string[] = [];
    client.setDaemonErrorHook((err, proc) => {
      seen.push(`${proc.name}: ${err.code}`);
      return Promise.reject(new Error(`mapped ${err.str2}`));
    });
    const proc = testProc();
    const failed = client.call(proc, 1);
    const undecodable = client.call(proc, 2);
    const fine = client.call(proc, 3);
    const [a, b, c] = await peer.waitFrames(3);
    peer.send({ ...a.header, type: REPLY, status: ERROR }, (w) => virNetMessageErrorCodec.encode(w, remoteError()));
    peer.send({ ...b.header, type: REPLY, status: 0 }); // no payload: does not decode
    peer.send({ ...c.header, type: REPLY, status: 0 }, (w) => w.int(9, 'x'));
    await expect(failed).rejects.toThrow('mapped nope');
    await expect(undecodable).rejects.toBeInstanceOf(ProtocolError);
    await expect(fine).resolves.toBe(9);
    expect(seen).toEqual(['TEST_PROC_ECHO: VIR_ERR_NO_DOMAIN']);
  });

  it('turns an error reply into a LibvirtError with every field', async () => {
    const { client, peer } = setup();
    const p = client.call(testProc({ name: 'REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME' }), 1);
    const [f] = await peer.waitFrames(1);
    peer.send({ ...f.header, type: REPLY, status: ERROR }, (w) => virNetMessageErrorCodec.encode(w, remoteError()));
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).toBeInstanceOf(LibvirtRpcError);
    expect(err).toMatchObject({
      name: 'LibvirtError',
      code: 'VIR_ERR_NO_DOMAIN',
      errorCode: 42,
      wireCode: 42,
      codeName: 'VIR_ERR_NO_DOMAIN',
      domain: 10,
      domainName: 'VIR_FROM_QEMU',
      level: 2,
      levelName: 'VIR_ERR_ERROR',
      message: "Domain not found: no domain with matching name 'nope'",
      str1: 'Domain not found',
      str2: 'nope',
      str3: null,
      int1: -1,
      int2: 7,
      procedure: 'REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME',
    });
    expect(client.isOpen).toBe(true);
  });

  it("reports an old daemon's 'unknown procedure' as VIR_ERR_NO_SUPPORT, as libvirt does", async () => {
    const { client, peer } = setup();
    const p = client.call(testProc(), 1);
    const [f] = await peer.waitFrames(1);
    const e = remoteError({ code: 39, domain: 13, message: 'unknown procedure: 999', str1: null, str2: null });
    peer.send({ ...f.header, type: REPLY, status: ERROR }, (w) => virNetMessageErrorCodec.encode(w, e));
    await expect(p).rejects.toMatchObject({ errorCode: 3, wireCode: 39, codeName: 'VIR_ERR_NO_SUPPORT' });
  });

  it('says "Unknown error" for an error without a message', async () => {
    const { client, peer } = setup();
    const p = client.call(testProc(), 1);
    const [f] = await peer.waitFrames(1);
    peer.send({ ...f.header, type: REPLY, status: ERROR }, (w) => virNetMessageErrorCodec.encode(w, remoteError({ message: null })));
    await expect(p).rejects.toMatchObject({ message: 'Unknown error', wireMessage: null });
  });

  it('fails only the call whose reply has the wrong procedure or does not decode', async () => {
    const { client, peer } = setup();
    const a = client.call(testProc(), 1);
    const b = client.call(testProc(), 2);
    const [fa, fb] = await peer.waitFrames(2);
    peer.send({ ...fa.header, proc: 8, type: REPLY, status: 0 }, (w) => w.int(1, 'x'));
    peer.send({ ...fb.header, type: REPLY, status: 0 }, Buffer.from([1, 2]));
    await expect(a).rejects.toThrow(/unexpected reply procedure 8/);
    await expect(b).rejects.toBeInstanceOf(ProtocolError);
    const c = client.call(testProc(), 3);
    const [, , fc] = await peer.waitFrames(3);
    peer.reply(fc, intCodec, 3);
    await expect(c).resolves.toBe(3);
  });

  it('rejects fds procedures with UnsupportedError without touching the wire', async () => {
    const { client, peer } = setup();
    await expect(client.call(voidProc({ fds: true }), undefined)).rejects.toBeInstanceOf(UnsupportedError);
    await expect(client.call(voidProc({ fds: true }), undefined)).rejects.toThrow(/not supported over this transport/);
    await tick();
    expect(peer.raw).toHaveLength(0);
  });

  it('lets an args encoding error through without sending anything', async () => {
    const { client, peer } = setup();
    await expect(client.call(testProc(), 2 ** 40)).rejects.toMatchObject({ name: 'XdrError' });
    await tick();
    expect(peer.raw).toHaveLength(0);
  });
});

describe('RpcClient abort and timeout', () => {
  it('rejects at once for an already aborted signal, sending nothing', async () => {
    const { client, peer } = setup();
    const ac = new AbortController();
    ac.abort(new Error('not wanted'));
    const err = await client.call(testProc(), 1, { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: ac.signal.reason });
    await tick();
    expect(peer.raw).toHaveLength(0);
  });

  it('aborts a call in flight, drops its late reply and stays usable', async () => {
    const { client, peer, diagnostics } = setup();
    const ac = new AbortController();
    const p = client.call(testProc(), 1, { signal: ac.signal });
    const [f] = await peer.waitFrames(1);
    ac.abort('changed my mind');
    await expect(p).rejects.toMatchObject({ name: 'AbortError', cause: 'changed my mind' });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(client.stats.abandoned).toBe(1);
    peer.reply(f, intCodec, 1);
    const q = client.call(testProc(), 2);
    const [, g] = await peer.waitFrames(2);
    expect(g.header.serial).not.toBe(f.header.serial);
    peer.reply(g, intCodec, 22);
    await expect(q).resolves.toBe(22);
    expect(client.stats).toMatchObject({ lateReplies: 1, abandoned: 0, pending: 0 });
    expect(diagnostics.map((d) => d.kind)).toEqual(['late-reply']);
  });

  it('removes its abort listener when the call settles', async () => {
    const { client, peer } = setup();
    const ac = new AbortController();
    const p = client.call(testProc(), 1, { signal: ac.signal });
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    const [f] = await peer.waitFrames(1);
    peer.reply(f, intCodec, 5);
    await p;
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('times out, drops the late reply and stays usable', async () => {
    const { client, peer } = setup();
    const p = client.call(testProc({ name: 'SLOW' }), 1, { timeout: 10 });
    const [f] = await peer.waitFrames(1);
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'RPC_TIMEOUT', timeout: 10, message: 'SLOW timed out after 10 ms' });
    peer.reply(f, intCodec, 1);
    const q = client.call(testProc(), 2);
    const [, g] = await peer.waitFrames(2);
    peer.reply(g, intCodec, 2);
    await expect(q).resolves.toBe(2);
    expect(client.stats.lateReplies).toBe(1);
    expect(client.isOpen).toBe(true);
  });

  it('does not send a call aborted while it waits in the write queue', async () => {
    const { client, socket, peer } = setup({ clientHighWaterMark: 1 });
    socket.hold = true;
    const first = client.call(testProc(), 1); // fills the socket's buffer
    const ac = new AbortController();
    const second = client.call(testProc(), 2, { signal: ac.signal }); // queued by the client
    ac.abort();
    await expect(second).rejects.toBeInstanceOf(AbortError);
    expect(client.stats.abandoned).toBe(0);
    socket.release();
    const [f] = await peer.waitFrames(1);
    peer.reply(f, intCodec, 1);
    await expect(first).resolves.toBe(1);
    await tick();
    expect(peer.frames).toHaveLength(1);
  });
});

describe('RpcClient connection end', () => {
  it('rejects every pending call at once when the peer closes', async () => {
    const { client, peer } = setup();
    const calls = [1, 2, 3].map((i) => client.call(testProc(), i).catch((e: unknown) => e));
    await peer.waitFrames(3);
    peer.socket.end();
    const errs = await Promise.all(calls);
    expect(errs[0]).toBeInstanceOf(ConnectionClosedError);
    expect(errs[0]).toMatchObject({ reason: 'eof', closeReason: 1, code: 'RPC_CONNECTION_CLOSED' });
    expect(errs[1]).toBe(errs[0]);
    expect(errs[2]).toBe(errs[0]);
    await expect(client.closed).resolves.toBe(errs[0]);
    expect(client.isOpen).toBe(false);
    await expect(client.call(testProc(), 4)).rejects.toBe(errs[0]);
  });

  it('closes on a socket error with the error as cause', async () => {
    const { client, socket } = setup();
    const p = client.call(testProc(), 1);
    const boom = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    socket.destroy(boom);
    await expect(p).rejects.toMatchObject({ reason: 'error', cause: boom });
    await expect(client.closed).resolves.toMatchObject({ reason: 'error' });
  });

  it('closes with a ProtocolError for a reply to an unknown serial, as libvirt does', async () => {
    const { client, peer } = setup();
    const p = client.call(testProc(), 1);
    const [f] = await peer.waitFrames(1);
    peer.send({ ...f.header, serial: 12345, type: REPLY, status: 0 }, (w) => w.int(0, 'x'));
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(err).toMatchObject({ reason: 'error' });
    expect((err as Error).cause).toBeInstanceOf(ProtocolError);
    expect((err as Error).message).toMatch(/no call waiting for reply with prog \d+ vers 1 serial 12345/);
  });

  it('handles a valid reply, then closes on the garbage after it', async () => {
    const { client, peer } = setup();
    const a = client.call(testProc(), 1);
    const b = client.call(testProc(), 2);
    const [fa] = await peer.waitFrames(2);
    peer.sendRaw(Buffer.concat([encodeFrame({ ...fa.header, type: REPLY, status: 0 }, (w) => w.int(10, 'x')), hex('ff ff ff ff 01')]));
    await expect(a).resolves.toBe(10);
    const err = await b.catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'error', message: expect.stringMatching(/too large/) });
    expect((err as Error).cause).toBeInstanceOf(ProtocolError);
  });

  it('closes on a length word below 28', async () => {
    const { client, peer } = setup();
    const a = client.call(testProc(), 1);
    peer.sendRaw(hex('00 00 00 08 00 00 00 00'));
    await expect(a).rejects.toMatchObject({ reason: 'error', message: expect.stringMatching(/too small/) });
  });

  it('closes when the daemon sends a CALL', async () => {
    const { client, peer } = setup();
    peer.send({ prog: 1, vers: 1, proc: 1, type: 0, serial: 0, status: 0 });
    await expect(client.closed).resolves.toMatchObject({ reason: 'error', message: /unexpected RPC call/ });
  });

  it('destroy(err) rejects pending calls with reason client and cause err', async () => {
    const { client } = setup();
    const p = client.call(testProc(), 1);
    const why = new Error('shutting down');
    client.destroy(why);
    await expect(p).rejects.toMatchObject({ reason: 'client', cause: why });
  });

  it('close() rejects pending calls, still writes queued packets, then ends the socket', async () => {
    const { client, peer } = setup();
    const p = client.call(testProc(), 1);
    const ch = client.openStream(voidProc({ number: 0x667 }), { onPacket() {}, onClose() {} });
    ch.write(Buffer.from('last words'));
    const closing = client.close();
    await expect(p).rejects.toMatchObject({ reason: 'client' });
    await closing;
    await tick();
    expect(peer.ended).toBe(true);
    expect(peer.frames.map((f) => f.header.type)).toEqual([0, 3]);
    expect(peer.frames[1].payload.toString()).toBe('last words');
    await expect(client.closed).resolves.toMatchObject({ reason: 'client', closeReason: 3 });
    await client.close(); // idempotent
  });

  it('close() drops a queued call nobody waits for any more', async () => {
    const { client, socket, peer } = setup({ clientHighWaterMark: 1 });
    socket.hold = true;
    const a = client.call(testProc(), 1).catch((e: unknown) => e);
    const b = client.call(testProc(), 2).catch((e: unknown) => e);
    const closing = client.close();
    socket.release();
    await closing;
    expect(await a).toBeInstanceOf(ConnectionClosedError);
    expect(await b).toBeInstanceOf(ConnectionClosedError);
    await tick();
    expect(peer.frames).toHaveLength(1);
  });
});

describe('RpcClient writes', () => {
  it('writes every call of a burst larger than the socket buffer, the last ones included', async () => {
    const { client, socket, peer } = setup({ clientHighWaterMark: 64 });
    socket.hold = true;
    const proc = testProc();
    const calls = Array.from({ length: 51 }, (_, i) => client.call(proc, i));
    socket.release();
    const frames = await peer.waitFrames(51);
    expect(frames.map((f) => f.payload.readInt32BE(0))).toEqual(Array.from({ length: 51 }, (_, i) => i));
    for (const f of frames) peer.reply(f, intCodec, f.payload.readInt32BE(0));
    await expect(Promise.all(calls)).resolves.toHaveLength(51);
  });

  it('queues writes in order while the socket has not drained', async () => {
    const { client, socket, peer } = setup({ clientHighWaterMark: 64 });
    socket.hold = true;
    const proc = testProc();
    const calls = Array.from({ length: 50 }, (_, i) => client.call(proc, i));
    const ch = client.openStream(voidProc({ number: 0x700 }), { onPacket() {}, onClose() {} });
    expect(ch.write(Buffer.from('after the calls'))).toBe(false);
    let drained = false;
    const d = ch.drain().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);
    socket.release();
    const frames = await peer.waitFrames(51);
    await d;
    expect(frames.slice(0, 50).map((f) => f.payload.readInt32BE(0))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(frames[50].payload.toString()).toBe('after the calls');
    for (const f of frames.slice(0, 50)) peer.reply(f, intCodec, 0);
    await Promise.all(calls);
  });
});

describe('RpcClient events', () => {
  const EVENT = { prog: 0x20008086, vers: 1, proc: 107, type: 2, serial: 0, status: 0 };

  it('delivers MESSAGE packets to the listeners of their program', async () => {
    const { client, peer } = setup();
    const got: Array<[number, string]> = [];
    const off = client.onMessage(0x20008086, (m) => got.push([m.procedure, Buffer.from(m.payload).toString('hex')]));
    client.onMessage(0x20008087, () => expect.unreachable());
    peer.send(EVENT, (w) => w.int(5, 'x'));
    await tick();
    await tick();
    off();
    peer.send(EVENT, (w) => w.int(6, 'x'));
    await tick();
    expect(got).toEqual([[107, '00000005']]);
  });

  it('decodes events with onEvent and drops ones that do not decode', async () => {
    const { client, peer, diagnostics } = setup();
    const proc = testProc({ number: 107, event: true, ret: null });
    const got: number[] = [];
    client.onEvent(proc, (v) => got.push(v));
    peer.send(EVENT, (w) => w.int(9, 'x'));
    peer.send(EVENT, Buffer.from([1]));
    peer.send({ ...EVENT, proc: 108 }, (w) => w.int(10, 'x'));
    await tick();
    await tick();
    expect(got).toEqual([9]);
    expect(diagnostics.map((d) => d.kind)).toEqual(['bad-event']);
  });

  it('drops the error MESSAGE vector (status ERROR) like libvirt', async () => {
    const { client, peer, diagnostics } = setup();
    client.onMessage(0x11223344, () => expect.unreachable());
    peer.sendRaw(
      hex(`00 00 00 74 11 22 33 44 00 00 00 01 00 00 06 66 00 00 00 02 00 00 00 99 00 00 00 01
        00 00 00 01 00 00 00 07 00 00 00 01 00 00 00 0b 48 65 6c 6c 6f 20 57 6f 72 6c 64 00
        00 00 00 02 00 00 00 00 00 00 00 01 00 00 00 03 4f 6e 65 00 00 00 00 01 00 00 00 03
        54 77 6f 00 00 00 00 01 00 00 00 05 54 68 72 65 65 00 00 00 00 00 00 01 00 00 00 02 00 00 00 00`),
    );
    await tick();
    await tick();
    expect(diagnostics).toMatchObject([{ kind: 'unhandled-message', header: { type: 2, status: 1, serial: 0x99 } }]);
    expect(client.stats.droppedMessages).toBe(1);
    expect(client.isOpen).toBe(true);
  });

  it('survives a listener that throws', async () => {
    const { client, peer, diagnostics } = setup();
    let n = 0;
    client.onMessage(0x20008086, () => {
      throw new Error('listener bug');
    });
    client.onMessage(0x20008086, () => n++);
    peer.send(EVENT);
    await tick();
    await tick();
    expect(n).toBe(1);
    expect(diagnostics).toMatchObject([{ kind: 'listener-error' }]);
    expect(client.isOpen).toBe(true);
  });
});

describe('RpcClient streams', () => {
  const FOX = 'The quick brown fox jumps over the lazy dog';
  const OPEN = voidProc({ number: 0x666, stream: 'read' });

  async function openStream() {
    const ctx = setup();
    const packets: unknown[] = [];
    const closes: ConnectionClosedError[] = [];
    // Burn serials up to 0x99 so the stream gets the vector's serial.
    const burn = Array.from({ length: 0x99 }, () => ctx.client.call(voidProc(), undefined));
    const frames = await ctx.peer.waitFrames(0x99);
    for (const f of frames) ctx.peer.reply(f, null);
    await Promise.all(burn);
    const ch = ctx.client.openStream(OPEN, { onPacket: (p) => packets.push(p), onClose: (e) => closes.push(e) });
    const call = ctx.client.call(OPEN, undefined, { stream: ch });
    call.catch(() => {}); // some tests never answer it
    const [f] = (await ctx.peer.waitFrames(0x9a)).slice(-1);
    return { ...ctx, ch, call, openFrame: f as Frame, packets, closes };
  }

  it('opens the stream with the channel serial and routes its packets to the sink', async () => {
    const { client, peer, ch, call, openFrame, packets } = await openStream();
    expect(ch.serial).toBe(0x99);
    expect(openFrame.header).toMatchObject({ prog: 0x11223344, proc: 0x666, serial: 0x99, type: 0 });
    peer.reply(openFrame, null);
    await call;
    // The STREAM vector: type 3, status CONTINUE, 71 bytes, no padding.
    peer.sendRaw(Buffer.concat([hex('00 00 00 47 11 22 33 44 00 00 00 01 00 00 06 66 00 00 00 03 00 00 00 99 00 00 00 02'), Buffer.from(FOX)]));
    peer.send({ ...openFrame.header, type: 6, status: 2 }, (w) => {
      w.hyper(1n << 40n, 'length');
      w.uint(0, 'flags');
    });
    peer.send({ ...openFrame.header, type: 3, status: 2 });
    peer.send({ ...openFrame.header, type: 3, status: 0 });
    await tick();
    await tick();
    expect(packets).toEqual([
      { kind: 'data', data: Buffer.from(FOX) },
      { kind: 'hole', length: 1n << 40n, flags: 0 },
      { kind: 'data', data: Buffer.alloc(0) },
      { kind: 'finish' },
    ]);
    expect(client.isOpen).toBe(true);
  });

  it('sends data (the 71-byte STREAM vector), holes, finish and abort with the serial', async () => {
    const { peer, ch, openFrame } = await openStream();
    peer.reply(openFrame, null);
    expect(ch.write(Buffer.from(FOX))).toBe(true);
    ch.writeHole(4096n);
    ch.finish();
    ch.abort();
    const frames = (await peer.waitFrames(0x9a + 4)).slice(-4);
    const raw = Buffer.concat(peer.raw);
    const vector = Buffer.concat([hex('00 00 00 47 11 22 33 44 00 00 00 01 00 00 06 66 00 00 00 03 00 00 00 99 00 00 00 02'), Buffer.from(FOX)]);
    expect(raw.indexOf(vector)).toBeGreaterThan(0);
    expect(frames.map((f) => [f.header.type, f.header.status, f.header.serial, f.payload.length])).toEqual([
      [3, 2, 0x99, 43],
      [6, 2, 0x99, 12],
      [3, 0, 0x99, 0],
      [3, 1, 0x99, 0],
    ]);
    expect(frames[1].payload).toEqual(hex('00 00 00 00 00 00 10 00 00 00 00 00'));
  });

  it('splits large writes into packets of at most 262120 bytes', async () => {
    const { peer, ch, openFrame } = await openStream();
    peer.reply(openFrame, null);
    ch.write(Buffer.alloc(600_000, 1));
    const frames = (await peer.waitFrames(0x9a + 3)).slice(-3);
    expect(frames.map((f) => f.payload.length)).toEqual([262120, 262120, 600_000 - 2 * 262120]);
  });

  it('gives the sink a LibvirtError from a STREAM ERROR packet', async () => {
    const { peer, openFrame, packets } = await openStream();
    peer.send({ ...openFrame.header, type: 3, status: 1 }, (w) => virNetMessageErrorCodec.encode(w, remoteError()));
    await tick();
    await tick();
    expect(packets).toHaveLength(1);
    expect((packets[0] as { error: LibvirtError }).error).toBeInstanceOf(LibvirtError);
    expect(packets[0]).toMatchObject({ kind: 'error', error: { codeName: 'VIR_ERR_NO_DOMAIN' } });
  });

  it('drops packets for a released stream or an unknown serial', async () => {
    const { client, peer, ch, openFrame, packets } = await openStream();
    ch.release();
    expect(ch.open).toBe(false);
    expect(() => ch.write(Buffer.from('x'))).toThrow(/released/);
    peer.send({ ...openFrame.header, type: 3, status: 2 }, Buffer.from('late'));
    peer.send({ ...openFrame.header, serial: 4242, type: 3, status: 2 }, Buffer.from('who'));
    await tick();
    await tick();
    expect(packets).toEqual([]);
    expect(client.stats.droppedStreamPackets).toBe(2);
    expect(client.isOpen).toBe(true);
  });

  it('tells the sink when the connection ends', async () => {
    const { client, peer, ch, closes } = await openStream();
    peer.socket.end();
    const reason = await client.closed;
    expect(closes).toEqual([reason]);
    expect(ch.open).toBe(false);
    expect(() => ch.write(Buffer.from('x'))).toThrow(ConnectionClosedError);
    await expect(ch.drain()).rejects.toBe(reason);
  });
});
