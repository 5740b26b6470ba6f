/**
 * The names virsh gives libvirt's enums, each list indexed by the enum's value (virsh's
 * VIR_ENUM_IMPL tables): the commands parse with `indexOf` and the completers offer them.
 */

/** virDomainLifecycle (`set-lifecycle-action --type`). */
export const LIFECYCLE_TYPES: readonly string[] = ['poweroff', 'reboot', 'crash'];
/** virDomainLifecycleAction (`set-lifecycle-action --action`). */
export const LIFECYCLE_ACTIONS: readonly string[] = ['destroy', 'restart', 'rename-restart', 'preserve', 'coredump-destroy', 'coredump-restart'];
/** virDomainCoreDumpFormat (`dump --format`). */
export const DUMP_FORMATS: readonly string[] = ['elf', 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'win-dmp'];
/** virNodeSuspendTarget (`nodesuspend`, `dompmsuspend`). */
export const SUSPEND_TARGETS: readonly string[] = ['mem', 'disk', 'hybrid'];
/** virStoragePoolType (`pool-list --type`, the pool type completer). */
export const POOL_TYPES: readonly string[] = [
  'dir',
  'fs',
  'netfs',
  'logical',
  'disk',
  'iscsi',
  'iscsi-direct',
  'scsi',
  'mpath',
  'rbd',
  'sheepdog',
  'gluster',
  'zfs',
  'vstorage',
];
/** virStorageVolWipeAlgorithm (`vol-wipe --algorithm`). */
export const WIPE_ALGORITHMS: readonly string[] = ['zero', 'nnsa', 'dod', 'bsi', 'gutmann', 'schneier', 'pfitzner7', 'pfitzner33', 'random', 'trim'];
/** virNetworkUpdateCommand (`net-update`; virsh also takes `add` for `add-last`). */
export const NETWORK_UPDATE_COMMANDS: readonly string[] = ['none', 'modify', 'delete', 'add-last', 'add-first'];
/** virNetworkUpdateSection (`net-update`). */
export const NETWORK_UPDATE_SECTIONS: readonly string[] = [
  'none',
  'bridge',
  'domain',
  'ip',
  'ip-dhcp-host',
  'ip-dhcp-range',
  'forward',
  'forward-interface',
  'forward-pf',
  'portgroup',
  'dns-host',
  'dns-txt',
  'dns-srv',
];
/** virDomainNumatuneMemMode (`numatune --mode`). */
export const NUMA_MODES: readonly string[] = ['strict', 'preferred', 'interleave', 'restrictive'];
/** virDomainInterfaceAddressesSource (`domifaddr --source`). */
export const ADDRESS_SOURCES: readonly string[] = ['lease', 'agent', 'arp'];
/** virDomainVirtType's names in libvirt 9.0 (virshDomainVirtTypeCompleter: maxvcpus, domcapabilities, hypervisor-cpu-*). */
export const DOMAIN_VIRT_TYPES: readonly string[] = [
  'none',
  'qemu',
  'kqemu',
  'kvm',
  'xen',
  'lxc',
  'uml',
  'openvz',
  'test',
  'vmware',
  'hyperv',
  'vbox',
  'phyp',
  'parallels',
  'bhyve',
  'vz',
  'hvf',
];
/** virNodeDevCapType's names in libvirt 9.0 (virshNodeDeviceCapabilityNameCompleter: nodedev-list --cap). */
export const NODE_DEVICE_CAPS: readonly string[] = [
  'system',
  'pci',
  'usb_device',
  'usb',
  'net',
  'scsi_host',
  'scsi_target',
  'scsi',
  'storage',
  'fc_host',
  'vports',
  'scsi_generic',
  'drm',
  'mdev_types',
  'mdev',
  'ccw',
  'css',
  'vdpa',
  'ap_card',
  'ap_queue',
  'ap_matrix',
  'vpd',
];
/** virDomainHostdevSubsysPCIBackend's names (virshNodeDevicePCIBackendCompleter: nodedev-detach --driver). */
export const PCI_BACKENDS: readonly string[] = ['default', 'kvm', 'vfio', 'xen'];
