/**
 * The device XML virsh writes itself (tools/virsh-domain.c cmdAttachDisk,
 * cmdAttachInterface, virshAddressParse, virshAddressFormat): from the
 * options of attach-disk and attach-interface, with virBuffer's layout.
 */
import { statSync } from 'node:fs';
import { CliError, type ParsedOptions } from '../command.js';
import { parseRate, exclusive, strOpt } from './options.js';
import { UINT_MAX, ULLONG_MAX, parseUnsigned } from './numbers.js';
import { xmlAttrText, XmlBuffer } from './xml.js';

// Device addresses: `pci:D.B.S.F`, `scsi:C.B.U`, `ide:`, `sata:`, `ccw:CSSID.SSID.DEVNO`, `usb:B.P`.

export type DeviceAddress =
  | { readonly type: 'pci'; readonly n: readonly bigint[]; readonly multifunction: boolean }
  | { readonly type: 'scsi' | 'ide' | 'sata' | 'ccw' | 'usb'; readonly n: readonly bigint[] };

/**
 * An address as virshAddressParse reads it: the type before the first
 * colon, then numbers each after one separator character of any kind (pci
 * and ccw in hex, the others in decimal); anything after the last number is
 * ignored. Null when malformed.
 */
export function parseAddress(text: string, multifunction: boolean): DeviceAddress | null {
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  const type = text.slice(0, colon);
  const layout: Record<string, readonly (readonly [number, bigint])[]> = {
    pci: [
      [16, UINT_MAX],
      [16, UINT_MAX],
      [16, UINT_MAX],
      [16, UINT_MAX],
    ],
    scsi: [
      [10, UINT_MAX],
      [10, UINT_MAX],
      [10, ULLONG_MAX],
    ],
    ide: [
      [10, UINT_MAX],
      [10, UINT_MAX],
      [10, ULLONG_MAX],
    ],
    sata: [
      [10, UINT_MAX],
      [10, UINT_MAX],
      [10, ULLONG_MAX],
    ],
    ccw: [
      [16, UINT_MAX],
      [16, UINT_MAX],
      [16, UINT_MAX],
    ],
    usb: [
      [10, UINT_MAX],
      [10, UINT_MAX],
    ],
  };
  const fields = Object.hasOwn(layout, type) ? layout[type] : undefined;
  if (!fields) return null;
  const n: bigint[] = [];
  let at = colon;
  for (const [base, max] of fields) {
    // Past the end of the text there is nothing to read.
    if (at >= text.length) return null;
    const r = parseUnsigned(text, base, max, at + 1, true);
    if (!r) return null;
    n.push(r.value);
    at = r.end;
  }
  return type === 'pci' ? { type, n, multifunction } : { type: type as 'scsi' | 'ide' | 'sata' | 'ccw' | 'usb', n };
}

const hex = (v: bigint, width: number): string => `0x${v.toString(16).padStart(width, '0')}`;

/** The `<address/>` element virshAddressFormat writes. */
export function formatAddress(a: DeviceAddress): string {
  switch (a.type) {
    case 'pci':
      return `<address type='pci' domain='${hex(a.n[0], 4)}' bus='${hex(a.n[1], 2)}' slot='${hex(a.n[2], 2)}' function='${hex(a.n[3], 1)}'${a.multifunction ? " multifunction='on'" : ''}/>\n`;
    case 'ccw':
      return `<address type='ccw' cssid='${hex(a.n[0], 2)}' ssid='${hex(a.n[1], 1)}' devno='${hex(a.n[2], 4)}'/>\n`;
    case 'usb':
      return `<address type='usb' bus='${a.n[0]}' port='${a.n[1]}'/>\n`;
    default:
      return `<address type='drive' controller='${a.n[0]}' bus='${a.n[1]}' unit='${a.n[2]}'/>\n`;
  }
}

// ---------------------------------------------------------------------------------------------
// attach-disk

const DISK_SOURCE_TYPES = ['', 'file', 'block', 'network'];

