/**
 * Builders of the definitions KVM guides write by hand: a guest with a virtio
 * qcow2 disk, a cdrom, NICs on a network or a bridge, VNC and a serial
 * console; a NAT network; a directory pool; a qcow2 volume. Each returns a
 * plain definition of the model, to change further before it is sent
 * (`conn.defineDomain(def)`, or `domainXml(def)` for the text).
 *
 * Values are written in the form libvirt writes back (memory in KiB,
 * capacities in bytes), so a definition compares equal to its dump.
 *
 * @module
 */
import { ArgumentError } from '../../errors/root.js';
import type { DomainDef, DomainDisk, DomainInterface, DomainOsType, NetworkDef, StoragePoolDef, StorageVolDef } from './types.gen.js';

/** A disk image of a guest. */
export interface GuestDisk {
  /** The image file. */
  path: string;
  /** Its format (default `qcow2`). */
  format?: 'qcow2' | 'raw';
  /** The bus (default `virtio`; `sata` for guests without virtio drivers). */
  bus?: 'virtio' | 'sata' | 'scsi';
  /** The guest's device name (default `vda`, `vdb`, ... on virtio, `sda`, ... otherwise). */
  target?: string;
}

/** A network card: on a libvirt network, on a host bridge, or user-mode networking. */
export type GuestNic = ({ network: string } | { bridge: string } | { user: true }) & {
  /** The MAC address (default: libvirt picks one). */
  mac?: string;
  /** The device model (default `virtio`). */
  model?: string;
};

/** Options of {@link kvmGuest}. */
export interface KvmGuestOptions {
  name: string;
  /** Memory in MiB (default 1024). */
  memoryMiB?: number;
  /** Virtual CPUs (default 1). */
  vcpus?: number;
  /** `kvm` (default) or `qemu` (TCG, no hardware virtualisation). */
  type?: 'kvm' | 'qemu';
  /** Guest architecture (default `x86_64`). */
  arch?: DomainOsType['arch'];
  /** Machine type (default: the hypervisor's default, e.g. `pc` or `q35`). */
  machine?: string;
  /** The emulator binary (default: the one libvirt's capabilities name for the architecture). */
  emulator?: string;
  /** The UUID (default: libvirt makes one). */
  uuid?: string;
  /** Disk images, in order (a path alone is a virtio qcow2 image). */
  disks?: (string | GuestDisk)[];
  /** An ISO image in a SATA cdrom, read-only. */
  cdrom?: string;
  /** Network cards (a string alone is a libvirt network's name). */
  nics?: (string | GuestNic)[];
  /** VNC graphics (default on, on 127.0.0.1 with a port libvirt picks); false for none. */
  vnc?: boolean | { listen?: string; port?: number; passwd?: string };
  /** A serial console on a pty (default on). */
  serialConsole?: boolean;
  /** Boot order (default: `cdrom` then `hd` with a cdrom, else `hd`). */
  boot?: ('hd' | 'cdrom' | 'network' | 'fd')[];
}

function positive(what: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new ArgumentError(`${what}: expected a positive integer, got ${v}`);
  return v;
}

/** A KVM/QEMU guest as KVM guides write it. */
export function kvmGuest(o: KvmGuestOptions): DomainDef {
  if (typeof o?.name !== 'string' || o.name === '') throw new ArgumentError('kvmGuest: a name is required');
  const kib = positive('kvmGuest memoryMiB', o.memoryMiB ?? 1024) * 1024;
  const disks: DomainDisk[] = [];
  const used = new Map<string, number>();
  const nextTarget = (prefix: string): string => {
    const n = used.get(prefix) ?? 0;
    used.set(prefix, n + 1);
    return `${prefix}${String.fromCharCode(97 + n)}`;
  };
  for (const d of o.disks ?? []) {
    const disk = typeof d === 'string' ? { path: d } : d;
    const bus = disk.bus ?? 'virtio';
    const target = disk.target ?? nextTarget(bus === 'virtio' ? 'vd' : 'sd');
    disks.push({
      type: 'file',
      device: 'disk',
      driver: { name: 'qemu', type: disk.format ?? 'qcow2' },
      source: { file: disk.path },
      target: { dev: target, bus },
    });
  }
  if (o.cdrom !== undefined) {
    disks.push({
      type: 'file',
      device: 'cdrom',
      driver: { name: 'qemu', type: 'raw' },
      source: { file: o.cdrom },
      target: { dev: nextTarget('sd'), bus: 'sata' },
      readonly: true,
    });
  }
  const nics: DomainInterface[] = (o.nics ?? []).map((n) => {
    const nic: GuestNic = typeof n === 'string' ? { network: n } : n;
    const base: DomainInterface =
      'network' in nic
        ? { type: 'network', source: { network: nic.network } }
        : 'bridge' in nic
          ? { type: 'bridge', source: { bridge: nic.bridge } }
          : { type: 'user' };
    if (nic.mac !== undefined) base.mac = { address: nic.mac };
    base.model = { type: nic.model ?? 'virtio' };
    return base;
  });
  const vnc = o.vnc ?? true;
  const boot = o.boot ?? (o.cdrom !== undefined ? ['cdrom', 'hd'] : ['hd']);
  const def: DomainDef = {
    type: o.type ?? 'kvm',
    name: o.name,
    ...(o.uuid !== undefined ? { uuid: o.uuid } : {}),
    memory: { unit: 'KiB', value: kib },
    currentMemory: { unit: 'KiB', value: kib },
    vcpu: { placement: 'static', value: positive('kvmGuest vcpus', o.vcpus ?? 1) },
    os: {
      type: { arch: o.arch ?? 'x86_64', ...(o.machine !== undefined ? { machine: o.machine } : {}), value: 'hvm' },
      boot: boot.map((dev) => ({ dev })),
    },
    features: { acpi: true, apic: {} },
    on_poweroff: 'destroy',
    on_reboot: 'restart',
    on_crash: 'destroy',
    devices: {
      ...(o.emulator !== undefined ? { emulator: o.emulator } : {}),
      ...(disks.length ? { disk: disks } : {}),
      ...(nics.length ? { interface: nics } : {}),
    },
  };
  const devices = def.devices!;
  if (o.serialConsole ?? true) {
    devices.serial = [{ type: 'pty', target: { port: '0' } }];
    devices.console = [{ type: 'pty', target: { type: 'serial', port: '0' } }];
  }
  if (vnc !== false) {
    const v = vnc === true ? {} : vnc;
    devices.graphics = [
      {
        type: 'vnc',
        ...(v.port !== undefined ? { port: v.port, autoport: 'no' } : { port: -1, autoport: 'yes' }),
        listen: v.listen ?? '127.0.0.1',
        ...(v.passwd !== undefined ? { passwd: v.passwd } : {}),
      },
    ];
  }
  return def;
}

