import type { Connection } from '../../api/connection.js';
import { VIR_DOMAIN_AFFECT_CONFIG, VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_DEVICE_MODIFY_FORCE, VIR_DOMAIN_XML_INACTIVE } from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { CliError, type ParsedOptions, type CommandSpec, type OptionSpec } from '../command.js';
import { call } from '../support/failures.js';
import { flag, valueOpt, DOMAIN, AFFECT_OPTS, PERSISTENT, exclusive, strOpt, aliasOpt } from '../support/options.js';
import { numberOpt, scaledKiBOpt } from '../support/numbers.js';
import {
  parseXmlTree,
  serializeXmlNode,
  childElements,
  treeElements,
  attr,
  setAttr,
  elementText,
  type XmlTreeElement,
  type XmlTreeNode,
} from '../support/xml.js';
import { printExtra } from '../support/format.js';
import { attachDiskXml, attachInterfaceXml } from '../support/device-xml.js';
import { lookupDomain } from '../support/lookup.js';

const GROUP = 'Domain Management';

// C-library number parsing, as virsh's option readers use it.

// --config / --live / --current / --persistent

/** The --config/--live/--current (and --persistent) checks and flags virsh's device commands share. */
interface Affect {
  flags: number;
  readonly current: boolean;
  readonly persistent: boolean;
}

