/**
 * The in-flight limit of RpcClient (src/rpc/in-flight.ts): calls that may block (low priority)
 * above it wait in the client and go out, in order, as replies free slots; calls that do not
 * block (`@priority: high`) are never held and take no slot; a call given up while waiting is
 * never sent; an abandoned call keeps its slot until its late reply; keepalive is never held.
 * The limit against a real libvirtd (five calls stuck for 40 s plus 1,000 others) is in
 * test/integration/agents-inflight.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient } from '../../../src/rpc/client.js';
import { TimeoutError } from '../../../src/rpc/errors.js';
import { memoryPair, ScriptedPeer } from '../../support/scripted-peer.js';
import { intCodec, testProc, tick } from './helpers.js';

let clients: RpcClient[] = [];
afterEach(() => {
  for (const c of clients) c.destroy();
  clients = [];
});

function setup(maxInFlight: number) {
  const { client: socket, peer: peerSocket } = memoryPair();
  const client = new RpcClient(socket, { maxInFlight });
  clients.push(client);
  return { client, peer: new ScriptedPeer(peerSocket) };
}

describe('RpcClient in-flight limit', () => {
  it('sends at most maxInFlight calls that may block; the others go out in order as replies come', async () => {
    const { client, peer } = setup(2);
    const proc = testProc({ priority: 'low' });
    const calls = Array.from({ length: 5 }, (_, i) => client.call(proc, i));
    const first = await peer.waitFrames(2);
    await tick();
    expect(peer.frames).toHaveLength(2);
    expect(client.stats).toMatchObject({ inFlight: 2, queued: 3, queuedTotal: 3 });
    peer.reply(first[0]!, intCodec, 10);
    await calls[0];
    const three = await peer.waitFrames(3);
    expect(three.map((f) => f.payload.readInt32BE(0))).toEqual([0, 1, 2]);
    for (const f of three.slice(1)) peer.reply(f, intCodec, 0);
    const all = await peer.waitFrames(5);
    for (const f of all.slice(3)) peer.reply(f, intCodec, 0);
    await Promise.all(calls);
    expect(all.map((f) => f.payload.readInt32BE(0))).toEqual([0, 1, 2, 3, 4]);
    expect(client.stats).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('a waiting call that times out is never sent; an abandoned call holds its slot until its late reply', async () => {
    const { client, peer } = setup(1);
    const proc = testProc({ priority: 'low' });
    const sent = client.call(proc, 1, { timeout: 20 });
    const waiting = client.call(proc, 2, { timeout: 20 });
    expect(await sent.catch((e: unknown) => e)).toBeInstanceOf(TimeoutError);
    expect(await waiting.catch((e: unknown) => e)).toBeInstanceOf(TimeoutError);
    const later = client.call(proc, 3);
    await tick();
    expect(peer.frames.map((f) => f.payload.readInt32BE(0))).toEqual([1]);
    expect(client.stats.inFlight).toBe(1);
    peer.reply(peer.frames[0]!, intCodec, 0); // the late reply frees the slot
    const frames = await peer.waitFrames(2);
    expect(frames.map((f) => f.payload.readInt32BE(0))).toEqual([1, 3]);
    peer.reply(frames[1]!, intCodec, 33);
    expect(await later).toBe(33);
  });

  it('calls that do not block go out at once beside held ones, and take no slot', async () => {
    const { client, peer } = setup(1);
    const slow = testProc({ priority: 'low' });
    const fast = testProc({ priority: 'high' });
    const held = [client.call(slow, 1), client.call(slow, 2)];
    const quick = Array.from({ length: 10 }, (_, i) => client.call(fast, 100 + i));
    const frames = await peer.waitFrames(11);
    await tick();
    expect(peer.frames).toHaveLength(11);
    expect(frames.map((f) => f.payload.readInt32BE(0))).toEqual([1, ...Array.from({ length: 10 }, (_, i) => 100 + i)]);
    expect(client.stats).toMatchObject({ inFlight: 1, queued: 1, pending: 12 });
    for (const f of frames.slice(1)) peer.reply(f, intCodec, f.payload.readInt32BE(0) + 1);
    expect(await Promise.all(quick)).toEqual(Array.from({ length: 10 }, (_, i) => 101 + i));
    // Ten replies of calls that do not block freed no slot: the second slow call still waits.
    await tick();
    expect(peer.frames).toHaveLength(11);
    expect(client.stats).toMatchObject({ inFlight: 1, queued: 1 });
    peer.reply(frames[0]!, intCodec, 7);
    expect(await held[0]).toBe(7);
    const all = await peer.waitFrames(12);
    expect(all[11]!.payload.readInt32BE(0)).toBe(2);
    peer.reply(all[11]!, intCodec, 8);
    expect(await held[1]).toBe(8);
    expect(client.stats).toMatchObject({ inFlight: 0, queued: 0, pending: 0 });
  });

  it('an abandoned call that does not block frees no slot with its late reply', async () => {
    const { client, peer } = setup(1);
    const slow = testProc({ priority: 'low' });
    const fast = testProc({ priority: 'high' });
    const quick = client.call(fast, 1, { timeout: 20 });
    const first = client.call(slow, 2);
    const second = client.call(slow, 3);
    expect(await quick.catch((e: unknown) => e)).toBeInstanceOf(TimeoutError);
    const frames = await peer.waitFrames(2);
    peer.reply(frames[0]!, intCodec, 0); // the late reply of the abandoned fast call
    await tick();
    expect(client.stats).toMatchObject({ inFlight: 1, queued: 1, lateReplies: 1 });
    expect(peer.frames).toHaveLength(2);
    peer.reply(frames[1]!, intCodec, 20);
    expect(await first).toBe(20);
    const all = await peer.waitFrames(3);
    peer.reply(all[2]!, intCodec, 30);
    expect(await second).toBe(30);
  });

  it('rejects a limit below 1', () => {
    const { client: socket } = memoryPair();
    expect(() => new RpcClient(socket, { maxInFlight: 0 })).toThrow(/maxInFlight/);
  });
});