/** The disk XML attach-disk builds from its options (cmdAttachDisk). */
export function attachDiskXml(opts: ParsedOptions): string {
  const requires: [string, string][] = [
    ['source-host-name', 'source-protocol'],
    ['source-host-transport', 'source-protocol'],
    ['source-host-socket', 'source-protocol'],
    ['source-host-socket', 'source-host-transport'],
  ];
  for (const [a, b] of requires) if (opts.bool(a) && !opts.bool(b)) throw new CliError([`Option --${b} is required by option --${a}`]);
  exclusive(opts, ['source-host-name', 'source-host-socket']);
  const o: Record<string, string | undefined> = {};
  o.source = strOpt(opts, 'source', true);
  for (const name of [
    'target',
    'driver',
    'subdriver',
    'type',
    'mode',
    'iothread',
    'cache',
    'io',
    'serial',
    'wwn',
    'address',
    'targetbus',
    'alias',
    'sourcetype',
    'source-protocol',
    'source-host-name',
    'source-host-transport',
    'source-host-socket',
  ]) {
    o[name] = strOpt(opts, name);
  }
  // --shareable is virsh's alias of --mode=shareable.
  if (o.mode === undefined && opts.bool('shareable')) o.mode = 'shareable';
  const target = o.target!;
  let type = 0;
  if (o.sourcetype !== undefined) {
    type = DISK_SOURCE_TYPES.indexOf(o.sourcetype);
    if (type < 0) throw new CliError([`Unknown source type: '${o.sourcetype}'`]);
  }
  if (type === 0) {
    // Without --sourcetype, virsh looks at the source on this machine: a block device makes a block disk.
    const isBlock = (): boolean => {
      try {
        return statSync(o.source!).isBlockDevice();
      } catch {
        return false;
      }
    };
    if (o['source-protocol'] !== undefined) type = 3;
    else if (o.driver !== 'file' && o.driver !== 'tap' && o.source !== undefined && isBlock()) type = 2;
    else type = 1;
  }
  if ((type === 3) !== (o['source-protocol'] !== undefined)) throw new CliError(['--source-protocol option requires --sourcetype network']);
  if (o.mode !== undefined && o.mode !== 'readonly' && o.mode !== 'shareable') throw new CliError([`No support for ${o.mode} in command 'attach-disk'`]);
  if (o.wwn !== undefined) {
    const digits = o.wwn.startsWith('0x') ? o.wwn.slice(2) : o.wwn;
    if (!/^[0-9a-fA-F]{16}$/.test(digits)) throw new CliError([`internal error: Malformed wwn: ${o.wwn}`]);
  }

  const buf = new XmlBuffer();
  const children = buf.child();
  const driverAttrs =
    xmlAttrText('name', o.driver) +
    xmlAttrText('type', o.subdriver) +
    xmlAttrText('iothread', o.iothread) +
    xmlAttrText('cache', o.cache) +
    xmlAttrText('io', o.io);
  children.element('driver', driverAttrs);
  const sourceChildren = children.child();
  let sourceAttrs = '';
  if (type === 1) sourceAttrs = xmlAttrText('file', o.source);
  else if (type === 2) sourceAttrs = xmlAttrText('dev', o.source);
  else {
    sourceAttrs = xmlAttrText('protocol', o['source-protocol']) + xmlAttrText('name', o.source);
    let hostAttrs = xmlAttrText('transport', o['source-host-transport']) + xmlAttrText('socket', o['source-host-socket']);
    const host = o['source-host-name'];
    if (host !== undefined) {
      const colon = host.indexOf(':');
      hostAttrs += colon < 0 ? xmlAttrText('name', host) : xmlAttrText('name', host.slice(0, colon)) + xmlAttrText('port', host.slice(colon + 1));
    }
    sourceChildren.element('host', hostAttrs);
  }
  children.element('source', sourceAttrs, sourceChildren);
  // These go in as given, unescaped, as virsh writes them.
  children.add(`<target dev='${target}'${o.targetbus !== undefined ? ` bus='${o.targetbus}'` : ''}/>\n`);
  if (o.mode !== undefined) children.add(`<${o.mode}/>\n`);
  if (o.serial !== undefined) children.add(`<serial>${o.serial}</serial>\n`);
  if (o.alias !== undefined) children.add(`<alias name='${o.alias}'/>\n`);
  if (o.wwn !== undefined) children.add(`<wwn>${o.wwn}</wwn>\n`);
  if (o.address !== undefined) {
    const addr = parseAddress(o.address, opts.bool('multifunction'));
    if (!addr) throw new CliError(['Invalid address.']);
    if (target.startsWith('vd') && addr.type !== 'pci' && addr.type !== 'ccw') throw new CliError(['expecting a pci:0000.00.00.00 or ccw:00.0.0000 address.']);
    if (target.startsWith('sd') && addr.type !== 'scsi' && addr.type !== 'usb' && addr.type !== 'sata') {
      throw new CliError(['expecting a scsi:00.00.00 or usb:00.00 or sata:00.00.00 address.']);
    }
    if (target.startsWith('hd') && addr.type !== 'ide') throw new CliError(['expecting an ide:00.00.00 address.']);
    children.add(formatAddress(addr));
  }
  const diskAttrs = ` type='${DISK_SOURCE_TYPES[type]}'` + xmlAttrText('device', o.type) + (opts.bool('rawio') ? " rawio='yes'" : '');
  buf.element('disk', diskAttrs, children);
  return buf.text;
}

