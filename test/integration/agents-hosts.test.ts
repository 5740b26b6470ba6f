/**
 * connectAll over 20 private daemons: a listing across all of them; then 3 are killed, the
 * other 17 keep delivering events into the one tagged stream, the status shows the 3 as
 * reconnecting, and once the 3 are started again on their sockets they are up again and
 * deliver events too (their subscriptions were registered again).
 */
import { describe, expect, it } from 'vitest';
import type { PrivateDaemon } from '../../harness/daemon.js';
import { connect, connectAll, type DomainEvent, type EventGap, type HostEvent } from '../../src/index.js';
import { startExtraDaemon } from './env.js';
import { restartDaemon } from './restart.js';

const N = 20;
const KILLED = [3, 11, 17];

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const domainXml = (name: string): string =>
  `<domain type='test'><name>${name}</name><memory unit='MiB'>32</memory><os><type arch='x86_64'>hvm</type></os></domain>`;

describe('connectAll over 20 daemons', () => {
  it('lists across all, keeps delivering when 3 are killed, and the 3 come back', async () => {
    const daemons: PrivateDaemon[] = [];
    for (let i = 0; i < N; i += 5) daemons.push(...(await Promise.all(Array.from({ length: 5 }, () => startExtraDaemon({ label: 'host' })))));
    const uris = daemons.map((d) => d.uris.testDefaultUnix);
    const hosts = await connectAll(uris, { reconnect: { initialDelay: 50, maxDelay: 1000 } });
    try {
      expect(hosts.up).toEqual(uris);
      const listing = await hosts.map(async (conn) => (await conn.listAllDomains()).map((d) => d.name), { concurrency: 5 });
      expect(listing.map((r) => r.host)).toEqual(uris);
      expect(listing.every((r) => r.ok && r.value.includes('test'))).toBe(true);

      const events: HostEvent<DomainEvent<'lifecycle'> | EventGap>[] = [];
      const stream = hosts.domain('lifecycle', { gaps: true });
      await stream.ready;
      const reading = (async () => {
        for await (const e of stream) events.push(e);
      })();

      for (const i of KILLED) daemons[i]!.kill('SIGKILL');
      await Promise.all(KILLED.map((i) => daemons[i]!.exited));
      await until(() => hosts.status().filter((s) => s.state === 'reconnecting').length === KILLED.length, 'the 3 drops');
      const live = uris.filter((_, i) => !KILLED.includes(i));
      expect(hosts.up).toEqual(live);
      const failed = await hosts.map((conn) => conn.getHostname());
      expect(failed.filter((r) => !r.ok).map((r) => r.host)).toEqual(KILLED.map((i) => uris[i]));

      // Each live host: a domain defined by another client; its event arrives tagged with the host.
      await Promise.all(
        live.map(async (uri) => {
          await using actor = await connect(uri);
          await actor.raw.domainDefineXML(domainXml('during'));
        }),
      );
      const tagged = (name: string) =>
        events.filter((e) => e.event.kind === 'lifecycle' && (e.event as DomainEvent<'lifecycle'>).domain.name === name).map((e) => e.host);
      await until(() => tagged('during').length === live.length, 'the events of the 17 live hosts');
      expect(tagged('during').sort()).toEqual([...live].sort());

      for (const i of KILLED) await restartDaemon(daemons[i]!);
      await until(() => hosts.up.length === N, 'the 3 to come back');
      expect(
        hosts
          .status()
          .filter((s) => s.reconnects === 1)
          .map((s) => s.host),
      ).toEqual(KILLED.map((i) => uris[i]));
      await until(() => events.filter((e) => e.event.kind === 'gap').length === KILLED.length, 'the 3 gaps');
      for (const i of KILLED) await until(() => hosts.connection(uris[i]!)!.events.registrations.every((r) => r.state === 'active'), 're-registration');
      await Promise.all(
        KILLED.map(async (i) => {
          await using actor = await connect(uris[i]!);
          await actor.raw.domainDefineXML(domainXml('after'));
        }),
      );
      await until(() => tagged('after').length === KILLED.length, 'the events of the 3 restarted hosts');
      expect(tagged('after').sort()).toEqual(KILLED.map((i) => uris[i]).sort());
      await stream.return();
      await reading;
    } finally {
      await hosts.close();
    }
    expect(hosts.status().every((s) => s.state === 'closed')).toBe(true);
  }, 300_000);
});
