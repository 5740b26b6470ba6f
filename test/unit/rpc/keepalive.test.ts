import { describe, expect, it, vi } from 'vitest';
import { Keepalive, systemClock, type KeepaliveClock } from '../../../src/rpc/keepalive.js';
import { RpcClient } from '../../../src/rpc/client.js';
import { ConnectionClosedError } from '../../../src/rpc/errors.js';
import type { FrameHeader } from '../../../src/rpc/frame.js';
import { memoryPair, ScriptedPeer } from '../../support/scripted-peer.js';
import { testProc, tick } from './helpers.js';

const KEEPALIVE = 0x6b656570;
const PING: FrameHeader = { prog: KEEPALIVE, vers: 1, proc: 1, type: 2, serial: 0, status: 0 };
const PONG: FrameHeader = { ...PING, proc: 2 };
const OTHER: FrameHeader = { prog: 0x20008086, vers: 1, proc: 4, type: 1, serial: 3, status: 0 };

/** A clock that only moves when told to. */
class ManualClock implements KeepaliveClock {
  time = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private id = 0;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.timers.set(++this.id, { at: this.time + ms, fn });
    return this.id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time forward, running timers as they come due. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }
}

function harness(interval = 5, count = 5) {
  const clock = new ManualClock();
  const log: string[] = [];
  const ka = new Keepalive(
    {
      send: (proc) => log.push(`${clock.time / 1000}s ${proc === 1 ? 'PING' : 'PONG'}`),
      dead: (idle, pings) => log.push(`${clock.time / 1000}s DEAD idle=${idle / 1000}s pings=${pings}`),
    },
    clock,
  );
  ka.start({ interval, count });
  return { clock, log, ka };
}

describe('Keepalive (libvirt virkeepalive.c semantics)', () => {
  it('pings every interval of silence and declares death after interval x (count + 1)', () => {
    const { clock, log } = harness();
    clock.advance(60_000);
    expect(log).toEqual(['5s PING', '10s PING', '15s PING', '20s PING', '25s PING', '30s DEAD idle=30s pings=5']);
  });

  it('treats any packet as a sign of life', () => {
    const { clock, log, ka } = harness();
    clock.advance(7_000); // one PING at 5 s
    expect(ka.received(OTHER)).toBe(false);
    clock.advance(4_000); // 11 s: nothing, the interval restarted at 7 s
    expect(log).toEqual(['5s PING']);
    clock.advance(100_000);
    expect(log).toEqual(['5s PING', '12s PING', '17s PING', '22s PING', '27s PING', '32s PING', '37s DEAD idle=30s pings=5']);
  });

  it('answers PING with PONG and swallows PONG and unknown keepalive procedures', () => {
    const { log, ka } = harness(0);
    expect(ka.received(PING)).toBe(true);
    expect(ka.received(PONG)).toBe(true);
    expect(ka.received({ ...PING, proc: 99 })).toBe(true);
    expect(ka.received({ ...PING, type: 1 })).toBe(false);
    expect(ka.received({ ...PING, vers: 2 })).toBe(false);
    expect(log).toEqual(['0s PONG']);
    expect(ka.active).toBe(false);
  });

  it('pings at once when started after a long silence, and stop() stops', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const ka = new Keepalive({ send: () => log.push(`${clock.time} PING`), dead: () => log.push('DEAD') }, clock);
    clock.advance(9_000);
    ka.start({ interval: 5, count: 1 });
    clock.advance(0);
    expect(log).toEqual(['9000 PING']);
    ka.stop();
    clock.advance(60_000);
    expect(log).toEqual(['9000 PING']);
  });
});

