/**
 * conn.events against the real daemon: domain lifecycle events with the right
 * type and detail (checked against python3-libvirt), domain filters, network
 * and storage pool events on the test driver, unsubscription, the legacy
 * registration path, QEMU monitor events from a real guest, and the close
 * callback when the daemon is killed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tinyGuestXml } from '../../harness/guest.js';
import { connect, Domain, type Connection } from '../../src/index.js';
import { ConnectionEvents, type CloseEvent, type DomainEvent, type QemuMonitorEvent } from '../../src/api/events.js';
import { harnessDaemon, privateTestUri, startExtraDaemon } from './env.js';
import { pyLibvirt } from './oracle.js';

const domainXml = (name: string, uuid = randomUUID()): string => `<domain type='test'>
  <name>${name}</name>
  <uuid>${uuid}</uuid>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>`;

/** Waits until `cond()` holds, polling; fails after `ms` naming `what`. */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const lc = (e: DomainEvent<'lifecycle'>): string => `${e.event}/${e.detail}`;

/** Defines, starts, suspends, resumes, destroys and undefines `name` over `conn`. */
async function lifeOf(conn: Connection, name: string): Promise<void> {
  const dom = await conn.raw.domainDefineXML(domainXml(name));
  await conn.raw.domainCreate(dom);
  await conn.raw.domainSuspend(dom);
  await conn.raw.domainResume(dom);
  await conn.raw.domainDestroy(dom);
  await conn.raw.domainUndefine(dom);
}

const LIFE = ['defined/added', 'started/booted', 'suspended/paused', 'resumed/unpaused', 'stopped/destroyed', 'undefined/removed'];

