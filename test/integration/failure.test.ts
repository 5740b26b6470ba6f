/**
 * What happens when the daemon dies or stops answering: every pending call
 * rejects promptly with the reason, keepalive declares a silent peer dead,
 * and timeouts fire. Each test runs its own daemon, since it kills it.
 */
import { describe, expect, it } from 'vitest';
import { connect, ConnectionClosedError, TimeoutError } from '../../src/index.js';
import { startExtraDaemon } from './env.js';

describe('a daemon that goes away', () => {
  it('killed mid-call: every pending call rejects within 1 s with a connection-closed error', async () => {
    const d = await startExtraDaemon({ label: 'kill' });
    const conn = await connect(d.uris.testDefaultUnix, { keepalive: false });
    expect(await conn.raw.connectGetType()).toBe('TEST');
    // Stop it first so the calls are certainly still pending when it dies.
    d.kill('SIGSTOP');
    const pending = Array.from({ length: 20 }, () =>
      conn.raw.connectListAllDomains(1, 0).then(
        () => 'resolved',
        (e: unknown) => e,
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(conn.client.stats.pending).toBe(20);
    const t0 = performance.now();
    d.kill('SIGKILL');
    const results = await Promise.all(pending);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(1000);
    for (const r of results) {
      expect(r).toBeInstanceOf(ConnectionClosedError);
      expect((r as ConnectionClosedError).message).toMatch(/closed|reset|EOF|end/i);
    }
    const reason = await conn.closed;
    expect(reason).toBeInstanceOf(ConnectionClosedError);
    expect(conn.isOpen).toBe(false);
    // A call made afterwards fails at once with the same reason.
    await expect(conn.raw.connectGetType()).rejects.toBeInstanceOf(ConnectionClosedError);
    await conn.close();
  });

  it('stopped with SIGSTOP: keepalive closes the connection within interval x (count + 1) + 1 s', async () => {
    const d = await startExtraDaemon({ label: 'stop' });
    const interval = 1;
    const count = 2;
    const conn = await connect(d.uris.testDefaultTcp, { keepalive: { interval, count } });
    expect(conn.features.keepalive).toBe(true);
    expect(await conn.raw.connectGetType()).toBe('TEST');
    d.kill('SIGSTOP');
    const t0 = performance.now();
    const pending = conn.raw.connectGetHostname().catch((e: unknown) => e);
    const reason = await conn.closed;
    const elapsed = (performance.now() - t0) / 1000;
    expect(reason).toBeInstanceOf(ConnectionClosedError);
    expect(reason.reason).toBe('keepalive');
    expect(elapsed).toBeLessThan(interval * (count + 1) + 1);
    expect(elapsed).toBeGreaterThan(interval * count);
    expect(await pending).toBe(reason);
    d.kill('SIGCONT');
    await conn.close();
  }, 20_000);

  it('stopped with SIGSTOP: a call with a timeout rejects with a TimeoutError', async () => {
    const d = await startExtraDaemon({ label: 'tmo' });
    await using conn = await connect(d.uris.testDefaultUnix, { keepalive: false });
    d.kill('SIGSTOP');
    const err = await conn.raw.connectGetCapabilities({ timeout: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(conn.isOpen).toBe(true);
    d.kill('SIGCONT');
    // After the daemon resumes, the late reply is dropped and new calls work.
    expect(await conn.raw.connectGetType()).toBe('TEST');
  });

  it('refuses to open with a timeout when the daemon never answers', async () => {
    const d = await startExtraDaemon({ label: 'open' });
    d.kill('SIGSTOP');
    const t0 = performance.now();
    const err = await connect(d.uris.testDefaultTcp, { timeout: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(performance.now() - t0).toBeLessThan(3000);
    d.kill('SIGCONT');
  });
});
