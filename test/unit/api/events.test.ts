/**
 * conn.events against a scripted fake daemon: registration bookkeeping
 * (shared daemon registrations, filters, deregistration), dispatch by callback
 * ID, the legacy path, listener errors, the close callback, QEMU monitor
 * events, the async-iterator form.
 */
import { ArgumentError } from '../../../src/errors/root.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LibvirtError,
  VIR_DOMAIN_EVENT_ID_LIFECYCLE,
  VIR_DOMAIN_EVENT_ID_REBOOT,
  VIR_DOMAIN_EVENT_STARTED,
  VIR_DOMAIN_EVENT_STARTED_BOOTED,
  VIR_DOMAIN_EVENT_STOPPED,
  VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
} from '../../../src/index.js';
import type { DomainEvent, QemuMonitorEvent } from '../../../src/api/events.js';
import { EventOverflowError } from '../../../src/api/events.js';
import { Domain } from '../../../src/api/objects/index.js';
import { closeFakeDaemons, dom, fakeDaemon, ReplyError, until } from '../../support/scripted-peer.js';

/** An event with its object (a Domain, Network, ...) replaced by the object's wire reference. */
function plain<T>(e: T): T {
  const isObject = (v: unknown): v is { ref: unknown } => typeof v === 'object' && v !== null && 'ref' in v && 'connection' in v;
  return Object.fromEntries(Object.entries(e as object).map(([k, v]) => [k, isObject(v) ? v.ref : v])) as T;
}

afterEach(closeFakeDaemons);

const A = dom('a', 1, 1);
const B = dom('b', 2, 2);

function lifecycle(callbackID: number, d: typeof A, event = VIR_DOMAIN_EVENT_STARTED, detail = VIR_DOMAIN_EVENT_STARTED_BOOTED) {
  return { callbackID, msg: { dom: d, event, detail } };
}