describe('domain events on the test driver', () => {
  it('lifecycle events arrive with the right event and detail (same connection)', async () => {
    await using conn = await connect(await privateTestUri());
    const seen: DomainEvent<'lifecycle'>[] = [];
    const off = await conn.events.onDomain('lifecycle', (e) => void seen.push(e));
    await lifeOf(conn, 'ev-same');
    await until(() => seen.length >= 6, 'six lifecycle events');
    expect(seen.map(lc)).toEqual(LIFE);
    expect(seen.every((e) => e.domain.name === 'ev-same' && e.kind === 'lifecycle' && e.eventId === 0)).toBe(true);
    await off();
    expect(conn.events.registrations).toEqual([]);
  });

  it('a change made by another connection reaches this one, as python3-libvirt sees it, and a domain filter works', async () => {
    const d = await harnessDaemon();
    const uri = d.uris.testDefaultUnix; // test:///default: one state shared by every connection
    await using watcher = await connect(uri);
    await using actor = await connect(uri);
    const suffix = randomBytes(3).toString('hex');
    const filtered = await actor.raw.domainDefineXML(domainXml(`ev-f-${suffix}`));
    try {
      const all: DomainEvent<'lifecycle'>[] = [];
      const onlyF: DomainEvent<'lifecycle'>[] = [];
      await watcher.events.onDomain('lifecycle', (e) => void all.push(e));
      await watcher.events.onDomain('lifecycle', (e) => void onlyF.push(e), { domain: filtered });
      expect(watcher.events.registrations.map((r) => r.filter)).toEqual([null, expect.stringMatching(/^[0-9a-f-]{36}$/)]);

      // python3-libvirt makes the changes (a third connection) and records what its own callback saw.
      const other = `ev-o-${suffix}`;
      const py = await pyLibvirt<number[][]>(
        uri,
        `import threading, time
libvirt.virEventRegisterDefaultImpl()
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
c = libvirt.open(${JSON.stringify(uri)})
evs = []
c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lambda _c, dom, ev, det, _o: evs.append([ev, det]) if dom.name() == ${JSON.stringify(other)} else None, None)
x = ${JSON.stringify(domainXml(other))}
dom = c.defineXML(x)
dom.create(); dom.suspend(); dom.resume(); dom.destroy(); dom.undefine()
f = c.lookupByName(${JSON.stringify(`ev-f-${suffix}`)})
f.create(); f.destroy()
end = time.time() + 10
while len(evs) < 6 and time.time() < end:
    time.sleep(0.01)
result = evs`,
      );
      await until(() => all.filter((e) => e.domain.name === other).length >= 6 && onlyF.length >= 2, 'events of the other connection');
      const mine = all.filter((e) => e.domain.name === other);
      expect(mine.map(lc)).toEqual(LIFE);
      expect(mine.map((e) => [e.eventCode, e.detailCode])).toEqual(py);
      expect(onlyF.map(lc)).toEqual(['started/booted', 'stopped/destroyed']);
      expect(onlyF.every((e) => e.domain.name === filtered.name)).toBe(true);
    } finally {
      await actor.raw.domainUndefine(filtered).catch(() => {});
    }
  });

  it('the legacy registration (daemons without callback IDs) delivers the same events, filtered locally', async () => {
    await using conn = await connect(await privateTestUri());
    const legacy = new ConnectionEvents(conn.client, { ...conn.features, eventCallbacks: false }, (_family, ref) => new Domain(conn, ref as Domain['ref']));
    const test = await conn.raw.domainLookupByName('test');
    const all: string[] = [];
    const onlyTest: string[] = [];
    const off1 = await legacy.onDomain('lifecycle', (e) => void all.push(`${e.domain.name}:${lc(e)}`));
    const off2 = await legacy.onDomain('lifecycle', (e) => void onlyTest.push(lc(e)), { domain: test });
    expect(legacy.registrations).toEqual([{ family: 'domain', event: 'lifecycle', filter: null, callbackId: null, listeners: 2, state: 'active' }]);
    await conn.raw.domainSuspend(test);
    await lifeOf(conn, 'ev-legacy');
    await conn.raw.domainResume(test);
    await until(() => all.length >= 8, 'legacy events');
    expect(all).toEqual(['test:suspended/paused', ...LIFE.map((x) => `ev-legacy:${x}`), 'test:resumed/unpaused']);
    expect(onlyTest).toEqual(['suspended/paused', 'resumed/unpaused']);
    await off1();
    await off2();
    // Deregistered on the daemon: a later change reaches nobody, and registering again works.
    const again: string[] = [];
    await legacy.onDomain('lifecycle', (e) => void again.push(lc(e)));
    await conn.raw.domainSuspend(test);
    await until(() => again.length === 1, 'event after re-registering');
    expect(all).toHaveLength(8);
  });

  it('unsubscribing stops delivery', async () => {
    await using conn = await connect(await privateTestUri());
    const test = await conn.raw.domainLookupByName('test');
    const a: string[] = [];
    const b: string[] = [];
    const offA = await conn.events.onDomain('lifecycle', (e) => void a.push(lc(e)));
    const offB = await conn.events.onDomain('lifecycle', (e) => void b.push(lc(e)), { domain: test });
    await conn.raw.domainSuspend(test);
    await until(() => a.length === 1 && b.length === 1, 'first event');
    await offA();
    await conn.raw.domainResume(test);
    await until(() => b.length === 2, 'second event to b');
    expect(a).toEqual(['suspended/paused']);
    await offB();
    expect(conn.events.registrations).toEqual([]);
    // Nothing registered: the daemon sends nothing more.
    const before = conn.client.stats.framesReceived;
    await conn.raw.domainSuspend(test);
    await new Promise((r) => setTimeout(r, 100));
    expect(conn.client.stats.framesReceived - before).toBe(1); // the reply only
    expect(b).toHaveLength(2);
  });

  it('the async-iterator form yields events and deregisters when the loop ends', async () => {
    await using conn = await connect(await privateTestUri());
    const stream = conn.events.domain('lifecycle');
    await stream.ready;
    const done = lifeOf(conn, 'ev-iter');
    const got: string[] = [];
    for await (const ev of stream) {
      got.push(lc(ev));
      if (got.length === 6) break;
    }
    await done;
    expect(got).toEqual(LIFE);
    await until(() => conn.events.registrations.length === 0, 'deregistration');
  });
});

