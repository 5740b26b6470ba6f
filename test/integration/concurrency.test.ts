/**
 * Many calls in flight on one connection, and aborted or timed-out calls,
 * against the real daemon.
 */
import { describe, expect, it } from 'vitest';
import { AbortError, connect } from '../../src/index.js';
import { privateTestUri } from './env.js';

describe('one connection, many calls', () => {
  it('resolves 1,000 concurrent calls correctly', async () => {
    await using conn = await connect(await privateTestUri('unix'));
    const names = ['test', 'nope'];
    const calls = Array.from({ length: 1000 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return conn.raw.connectGetHostname().then((h) => ['host', h] as const);
        case 1:
          return conn.raw.domainLookupByName(names[0]).then((d) => ['dom', d.name] as const);
        case 2:
          return conn.raw.domainLookupByName(names[1]).then(
            () => ['missing', 'found?'] as const,
            (e: { codeName?: string }) => ['missing', e.codeName] as const,
          );
        default:
          return conn.raw.connectNumOfDomains().then((n) => ['num', n] as const);
      }
    });
    const results = await Promise.all(calls);
    const host = await conn.raw.connectGetHostname();
    const num = await conn.raw.connectNumOfDomains();
    results.forEach((r, i) => {
      switch (i % 4) {
        case 0:
          expect(r).toEqual(['host', host]);
          break;
        case 1:
          expect(r).toEqual(['dom', 'test']);
          break;
        case 2:
          expect(r).toEqual(['missing', 'VIR_ERR_NO_DOMAIN']);
          break;
        default:
          expect(r).toEqual(['num', num]);
      }
    });
    expect(conn.client.stats.pending).toBe(0);
  });

  it('rejects an aborted call with an AbortError and stays usable', async () => {
    await using conn = await connect(await privateTestUri('tcp'));
    const ac = new AbortController();
    const call = conn.raw.connectGetCapabilities({ signal: ac.signal });
    ac.abort(new Error('changed my mind'));
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).name).toBe('AbortError');
    expect((err as Error).cause).toEqual(new Error('changed my mind'));
    // An already-aborted signal rejects before anything is sent.
    const pre = await conn.raw.connectGetHostname({ signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(pre).toBeInstanceOf(AbortError);
    // The connection carries on; the late reply of the aborted call is dropped by serial.
    expect(await conn.raw.connectGetType()).toBe('TEST');
    expect((await conn.raw.connectListAllDomains(1, 0)).domains.length).toBeGreaterThan(0);
    expect(conn.isOpen).toBe(true);
  });
});