describe('conn.events: domain registrations', () => {
  it('shares one daemon registration per event ID and filter, and deregisters with the last listener', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const seen1: DomainEvent<'lifecycle'>[] = [];
    const seen2: DomainEvent<'lifecycle'>[] = [];
    const seenA: DomainEvent<'lifecycle'>[] = [];
    const off1 = await conn.events.onDomain('lifecycle', (e) => void seen1.push(e));
    const off2 = await conn.events.onDomain(VIR_DOMAIN_EVENT_ID_LIFECYCLE, (e) => void seen2.push(e as DomainEvent<'lifecycle'>));
    const offA = await conn.events.onDomain('lifecycle', (e) => void seenA.push(e), { domain: A });
    expect(fake.eventCalls()).toEqual([
      { name: 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY', args: { eventID: 0, dom: null } },
      { name: 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY', args: { eventID: 0, dom: A } },
    ]);
    expect(conn.events.registrations.map((r) => [r.event, r.callbackId, r.listeners, r.filter])).toEqual([
      ['lifecycle', 100, 2, null],
      ['lifecycle', 101, 1, '00000000-0000-0000-0000-000000000001'],
    ]);

    // The daemon sends one event per matching registration, each with its callback ID.
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(100, A));
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(101, A));
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(100, B, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED));
    await until(() => seen1.length === 2 && seenA.length === 1, 'events');
    expect(seen1.map((e) => [e.domain.name, e.event, e.detail])).toEqual([
      ['a', 'started', 'booted'],
      ['b', 'stopped', 'destroyed'],
    ]);
    expect(seen2).toHaveLength(2);
    expect(seenA).toHaveLength(1);
    expect(seenA[0]!.domain).toBeInstanceOf(Domain);
    expect(seenA[0]!.domain.getXMLDesc).toBeTypeOf('function');
    expect(plain(seenA[0])).toEqual({ kind: 'lifecycle', eventId: 0, domain: A, event: 'started', detail: 'booted', eventCode: 2, detailCode: 0 });

    await off1();
    expect(fake.eventCalls()).toHaveLength(2); // off2 still listens
    await off2();
    await off2(); // idempotent
    await offA();
    expect(fake.eventCalls().slice(2)).toEqual([
      { name: 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY', args: { callbackID: 100 } },
      { name: 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY', args: { callbackID: 101 } },
    ]);
    expect(conn.events.registrations).toEqual([]);
  });

  it('drops events of unknown callback IDs and of other event IDs', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const seen: unknown[] = [];
    await conn.events.onDomain('reboot', (e) => void seen.push(e));
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_REBOOT', { callbackID: 999, msg: { dom: A } });
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(100, A));
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_REBOOT', { callbackID: 100, msg: { dom: B } });
    await until(() => seen.length === 1, 'reboot');
    expect(seen.map(plain)).toEqual([{ kind: 'reboot', eventId: VIR_DOMAIN_EVENT_ID_REBOOT, domain: B }]);
  });

  it('delivers events that arrive before the REGISTER reply', async () => {
    const fake = await fakeDaemon({
      handlers: {
        REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: (_a, d) => {
          d.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(7, A));
          d.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(8, B)); // someone else's
          return { callbackID: 7 };
        },
      },
    });
    await using conn = await fake.connect();
    const seen: string[] = [];
    await conn.events.onDomain('lifecycle', (e) => void seen.push(e.domain.name));
    expect(seen).toEqual(['a']);
  });

  it('decodes every shape: flat messages, extra callback fields, typed parameters', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const got: unknown[] = [];
    await conn.events.onDomain('pmwakeup', (e) => void got.push(e));
    await conn.events.onDomain('block-job-2', (e) => void got.push(e));
    await conn.events.onDomain('tunable', (e) => void got.push(e));
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_PMWAKEUP', { callbackID: 100, reason: 0, msg: { dom: A } });
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_BLOCK_JOB_2', { callbackID: 101, dom: A, dst: 'vda', type: 1, status: 0 });
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_TUNABLE', {
      callbackID: 102,
      dom: A,
      params: [
        { field: 'cputune.vcpu0', value: { type: 7, s: '0-1' } },
        { field: 'blkdeviotune.total_bytes_sec', value: { type: 4, ul: 5n } },
        { field: 'flag', value: { type: 6, b: 1 } },
      ],
    });
    await until(() => got.length === 3, 'events');
    expect(got.map(plain)).toEqual([
      { kind: 'pmwakeup', eventId: 11, domain: A, reason: 0 },
      { kind: 'block-job-2', eventId: 16, domain: A, dst: 'vda', type: 1, status: 0 },
      { kind: 'tunable', eventId: 17, domain: A, params: { 'cputune.vcpu0': '0-1', 'blkdeviotune.total_bytes_sec': 5, flag: true } },
    ]);
  });

  it('rejects when the daemon refuses, leaves nothing registered, and can retry', async () => {
    let refuse = true;
    const fake = await fakeDaemon({
      handlers: {
        REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: () => {
          if (refuse) throw new ReplyError(3, 'this function is not supported by the connection driver');
          return { callbackID: 5 };
        },
      },
    });
    await using conn = await fake.connect();
    const err = await conn.events.onDomain('lifecycle', () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(conn.events.registrations).toEqual([]);
    refuse = false;
    const off = await conn.events.onDomain('lifecycle', () => {});
    expect(conn.events.registrations).toHaveLength(1);
    await off();
  });

  it('refuses the same handler twice for the same event and filter (libvirt: "already tracked")', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const h = (): void => {};
    await conn.events.onDomain('lifecycle', h);
    await expect(conn.events.onDomain('lifecycle', h)).rejects.toThrow(/already tracked/);
    await conn.events.onDomain('lifecycle', h, { domain: A }); // another filter: fine
    await expect(conn.events.onDomain('no-such-event' as 'lifecycle', h)).rejects.toThrow(ArgumentError);
  });

  it('waits for a deregistration in flight before registering the same key again', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const off = await conn.events.onDomain('lifecycle', () => {});
    const p = off();
    const off2 = await conn.events.onDomain('lifecycle', () => {});
    await p;
    expect(fake.eventCalls().map((c) => c.name)).toEqual([
      'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY',
      'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY',
      'REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY',
    ]);
    await off2();
  });

  it('AbortSignal: an aborted signal rejects, aborting later unsubscribes', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    await expect(conn.events.onDomain('lifecycle', () => {}, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(fake.eventCalls()).toEqual([]);
    const ac = new AbortController();
    await conn.events.onDomain('lifecycle', () => {}, { signal: ac.signal });
    ac.abort();
    await until(() => fake.eventCalls().length === 2, 'deregistration');
    expect(fake.eventCalls()[1].name).toBe('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY');
  });
});

