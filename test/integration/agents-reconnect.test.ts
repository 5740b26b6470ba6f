/**
 * Reconnection against real daemons: a daemon killed (SIGKILL) and started again on the same
 * socket while an event iterator and a listener are active. Both receive the lifecycle events
 * of a domain started after the restart, the gap is reported (onGap, and a marker in the
 * iterator), calls made meanwhile wait for the new connection, object handles from before the
 * drop keep working, and nothing ends as an unhandled rejection. Over unix and over tcp.
 */
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNELS, connect, ConnectionClosedError, type DomainEvent, type EventGap, type ReconnectMessage } from '../../src/index.js';
import { startExtraDaemon } from './env.js';
import { restartDaemon } from './restart.js';

const domainXml = (name: string): string =>
  `<domain type='test'><name>${name}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`;

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe.each(['unix', 'tcp'] as const)('reconnect over %s', (transport) => {
  it('a daemon killed and started again on the same socket: the iterator and the listener get the events of a domain started after it', async () => {
    const d = await startExtraDaemon({ label: `re${transport}` });
    const uri = transport === 'unix' ? d.uris.testDefaultUnix : d.uris.testDefaultTcp;
    const conn = await connect(uri, { reconnect: { initialDelay: 50, maxDelay: 500 } });
    const listened: string[] = [];
    await conn.events.onDomain('lifecycle', (e) => void listened.push(`${e.domain.name}:${e.event}`));
    const gaps: EventGap[] = [];
    conn.events.onGap((g) => void gaps.push(g));
    const stream = conn.events.domain('lifecycle', { gaps: true });
    await stream.ready;
    const before = `before-${randomBytes(3).toString('hex')}`;
    await conn.raw.domainDefineXML(domainXml(before));
    await until(() => listened.includes(`${before}:defined`), 'the event before the restart');

    const oldId = conn.client.connectionId;
    const handle = await conn.domainLookupByName('test'); // an object handle from before the drop
    const phases: ReconnectMessage[] = [];
    const onReconnect = (m: unknown): void => void phases.push(m as ReconnectMessage);
    subscribe(CHANNELS.reconnect, onReconnect);
    d.kill('SIGKILL');
    await d.exited;
    await until(() => conn.state === 'reconnecting', 'the drop to be noticed');
    const whileDown = conn.raw.connectGetType(); // waits for the new connection
    await restartDaemon(d);
    await until(() => gaps.length === 1, 'the reconnection');
    expect(await whileDown).toBe('TEST');
    expect(await handle.isActive()).toBe(true); // the handle calls through the new connection
    expect(conn.client.connectionId).not.toBe(oldId);
    expect(conn.reconnects).toBe(1);
    expect(gaps[0]!.reason).toBeInstanceOf(ConnectionClosedError);
    unsubscribe(CHANNELS.reconnect, onReconnect);
    // Attempts while the daemon was down failed; the last one connected, as the new connection.
    expect(phases.at(-1)).toMatchObject({ phase: 'connected', connectionId: conn.client.connectionId, attempt: gaps[0]!.attempts });
    expect(phases.filter((p) => p.phase === 'attempt')).toHaveLength(gaps[0]!.attempts);
    expect(phases.filter((p) => p.phase === 'failed')).toHaveLength(gaps[0]!.attempts - 1);
    await until(() => conn.events.registrations.every((r) => r.state === 'active'), 'the re-registration');

    // A domain defined and started after the restart, by another client.
    const after = `after-${randomBytes(3).toString('hex')}`;
    {
      await using actor = await connect(uri);
      const dom = await actor.raw.domainDefineXML(domainXml(after));
      await actor.raw.domainCreate(dom);
    }
    await until(() => listened.includes(`${after}:started`), 'the listener to see the new domain start');
    expect(listened).toEqual([`${before}:defined`, `${after}:defined`, `${after}:started`]);

    const items: Array<DomainEvent<'lifecycle'> | EventGap> = [];
    while (items.length < 4) items.push((await stream.next()).value as DomainEvent<'lifecycle'> | EventGap);
    expect(items.map((i) => (i.kind === 'gap' ? 'gap' : `${i.domain.name}:${i.event}`))).toEqual([
      `${before}:defined`,
      'gap',
      `${after}:defined`,
      `${after}:started`,
    ]);
    expect(stream.gaps).toBe(1);
    await conn.close();
    expect((await conn.closed).reason).toBe('client');
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  }, 90_000);
});

describe('reconnect gives up', () => {
  it('after maxAttempts: closed resolves with the reason, calls and iterators end, no unhandled rejection', async () => {
    const d = await startExtraDaemon({ label: 'giveup' });
    const conn = await connect(d.uris.testDefaultUnix, { reconnect: { initialDelay: 20, maxDelay: 40, maxAttempts: 3 } });
    const stream = conn.events.domain('lifecycle');
    await stream.ready;
    d.kill('SIGKILL');
    const reason = await conn.closed;
    expect(reason).toBeInstanceOf(ConnectionClosedError);
    expect(reason.message).toMatch(/gave up after 3 attempts/);
    expect(conn.state).toBe('closed');
    expect(await conn.raw.connectGetType().catch((e: unknown) => e)).toBe(reason);
    expect(await stream.next().catch((e: unknown) => e)).toBe(reason);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    await conn.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  }, 60_000);
});