// ---------------------------------------------------------------------------------------------
// attach-interface

const NET_TYPES = [
  'user',
  'ethernet',
  'vhostuser',
  'server',
  'client',
  'mcast',
  'network',
  'bridge',
  'internal',
  'direct',
  'hostdev',
  'udp',
  'vdpa',
  'null',
  'vds',
];

/** The interface XML attach-interface builds from its options (cmdAttachInterface). */
export function attachInterfaceXml(opts: ParsedOptions): string {
  const o: Record<string, string | undefined> = {};
  for (const name of ['type', 'source', 'target', 'mac', 'script', 'model', 'alias', 'inbound', 'outbound', 'source-mode']) o[name] = strOpt(opts, name);
  const type = o.type!;
  const source = o.source!;
  const unsupported = (): CliError => new CliError([`No support for ${type} in command 'attach-interface'`]);
  if (!NET_TYPES.includes(type)) throw unsupported();
  const mode = o['source-mode'];
  if (mode !== undefined && mode !== 'server' && mode !== 'client') throw new CliError([`Invalid source mode: ${mode}`]);
  const inbound = o.inbound !== undefined ? parseRate(o.inbound) : null;
  if (inbound && !inbound.average && !inbound.floor) throw new CliError(['either inbound average or floor is mandatory']);
  const outbound = o.outbound !== undefined ? parseRate(o.outbound) : null;
  if (outbound && outbound.average === 0n) throw new CliError(['outbound average is mandatory']);
  if (outbound?.floor) throw new CliError(['outbound floor is unsupported yet']);

  const buf = new XmlBuffer();
  buf.add(`<interface type='${type}'${opts.bool('managed') ? " managed='yes'" : ''}>\n`);
  buf.indent = 2;
  switch (type) {
    case 'network':
    case 'bridge':
      buf.add(`<source ${type}='${source}'/>\n`);
      break;
    case 'direct':
      buf.add(`<source dev='${source}'/>\n`);
      break;
    case 'hostdev': {
      const addr = parseAddress(`pci:${source}`, false);
      if (!addr) throw new CliError([`cannot parse pci address '${source}' for network interface`]);
      buf.add('<source>\n');
      buf.indent = 4;
      buf.add(formatAddress(addr));
      buf.indent = 2;
      buf.add('</source>\n');
      break;
    }
    case 'vhostuser':
      if (mode === undefined) throw new CliError(['source-mode is mandatory']);
      buf.add(`<source type='unix' path='${source}' mode='${mode}'/>\n`);
      break;
    default:
      throw unsupported();
  }
  if (o.target !== undefined) buf.add(`<target dev='${o.target}'/>\n`);
  if (o.mac !== undefined) buf.add(`<mac address='${o.mac}'/>\n`);
  if (o.script !== undefined) buf.add(`<script path='${o.script}'/>\n`);
  if (o.model !== undefined) buf.add(`<model type='${o.model}'/>\n`);
  if (o.alias !== undefined) buf.add(`<alias name='${o.alias}'/>\n`);
  if (inbound || outbound) {
    buf.add('<bandwidth>\n');
    buf.indent = 4;
    if (inbound && (inbound.average || inbound.floor)) {
      const parts = (['average', 'peak', 'burst', 'floor'] as const).filter((k) => inbound[k] > 0n).map((k) => ` ${k}='${inbound[k]}'`);
      buf.add(`<inbound${parts.join('')}/>\n`);
    }
    if (outbound && outbound.average > 0n) {
      const parts = (['average', 'peak', 'burst'] as const).filter((k) => outbound[k] > 0n).map((k) => ` ${k}='${outbound[k]}'`);
      buf.add(`<outbound${parts.join('')}/>\n`);
    }
    buf.indent = 2;
    buf.add('</bandwidth>\n');
  }
  buf.indent = 0;
  buf.add('</interface>\n');
  return buf.text;
}