function affect(opts: ParsedOptions, withPersistent: boolean): Affect {
  if (withPersistent) exclusive(opts, ['persistent', 'current']);
  exclusive(opts, ['current', 'live'], ['current', 'config']);
  const persistent = withPersistent && opts.bool('persistent');
  const flags = (opts.bool('config') || persistent ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (opts.bool('live') ? VIR_DOMAIN_AFFECT_LIVE : 0);
  return { flags, current: opts.bool('current'), persistent };
}

/** --persistent also affects the running domain when there is one. */
async function addLiveIfPersistent(conn: Connection, dom: RemoteNonnullDomain, a: Affect): Promise<void> {
  if (a.persistent && (await conn.raw.domainIsActive(dom).catch(() => -1)) === 1) a.flags |= VIR_DOMAIN_AFFECT_LIVE;
}

/** Attach or detach with the flags virsh picks: the plain call when no flag (and no --current) was given. */
function attachDevice(conn: Connection, dom: RemoteNonnullDomain, xml: string, a: Affect): Promise<void> {
  return a.flags || a.current ? conn.raw.domainAttachDeviceFlags(dom, xml, a.flags) : conn.raw.domainAttachDevice(dom, xml);
}

function detachDevice(conn: Connection, dom: RemoteNonnullDomain, xml: string, a: Affect): Promise<void> {
  return a.flags || a.current ? conn.raw.domainDetachDeviceFlags(dom, xml, a.flags) : conn.raw.domainDetachDevice(dom, xml);
}

/** The domain XML as a tree (virshDomainGetXMLFromDom's messages when it fails). */
async function domainTree(conn: Connection, dom: RemoteNonnullDomain, flags: number): Promise<XmlTreeElement> {
  const xml = await call(() => conn.raw.domainGetXMLDesc(dom, flags), 'Failed to get domain description xml');
  try {
    return parseXmlTree(xml);
  } catch {
    throw new CliError(['Failed to parse domain description xml']);
  }
}
// ---------------------------------------------------------------------------------------------
// attach-device / detach-device / update-device

const FILE_XML: OptionSpec = valueOpt('file', 'string', 'XML file', { required: true });

/** attach-device, detach-device and update-device: a device from an XML file, with the affect flags. */
function deviceFromFile(spec: {
  readonly name: string;
  readonly help: string;
  readonly description?: string;
  readonly verb: 'attach' | 'detach' | 'update';
  readonly done: string;
  /** update-device reads the domain before the file option (and takes --force). */
  readonly update?: boolean;
}): CommandSpec {
  return {
    name: spec.name,
    group: GROUP,
    help: spec.help,
    description: spec.description,
    options: [DOMAIN, FILE_XML, PERSISTENT, ...AFFECT_OPTS, ...(spec.update ? [flag('force', 'force device update')] : [])],
    async run(ctx, opts) {
      const a = affect(opts, true);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const from = strOpt(opts, 'file')!;
      await addLiveIfPersistent(ctx.conn, dom, a);
      const xml = await ctx.readFile(from);
      if (opts.bool('force')) a.flags |= VIR_DOMAIN_DEVICE_MODIFY_FORCE;
      const raw = ctx.conn.raw;
      await call(
        () =>
          spec.verb === 'attach'
            ? attachDevice(ctx.conn, dom, xml, a)
            : spec.verb === 'detach'
              ? detachDevice(ctx.conn, dom, xml, a)
              : raw.domainUpdateDeviceFlags(dom, xml, a.flags),
        `Failed to ${spec.verb} device from ${from}`,
      );
      printExtra(ctx, `Device ${spec.done} successfully\n`);
    },
  };
}

/** attach-disk and attach-interface: build the XML, print it with --print-xml, or attach it. */
function attachBuilt(spec: {
  readonly name: string;
  readonly help: string;
  readonly description?: string;
  readonly options: readonly OptionSpec[];
  readonly build: (opts: ParsedOptions) => string;
  /** `disk` → "Failed to attach disk" / "Disk attached successfully". */
  readonly noun: string;
}): CommandSpec {
  return {
    name: spec.name,
    group: GROUP,
    help: spec.help,
    description: spec.description,
    options: spec.options,
    async run(ctx, opts) {
      const a = affect(opts, true);
      const xml = spec.build(opts);
      if (opts.bool('print-xml')) {
        ctx.print(xml);
        return;
      }
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await addLiveIfPersistent(ctx.conn, dom, a);
      await call(() => attachDevice(ctx.conn, dom, xml, a), `Failed to attach ${spec.noun}`);
      printExtra(ctx, `${spec.noun[0].toUpperCase()}${spec.noun.slice(1)} attached successfully\n`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// detach-interface

/** Compares two MAC addresses as virMacAddrCompare does: case-insensitively, leading zeros of each part ignored. */
function sameMac(p: string, q: string): boolean {
  let i = 0;
  let j = 0;
  const isHex = (c: string | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(c);
  for (;;) {
    while (p[i] === '0' && isHex(p[i + 1])) i++;
    while (q[j] === '0' && isHex(q[j + 1])) j++;
    const c = (p[i] ?? '').toLowerCase();
    const d = (q[j] ?? '').toLowerCase();
    if (c === '' || d === '') return c === d;
    if (c !== d) return false;
    i++;
    j++;
  }
}

/**
 * The interface of `type` (and `mac`) in a domain's XML, cut out as virsh
 * prints or detaches it (virshDomainDetachInterface); errors as virsh's.
 */
function findInterface(doc: XmlTreeElement, type: string, mac: string | undefined): string {
  const nodes = treeElements(doc, 'devices/interface').filter((n) => attr(n, 'type') === type);
  if (nodes.length === 0) throw new CliError([`No interface found whose type is ${type}`]);
  let match: XmlTreeElement | null = null;
  if (mac !== undefined) {
    for (const n of nodes) {
      const address = childElements(n, 'mac').map((m) => attr(m, 'address'))[0];
      if (address && sameMac(address, mac)) {
        if (match) {
          throw new CliError([
            `Domain has multiple interfaces matching MAC address ${mac}. You must use detach-device and specify the device pci address to remove it.`,
          ]);
        }
        match = n;
      }
    }
  } else {
    if (nodes.length > 1) throw new CliError([`Domain has ${nodes.length} interfaces. Please specify which one to detach using --mac`]);
    match = nodes[0];
  }
  if (!match) throw new CliError([`No interface with MAC address ${mac} was found`]);
  return serializeXmlNode(match);
}

// ---------------------------------------------------------------------------------------------
// detach-disk / change-media

/**
 * The disk a path names (its target, or its source's file, dev, dir or
 * name), copied without its backingStore, as virshFindDisk finds it; with
 * `changeable`, only CD-ROMs and floppies (and disks that do not say).
 */
function findDisk(doc: XmlTreeElement, path: string, changeable: boolean): XmlTreeElement {
  const disks = treeElements(doc, 'devices/disk');
  if (disks.length === 0) throw new CliError(['Failed to get disk information']);
  for (const disk of disks) {
    const device = attr(disk, 'device');
    if (changeable && device !== undefined && device !== 'cdrom' && device !== 'floppy') continue;
    const source = childElements(disk, 'source')[0];
    const targetDev = childElements(disk, 'target').map((t) => attr(t, 'dev'))[0];
    const candidates = [targetDev || undefined, ...(source ? ['file', 'dev', 'dir', 'name'].map((k) => attr(source, k)) : [])];
    if (candidates.includes(path)) {
      const copy = structuredClone(disk);
      const backing = copy.children.findIndex((c) => c.kind === 'element' && c.name === 'backingStore');
      if (backing >= 0) copy.children.splice(backing, 1);
      return copy;
    }
  }
  throw new CliError([`No disk found whose source path or target is ${path}`]);
}

type MediaAction = 'eject' | 'insert' | 'update';

/** The disk with its media changed, as virshUpdateDiskXML rewrites it. */
function changeMediaXml(disk: XmlTreeElement, newSource: string | undefined, block: boolean, target: string, action: MediaAction): string {
  const device = attr(disk, 'device');
  if (device !== 'cdrom' && device !== 'floppy') throw new CliError([`The disk device '${target}' is not removable`]);
  let source: XmlTreeElement | null = null;
  let targetNode: XmlTreeElement | null = null;
  let textNode: XmlTreeNode | null = null;
  for (const c of disk.children) {
    // The last text before <target/> is the indentation the new <source/> copies.
    if (!targetNode && c.kind === 'text') textNode = c;
    if (c.kind !== 'element') continue;
    if (!source && c.name === 'source') source = c;
    else if (!targetNode && c.name === 'target') targetNode = c;
    if (source && targetNode) break;
  }
  let src = newSource;
  let isBlock = block;
  if (action === 'eject') {
    if (!source) throw new CliError([`The disk device '${target}' doesn't have media`]);
    isBlock = false;
    src = undefined;
  } else if (src === undefined) {
    throw new CliError(['New disk media source was not specified']);
  }
  let startupPolicy: string | undefined;
  if (source) {
    const current = ['file', 'dev', 'dir', 'pool', 'name'].map((k) => attr(source!, k)).find((v) => v !== undefined);
    if (current !== undefined && action === 'insert') throw new CliError([`The disk device '${target}' already has media`]);
    startupPolicy = attr(source, 'startupPolicy');
    disk.children.splice(disk.children.indexOf(source), 1);
  }
  setAttr(disk, 'type', isBlock ? 'block' : 'file');
  if (src !== undefined && targetNode) {
    const fresh: XmlTreeElement = { kind: 'element', name: 'source', attrs: Object.create(null) as Record<string, string>, children: [] };
    setAttr(fresh, isBlock ? 'dev' : 'file', src);
    if (startupPolicy !== undefined) setAttr(fresh, 'startupPolicy', startupPolicy);
    const at = disk.children.indexOf(targetNode);
    disk.children.splice(at, 0, fresh, ...(textNode ? [{ ...textNode }] : []));
  }
  return serializeXmlNode(disk);
}

// ---------------------------------------------------------------------------------------------
// update-memory-device

/** The memory device update-memory-device selects, with its new <requested/> size (virshGetUpdatedMemoryXML). */
function updatedMemoryXml(doc: XmlTreeElement, opts: ParsedOptions): string {
  const alias = strOpt(opts, 'alias');
  const node = numberOpt(opts, 'node', 'uint');
  let mems = treeElements(doc, 'devices/memory');
  if (opts.bool('node')) mems = mems.filter((m) => treeElements(m, 'target/node').some((n) => elementText(n) === String(node)));
  else if (alias !== undefined) mems = mems.filter((m) => treeElements(m, 'alias').some((a) => attr(a, 'name') === alias));
  if (mems.length === 0) throw new CliError(['no memory device found']);
  if (mems.length > 1) throw new CliError(['multiple memory devices found, use --alias or --node to select one']);
  const mem = mems[0];
  if (opts.bool('requested-size')) {
    const kib = scaledKiBOpt(opts, 'requested-size')!;
    const requested = treeElements(mem, 'target/requested')[0];
    if (!requested) throw new CliError(['virtio-mem device is missing <requested/>']);
    requested.children = [{ kind: 'text', text: String(kib) }];
  }
  return serializeXmlNode(mem);
}

/** The commands of this group. */
export const deviceCommands: readonly CommandSpec[] = [
  deviceFromFile({
    name: 'attach-device',
    help: 'attach device from an XML file',
    description: 'Attach device from an XML <file>.',
    verb: 'attach',
    done: 'attached',
  }),
  deviceFromFile({
    name: 'detach-device',
    help: 'detach device from an XML file',
    description: 'Detach device from an XML <file>',
    verb: 'detach',
    done: 'detached',
  }),
  deviceFromFile({
    name: 'update-device',
    help: 'update device from an XML file',
    description: 'Update device from an XML <file>.',
    verb: 'update',
    done: 'updated',
    update: true,
  }),
  {
    name: 'detach-device-alias',
    group: GROUP,
    help: 'detach device from an alias',
    description: 'Detach device identified by the given alias from a domain',
    options: [DOMAIN, valueOpt('alias', 'string', 'device alias', { required: true }), ...AFFECT_OPTS],
    async run(ctx, opts) {
      const a = affect(opts, false);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const alias = strOpt(opts, 'alias')!;
      await call(() => ctx.conn.raw.domainDetachDeviceAlias(dom, alias, a.flags), `Failed to detach device with alias ${alias}`);
      printExtra(ctx, 'Device detach request sent successfully\n');
    },
  },
  attachBuilt({
    name: 'attach-disk',
    help: 'attach disk device',
    description: 'Attach new disk device.',
    noun: 'disk',
    build: attachDiskXml,
    options: [
      DOMAIN,
      valueOpt('source', 'string', 'source of disk device or name of network disk', { required: true }),
      valueOpt('target', 'string', 'target of disk device', { required: true }),
      valueOpt('targetbus', 'string', 'target bus of disk device'),
      valueOpt('driver', 'string', 'driver of disk device'),
      valueOpt('subdriver', 'string', 'subdriver of disk device'),
      valueOpt('iothread', 'string', 'IOThread to be used by supported device'),
      valueOpt('cache', 'string', 'cache mode of disk device'),
      valueOpt('io', 'string', 'io policy of disk device'),
      valueOpt('type', 'string', 'target device type'),
      aliasOpt('shareable', 'bool', 'mode=shareable'),
      valueOpt('mode', 'string', 'mode of device reading and writing'),
      valueOpt('sourcetype', 'string', 'type of source (block|file|network)'),
      valueOpt('serial', 'string', 'serial of disk device'),
      valueOpt('wwn', 'string', 'wwn of disk device'),
      valueOpt('alias', 'string', 'custom alias name of disk device'),
      flag('rawio', 'needs rawio capability'),
      valueOpt('address', 'string', 'address of disk device'),
      flag('multifunction', 'use multifunction pci under specified address'),
      flag('print-xml', 'print XML document rather than attach the disk'),
      valueOpt('source-protocol', 'string', 'protocol used by disk device source'),
      valueOpt('source-host-name', 'string', 'host name for source of disk device'),
      valueOpt('source-host-transport', 'string', 'host transport for source of disk device'),
      valueOpt('source-host-socket', 'string', 'host socket for source of disk device'),
      PERSISTENT,
      ...AFFECT_OPTS,
    ],
  }),
  attachBuilt({
    name: 'attach-interface',
    help: 'attach network interface',
    description: 'Attach new network interface.',
    noun: 'interface',
    build: attachInterfaceXml,
    options: [
      DOMAIN,
      valueOpt('type', 'string', 'network interface type', { required: true }),
      valueOpt('source', 'string', 'source of network interface', { required: true }),
      valueOpt('target', 'string', 'target network name'),
      valueOpt('mac', 'string', 'MAC address'),
      valueOpt('script', 'string', 'script used to bridge network interface'),
      valueOpt('model', 'string', 'model type'),
      valueOpt('alias', 'string', 'custom alias name of interface device'),
      valueOpt('inbound', 'string', "control domain's incoming traffics"),
      valueOpt('outbound', 'string', "control domain's outgoing traffics"),
      PERSISTENT,
      ...AFFECT_OPTS,
      flag('print-xml', 'print XML document rather than attach the interface'),
      flag('managed', 'libvirt will automatically detach/attach the device from/to host'),
      valueOpt('source-mode', 'string', 'mode attribute of <source/> element'),
    ],
  }),
  {
    name: 'detach-disk',
    group: GROUP,
    help: 'detach disk device',
    description: 'Detach disk device.',
    options: [
      DOMAIN,
      valueOpt('target', 'string', 'target of disk device', { required: true }),
      PERSISTENT,
      ...AFFECT_OPTS,
      flag('print-xml', 'print XML document rather than detach the disk'),
    ],
    async run(ctx, opts) {
      const a = affect(opts, true);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const target = strOpt(opts, 'target')!;
      const xml = await call(() => ctx.conn.raw.domainGetXMLDesc(dom, a.flags === VIR_DOMAIN_AFFECT_CONFIG ? VIR_DOMAIN_XML_INACTIVE : 0));
      await addLiveIfPersistent(ctx.conn, dom, a);
      const disk = serializeXmlNode(findDisk(parseXmlTree(xml), target, false));
      if (opts.bool('print-xml')) {
        ctx.print(disk);
        return;
      }
      await call(() => detachDevice(ctx.conn, dom, disk, a), 'Failed to detach disk');
      printExtra(ctx, 'Disk detached successfully\n');
    },
  },
  {
    name: 'detach-interface',
    group: GROUP,
    help: 'detach network interface',
    description: 'Detach network interface.',
    options: [
      DOMAIN,
      valueOpt('type', 'string', 'network interface type', { required: true }),
      valueOpt('mac', 'string', 'MAC address'),
      PERSISTENT,
      ...AFFECT_OPTS,
      flag('print-xml', 'print XML document rather than detach the interface'),
    ],
    async run(ctx, opts) {
      exclusive(opts, ['persistent', 'current'], ['current', 'live'], ['current', 'config']);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const printOnly = opts.bool('print-xml');
      const current = opts.bool('current');
      const raw = ctx.conn.raw;
      /** Detaches (or prints) the matching interface of the domain XML that `xmlFlags` gives. */
      const detachFrom = async (xmlFlags: number, flags: number, type: string, mac: string | undefined): Promise<void> => {
        const xml = findInterface(parseXmlTree(await call(() => raw.domainGetXMLDesc(dom, xmlFlags))), type, mac);
        if (printOnly) ctx.print(xml);
        else await call(() => detachDevice(ctx.conn, dom, xml, { flags, current, persistent: false }));
      };
      let liveStep = false;
      try {
        const type = strOpt(opts, 'type')!;
        const mac = strOpt(opts, 'mac');
        const persistent = opts.bool('persistent');
        const affectConfig = opts.bool('config') || persistent;
        if (affectConfig) await detachFrom(VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_AFFECT_CONFIG, type, mac);
        const affectLive = opts.bool('live') || (persistent && (await raw.domainIsActive(dom).catch(() => -1)) === 1);
        if (affectLive || !affectConfig) {
          liveStep = true;
          await detachFrom(0, affectLive ? VIR_DOMAIN_AFFECT_LIVE : 0, type, mac);
        }
      } catch (err) {
        // virsh adds its own line after whatever went wrong (and before the daemon's error),
        // except when the last step only printed: then it returns at once.
        if (!(err instanceof CliError) || (printOnly && liveStep && !(err.cause instanceof Error))) throw err;
        const daemon = err.cause instanceof Error;
        throw new CliError(daemon ? ['Failed to detach interface', ...err.lines] : [...err.lines, 'Failed to detach interface'], { cause: err.cause });
      }
      if (!printOnly) printExtra(ctx, 'Interface detached successfully\n');
    },
  },
  {
    name: 'change-media',
    group: GROUP,
    help: 'Change media of CD or floppy drive',
    description: 'Change media of CD or floppy drive.',
    options: [
      DOMAIN,
      valueOpt('path', 'string', 'Fully-qualified path or target of disk device', { required: true }),
      valueOpt('source', 'string', 'source of the media'),
      flag('eject', 'Eject the media'),
      flag('insert', 'Insert the media'),
      flag('update', 'Update the media'),
      flag('current', 'can be either or both of --live and --config, depends on implementation hypervisor driver'),
      flag('live', 'alter live configuration of running domain'),
      flag('config', 'alter persistent configuration, effect observed on next boot'),
      flag('force', 'force media changing'),
      flag('print-xml', 'print XML document rather than change media'),
      flag('block', 'source media is a block device'),
    ],
    async run(ctx, opts) {
      exclusive(opts, ['eject', 'insert'], ['eject', 'update'], ['insert', 'update'], ['eject', 'block']);
      const source = strOpt(opts, 'source');
      // virsh's docs: --update without a source is an eject.
      const action: MediaAction = opts.bool('eject') || (opts.bool('update') && source === undefined) ? 'eject' : opts.bool('insert') ? 'insert' : 'update';
      const success = { eject: 'Successfully ejected media.', insert: 'Successfully inserted media.', update: 'Successfully updated media.' }[action];
      exclusive(opts, ['current', 'live'], ['current', 'config']);
      const flags =
        (opts.bool('config') ? VIR_DOMAIN_AFFECT_CONFIG : 0) |
        (opts.bool('live') ? VIR_DOMAIN_AFFECT_LIVE : 0) |
        (opts.bool('force') ? VIR_DOMAIN_DEVICE_MODIFY_FORCE : 0);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const path = strOpt(opts, 'path')!;
      const xml = await call(() => ctx.conn.raw.domainGetXMLDesc(dom, flags & VIR_DOMAIN_AFFECT_CONFIG ? VIR_DOMAIN_XML_INACTIVE : 0));
      const disk = changeMediaXml(findDisk(parseXmlTree(xml), path, true), source, opts.bool('block'), path, action);
      if (opts.bool('print-xml')) {
        ctx.print(disk);
        return;
      }
      await call(() => ctx.conn.raw.domainUpdateDeviceFlags(dom, disk, flags), `Failed to complete action ${action} on media`);
      // Printed even with -q (vshPrint), and left to virsh's closing newline.
      ctx.print(success);
    },
  },
  {
    name: 'update-memory-device',
    group: GROUP,
    help: 'update memory device of a domain',
    description: 'Update values of a memory device of a domain',
    options: [
      DOMAIN,
      ...AFFECT_OPTS,
      flag('print-xml', 'print updated memory device XML instead of executing the change'),
      valueOpt('alias', 'string', 'memory device alias'),
      valueOpt('node', 'int', 'memory device target node'),
      valueOpt('requested-size', 'int', 'new value of <requested/> size, as scaled integer (default KiB)'),
    ],
    async run(ctx, opts) {
      const a = affect(opts, false);
      exclusive(opts, ['node', 'alias']);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const doc = await domainTree(ctx.conn, dom, a.flags & VIR_DOMAIN_AFFECT_CONFIG ? VIR_DOMAIN_XML_INACTIVE : 0);
      const xml = updatedMemoryXml(doc, opts);
      if (opts.bool('print-xml')) ctx.print(xml);
      else await call(() => ctx.conn.raw.domainUpdateDeviceFlags(dom, xml, a.flags));
    },
  },

  // -------------------------------------------------------------------------------------------
  // Saved state, dumps and other domain actions
];
