/**
 * Device, save/restore and other domain commands, with virsh's output
 * (tools/virsh-domain.c): attach/detach/update of devices (from a file, or
 * with the XML virsh writes for attach-disk/attach-interface or cuts out of
 * the domain's XML for detach-disk/detach-interface/change-media), saved
 * state files, core dumps, keys, signals and power management.
 */
import { statSync } from 'node:fs';
import type { Connection } from '../../api/connection.js';
import {
  VIR_DOMAIN_AFFECT_CONFIG,
  VIR_DOMAIN_AFFECT_LIVE,
  VIR_DOMAIN_CORE_DUMP_FORMAT_RAW,
  VIR_DOMAIN_DEVICE_MODIFY_FORCE,
  VIR_DOMAIN_SAVE_BYPASS_CACHE,
  VIR_DOMAIN_SAVE_PAUSED,
  VIR_DOMAIN_SAVE_RESET_NVRAM,
  VIR_DOMAIN_SAVE_RUNNING,
  VIR_DOMAIN_SEND_KEY_MAX_KEYS,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
  VIR_DUMP_BYPASS_CACHE,
  VIR_DUMP_CRASH,
  VIR_DUMP_LIVE,
  VIR_DUMP_MEMORY_ONLY,
  VIR_DUMP_RESET,
} from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { CliError, failed, type CommandContext, type CommandSpec, type OptionSpec, type ParsedOptions } from '../command.js';
import { parseScaled } from '../format.js';
import { keycodeByName, KEYCODE_SETS } from '../keycodes.js';
import { exclusive, lookupDomain } from '../lookup.js';
import {
  attr,
  childElements,
  elementText,
  parseXmlTree,
  serializeXmlNode,
  setAttr,
  treeElements,
  UnsupportedXPathError,
  xpathDump,
  XPathResultError,
  type XmlTreeElement,
  type XmlTreeNode,
} from '../xml-tree.js';

const GROUP = 'Domain Management';

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by the checkpoint commands)

/** A boolean option. */
export const bool = (name: string, help: string): OptionSpec => ({ name, kind: 'bool', help });

/**
 * A string option. virsh fills every option that takes a value and is not
 * marked "needs its --name" from the command line's bare words, in order
 * (vshCmddefGetData), so by default it is positional.
 */
export const str = (name: string, help: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({ name, kind: 'string', positional: true, help, ...extra });

/** The domain option every command here starts with. */
export const DOMAIN: OptionSpec = { name: 'domain', kind: 'string', positional: true, required: true, help: 'domain name, id or uuid' };

/**
 * An option's value as vshCommandOptStringReq reads it: undefined when
 * absent, an error for an empty value unless the option allows one.
 */
export function optString(opts: ParsedOptions, name: string, emptyOk = false): string | undefined {
  const v = opts.string(name);
  if (v === '' && !emptyOk) throw new CliError([`Failed to get option '${name}': Option argument is empty`]);
  return v;
}

/** A failure with nothing more to say: virsh returns false with no error set, and prints nothing. */
export function silentFailure(): CliError {
  return new CliError([]);
}

/** The daemon's error alone, as virsh reports a failed call at the end of a command (vshReportError). */
export function daemonError(err: unknown): CliError {
  return new CliError([err instanceof Error ? err.message : String(err)], { cause: err });
}

/** Runs a call whose failure virsh reports with the daemon's message alone (after `message`, when given). */
export async function call<T>(fn: () => Promise<T>, message?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw message !== undefined ? failed(message, err) : daemonError(err);
  }
}

/**
 * A value escaped as virBufferEscapeString does: the five XML specials as
 * entities, other control characters than tab, newline and CR dropped.
 */
export function escapeXmlValue(s: string): string {
  return s.replace(/[&<>"'\x01-\x08\x0b\x0c\x0e-\x19]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? '');
}

/**
 * A text buffer as virBuffer builds XML: each piece added at the start of a
 * line gets the buffer's indentation (pieces that carry newlines inside them
 * do not re-indent their later lines).
 */
class XmlBuffer {
  text = '';
  constructor(public indent = 0) {}
  add(piece: string): this {
    if (this.text === '' || this.text.endsWith('\n')) this.text += ' '.repeat(this.indent);
    this.text += piece;
    return this;
  }
  /** A buffer for an element's children, two more spaces in. */
  child(): XmlBuffer {
    return new XmlBuffer(this.indent + 2);
  }
  /** virXMLFormatElement: nothing when empty, `<name attrs/>`, or the element around its children. */
  element(name: string, attrs: string, children?: XmlBuffer): void {
    if (attrs === '' && !children?.text) return;
    this.add(`<${name}`);
    this.text += attrs;
    if (children?.text) {
      this.text += '>\n' + children.text;
      this.add(`</${name}>\n`);
    } else {
      this.text += '/>\n';
    }
  }
}

/** ` name='value'` with the value escaped, or nothing when there is no value (virBufferEscapeString). */
const xmlAttr = (name: string, value: string | undefined): string => (value === undefined ? '' : ` ${name}='${escapeXmlValue(value)}'`);

// C-library number parsing, as virsh's option readers use it.

interface StrtoulResult {
  value: bigint;
  /** Index after the last character used; `start` when no number was found. */
  end: number;
  negative: boolean;
}

/** strtoul/strtoull from `start`: blanks, a sign, then digits of `base` (0: by prefix; 16 takes `0x`). */
function strtoul(s: string, start: number, base: number): StrtoulResult {
  let i = start;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
  let b = base;
  const hexPrefix = s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '');
  if ((b === 0 || b === 16) && hexPrefix) {
    b = 16;
    i += 2;
  } else if (b === 0) {
    b = s[i] === '0' ? 8 : 10;
  }
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b);
  const from = i;
  let value = 0n;
  while (i < s.length && digits.includes(s[i].toLowerCase())) value = value * BigInt(b) + BigInt(digits.indexOf(s[i++].toLowerCase()));
  if (i === from) return { value: 0n, end: start, negative: false };
  return { value, end: i, negative };
}