describe('network and storage pool events on the test driver', () => {
  it('network lifecycle: stopped, started, undefined, defined', async () => {
    await using conn = await connect(await privateTestUri());
    const net = await conn.raw.networkLookupByName('default');
    const stream = conn.events.network('lifecycle', { network: net });
    await stream.ready;
    const xml = await conn.raw.networkGetXMLDesc(net, 0);
    await conn.raw.networkDestroy(net);
    await conn.raw.networkCreate(net);
    await conn.raw.networkDestroy(net);
    await conn.raw.networkUndefine(net);
    await conn.raw.networkDefineXML(xml);
    const got: string[] = [];
    for await (const ev of stream) {
      expect(ev.network.name).toBe('default');
      got.push(ev.event);
      if (got.length === 5) break;
    }
    expect(got).toEqual(['stopped', 'started', 'stopped', 'undefined', 'defined']);
  });

  it('storage pool lifecycle and refresh', async () => {
    await using conn = await connect(await privateTestUri());
    const pool = await conn.raw.storagePoolLookupByName('default-pool');
    const life: string[] = [];
    const refresh: string[] = [];
    await conn.events.onStoragePool('lifecycle', (e) => void life.push(e.event), { pool });
    await conn.events.onStoragePool('refresh', (e) => void refresh.push(e.pool.name));
    await conn.raw.storagePoolRefresh(pool, 0);
    await conn.raw.storagePoolDestroy(pool);
    await conn.raw.storagePoolCreate(pool, 0);
    await until(() => life.length >= 2 && refresh.length >= 1, 'pool events');
    expect(life).toEqual(['stopped', 'started']);
    expect(refresh).toEqual(['default-pool']);
  });
});

describe('QEMU monitor events from a real guest', () => {
  it('STOP and RESUME arrive with the domain lifecycle events', async () => {
    const d = await harnessDaemon();
    await using conn = await connect(d.uris.qemuSessionUnix);
    const name = `rpc-ev-${randomBytes(3).toString('hex')}`;
    const dom = await conn.raw.domainDefineXML(tinyGuestXml(name));
    try {
      const qmp: QemuMonitorEvent[] = [];
      const life: string[] = [];
      await conn.events.onQemuMonitor((e) => void qmp.push(e), { domain: dom, event: 'STOP|RESUME', flags: { regex: true } });
      await conn.events.onDomain('lifecycle', (e) => void life.push(lc(e)), { domain: dom });
      await conn.raw.domainCreate(dom);
      const running = await conn.raw.domainLookupByName(name);
      await conn.raw.domainSuspend(running);
      await conn.raw.domainResume(running);
      const resumedAfterStop = (): boolean => {
        const at = qmp.findIndex((e) => e.event === 'STOP');
        return at >= 0 && qmp.slice(at + 1).some((e) => e.event === 'RESUME');
      };
      await until(() => resumedAfterStop() && life.length >= 4, 'QEMU events');
      // QEMU starts with its CPUs stopped: the qemu driver reports resumed/unpaused, then started/booted.
      expect(life.slice(0, 4)).toEqual(['resumed/unpaused', 'started/booted', 'suspended/paused', 'resumed/unpaused']);
      const stop = qmp.find((e) => e.event === 'STOP')!;
      expect(stop.domain.name).toBe(name);
      expect(stop.seconds).toBeGreaterThan(1_600_000_000n);
      expect(qmp.every((e) => e.event === 'STOP' || e.event === 'RESUME')).toBe(true);
      await conn.raw.domainDestroy(running);
    } finally {
      await conn.raw.domainUndefine(dom).catch(() => {});
    }
  });
});

describe('the close callback', () => {
  it('fires with eof when the daemon is killed', async () => {
    const d = await startExtraDaemon({ label: 'evclose' });
    const conn = await connect(d.uris.testDefaultUnix, { keepalive: false });
    expect(conn.features.closeCallback).toBe(true);
    const seen: CloseEvent[] = [];
    await conn.events.onClose((e) => void seen.push(e));
    const stream = conn.events.domain('lifecycle');
    await stream.ready;
    const pending = stream.next().then(
      () => null,
      (e: unknown) => e,
    );
    d.kill('SIGKILL');
    await until(() => seen.length === 1, 'the close callback');
    expect(seen[0]).toMatchObject({ reason: 'eof', reasonCode: 1, source: 'connection' });
    expect(await pending).toMatchObject({ code: 'RPC_CONNECTION_CLOSED', reason: 'eof' });
    await conn.close();
    expect(seen).toHaveLength(1);
  });
});
