/**
 * A domain's disks and network interfaces as `virsh domblklist` and
 * `virsh domiflist` list them, read from its XML: the rows virsh 9.0 derives
 * in cmdDomblklist and cmdDomiflist (tools/virsh-domain-monitor.c), as typed
 * objects. Where virsh prints `-` for a value it could not find, the row has
 * `null`.
 *
 * @module
 */
import { VIR_DOMAIN_XML_INACTIVE } from '../procedures/libvirt-api.gen.js';
import type { CallOptions } from '../rpc/procedure.js';
import { parseXml, type XmlElement, XmlErrorCode, XmlReadError, xmlAll, xmlAttr, xmlChildren } from './xml/reader.js';

/** One disk, as a row of `virsh domblklist --details`. */
export interface DomainDiskRow {
  /**
   * `<disk type>`: how the source is reached (`file`, `block`, `dir`,
   * `network`, `volume`, `nvme`, `vhostuser`). Null when the XML has none,
   * which only a list without `details` accepts.
   */
  type: string | null;
  /** `<disk device>`: what the guest sees (`disk`, `cdrom`, `floppy`, `lun`). Null as for {@link type}. */
  device: string | null;
  /** `<target dev>`: the guest's name for the disk (`vda`, `hdc`, `sda`). */
  target: string;
  /**
   * What the disk reads, as virsh prints it: the first of the `<source>`
   * attributes `file`, `dev`, `dir`, `name`, `volume`, `path` in document
   * order (a network disk's `pool/image` name, a volume disk's volume
   * name, a vhost-user socket path), or for an NVMe disk
   * `nvme://DDDD:BB:SS.F/NAMESPACE`. Null for a disk without one (an empty
   * CD-ROM drive), where virsh prints `-`.
   */
  source: string | null;
}

/** One network interface, as a row of `virsh domiflist`. */
export interface DomainInterfaceRow {
  /**
   * `<target dev>`: the host-side device of a running guest's NIC (`vnet0`,
   * `macvtap0`, `tap0`). Null when there is none (an inactive
   * configuration, a `user` NIC), where virsh prints `-`.
   */
  interface: string | null;
  /** `<interface type>`: `network`, `bridge`, `direct`, `user`, `ethernet`, `vhostuser`, ... */
  type: string;
  /**
   * The first of the `<source>` attributes `bridge`, `dev`, `network`,
   * `name`, `path` in document order: the network's or bridge's name, the
   * host device of a `direct` NIC, a vhost-user socket. Null when none (`-`).
   */
  source: string | null;
  /** `<model type>` (`virtio`, `e1000`, `rtl8139`), or null when the XML names none (`-`). */
  model: string | null;
  /** `<mac address>`, or null when none (`-`). */
  mac: string | null;
}

/** Options of {@link domainDisks}. */
export interface DomainDisksOptions {
  /**
   * Fail, as `virsh domblklist --details` does, when a disk has no `type`
   * or `device` (the rows carry both either way).
   */
  details?: boolean;
}

/** Where the XML comes from for {@link readDomainDisks} and {@link readDomainInterfaces}. */
export interface DomainDeviceReadOptions extends CallOptions {
  /** Read the persistent configuration (`VIR_DOMAIN_XML_INACTIVE`, virsh's `--inactive`), not the running one. */
  inactive?: boolean;
}

/** What libvirt's virXPathString gives: null for a missing or empty value. */
function value(v: string | undefined): string | null {
  return v === undefined || v === '' ? null : v;
}

/**
 * XPath's `string(./source/@a|./source/@b|...)`: the value of the first of
 * those attributes in document order (over every `<source>` child, each
 * one's attributes in their order), null when there is none or it is empty.
 */
function firstSourceAttr(device: XmlElement, names: ReadonlySet<string>): string | null {
  for (const source of xmlChildren(device, 'source')) {
    for (const [name, v] of Object.entries(source.attrs)) if (names.has(name)) return value(v);
  }
  return null;
}

