/**
 * Long-lived agents against a scripted fake daemon: events crowded by other callback IDs
 * while a registration is in flight, drop counters, reconnection (re-registration, gap
 * markers, calls in flight and calls while down), an iterator's end reported once, the
 * diagnostics channels, the default bound on opening, and frame buffers that follow the bytes
 * received. The same behaviours against real daemons are in test/integration/agents*.test.ts.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHANNELS,
  ConnectionClosedError,
  connect,
  DEFAULT_OPEN_TIMEOUT_MS,
  enableDebugLog,
  TimeoutError,
  type CallEndMessage,
  type CallStartMessage,
  type DomainEvent,
  type EventGap,
} from '../../../src/index.js';
import { debugLevel } from '../../../src/api/debug-log.js';
import { FrameReader } from '../../../src/rpc/frame.js';
import { RpcClient } from '../../../src/rpc/client.js';
import { closeFakeDaemons, dom, fakeDaemon, until } from '../../support/scripted-peer.js';

afterEach(closeFakeDaemons);

const A = dom('a', 1, 1);
const B = dom('b', 2, 2);
const lifecycle = (callbackID: number, d: typeof A) => ({ callbackID, msg: { dom: d, event: 2, detail: 0 } });

describe('events while a registration is in flight', () => {
  it("10,000 events of another callback ID do not crowd out the registration's first events, and are counted", async () => {
    const fake = await fakeDaemon({
      handlers: {
        REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: (_a, d) => {
          for (let i = 0; i < 10_000; i++) d.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(8, B));
          d.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(7, A));
          d.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(7, B));
          return { callbackID: 7 };
        },
      },
    });
    await using conn = await fake.connect();
    const seen: string[] = [];
    await conn.events.onDomain('lifecycle', (e) => void seen.push(e.domain.name));
    expect(seen).toEqual(['a', 'b']);
    expect(conn.events.dropped).toEqual({ unknownCallback: 10_000, overflow: 0 });
  });

  it('counts an event of an unknown callback ID when nothing is registering, and publishes each drop', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const drops: unknown[] = [];
    const onDrop = (m: unknown): void => void drops.push(m);
    subscribe(CHANNELS.eventDropped, onDrop);
    try {
      const seen: string[] = [];
      await conn.events.onDomain('lifecycle', (e) => void seen.push(e.domain.name));
      fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(999, A));
      fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(100, B));
      await until(() => seen.length === 1, 'the event of callback 100');
      expect(seen).toEqual(['b']);
      expect(conn.events.dropped.unknownCallback).toBe(1);
      expect(drops).toEqual([expect.objectContaining({ cause: 'unknown-callback', callbackId: 999 })]);
    } finally {
      unsubscribe(CHANNELS.eventDropped, onDrop);
    }
  });
});

describe('reconnect (fake daemon dropping its clients)', () => {
  it('re-registers, reports the gap to onGap and in iterators, rejects the call in flight, and a call made while down waits', async () => {
    const fake = await fakeDaemon({ handlers: { REMOTE_PROC_CONNECT_GET_HOSTNAME: () => ({ hostname: 'fake' }) } });
    const conn = await connect(`test+unix:///default?socket=${fake.socketPath}`, {
      keepalive: false,
      reconnect: { initialDelay: 10, maxDelay: 50 },
    });
    const gaps: EventGap[] = [];
    conn.events.onGap((g) => void gaps.push(g));
    const listened: string[] = [];
    await conn.events.onDomain('lifecycle', (e) => void listened.push(e.domain.name));
    const stream = conn.events.domain('lifecycle', { gaps: true });
    await stream.ready;
    const registers = () => fake.calls.filter((c) => c.name === 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY').length;
    expect(registers()).toBe(1);

    const inFlight = conn.raw.connectGetHostname().catch((e: unknown) => e);
    fake.dropClients(); // before the reply can come
    expect(await inFlight).toBeInstanceOf(ConnectionClosedError);
    const whileDown = conn.raw.connectGetHostname();
    await until(() => gaps.length === 1, 'the gap');
    expect(await whileDown).toBe('fake');
    expect(conn.state).toBe('open');
    expect(conn.reconnects).toBe(1);
    await until(() => registers() === 2 && conn.events.registrations.every((r) => r.state === 'active'), 'the re-registration');
    const newId = conn.events.registrations[0]!.callbackId!;
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(newId, A));
    await until(() => listened.length === 1, 'the event after the reconnect');
    const first = (await stream.next()).value as EventGap;
    const second = (await stream.next()).value as DomainEvent<'lifecycle'>;
    expect(first.kind).toBe('gap');
    expect(first.reason).toBeInstanceOf(ConnectionClosedError);
    expect(second.domain.name).toBe('a');
    expect(stream.gaps).toBe(1);
    expect(gaps[0]!.attempts).toBeGreaterThanOrEqual(1);
    await conn.close();
    expect((await conn.closed).reason).toBe('client');
    expect(conn.state).toBe('closed');
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it("without reconnect, an iterator reports the connection's end once, then is done", async () => {
    const fake = await fakeDaemon();
    const conn = await fake.connect();
    const stream = conn.events.domain('lifecycle');
    await stream.ready;
    fake.dropClients();
    const results = [await stream.next().catch((e: unknown) => e), await stream.next().catch((e: unknown) => e), await stream.next().catch((e: unknown) => e)];
    expect(results[0]).toBeInstanceOf(ConnectionClosedError);
    expect(results.slice(1)).toEqual([
      { value: undefined, done: true },
      { value: undefined, done: true },
    ]);
    await conn.close();
  });
});

describe('diagnostics channels', () => {
  it('a start and an end with a duration for every call, with program, procedure and serial', async () => {
    const fake = await fakeDaemon();
    const starts: CallStartMessage[] = [];
    const ends: CallEndMessage[] = [];
    const onStart = (m: unknown): void => void starts.push(m as CallStartMessage);
    const onEnd = (m: unknown): void => void ends.push(m as CallEndMessage);
    subscribe(CHANNELS.callStart, onStart);
    subscribe(CHANNELS.callEnd, onEnd);
    try {
      const conn = await fake.connect();
      await conn.raw.connectGetLibVersion().catch(() => {}); // the fake has no handler: an error
      await conn.close();
    } finally {
      unsubscribe(CHANNELS.callStart, onStart);
      unsubscribe(CHANNELS.callEnd, onEnd);
    }
    expect(starts.map((s) => s.name)).toEqual(fake.calls.map((c) => c.name));
    expect(ends.map((e) => `${e.connectionId}/${e.serial}`).sort()).toEqual(starts.map((s) => `${s.connectionId}/${s.serial}`).sort());
    for (const e of ends) expect(e.duration).toBeGreaterThanOrEqual(0);
    const failed = ends.find((e) => e.name === 'REMOTE_PROC_CONNECT_GET_LIB_VERSION');
    expect(failed?.error?.message).toContain('no handler');
    expect(failed?.program).toBe(0x20008086);
  });
});

describe('the LIBVIRT_DEBUG log', () => {
  it("reads libvirt's priorities and names, ignores anything else", () => {
    expect(['1', '2', '3', '4', 'debug', 'Info', 'warning', 'error', '0', '', 'yes', '5'].map(debugLevel)).toEqual([
      1,
      2,
      3,
      4,
      1,
      2,
      3,
      4,
      null,
      null,
      null,
      null,
    ]);
  });

  it("writes the plan, the auth steps and each call with its reply, in libvirt's layout", async () => {
    const fake = await fakeDaemon();
    const lines: string[] = [];
    enableDebugLog('1', (l) => void lines.push(l));
    const conn = await fake.connect();
    await conn.close();
    const text = lines.join('');
    expect(text).toMatch(/: info : plan uri=test\+unix:\/\/\/default\?socket=\S+ driver=test transport=unix /);
    expect(text).toMatch(/: info : connection \d+ auth chosen none\n/);
    expect(text).toMatch(/: debug : connection \d+ call REMOTE_PROC_CONNECT_OPEN prog=0x20008086 proc=1 serial=\d+\n/);
    expect(text).toMatch(/: debug : connection \d+ reply REMOTE_PROC_CONNECT_OPEN serial=\d+ [\d.]+ ms ok\n/);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: \d+: (debug|info|warning|error) : .*\n$/);
  });
});

describe('opening is bounded', () => {
  it(
    `a server that accepts and never answers: connect() with no options rejects after the default ${DEFAULT_OPEN_TIMEOUT_MS} ms`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lvrpc-silent-'));
      const sockets: Socket[] = [];
      const server = createServer((s) => void sockets.push(s));
      await new Promise<void>((r) => server.listen(join(dir, 'sock'), r));
      try {
        const err = await connect(`test+unix:///default?socket=${join(dir, 'sock')}`).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TimeoutError);
        expect((err as TimeoutError).timeout).toBe(DEFAULT_OPEN_TIMEOUT_MS);
        expect((err as Error).message).toContain('REMOTE_PROC_AUTH_LIST');
      } finally {
        for (const s of sockets) s.destroy();
        server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    DEFAULT_OPEN_TIMEOUT_MS + 15_000,
  );
});

describe('frame buffers follow the bytes received', () => {
  it('a 32 MiB length word allocates 64 KiB, and the buffer grows with the bytes', () => {
    const r = new FrameReader();
    const word = Buffer.alloc(4);
    word.writeUInt32BE(32 * 1024 * 1024);
    r.push(word, () => {});
    expect(r.allocated).toBe(64 * 1024);
    r.push(Buffer.alloc(200_000), () => {});
    expect(r.buffered).toBe(200_004);
    expect(r.allocated).toBeLessThan(2 * 200_004);
  });

  it('a frame torn into many pieces arrives whole', () => {
    const len = 1_000_000;
    const frame = Buffer.alloc(len, 7);
    frame.writeUInt32BE(len, 0);
    for (let i = 4; i < 28; i++) frame[i] = 0;
    const r = new FrameReader();
    const got: Uint8Array[] = [];
    for (let p = 0; p < len; p += 65_536) r.push(frame.subarray(p, Math.min(len, p + 65_536)), (f) => void got.push(f.payload));
    expect(got).toHaveLength(1);
    expect(got[0]!.length).toBe(len - 28);
    expect(got[0]!.every((b) => b === 7)).toBe(true);
  });

  it('20 peers each sending only a 32 MiB length word: the clients hold about what they received', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lvrpc-word-'));
    const path = join(dir, 'sock');
    const server = createServer((s) => {
      const word = Buffer.alloc(4);
      word.writeUInt32BE(32 * 1024 * 1024);
      s.write(word);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(path, r));
    const before = process.memoryUsage().arrayBuffers;
    const clients: RpcClient[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const sock = netConnect(path);
        await new Promise<void>((r) => sock.once('connect', () => r()));
        const c = new RpcClient(sock, { keepalive: false });
        clients.push(c);
        c.call({ name: 'X', programNumber: 0x20008086, version: 1, number: 1, args: null, ret: null, fds: false } as never, undefined).catch(() => {});
      }
      await until(() => clients.every((c) => c.stats.framesReceived === 0) && true, 'the clients');
      await new Promise((r) => setTimeout(r, 200));
      const grown = process.memoryUsage().arrayBuffers - before;
      // 20 x 32 MiB = 640 MiB if the declared length were allocated; 20 x 64 KiB = 1.25 MiB now.
      expect(grown).toBeLessThan(16 * 1024 * 1024);
      expect(clients.every((c) => c.isOpen)).toBe(true);
    } finally {
      for (const c of clients) c.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