describe('conn.events: legacy daemons (no REMOTE_EVENT_CALLBACK)', () => {
  it('registers by event ID only, once for every filter, and filters locally', async () => {
    const fake = await fakeDaemon({ eventCallbacks: false });
    await using conn = await fake.connect();
    expect(conn.features.eventCallbacks).toBe(false);
    const all: string[] = [];
    const onlyA: string[] = [];
    const off1 = await conn.events.onDomain('lifecycle', (e) => void all.push(e.domain.name));
    const off2 = await conn.events.onDomain('lifecycle', (e) => void onlyA.push(e.domain.name), { domain: A });
    expect(fake.eventCalls()).toEqual([{ name: 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY', args: { eventID: 0 } }]);
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE', { dom: A, event: 2, detail: 0 });
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE', { dom: B, event: 2, detail: 0 });
    await until(() => all.length === 2, 'events');
    expect(onlyA).toEqual(['a']);
    await off2();
    expect(fake.eventCalls()).toHaveLength(1);
    await off1();
    expect(fake.eventCalls()[1]).toEqual({ name: 'REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY', args: { eventID: 0 } });
  });
});

describe('conn.events: listener failures', () => {
  it('a throwing or rejecting listener is reported; the others and the connection go on', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const errors: unknown[] = [];
    conn.events.onListenerError = (err) => errors.push(err);
    const seen: string[] = [];
    await conn.events.onDomain('lifecycle', () => {
      throw new Error('boom');
    });
    await conn.events.onDomain('lifecycle', async () => {
      throw new Error('async boom');
    });
    await conn.events.onDomain('lifecycle', (e) => void seen.push(e.domain.name));
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(100, A));
    await until(() => seen.length === 1 && errors.length === 2, 'events');
    expect((errors as Error[]).map((e) => e.message).sort()).toEqual(['async boom', 'boom']);
    expect(conn.isOpen).toBe(true);
    // The error hook throwing is ignored too.
    conn.events.onListenerError = () => {
      throw new Error('hook');
    };
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(100, B));
    await until(() => seen.length === 2, 'second event');
    expect(conn.isOpen).toBe(true);
  });
});

