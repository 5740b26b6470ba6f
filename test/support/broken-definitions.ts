/**
 * Definitions that break libvirt's schema, each with the problem the validator must report
 * (path and message). The unit test holds the validator to them; the integration test sends
 * each to a real daemon (validation off), which must refuse it too.
 */
import type { DocumentKind } from '../../src/api/xml/codec.js';
import { dirPool, kvmGuest, natNetwork, qcow2Volume } from '../../src/api/xml/builders.js';

export interface BrokenDefinition {
  readonly what: string;
  readonly kind: Extract<DocumentKind, 'domain' | 'network' | 'storagepool' | 'storagevol'>;
  readonly def: object;
  /** The problem expected, `path: message` (a prefix of the message). */
  readonly problem: string;
}

const guest = () => kvmGuest({ name: 'broken', type: 'qemu', disks: ['/nonexistent/broken.qcow2'], vnc: false });

export const BROKEN: readonly BrokenDefinition[] = [
  { what: 'a domain without a name (missing required element)', kind: 'domain', def: { ...guest(), name: undefined }, problem: 'name: required' },
  {
    what: 'a disk without a target (missing required element)',
    kind: 'domain',
    def: (() => {
      const d = guest();
      delete (d.devices!.disk![0] as { target?: unknown }).target;
      return d;
    })(),
    problem: 'devices.disk[0].target: required',
  },
  {
    what: 'a disk target without dev (missing required attribute)',
    kind: 'domain',
    def: (() => {
      const d = guest();
      d.devices!.disk![0]!.target = { bus: 'virtio' } as never;
      return d;
    })(),
    problem: 'devices.disk[0].target.dev: required',
  },
  { what: 'an unknown domain type (bad enum value)', kind: 'domain', def: { ...guest(), type: 'kvmm' }, problem: "type: 'kvmm' is not one of 'qemu'" },
  {
    what: 'an unknown disk device (bad enum value)',
    kind: 'domain',
    def: (() => {
      const d = guest();
      d.devices!.disk![0]!.device = 'hdd' as never;
      return d;
    })(),
    problem: "devices.disk[0].device: 'hdd' is not one of 'floppy', 'disk', 'cdrom', 'lun'",
  },
  {
    what: 'memory that is not a number (bad type)',
    kind: 'domain',
    def: { ...guest(), memory: { unit: 'KiB', value: 'lots' } },
    problem: "memory.value: 'lots' is not",
  },
  {
    what: 'a vcpu count that is not a number (bad type)',
    kind: 'domain',
    def: { ...guest(), vcpu: { placement: 'static', value: 'two' } },
    problem: "vcpu.value: 'two' is not",
  },
  {
    what: 'a malformed MAC address (bad attribute type)',
    kind: 'domain',
    def: { ...kvmGuest({ name: 'broken', type: 'qemu', nics: [{ network: 'default', mac: '52:54:00:zz:00:01' }], vnc: false }) },
    problem: "devices.interface[0].mac.address: '52:54:00:zz:00:01' is not a text matching",
  },
  { what: 'a network without a name', kind: 'network', def: { ...natNetwork({ name: 'x' }), name: undefined }, problem: 'name: required' },
  {
    what: 'an unknown forward mode (bad enum value)',
    kind: 'network',
    def: { ...natNetwork({ name: 'brokennet' }), forward: { mode: 'natt' } },
    problem: "forward.mode: 'natt' is not one of",
  },
  {
    what: 'an unknown pool type (bad enum value)',
    kind: 'storagepool',
    def: { ...dirPool({ name: 'brokenpool', path: '/tmp/brokenpool' }), type: 'dirr' },
    problem: "type: 'dirr' is not one of",
  },
  {
    what: 'a malformed pool UUID (bad type)',
    kind: 'storagepool',
    def: { ...dirPool({ name: 'brokenpool', path: '/tmp/brokenpool' }), uuid: 'not-a-uuid' },
    problem: "uuid: 'not-a-uuid' is not",
  },
  {
    what: 'a volume capacity that is not a number (bad type)',
    kind: 'storagevol',
    def: { ...qcow2Volume({ name: 'broken.qcow2', capacityGiB: 1 }), capacity: { unit: 'bytes', value: 'big' } },
    problem: "capacity.value: 'big' is not",
  },
];