/**
 * An unsigned number as virStrToLong_uip/_ullp read it: no minus sign, at
 * most `max`; with `trailing` the text may go on after it (its end is
 * returned), otherwise it must end there. Null when malformed.
 */
function parseUnsigned(s: string, base: number, max: bigint, start = 0, trailing = false): { value: bigint; end: number } | null {
  const r = strtoul(s, start, base);
  if (r.end === start || r.negative || r.value > max || (!trailing && r.end !== s.length)) return null;
  return { value: r.value, end: r.end };
}

/** A signed number as virStrToLong_i/_ll read it (base 10, the whole text), or null. */
function parseSigned(s: string, bits: 32 | 64): bigint | null {
  const r = strtoul(s, 0, 10);
  if (r.end === 0 || r.end !== s.length) return null;
  const v = r.negative ? -r.value : r.value;
  const limit = 1n << BigInt(bits - 1);
  return v < -limit || v >= limit ? null : v;
}

const UINT_MAX = 0xffffffffn;
const ULLONG_MAX = 0xffffffffffffffffn;

/** An unsigned option (vshCommandOptUInt / vshCommandOptULongLong): undefined when absent. */
function optUnsigned(opts: ParsedOptions, name: string, max: bigint): bigint | undefined {
  const text = opts.string(name);
  if (text === undefined) return undefined;
  const r = parseUnsigned(text, 10, max);
  if (!r) throw new CliError([`Numeric value '${text}' for <${name}> option is malformed or out of range`]);
  return r.value;
}

/** A scaled size option in KiB, rounded up, as vshCommandOptScaledInt reads it with a default unit of KiB. */
function optScaledKiB(opts: ParsedOptions, name: string): bigint | undefined {
  const text = opts.string(name);
  if (text === undefined) return undefined;
  const r = parseScaled(text);
  const bytes = 'error' in r ? null : /^\s*\+?\d+$/.test(text) ? r.value * 1024n : r.value;
  if (bytes === null || bytes > ULLONG_MAX) {
    // virScaleInteger's own error follows virsh's (none when the number itself was bad).
    const detail = 'error' in r && r.error ? [r.error] : bytes !== null ? [`numerical overflow: value too large: ${text}`] : [];
    throw new CliError([`Scaled numeric value '${text}' for <${name}> option is malformed or out of range`, ...detail]);
  }
  return (bytes + 1023n) / 1024n;
}

// --config / --live / --current / --persistent

const CONFIG = bool('config', 'affect next boot');
const LIVE = bool('live', 'affect running domain');
const CURRENT = bool('current', 'affect current domain');
const PERSISTENT = bool('persistent', 'make live change persistent');
const AFFECT: readonly OptionSpec[] = [CONFIG, LIVE, CURRENT];
const AFFECT_PERSISTENT: readonly OptionSpec[] = [PERSISTENT, CONFIG, LIVE, CURRENT];

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