describe('conn.events: other families', () => {
  it('network, storage pool, node device and secret events register with their procedures and decode', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const got: unknown[] = [];
    const net = { name: 'default', uuid: new Uint8Array(16).fill(1) };
    const pool = { name: 'p', uuid: new Uint8Array(16).fill(2) };
    const dev = { name: 'pci_0000_00_01_0' };
    const secret = { uuid: new Uint8Array(16).fill(3), usageType: 0, usageID: 'x' };
    await conn.events.onNetwork('lifecycle', (e) => void got.push(e), { network: net });
    await conn.events.onStoragePool('refresh', (e) => void got.push(e));
    await conn.events.onNodeDevice('update', (e) => void got.push(e), { device: dev });
    await conn.events.onSecret('value-changed', (e) => void got.push(e));
    expect(fake.eventCalls()).toEqual([
      { name: 'REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY', args: { eventID: 0, net } },
      { name: 'REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY', args: { eventID: 1, pool: null } },
      { name: 'REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY', args: { eventID: 1, dev } },
      { name: 'REMOTE_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY', args: { eventID: 1, secret: null } },
    ]);
    fake.emit('REMOTE_PROC_NETWORK_EVENT_LIFECYCLE', { callbackID: 100, net, event: 2, detail: 0 });
    fake.emit('REMOTE_PROC_STORAGE_POOL_EVENT_REFRESH', { callbackID: 101, pool });
    fake.emit('REMOTE_PROC_NODE_DEVICE_EVENT_UPDATE', { callbackID: 102, dev });
    fake.emit('REMOTE_PROC_SECRET_EVENT_VALUE_CHANGED', { callbackID: 103, secret });
    await until(() => got.length === 4, 'events');
    expect(got.map((e) => Object.values(e as object).find((v) => typeof v === 'object')?.constructor.name)).toEqual([
      'Network',
      'StoragePool',
      'NodeDevice',
      'Secret',
    ]);
    expect(got.map(plain)).toEqual([
      { kind: 'lifecycle', eventId: 0, network: net, event: 'started', eventCode: 2, detail: 0 },
      { kind: 'refresh', eventId: 1, pool },
      { kind: 'update', eventId: 1, device: dev },
      { kind: 'value-changed', eventId: 1, secret },
    ]);
  });

  it('QEMU monitor: one daemon registration per listener, with the filter and flags', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const one: QemuMonitorEvent[] = [];
    const two: QemuMonitorEvent[] = [];
    const off1 = await conn.events.onQemuMonitor((e) => void one.push(e), { domain: A, event: 'STOP' });
    await conn.events.onQemuMonitor((e) => void two.push(e), { event: 'RES.*', flags: { regex: true, nocase: true } });
    expect(fake.eventCalls()).toEqual([
      { name: 'QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER', args: { dom: A, event: 'STOP', flags: 0 } },
      { name: 'QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER', args: { dom: null, event: 'RES.*', flags: 3 } },
    ]);
    fake.emit('QEMU_PROC_DOMAIN_MONITOR_EVENT', { callbackID: 101, dom: A, event: 'RESUME', seconds: 5n, micros: 6, details: null });
    fake.emit('QEMU_PROC_DOMAIN_MONITOR_EVENT', { callbackID: 100, dom: A, event: 'STOP', seconds: 7n, micros: 8, details: '{}' });
    await until(() => one.length === 1 && two.length === 1, 'events');
    expect(one[0]!.domain).toBeInstanceOf(Domain);
    expect(plain(one[0])).toEqual({ kind: 'qemu-monitor', domain: A, event: 'STOP', seconds: 7n, micros: 8, details: '{}' });
    expect(two[0].event).toBe('RESUME');
    await off1();
    expect(fake.eventCalls()[2]).toEqual({ name: 'QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER', args: { callbackID: 100 } });
  });
});

describe('conn.events: close callback', () => {
  it("registers on the daemon, fires once with the daemon's reason", async () => {
    const fake = await fakeDaemon();
    const conn = await fake.connect();
    const seen: unknown[] = [];
    await conn.events.onClose((e) => void seen.push(e));
    await conn.events.onClose((e) => void seen.push(e));
    expect(fake.eventCalls().map((c) => c.name)).toEqual(['REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK']);
    fake.emit('REMOTE_PROC_CONNECT_EVENT_CONNECTION_CLOSED', { reason: 1 });
    await until(() => seen.length === 2, 'close');
    expect(seen[0]).toEqual({ reason: 'eof', reasonCode: 1, source: 'daemon' });
    // Each handler fires once; one added afterwards fires when the connection ends.
    const later: unknown[] = [];
    await conn.events.onClose((e) => void later.push(e));
    expect(fake.eventCalls()).toHaveLength(1);
    await conn.close();
    expect(seen).toHaveLength(2);
    await until(() => later.length === 1, 'later handler');
    expect(later[0]).toMatchObject({ reason: 'client', source: 'connection' });
  });

  it('fires when the connection ends (daemon gone: eof), and unregisters when the last handler goes', async () => {
    const fake = await fakeDaemon();
    const conn = await fake.connect();
    const off = await conn.events.onClose(() => {});
    await off();
    expect(fake.eventCalls().map((c) => c.name)).toEqual(['REMOTE_PROC_CONNECT_REGISTER_CLOSE_CALLBACK', 'REMOTE_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK']);
    const seen: { reason: string; source: string }[] = [];
    await conn.events.onClose((e) => void seen.push(e));
    fake.dropClients();
    await until(() => seen.length === 1, 'close');
    expect(seen[0]).toMatchObject({ reason: 'eof', reasonCode: 1, source: 'connection' });
    await expect(conn.events.onDomain('lifecycle', () => {})).rejects.toMatchObject({ code: 'RPC_CONNECTION_CLOSED' });
  });

  it('works locally when the daemon has no close callback support, and fires with client on close()', async () => {
    const fake = await fakeDaemon({ closeCallback: false });
    const conn = await fake.connect();
    const seen: { reason: string }[] = [];
    await conn.events.onClose((e) => void seen.push(e));
    expect(fake.eventCalls()).toEqual([]);
    await conn.close();
    await until(() => seen.length === 1, 'close');
    expect(seen[0].reason).toBe('client');
  });
});

