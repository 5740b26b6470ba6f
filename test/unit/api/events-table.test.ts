/**
 * The event tables are derived from the generated procedure tables and API
 * enums: every event procedure the protocol has is mapped, every event ID has
 * a procedure, and the derived types match the payloads.
 */
import { ArgumentError } from '../../../src/errors/root.js';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { virDomainEventID, virNetworkEventID, virNodeDeviceEventID, virSecretEventID, virStoragePoolEventID } from '../../../src/index.js';
import { qemuProcedures, remoteProcedures } from '../../../src/protocol.js';
import type { DomainEvent, DomainEventName, DomainLifecycleDetail, NetworkEvent, ObjectEventName, StoragePoolEvent } from '../../../src/api/events.js';
import { eventSpecs, findEvent } from '../../../src/api/events.js';
import type { StoragePool } from '../../../src/api/objects/index.js';
import { closeProcedures, families, lifecycleDetailName, lifecycleName, qemuMonitorProcedures, remoteEventProcedures } from '../../../src/api/events/table.js';

describe('event tables', () => {
  it('maps every event procedure of the remote and qemu programs', () => {
    const remoteEvents = Object.values(remoteProcedures).filter((p) => p.event);
    expect(remoteEvents).toHaveLength(53);
    const unmapped = remoteEvents.filter((p) => !remoteEventProcedures().has(p.number)).map((p) => p.name);
    expect(unmapped).toEqual([]);
    expect(remoteEventProcedures().size).toBe(53);
    const qemuEvents = Object.values(qemuProcedures).filter((p) => p.event);
    expect(qemuEvents.map((p) => p.name)).toEqual([qemuMonitorProcedures.event.name]);
    expect(remoteEventProcedures().get(closeProcedures.event.number)).toBe('close');
  });

  it('has every event ID of every family, by the names libvirt-rpc documents', () => {
    const count = (e: Record<string, number>): number => Object.keys(e).filter((k) => !k.endsWith('_LAST')).length;
    expect(eventSpecs.domain.size).toBe(count(virDomainEventID));
    expect(eventSpecs.network.size).toBe(count(virNetworkEventID));
    expect(eventSpecs['storage-pool'].size).toBe(count(virStoragePoolEventID));
    expect(eventSpecs['node-device'].size).toBe(count(virNodeDeviceEventID));
    expect(eventSpecs.secret.size).toBe(count(virSecretEventID));
    expect([...eventSpecs.domain.values()].sort((a, b) => a.id - b.id).map((s) => s.name)).toEqual([
      'lifecycle',
      'reboot',
      'rtc-change',
      'watchdog',
      'io-error',
      'graphics',
      'io-error-reason',
      'control-error',
      'block-job',
      'disk-change',
      'tray-change',
      'pmwakeup',
      'pmsuspend',
      'balloon-change',
      'pmsuspend-disk',
      'device-removed',
      'block-job-2',
      'tunable',
      'agent-lifecycle',
      'device-added',
      'migration-iteration',
      'job-completed',
      'device-removal-failed',
      'metadata-change',
      'block-threshold',
      'memory-failure',
      'memory-device-size-change',
      'nic-mac-change',
    ]);
    expect([...eventSpecs.network.keys()].sort()).toEqual(['lifecycle', 'metadata-change']);
    expect([...eventSpecs['storage-pool'].keys()].sort()).toEqual(['lifecycle', 'refresh']);
    expect([...eventSpecs['node-device'].keys()].sort()).toEqual(['lifecycle', 'update']);
    expect([...eventSpecs.secret.keys()].sort()).toEqual(['lifecycle', 'value-changed']);
  });

  it('lists the callback form first and the legacy form second', () => {
    expect(findEvent('domain', 'lifecycle').procedures.map((p) => p.name)).toEqual([
      'REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE',
      'REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE',
    ]);
    expect(findEvent('domain', 'block-job-2').procedures.map((p) => p.name)).toEqual(['REMOTE_PROC_DOMAIN_EVENT_BLOCK_JOB_2']);
    expect(findEvent('domain', 'tunable').procedures.map((p) => p.name)).toEqual(['REMOTE_PROC_DOMAIN_EVENT_CALLBACK_TUNABLE']);
    expect(findEvent('network', 'metadata-change').procedures.map((p) => p.name)).toEqual(['REMOTE_PROC_NETWORK_EVENT_CALLBACK_METADATA_CHANGE']);
    expect(findEvent('domain', 'VIR_DOMAIN_EVENT_ID_RTC_CHANGE').name).toBe('rtc-change');
    expect(findEvent('domain', 2).name).toBe('rtc-change');
    expect(() => findEvent('secret', 'refresh')).toThrow(ArgumentError);
    expect(families.domain.register.name).toBe('REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY');
  });

  it('names lifecycle types and details from the API enums', () => {
    expect(lifecycleName('domain', 7)).toBe('pmsuspended');
    expect(lifecycleDetailName(7, 1)).toBe('disk');
    expect(lifecycleDetailName(0, 3)).toBe('from-snapshot');
    expect(lifecycleDetailName(5, 1)).toBe('destroyed');
    expect(lifecycleDetailName(99, 0)).toBe('unknown');
    expect(lifecycleName('storage-pool', 4)).toBe('created');
    expect(lifecycleName('node-device', 1)).toBe('deleted');
    expect(lifecycleName('secret', 1)).toBe('undefined');
  });

  it('derives the payload types from the generated types', () => {
    expectTypeOf<'lifecycle' | 'block-job-2' | 'nic-mac-change'>().toMatchTypeOf<DomainEventName>();
    expectTypeOf<DomainLifecycleDetail<'started'>>().toEqualTypeOf<'booted' | 'migrated' | 'restored' | 'from-snapshot' | 'wakeup'>();
    expectTypeOf<DomainLifecycleDetail<'pmsuspended'>>().toEqualTypeOf<'memory' | 'disk'>();
    expectTypeOf<DomainEvent<'rtc-change'>['offset']>().toEqualTypeOf<bigint>();
    expectTypeOf<DomainEvent<'nic-mac-change'>['newMAC']>().toEqualTypeOf<string>();
    expectTypeOf<DomainEvent<'pmwakeup'>['reason']>().toEqualTypeOf<number>();
    expectTypeOf<DomainEvent<'block-job'>['type']>().toEqualTypeOf<number>();
    expectTypeOf<DomainEvent<'graphics'>['subject']>().toMatchTypeOf<{ type: string; name: string }[]>();
    expectTypeOf<ObjectEventName<'storage-pool'>>().toEqualTypeOf<'lifecycle' | 'refresh'>();
    expectTypeOf<NetworkEvent<'lifecycle'>['network']['name']>().toEqualTypeOf<string>();
    expectTypeOf<StoragePoolEvent<'refresh'>>().toEqualTypeOf<{ kind: 'refresh'; eventId: number; pool: StoragePool }>();
    const narrow = (e: DomainEvent): string => (e.kind === 'lifecycle' && e.event === 'stopped' ? e.detail : '');
    expect(narrow).toBeTypeOf('function');
  });
});