/** Prints `text` unless quiet (vshPrintExtra). */
function extra(ctx: CommandContext, text: string): void {
  if (!ctx.quiet) ctx.print(text);
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

// Device addresses: `pci:D.B.S.F`, `scsi:C.B.U`, `ide:`, `sata:`, `ccw:CSSID.SSID.DEVNO`, `usb:B.P`.

type DeviceAddress =
  | { readonly type: 'pci'; readonly n: readonly bigint[]; readonly multifunction: boolean }
  | { readonly type: 'scsi' | 'ide' | 'sata' | 'ccw' | 'usb'; readonly n: readonly bigint[] };

/**
 * An address as virshAddressParse reads it: the type before the first
 * colon, then numbers each after one separator character of any kind (pci
 * and ccw in hex, the others in decimal); anything after the last number is
 * ignored. Null when malformed.
 */
function parseAddress(text: string, multifunction: boolean): DeviceAddress | null {
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  const type = text.slice(0, colon);
  const layout: Record<string, readonly (readonly [number, bigint])[]> = {
    pci: [[16, UINT_MAX], [16, UINT_MAX], [16, UINT_MAX], [16, UINT_MAX]],
    scsi: [[10, UINT_MAX], [10, UINT_MAX], [10, ULLONG_MAX]],
    ide: [[10, UINT_MAX], [10, UINT_MAX], [10, ULLONG_MAX]],
    sata: [[10, UINT_MAX], [10, UINT_MAX], [10, ULLONG_MAX]],
    ccw: [[16, UINT_MAX], [16, UINT_MAX], [16, UINT_MAX]],
    usb: [[10, UINT_MAX], [10, UINT_MAX]],
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
function formatAddress(a: DeviceAddress): string {
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

/** Reads an XML file named by an option (virFileReadAll's message when it cannot). */
const readXml = (ctx: CommandContext, file: string): Promise<string> => ctx.readFile(file);

// ---------------------------------------------------------------------------------------------
// attach-device / detach-device / update-device

const FILE_XML: OptionSpec = { name: 'file', kind: 'string', positional: true, required: true, help: 'XML file' };

/** attach-device, detach-device and update-device: a device from an XML file, with the affect flags. */
function deviceFromFile(spec: {
  readonly name: string;
  readonly help: string;
  readonly verb: 'attach' | 'detach' | 'update';
  readonly done: string;
  /** update-device reads the domain before the file option (and takes --force). */
  readonly update?: boolean;
}): CommandSpec {
  return {
    name: spec.name,
    group: GROUP,
    help: spec.help,
    options: [DOMAIN, FILE_XML, ...AFFECT_PERSISTENT, ...(spec.update ? [bool('force', 'force device update')] : [])],
    async run(ctx, opts) {
      const a = affect(opts, true);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const from = optString(opts, 'file')!;
      await addLiveIfPersistent(ctx.conn, dom, a);
      const xml = await readXml(ctx, from);
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
      extra(ctx, `Device ${spec.done} successfully\n`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// attach-disk

const DISK_SOURCE_TYPES = ['', 'file', 'block', 'network'];

/** The disk XML attach-disk builds from its options (cmdAttachDisk). */
function attachDiskXml(opts: ParsedOptions): string {
  const requires: [string, string][] = [
    ['source-host-name', 'source-protocol'],
    ['source-host-transport', 'source-protocol'],
    ['source-host-socket', 'source-protocol'],
    ['source-host-socket', 'source-host-transport'],
  ];
  for (const [a, b] of requires) if (opts.bool(a) && !opts.bool(b)) throw new CliError([`Option --${b} is required by option --${a}`]);
  exclusive(opts, ['source-host-name', 'source-host-socket']);
  const o: Record<string, string | undefined> = {};
  o.source = optString(opts, 'source', true);
  for (const name of ['target', 'driver', 'subdriver', 'type', 'mode', 'iothread', 'cache', 'io', 'serial', 'wwn', 'address', 'targetbus', 'alias', 'sourcetype', 'source-protocol', 'source-host-name', 'source-host-transport', 'source-host-socket']) {
    o[name] = optString(opts, name);
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
  const driverAttrs = xmlAttr('name', o.driver) + xmlAttr('type', o.subdriver) + xmlAttr('iothread', o.iothread) + xmlAttr('cache', o.cache) + xmlAttr('io', o.io);
  children.element('driver', driverAttrs);
  const sourceChildren = children.child();
  let sourceAttrs = '';
  if (type === 1) sourceAttrs = xmlAttr('file', o.source);
  else if (type === 2) sourceAttrs = xmlAttr('dev', o.source);
  else {
    sourceAttrs = xmlAttr('protocol', o['source-protocol']) + xmlAttr('name', o.source);
    let hostAttrs = xmlAttr('transport', o['source-host-transport']) + xmlAttr('socket', o['source-host-socket']);
    const host = o['source-host-name'];
    if (host !== undefined) {
      const colon = host.indexOf(':');
      hostAttrs += colon < 0 ? xmlAttr('name', host) : xmlAttr('name', host.slice(0, colon)) + xmlAttr('port', host.slice(colon + 1));
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
  const diskAttrs = ` type='${DISK_SOURCE_TYPES[type]}'` + xmlAttr('device', o.type) + (opts.bool('rawio') ? " rawio='yes'" : '');
  buf.element('disk', diskAttrs, children);
  return buf.text;
}

// ---------------------------------------------------------------------------------------------
// attach-interface

const NET_TYPES = ['user', 'ethernet', 'vhostuser', 'server', 'client', 'mcast', 'network', 'bridge', 'internal', 'direct', 'hostdev', 'udp', 'vdpa', 'null', 'vds'];

/** `average,peak,burst,floor` (later fields optional, empty ones skipped), as virshParseRateStr reads it. */
function parseRate(text: string): { average: bigint; peak: bigint; burst: bigint; floor: bigint } {
  const fields = text.split(',');
  if (fields.length > 4) throw new CliError([`Rate string '${text}' has too many fields`]);
  const names = ['average', 'peak', 'burst', 'floor'] as const;
  const rate = { average: 0n, peak: 0n, burst: 0n, floor: 0n };
  fields.forEach((f, i) => {
    if (f === '') return;
    const r = parseUnsigned(f, 10, ULLONG_MAX);
    if (!r) throw new CliError([`field '${names[i]}' is malformed`]);
    rate[names[i]] = r.value;
  });
  return rate;
}

/** The interface XML attach-interface builds from its options (cmdAttachInterface). */
function attachInterfaceXml(opts: ParsedOptions): string {
  const o: Record<string, string | undefined> = {};
  for (const name of ['type', 'source', 'target', 'mac', 'script', 'model', 'alias', 'inbound', 'outbound', 'source-mode']) o[name] = optString(opts, name);
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

/** attach-disk and attach-interface: build the XML, print it with --print-xml, or attach it. */
function attachBuilt(spec: {
  readonly name: string;
  readonly help: string;
  readonly options: readonly OptionSpec[];
  readonly build: (opts: ParsedOptions) => string;
  /** `disk` → "Failed to attach disk" / "Disk attached successfully". */
  readonly noun: string;
}): CommandSpec {
  return {
    name: spec.name,
    group: GROUP,
    help: spec.help,
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
      extra(ctx, `${spec.noun[0].toUpperCase()}${spec.noun.slice(1)} attached successfully\n`);
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
  const alias = optString(opts, 'alias');
  const node = optUnsigned(opts, 'node', UINT_MAX);
  let mems = treeElements(doc, 'devices/memory');
  if (opts.bool('node')) mems = mems.filter((m) => treeElements(m, 'target/node').some((n) => elementText(n) === String(node)));
  else if (alias !== undefined) mems = mems.filter((m) => treeElements(m, 'alias').some((a) => attr(a, 'name') === alias));
  if (mems.length === 0) throw new CliError(['no memory device found']);
  if (mems.length > 1) throw new CliError(['multiple memory devices found, use --alias or --node to select one']);
  const mem = mems[0];
  if (opts.bool('requested-size')) {
    const kib = optScaledKiB(opts, 'requested-size')!;
    const requested = treeElements(mem, 'target/requested')[0];
    if (!requested) throw new CliError(['virtio-mem device is missing <requested/>']);
    requested.children = [{ kind: 'text', text: String(kib) }];
  }
  return serializeXmlNode(mem);
}

// ---------------------------------------------------------------------------------------------
// save / dump progress

/** What virsh prints on stderr for --verbose when a save or dump job ends well (virshWatchJob's final `[100 %]`). */
function reportDone(ctx: CommandContext, label: string): void {
  ctx.printError?.(`\r${label}: [100 %]`);
}

/** --running/--paused/--bypass-cache as virDomainSave* flags. */
function saveFlags(opts: ParsedOptions, withBypass: boolean): number {
  return (
    (withBypass && opts.bool('bypass-cache') ? VIR_DOMAIN_SAVE_BYPASS_CACHE : 0) |
    (opts.bool('running') ? VIR_DOMAIN_SAVE_RUNNING : 0) |
    (opts.bool('paused') ? VIR_DOMAIN_SAVE_PAUSED : 0)
  );
}

const XPATH: readonly OptionSpec[] = [
  { name: 'xpath', kind: 'string', help: 'xpath expression to filter the XML document' },
  bool('wrap', 'wrap xpath results in an common root element'),
];

/** --xpath as vshCommandOptStringQuiet reads it, before the XML is fetched: an empty one fails silently. */
export function xpathOption(opts: ParsedOptions): string | undefined {
  const xpath = opts.string('xpath');
  if (xpath === '') throw silentFailure();
  return xpath;
}

/** Prints a dumpxml command's XML, or the nodes `xpath` selects in it (virshDumpXML). */
export function printXml(ctx: CommandContext, xml: string, xpath: string | undefined, wrap: boolean): void {
  if (xpath === undefined) {
    ctx.print(xml);
    return;
  }
  try {
    ctx.print(xpathDump(xml, xpath, wrap));
  } catch (err) {
    if (err instanceof XPathResultError) throw new CliError([err.message]);
    if (err instanceof UnsupportedXPathError) throw new CliError([`tsvirsh cannot evaluate the XPath expression '${xpath}'`]);
    throw err;
  }
}

const SIGNALS = [
  'nop', 'hup', 'int', 'quit', 'ill', 'trap', 'abrt', 'bus', 'fpe', 'kill', 'usr1', 'segv', 'usr2', 'pipe', 'alrm', 'term',
  'stkflt', 'chld', 'cont', 'stop', 'tstp', 'ttin', 'ttou', 'urg', 'xcpu', 'xfsz', 'vtalrm', 'prof', 'winch', 'poll', 'pwr',
  'sys', ...Array.from({ length: 33 }, (_, i) => `rt${i}`),
];

/** A signal by number or name (`kill`, `SIGKILL`, `sig_kill`, any case), as virsh's getSignalNumber reads it; -1 when unknown. */
function signalNumber(text: string): number {
  const lower = text.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const n = parseSigned(lower, 32);
  if (n !== null) return Number(n);
  const name = lower.startsWith('sig_') ? lower.slice(4) : lower.startsWith('sig') ? lower.slice(3) : lower;
  return SIGNALS.indexOf(name);
}

const DUMP_FORMATS = ['elf', 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'win-dmp'];
const LIFECYCLE_TYPES = ['poweroff', 'reboot', 'crash'];
const LIFECYCLE_ACTIONS = ['destroy', 'restart', 'rename-restart', 'preserve', 'coredump-destroy', 'coredump-restart'];
const SUSPEND_TARGETS = ['mem', 'disk', 'hybrid'];

/** A key code as virsh reads one: a number (any C base) up to 0xffff, else a name of the codeset. */
function keycode(codeset: string, text: string): number {
  const n = parseUnsigned(text, 0, UINT_MAX);
  if (n && n.value <= 0xffffn) return Number(n.value);
  const named = keycodeByName(codeset, text);
  if (named === undefined) throw new CliError([`invalid keycode: '${text}'`]);
  return named;
}

// ---------------------------------------------------------------------------------------------

/**
 * managedsave (listed with the domain commands): virsh names the domain as
 * the user did in its messages, lets the daemon refuse --running with
 * --paused, and shows --verbose progress.
 */
export const managedsaveCommand: CommandSpec = {
  name: 'managedsave',
  group: GROUP,
  help: 'managed save of a domain state',
  options: [
    DOMAIN,
    bool('bypass-cache', 'avoid file system cache when saving'),
    bool('running', 'set domain to be running on next start'),
    bool('paused', 'set domain to be paused on next start'),
    bool('verbose', 'display the progress of save'),
  ],
  async run(ctx, opts) {
    const name = opts.required('domain');
    const dom = await lookupDomain(ctx.conn, name);
    await call(() => ctx.conn.raw.domainManagedSave(dom, saveFlags(opts, true)), `Failed to save domain '${name}' state`);
    if (opts.bool('verbose')) reportDone(ctx, 'Managedsave');
    extra(ctx, `\nDomain '${name}' state saved by libvirt\n`);
  },
};

/** The commands of this group. */
export const deviceCommands: readonly CommandSpec[] = [
  deviceFromFile({ name: 'attach-device', help: 'attach device from an XML file', verb: 'attach', done: 'attached' }),
  deviceFromFile({ name: 'detach-device', help: 'detach device from an XML file', verb: 'detach', done: 'detached' }),
  deviceFromFile({ name: 'update-device', help: 'update device from an XML file', verb: 'update', done: 'updated', update: true }),
  {
    name: 'detach-device-alias',
    group: GROUP,
    help: 'detach device from an alias',
    options: [DOMAIN, str('alias', 'device alias', { required: true }), ...AFFECT],
    async run(ctx, opts) {
      const a = affect(opts, false);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const alias = optString(opts, 'alias')!;
      await call(() => ctx.conn.raw.domainDetachDeviceAlias(dom, alias, a.flags), `Failed to detach device with alias ${alias}`);
      extra(ctx, 'Device detach request sent successfully\n');
    },
  },
  attachBuilt({
    name: 'attach-disk',
    help: 'attach disk device',
    noun: 'disk',
    build: attachDiskXml,
    options: [
      DOMAIN,
      str('source', 'source of disk device or name of network disk', { required: true }),
      str('target', 'target of disk device', { required: true }),
      str('targetbus', 'target bus of disk device'),
      str('driver', 'driver of disk device'),
      str('subdriver', 'subdriver of disk device'),
      str('iothread', 'IOThread to be used by supported device'),
      str('cache', 'cache mode of disk device'),
      str('io', 'io policy of disk device'),
      str('type', 'target device type'),
      bool('shareable', 'mode=shareable'),
      str('mode', 'mode of device reading and writing'),
      str('sourcetype', 'type of source (block|file|network)'),
      str('serial', 'serial of disk device'),
      str('wwn', 'wwn of disk device'),
      str('alias', 'custom alias name of disk device'),
      bool('rawio', 'needs rawio capability'),
      str('address', 'address of disk device'),
      bool('multifunction', 'use multifunction pci under specified address'),
      bool('print-xml', 'print XML document rather than attach the disk'),
      str('source-protocol', 'protocol used by disk device source'),
      str('source-host-name', 'host name for source of disk device'),
      str('source-host-transport', 'host transport for source of disk device'),
      str('source-host-socket', 'host socket for source of disk device'),
      ...AFFECT_PERSISTENT,
    ],
  }),
  attachBuilt({
    name: 'attach-interface',
    help: 'attach network interface',
    noun: 'interface',
    build: attachInterfaceXml,
    options: [
      DOMAIN,
      str('type', 'network interface type', { required: true }),
      str('source', 'source of network interface', { required: true }),
      str('target', 'target network name'),
      str('mac', 'MAC address'),
      str('script', 'script used to bridge network interface'),
      str('model', 'model type'),
      str('alias', 'custom alias name of interface device'),
      str('inbound', "control domain's incoming traffics"),
      str('outbound', "control domain's outgoing traffics"),
      ...AFFECT_PERSISTENT,
      bool('print-xml', 'print XML document rather than attach the interface'),
      bool('managed', 'libvirt will automatically detach/attach the device from/to host'),
      str('source-mode', 'mode attribute of <source/> element'),
    ],
  }),
  {
    name: 'detach-disk',
    group: GROUP,
    help: 'detach disk device',
    options: [DOMAIN, str('target', 'target of disk device', { required: true }), ...AFFECT_PERSISTENT, bool('print-xml', 'print XML document rather than detach the disk')],
    async run(ctx, opts) {
      const a = affect(opts, true);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const target = optString(opts, 'target')!;
      const xml = await call(() => ctx.conn.raw.domainGetXMLDesc(dom, a.flags === VIR_DOMAIN_AFFECT_CONFIG ? VIR_DOMAIN_XML_INACTIVE : 0));
      await addLiveIfPersistent(ctx.conn, dom, a);
      const disk = serializeXmlNode(findDisk(parseXmlTree(xml), target, false));
      if (opts.bool('print-xml')) {
        ctx.print(disk);
        return;
      }
      await call(() => detachDevice(ctx.conn, dom, disk, a), 'Failed to detach disk');
      extra(ctx, 'Disk detached successfully\n');
    },
  },
  {
    name: 'detach-interface',
    group: GROUP,
    help: 'detach network interface',
    options: [
      DOMAIN,
      str('type', 'network interface type', { required: true }),
      str('mac', 'MAC address'),
      ...AFFECT_PERSISTENT,
      bool('print-xml', 'print XML document rather than detach the interface'),
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
        const type = optString(opts, 'type')!;
        const mac = optString(opts, 'mac');
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
      if (!printOnly) extra(ctx, 'Interface detached successfully\n');
    },
  },
  {
    name: 'change-media',
    group: GROUP,
    help: 'Change media of CD or floppy drive',
    options: [
      DOMAIN,
      str('path', 'Fully-qualified path or target of disk device', { required: true }),
      str('source', 'source of the media'),
      bool('eject', 'Eject the media'),
      bool('insert', 'Insert the media'),
      bool('update', 'Update the media'),
      bool('current', 'can be either or both of --live and --config, depends on implementation hypervisor driver'),
      bool('live', 'alter live configuration of running domain'),
      bool('config', 'alter persistent configuration, effect observed on next boot'),
      bool('force', 'force media changing'),
      bool('print-xml', 'print XML document rather than change media'),
      bool('block', 'source media is a block device'),
    ],
    async run(ctx, opts) {
      exclusive(opts, ['eject', 'insert'], ['eject', 'update'], ['insert', 'update'], ['eject', 'block']);
      const source = optString(opts, 'source');
      // virsh's docs: --update without a source is an eject.
      const action: MediaAction = opts.bool('eject') || (opts.bool('update') && source === undefined) ? 'eject' : opts.bool('insert') ? 'insert' : 'update';
      const success = { eject: 'Successfully ejected media.', insert: 'Successfully inserted media.', update: 'Successfully updated media.' }[action];
      exclusive(opts, ['current', 'live'], ['current', 'config']);
      const flags =
        (opts.bool('config') ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (opts.bool('live') ? VIR_DOMAIN_AFFECT_LIVE : 0) | (opts.bool('force') ? VIR_DOMAIN_DEVICE_MODIFY_FORCE : 0);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const path = optString(opts, 'path')!;
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
    options: [
      DOMAIN,
      ...AFFECT,
      bool('print-xml', 'print updated memory device XML instead of executing the change'),
      str('alias', 'memory device alias'),
      { name: 'node', kind: 'int', positional: true, help: 'memory device target node' },
      { name: 'requested-size', kind: 'int', positional: true, help: 'new value of <requested/> size, as scaled integer (default KiB)' },
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

  {
    name: 'save',
    group: GROUP,
    help: 'save a domain state to a file',
    options: [
      DOMAIN,
      str('file', 'where to save the data', { required: true }),
      bool('bypass-cache', 'avoid file system cache when saving'),
      str('xml', 'filename containing updated XML for the target'),
      bool('running', 'set domain to be running on restore'),
      bool('paused', 'set domain to be paused on restore'),
      bool('verbose', 'display the progress of save'),
    ],
    async run(ctx, opts) {
      const name = opts.required('domain');
      const dom = await lookupDomain(ctx.conn, name);
      const to = optString(opts, 'file')!;
      const flags = saveFlags(opts, true);
      const xmlFile = optString(opts, 'xml');
      const xml = xmlFile !== undefined ? await readXml(ctx, xmlFile) : null;
      await call(
        () => (flags || xml !== null ? ctx.conn.raw.domainSaveFlags(dom, to, xml, flags) : ctx.conn.raw.domainSave(dom, to)),
        `Failed to save domain '${name}' to ${to}`,
      );
      if (opts.bool('verbose')) reportDone(ctx, 'Save');
      extra(ctx, `\nDomain '${name}' saved to ${to}\n`);
    },
  },
  {
    name: 'restore',
    group: GROUP,
    help: 'restore a domain from a saved state in a file',
    options: [
      str('file', 'the state to restore', { required: true }),
      bool('bypass-cache', 'avoid file system cache when restoring'),
      str('xml', 'filename containing updated XML for the target'),
      bool('running', 'restore domain into running state'),
      bool('paused', 'restore domain into paused state'),
      bool('reset-nvram', 're-initialize NVRAM from its pristine template'),
    ],
    async run(ctx, opts) {
      const from = optString(opts, 'file')!;
      const flags = saveFlags(opts, true) | (opts.bool('reset-nvram') ? VIR_DOMAIN_SAVE_RESET_NVRAM : 0);
      const xmlFile = optString(opts, 'xml');
      const xml = xmlFile !== undefined ? await readXml(ctx, xmlFile) : null;
      await call(
        () => (flags || xml !== null ? ctx.conn.raw.domainRestoreFlags(from, xml, flags) : ctx.conn.raw.domainRestore(from)),
        `Failed to restore domain from ${from}`,
      );
      extra(ctx, `Domain restored from ${from}\n`);
    },
  },
  {
    name: 'save-image-dumpxml',
    group: GROUP,
    help: 'saved state domain information in XML',
    options: [str('file', 'saved state file to read', { required: true }), bool('security-info', 'include security sensitive information in XML dump'), ...XPATH],
    async run(ctx, opts) {
      const file = optString(opts, 'file')!;
      const xpath = xpathOption(opts);
      const xml = await call(() => ctx.conn.raw.domainSaveImageGetXMLDesc(file, opts.bool('security-info') ? VIR_DOMAIN_XML_SECURE : 0));
      printXml(ctx, xml, xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'save-image-define',
    group: GROUP,
    help: "redefine the XML for a domain's saved state file",
    options: [
      str('file', 'saved state file to modify', { required: true }),
      str('xml', 'filename containing updated XML for the target', { required: true }),
      bool('running', 'set domain to be running on restore'),
      bool('paused', 'set domain to be paused on restore'),
    ],
    async run(ctx, opts) {
      const flags = saveFlags(opts, false);
      const file = optString(opts, 'file')!;
      const xml = await readXml(ctx, optString(opts, 'xml')!);
      await call(() => ctx.conn.raw.domainSaveImageDefineXML(file, xml, flags), `Failed to update ${file}`);
      extra(ctx, `State file ${file} updated.\n`);
    },
  },
  {
    name: 'managedsave-dumpxml',
    group: GROUP,
    help: 'Domain information of managed save state file in XML',
    options: [DOMAIN, bool('security-info', 'include security sensitive information in XML dump'), ...XPATH],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const xpath = xpathOption(opts);
      const xml = await call(() => ctx.conn.raw.domainManagedSaveGetXMLDesc(dom, opts.bool('security-info') ? VIR_DOMAIN_XML_SECURE : 0));
      printXml(ctx, xml, xpath, opts.bool('wrap'));
    },
  },
  {
    name: 'managedsave-define',
    group: GROUP,
    help: "redefine the XML for a domain's managed save state file",
    options: [
      DOMAIN,
      str('xml', 'filename containing updated XML for the target', { required: true }),
      bool('running', 'set domain to be running on start'),
      bool('paused', 'set domain to be paused on start'),
    ],
    async run(ctx, opts) {
      const flags = saveFlags(opts, false);
      exclusive(opts, ['running', 'paused']);
      const xml = await readXml(ctx, optString(opts, 'xml')!);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await call(() => ctx.conn.raw.domainManagedSaveDefineXML(dom, xml, flags), `Failed to update ${dom.name} XML configuration`);
      extra(ctx, `Managed save state file of domain '${dom.name}' updated.\n`);
    },
  },
  {
    name: 'dump',
    group: GROUP,
    help: 'dump the core of a domain to a file for analysis',
    options: [
      DOMAIN,
      str('file', 'where to dump the core', { required: true }),
      bool('live', 'perform a live core dump if supported'),
      bool('crash', 'crash the domain after core dump'),
      bool('bypass-cache', 'avoid file system cache when dumping'),
      bool('reset', 'reset the domain after core dump'),
      bool('verbose', 'display the progress of dump'),
      bool('memory-only', "dump domain's memory only"),
      str('format', 'specify the format of memory-only dump'),
    ],
    async run(ctx, opts) {
      const name = opts.required('domain');
      const dom = await lookupDomain(ctx.conn, name);
      const to = optString(opts, 'file')!;
      const bits: [string, number][] = [
        ['live', VIR_DUMP_LIVE],
        ['crash', VIR_DUMP_CRASH],
        ['bypass-cache', VIR_DUMP_BYPASS_CACHE],
        ['reset', VIR_DUMP_RESET],
        ['memory-only', VIR_DUMP_MEMORY_ONLY],
      ];
      const flags = bits.reduce((f, [o, bit]) => (opts.bool(o) ? f | bit : f), 0);
      let format = VIR_DOMAIN_CORE_DUMP_FORMAT_RAW;
      if (opts.bool('format')) {
        if (!(flags & VIR_DUMP_MEMORY_ONLY)) throw new CliError(['--format only works with --memory-only']);
        const text = opts.string('format');
        if (text) {
          format = DUMP_FORMATS.indexOf(text);
          if (format < 0) throw new CliError([`format '${text}' is not supported, expecting 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'win-dmp' or 'elf'`]);
        }
      }
      await call(
        () => (format !== VIR_DOMAIN_CORE_DUMP_FORMAT_RAW ? ctx.conn.raw.domainCoreDumpWithFormat(dom, to, format, flags) : ctx.conn.raw.domainCoreDump(dom, to, flags)),
        `Failed to core dump domain '${name}' to ${to}`,
      );
      if (opts.bool('verbose')) reportDone(ctx, 'Dump');
      extra(ctx, `\nDomain '${name}' dumped to ${to}\n`);
    },
  },
  {
    name: 'reset',
    group: GROUP,
    help: 'reset a domain',
    options: [DOMAIN],
    async run(ctx, opts) {
      const name = opts.required('domain');
      const dom = await lookupDomain(ctx.conn, name);
      await call(() => ctx.conn.raw.domainReset(dom, 0), `Failed to reset domain '${name}'`);
      extra(ctx, `Domain '${name}' was reset\n`);
    },
  },
  {
    name: 'inject-nmi',
    group: GROUP,
    help: 'Inject NMI to the guest',
    options: [DOMAIN],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await call(() => ctx.conn.raw.domainInjectNMI(dom, 0));
    },
  },
  {
    name: 'send-key',
    group: GROUP,
    help: 'Send keycodes to the guest',
    options: [
      DOMAIN,
      { name: 'codeset', kind: 'string', help: 'the codeset of keycodes, default:linux' },
      { name: 'holdtime', kind: 'int', help: 'the time (in milliseconds) how long the keys will be held' },
      { name: 'keycode', kind: 'argv', positional: true, required: true, help: 'the key code' },
    ],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      // An empty --codeset counts as none given (vshCommandOptStringQuiet).
      let codesetName = opts.string('codeset') || 'linux';
      const holdtime = optUnsigned(opts, 'holdtime', UINT_MAX) ?? 0n;
      // qnum was called rfb once; virsh still takes the old name.
      if (codesetName === 'rfb') codesetName = 'qnum';
      const codeset = KEYCODE_SETS.indexOf(codesetName);
      if (codeset < 0) throw new CliError([`unknown codeset: '${codesetName}'`]);
      const keys: number[] = [];
      for (const text of opts.list('keycode')) {
        if (keys.length === VIR_DOMAIN_SEND_KEY_MAX_KEYS) throw new CliError(['too many keycodes']);
        keys.push(keycode(codesetName, text));
      }
      await call(() => ctx.conn.raw.domainSendKey(dom, codeset, Number(holdtime), keys, 0));
    },
  },
  {
    name: 'send-process-signal',
    group: GROUP,
    help: 'Send signals to processes',
    options: [DOMAIN, str('pid', 'the process ID', { required: true }), str('signame', 'the signal number or name', { required: true })],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const pidText = opts.required('pid');
      const pid = parseSigned(pidText, 64);
      if (pid === null) throw new CliError([`Numeric value '${pidText}' for <pid> option is malformed or out of range`]);
      const signame = optString(opts, 'signame')!;
      const signum = signalNumber(signame);
      if (signum < 0) throw new CliError([`malformed signal name: ${signame}`]);
      await call(() => ctx.conn.raw.domainSendProcessSignal(dom, pid, signum, 0));
    },
  },
  {
    name: 'set-lifecycle-action',
    group: GROUP,
    help: 'change lifecycle actions',
    options: [DOMAIN, str('type', 'lifecycle type to modify', { required: true }), str('action', 'lifecycle action to set', { required: true }), ...AFFECT],
    async run(ctx, opts) {
      const a = affect(opts, false);
      const typeText = optString(opts, 'type')!;
      const actionText = optString(opts, 'action')!;
      const type = LIFECYCLE_TYPES.indexOf(typeText);
      if (type < 0) throw new CliError([`Invalid lifecycle type '${typeText}'.`]);
      const action = LIFECYCLE_ACTIONS.indexOf(actionText);
      if (action < 0) throw new CliError([`Invalid lifecycle action '${actionText}'.`]);
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await call(() => ctx.conn.raw.domainSetLifecycleAction(dom, type, action, a.flags), 'Unable to change lifecycle action.');
    },
  },
  {
    name: 'dompmsuspend',
    group: GROUP,
    help: 'suspend a domain gracefully using power management functions',
    options: [
      DOMAIN,
      str('target', 'mem(Suspend-to-RAM), disk(Suspend-to-Disk), hybrid(Hybrid-Suspend)', { required: true }),
      { name: 'duration', kind: 'int', help: 'duration in seconds' },
    ],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      const duration = optUnsigned(opts, 'duration', ULLONG_MAX) ?? 0n;
      const target = SUSPEND_TARGETS.indexOf(optString(opts, 'target')!);
      if (target < 0) throw new CliError(['Invalid target']);
      await call(() => ctx.conn.raw.domainPMSuspendForDuration(dom, target, duration, 0), `Domain '${dom.name}' could not be suspended`);
      // Left to virsh's closing newline.
      extra(ctx, `Domain '${dom.name}' successfully suspended`);
    },
  },
  {
    name: 'dompmwakeup',
    group: GROUP,
    help: 'wakeup a domain from pmsuspended state',
    options: [DOMAIN],
    async run(ctx, opts) {
      const dom = await lookupDomain(ctx.conn, opts.required('domain'));
      await call(() => ctx.conn.raw.domainPMWakeup(dom, 0), `Domain '${dom.name}' could not be woken up`);
      extra(ctx, `Domain '${dom.name}' successfully woken up`);
    },
  },
  {
    name: 'domxml-from-native',
    group: GROUP,
    help: 'Convert native config to domain XML',
    options: [str('format', 'source config data format', { required: true }), str('config', 'config data file to import from', { required: true })],
    async run(ctx, opts) {
      const format = optString(opts, 'format')!;
      const config = await readXml(ctx, optString(opts, 'config')!);
      ctx.print(await call(() => ctx.conn.raw.connectDomainXMLFromNative(format, config, 0)));
    },
  },
  {
    name: 'domxml-to-native',
    group: GROUP,
    help: 'Convert domain XML to native config',
    options: [
      str('format', 'target config data type format', { required: true }),
      { name: 'domain', kind: 'string', help: 'domain name, id or uuid' },
      str('xml', 'xml data file to export from'),
    ],
    async run(ctx, opts) {
      const format = optString(opts, 'format')!;
      const xmlFile = optString(opts, 'xml');
      exclusive(opts, ['domain', 'xml']);
      let xml: string;
      if (opts.bool('domain')) {
        const dom = await lookupDomain(ctx.conn, opts.required('domain'));
        xml = await call(() => ctx.conn.raw.domainGetXMLDesc(dom, 0), 'failed to retrieve XML');
      } else if (xmlFile !== undefined) {
        xml = await readXml(ctx, xmlFile);
      } else {
        throw new CliError(['need either domain or domain XML']);
      }
      ctx.print(await call(() => ctx.conn.raw.connectDomainXMLToNative(format, xml, 0)));
    },
  },
];