describe('RpcClient keepalive', () => {
  it('answers a PING with a PONG and keeps it from event listeners', async () => {
    const { client: socket, peer: peerSocket } = memoryPair();
    const client = new RpcClient(socket);
    const peer = new ScriptedPeer(peerSocket);
    client.onMessage(KEEPALIVE, () => expect.unreachable());
    peer.send(PING);
    const [pong] = await peer.waitFrames(1);
    expect(pong.header).toEqual(PONG);
    expect(pong.payload.length).toBe(0);
    client.destroy();
  });

  it('closes a dead peer with reason keepalive, rejecting pending calls', async () => {
    const { client: socket, peer: peerSocket } = memoryPair();
    const client = new RpcClient(socket, { keepalive: { interval: 0.01, count: 2 } });
    const peer = new ScriptedPeer(peerSocket);
    const pending = client.call(testProc(), 1).catch((e: unknown) => e);
    const reason = await client.closed;
    expect(reason).toBeInstanceOf(ConnectionClosedError);
    expect(reason).toMatchObject({ reason: 'keepalive', closeReason: 2 });
    expect(reason.message).toMatch(/keepalive timeout/);
    expect(await pending).toBe(reason);
    await tick();
    const pings = peer.frames.filter((f) => f.header.prog === KEEPALIVE);
    expect(pings.map((f) => f.header)).toEqual([PING, PING]);
  });

  it('stays alive while the peer answers', async () => {
    const { client: socket, peer: peerSocket } = memoryPair();
    const client = new RpcClient(socket);
    const peer = new ScriptedPeer(peerSocket);
    peerSocket.on('data', () => {
      // Answer each PING the client sends.
      for (const f of peer.frames.splice(0)) if (f.header.prog === KEEPALIVE && f.header.proc === 1) peer.send(PONG);
    });
    client.startKeepalive({ interval: 0.01, count: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(client.isOpen).toBe(true);
    client.destroy();
    await expect(client.closed).resolves.toMatchObject({ reason: 'client' });
  });
});

describe('Keepalive while reading is paused (stream flow control)', () => {
  it('never declares the peer dead while paused, and pings often enough to keep the daemon content', () => {
    const { clock, log, ka } = harness();
    clock.advance(1_000);
    ka.setPaused(true);
    clock.advance(120_000);
    expect(log.some((l) => l.includes('DEAD'))).toBe(false);
    const pings = log.filter((l) => l.endsWith('PING')).map((l) => parseFloat(l));
    // A PING at least every 2 s (the daemon's keepalive pings only after 5 s without a packet from us).
    expect(pings.length).toBeGreaterThanOrEqual(59);
    for (let i = 1; i < pings.length; i++) expect(pings[i] - pings[i - 1]).toBeLessThanOrEqual(2);
    expect(ka.isPaused).toBe(true);
  });

  it('starts the countdown afresh on resuming: a peer silent after that is dead after interval x (count + 1)', () => {
    const { clock, log, ka } = harness();
    ka.setPaused(true);
    clock.advance(100_000);
    log.length = 0;
    ka.setPaused(false);
    clock.advance(29_999);
    expect(log.some((l) => l.includes('DEAD'))).toBe(false);
    clock.advance(1);
    expect(log.filter((l) => l.includes('DEAD'))).toEqual(['130s DEAD idle=30s pings=5']);
  });

  it('pings while paused when this side does not ping but the peer speaks keepalive, and not otherwise', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const ka = new Keepalive({ send: (p) => log.push(`${clock.time} ${p}`), dead: () => log.push('DEAD') }, clock);
    ka.setPaused(true);
    clock.advance(10_000);
    expect(log).toEqual([]);
    ka.setPeerSpeaksKeepalive(true);
    clock.advance(4_000);
    expect(log).toEqual(['12000 1', '14000 1']);
    ka.setPaused(false);
    clock.advance(60_000);
    expect(log).toHaveLength(2);
  });

  it('RpcClient: a paused connection still writes its PINGs and is not closed by its own keepalive', async () => {
    const clock = new ManualClock();
    const { client: socket, peer: peerSocket } = memoryPair();
    const client = new RpcClient(socket, { keepalive: { interval: 5, count: 5 }, clock });
    const peer = new ScriptedPeer(peerSocket);
    const ch = client.openStream(testProc({ number: 0x900, stream: 'read' }), { onPacket() {}, onClose() {} });
    ch.pauseReading();
    expect(client.stats.readingPaused).toBe(true);
    clock.advance(60_000);
    await tick();
    expect(client.isOpen).toBe(true);
    expect(peer.frames.filter((f) => f.header.prog === KEEPALIVE && f.header.proc === 1).length).toBeGreaterThanOrEqual(29);
    // The daemon's PONGs wait in the socket until reading resumes.
    peer.send(PONG);
    await tick();
    ch.resumeReading();
    expect(client.stats.readingPaused).toBe(false);
    expect(client.stats.readPauses).toBe(1);
    client.destroy();
  });
});

describe('systemClock', () => {
  it('unrefs its timers in Node, so keepalive never keeps a process alive', () => {
    const t = systemClock.setTimeout(() => {}, 60_000) as ReturnType<typeof setTimeout>;
    expect(t.hasRef()).toBe(false);
    systemClock.clearTimeout(t);
  });

  it('takes a browser timer, a number with nothing to unref', () => {
    vi.stubGlobal('setTimeout', () => 42);
    try {
      expect(systemClock.setTimeout(() => {}, 5000)).toBe(42);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