const DISK_SOURCE_ATTRS: ReadonlySet<string> = new Set(['file', 'dev', 'dir', 'name', 'volume', 'path']);
const NIC_SOURCE_ATTRS: ReadonlySet<string> = new Set(['bridge', 'dev', 'network', 'name', 'path']);

/** An unsigned int attribute as libvirt's virXMLPropUInt reads it with base 0 (strtoul: `0x1f`, `017`, `31`). */
function uintAttr(el: XmlElement, name: string): number {
  const text = xmlAttr(el, name);
  if (text === undefined) return 0;
  const m = /^[ \t\n\v\f\r]*\+?(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(text);
  const n = m === null ? NaN : m[1] !== undefined ? parseInt(m[1], 16) : m[2] !== undefined ? parseInt(m[2], 8) : Number(m[3]);
  if (!(n <= 0xffffffff)) {
    throw new XmlReadError(
      XmlErrorCode.CONTENT,
      `Invalid value for attribute '${name}' in element '${el.name}': '${text}'. Expected non-negative integer value`,
    );
  }
  return n;
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** virsh's name of an NVMe disk's source, from its PCI address and namespace (virPCIDeviceAddressParseXML's checks). */
function nvmeSource(disk: XmlElement): string {
  const unusable = (why: string): XmlReadError => new XmlReadError(XmlErrorCode.CONTENT, `Unable to query NVMe disk address: ${why}`);
  const namespace = firstSourceAttr(disk, new Set(['namespace']));
  if (namespace === null) throw unusable('no <source namespace>');
  const address = xmlAll(disk, 'source/address')[0];
  if (address === undefined) throw unusable('no <source><address>');
  const uint = (el: XmlElement, name: string): number => {
    try {
      return uintAttr(el, name);
    } catch (err) {
      throw unusable((err as Error).message);
    }
  };
  const [domain, bus, slot, fn] = ['domain', 'bus', 'slot', 'function'].map((a) => uint(address, a));
  const multi = xmlAttr(address, 'multifunction');
  if (multi !== undefined && multi !== 'on' && multi !== 'off') throw unusable(`Invalid value for attribute 'multifunction' in element 'address': '${multi}'.`);
  if (domain || bus || slot) {
    if (bus > 0xff) throw unusable(`Invalid PCI address bus='0x${hex(bus, 0)}', must be <= 0xFF`);
    if (slot > 0x1f) throw unusable(`Invalid PCI address slot='0x${hex(slot, 0)}', must be <= 0x1F`);
    if (fn > 7) throw unusable(`Invalid PCI address function=0x${hex(fn, 0)}, must be <= 7`);
  }
  // libvirt reads the last <zpci> child only.
  const zpci = xmlChildren(address, 'zpci').at(-1);
  if (zpci) for (const a of ['uid', 'fid']) uint(zpci, a);
  return `nvme://${hex(domain, 4)}:${hex(bus, 2)}:${hex(slot, 2)}.${fn}/${namespace}`;
}

function rootOf(xml: string | XmlElement): XmlElement {
  return typeof xml === 'string' ? parseXml(xml) : xml;
}

/** The message of `virsh domblklist` for a disk without a target. */
export const DISK_WITHOUT_TARGET = 'unable to query block list';
/** The message of `virsh domblklist --details` for a disk without a type or device. */
export const DISK_WITHOUT_DETAILS = 'unable to query block list details';

/**
 * The disks of a domain XML (`./devices/disk`), as `virsh domblklist`
 * lists them.
 *
 * @param xml the domain's XML, as text or as {@link parseXml} read it.
 * @throws XmlReadError `XML_PARSE` for text that is not XML; `XML_CONTENT`
 *   where virsh fails too: a disk without `<target dev>`
 *   ({@link DISK_WITHOUT_TARGET}), with `details` one without `type` or
 *   `device` ({@link DISK_WITHOUT_DETAILS}), an NVMe disk without a usable
 *   PCI address or namespace ("Unable to query NVMe disk address").
 */
export function domainDisks(xml: string | XmlElement, options: DomainDisksOptions = {}): DomainDiskRow[] {
  return xmlAll(rootOf(xml), 'devices/disk').map((disk) => {
    const type = value(xmlAttr(disk, 'type'));
    const device = value(xmlAttr(disk, 'device'));
    if (options.details && (type === null || device === null)) throw new XmlReadError(XmlErrorCode.CONTENT, DISK_WITHOUT_DETAILS);
    const target = firstTargetDev(disk);
    if (target === null) throw new XmlReadError(XmlErrorCode.CONTENT, DISK_WITHOUT_TARGET);
    const source = type === 'nvme' ? nvmeSource(disk) : firstSourceAttr(disk, DISK_SOURCE_ATTRS);
    return { type, device, target, source };
  });
}

/** XPath's `string(./target/@dev)` as virXPathString gives it. */
function firstTargetDev(device: XmlElement): string | null {
  for (const t of xmlChildren(device, 'target')) {
    const dev = xmlAttr(t, 'dev');
    if (dev !== undefined) return value(dev);
  }
  return null;
}

/** XPath's `string(./NAME/@ATTR)`: the first such attribute's value, null when none or empty. */
function firstChildAttr(device: XmlElement, child: string, attr: string): string | null {
  for (const c of xmlChildren(device, child)) {
    const v = xmlAttr(c, attr);
    if (v !== undefined) return value(v);
  }
  return null;
}

/**
 * The network interfaces of a domain XML (`./devices/interface`), as
 * `virsh domiflist` lists them.
 *
 * @param xml the domain's XML, as text or as {@link parseXml} read it.
 * @throws XmlReadError `XML_PARSE` for text that is not XML; `XML_CONTENT`
 *   for an interface without a `type` (virsh fails on it: "Incorrect number
 *   of cells in a table row").
 */
export function domainInterfaces(xml: string | XmlElement): DomainInterfaceRow[] {
  return xmlAll(rootOf(xml), 'devices/interface').map((nic, i) => {
    const type = value(xmlAttr(nic, 'type'));
    if (type === null) throw new XmlReadError(XmlErrorCode.CONTENT, `interface ${i + 1} of the domain XML has no type`);
    return {
      interface: firstChildAttr(nic, 'target', 'dev'),
      type,
      source: firstSourceAttr(nic, NIC_SOURCE_ATTRS),
      model: firstChildAttr(nic, 'model', 'type'),
      mac: firstChildAttr(nic, 'mac', 'address'),
    };
  });
}

/** Anything with libvirt's `getXMLDesc(flags)`: a `Domain` object. */
export interface DomainXmlSource {
  getXMLDesc(flags: number, options?: CallOptions): Promise<string>;
}

function callOptions(o: DomainDeviceReadOptions): CallOptions {
  return { ...(o.signal !== undefined ? { signal: o.signal } : {}), ...(o.timeout !== undefined ? { timeout: o.timeout } : {}) };
}

/**
 * `virsh domblklist [--details] [--inactive]` for a domain: its XML
 * (persistent with `inactive`) read by {@link domainDisks}.
 */
export async function readDomainDisks(dom: DomainXmlSource, options: DomainDisksOptions & DomainDeviceReadOptions = {}): Promise<DomainDiskRow[]> {
  const xml = await dom.getXMLDesc(options.inactive ? VIR_DOMAIN_XML_INACTIVE : 0, callOptions(options));
  return domainDisks(xml, { details: options.details === true });
}

/** `virsh domiflist [--inactive]` for a domain: its XML read by {@link domainInterfaces}. */
export async function readDomainInterfaces(dom: DomainXmlSource, options: DomainDeviceReadOptions = {}): Promise<DomainInterfaceRow[]> {
  return domainInterfaces(await dom.getXMLDesc(options.inactive ? VIR_DOMAIN_XML_INACTIVE : 0, callOptions(options)));
}