describe('conn.events: async iterators', () => {
  it('yields events, and unsubscribes on break', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const stream = conn.events.domain('lifecycle', { domain: A });
    await stream.ready;
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(100, A));
    fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(100, A, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED));
    const got: string[] = [];
    for await (const ev of stream) {
      got.push(`${ev.event}/${ev.detail}`);
      if (got.length === 2) break;
    }
    expect(got).toEqual(['started/booted', 'stopped/destroyed']);
    await until(() => fake.eventCalls().length === 2, 'deregistration');
    expect(fake.eventCalls()[1].name).toBe('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY');
  });

  it('overflow policy error: buffered events first, then EventOverflowError, and it unsubscribes', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const stream = conn.events.domain('lifecycle', { bufferSize: 2 });
    await stream.ready;
    for (let i = 0; i < 3; i++) fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(100, dom(`d${i}`, i)));
    await until(() => fake.eventCalls().length === 2, 'deregistration after overflow');
    expect((await stream.next()).value?.domain.name).toBe('d0');
    expect((await stream.next()).value?.domain.name).toBe('d1');
    await expect(stream.next()).rejects.toBeInstanceOf(EventOverflowError);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('overflow policies drop-oldest and drop-newest', async () => {
    const fake = await fakeDaemon();
    await using conn = await fake.connect();
    const oldest = conn.events.domain('lifecycle', { bufferSize: 2, overflow: 'drop-oldest' });
    const newest = conn.events.domain('lifecycle', { bufferSize: 2, overflow: 'drop-newest' });
    await Promise.all([oldest.ready, newest.ready]);
    for (let i = 0; i < 4; i++) fake.emit('REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE', lifecycle(100, dom(`d${i}`, i)));
    await until(() => oldest.dropped === 2 && newest.dropped === 2, 'drops');
    expect([(await oldest.next()).value?.domain.name, (await oldest.next()).value?.domain.name]).toEqual(['d2', 'd3']);
    expect([(await newest.next()).value?.domain.name, (await newest.next()).value?.domain.name]).toEqual(['d0', 'd1']);
    await oldest.return();
    await newest.return();
    expect(conn.events.registrations).toEqual([]);
  });

  it('AbortSignal ends a pending next() with AbortError; connection end ends the loop', async () => {
    const fake = await fakeDaemon();
    const conn = await fake.connect();
    const ac = new AbortController();
    const stream = conn.events.domain('reboot', { signal: ac.signal });
    await stream.ready;
    const pending = stream.next();
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await until(() => fake.eventCalls().length === 2, 'deregistration');

    const s2 = conn.events.network('lifecycle');
    await s2.ready;
    const p2 = s2.next();
    fake.dropClients();
    await expect(p2).rejects.toMatchObject({ code: 'RPC_CONNECTION_CLOSED', reason: 'eof' });

    const fake2 = await fakeDaemon();
    const conn2 = await fake2.connect();
    const s3 = conn2.events.domain('lifecycle');
    await s3.ready;
    const p3 = s3.next();
    await conn2.close();
    expect(await p3).toEqual({ value: undefined, done: true });
  });

  it('a failed registration surfaces on ready and on next()', async () => {
    const fake = await fakeDaemon({
      handlers: {
        REMOTE_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY: () => {
          throw new ReplyError(3, 'no secrets here');
        },
      },
    });
    await using conn = await fake.connect();
    const s = conn.events.secret('lifecycle');
    await expect(s.ready).rejects.toBeInstanceOf(LibvirtError);
    await expect(s.next()).rejects.toBeInstanceOf(LibvirtError);
  });
});