/** Options of {@link natNetwork}. */
export interface NatNetworkOptions {
  name: string;
  /** The host bridge to create (default: libvirt picks `virbrN`). */
  bridge?: string;
  /** The host's address on the network (default `192.168.122.1`). */
  address?: string;
  /** The netmask (default `255.255.255.0`). */
  netmask?: string;
  /** The DHCP range (default: .2 to .254 of the address's /24). */
  dhcp?: { start: string; end: string } | false;
  /** The UUID (default: libvirt makes one). */
  uuid?: string;
}

/** A NAT network with DHCP, as libvirt's `default` network is. */
export function natNetwork(o: NatNetworkOptions): NetworkDef {
  if (typeof o?.name !== 'string' || o.name === '') throw new ArgumentError('natNetwork: a name is required');
  const address = o.address ?? '192.168.122.1';
  const m = /^(\d+\.\d+\.\d+)\.\d+$/.exec(address);
  if (!m) throw new ArgumentError(`natNetwork: expected an IPv4 address, got '${address}'`);
  const dhcp = o.dhcp ?? { start: `${m[1]}.2`, end: `${m[1]}.254` };
  return {
    name: o.name,
    ...(o.uuid !== undefined ? { uuid: o.uuid } : {}),
    forward: { mode: 'nat' },
    ...(o.bridge !== undefined ? { bridge: { name: o.bridge, stp: 'on', delay: 0 } } : {}),
    ip: [{ address, netmask: o.netmask ?? '255.255.255.0', ...(dhcp ? { dhcp: { range: [{ start: dhcp.start, end: dhcp.end }] } } : {}) }],
  };
}

/** Options of {@link dirPool}. */
export interface DirPoolOptions {
  name: string;
  /** The directory holding the volumes. */
  path: string;
  /** Permissions of the directory (octal text, e.g. `0755`). */
  mode?: string;
  /** The UUID (default: libvirt makes one). */
  uuid?: string;
}

/** A storage pool of image files in a directory. */
export function dirPool(o: DirPoolOptions): StoragePoolDef {
  if (typeof o?.name !== 'string' || o.name === '') throw new ArgumentError('dirPool: a name is required');
  if (typeof o.path !== 'string' || !o.path.startsWith('/')) throw new ArgumentError(`dirPool: expected an absolute path, got '${o.path}'`);
  return {
    type: 'dir',
    name: o.name,
    ...(o.uuid !== undefined ? { uuid: o.uuid } : {}),
    target: { path: o.path, ...(o.mode !== undefined ? { permissions: { mode: o.mode } } : {}) },
  };
}

/** Options of {@link qcow2Volume}. */
export interface Qcow2VolumeOptions {
  /** The volume's name (the file name in a dir pool, e.g. `web.qcow2`). */
  name: string;
  /** Capacity in bytes, or with `capacityGiB`. */
  capacity?: number;
  /** Capacity in GiB. */
  capacityGiB?: number;
  /** Bytes to allocate up front (default 0: a sparse image). */
  allocation?: number;
  /** A backing image (a qcow2 overlay on it). */
  backingStore?: { path: string; format?: 'qcow2' | 'raw' };
}

/** A qcow2 volume. */
export function qcow2Volume(o: Qcow2VolumeOptions): StorageVolDef {
  if (typeof o?.name !== 'string' || o.name === '') throw new ArgumentError('qcow2Volume: a name is required');
  const capacity =
    o.capacity !== undefined ? positive('qcow2Volume capacity', o.capacity) : positive('qcow2Volume capacityGiB', o.capacityGiB ?? 0) * 1024 ** 3;
  return {
    name: o.name,
    capacity: { unit: 'bytes', value: capacity },
    allocation: { unit: 'bytes', value: o.allocation ?? 0 },
    target: { format: { type: 'qcow2' } },
    ...(o.backingStore ? { backingStore: { path: o.backingStore.path, format: { type: o.backingStore.format ?? 'qcow2' } } } : {}),
  };
}
