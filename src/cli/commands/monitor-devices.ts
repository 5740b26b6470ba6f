/**
 * The domain monitoring commands about a domain's disks and interfaces: domblklist, domiflist,
 * domblkstat, domifstat, domblkinfo, domblkerror, domifaddr, domif-getlink, with virsh's output
 * (tools/virsh-domain-monitor.c, tools/virsh-domain.c). monitor.ts lists them among the other
 * monitoring commands.
 */
import { VIR_DOMAIN_XML_INACTIVE } from '../../procedures/libvirt-api.gen.js';
import type { RemoteNonnullDomain } from '../../procedures/remote.gen.js';
import { LibvirtError } from '../../rpc/errors.js';
import { DISK_WITHOUT_DETAILS, type DomainDiskRow, type DomainInterfaceRow, domainDisks, domainInterfaces } from '../../api/domain-devices.js';
import { parseXml, xmlAll, xmlFirst, XmlErrorCode, XmlReadError, type XmlElement } from '../../api/xml/reader.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec } from '../command.js';
import { orFail, isLibvirtError, vshFail } from '../support/failures.js';
import { flag, valueOpt, DOMAIN, strOpt, strArg, isMacAddress } from '../support/options.js';
import { field, prettyCapacity3 } from '../support/format.js';
import { formatTable } from '../support/table.js';
import { jsonNumber, printJson, wantsJson } from '../support/json-output.js';
import { lookupDomain } from '../support/lookup.js';
import { ADDRESS_SOURCES } from '../support/enum-names.js';

// --- domblklist, domiflist, domblkstat, domifstat -------------------------------------------

async function domainXml(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<XmlElement> {
  return parseXml(await ctx.conn.raw.domainGetXMLDesc(dom, opts.bool('inactive') ? VIR_DOMAIN_XML_INACTIVE : 0));
}

export async function domblklist(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const details = opts.bool('details');
  let disks: DomainDiskRow[];
  try {
    disks = domainDisks(await domainXml(ctx, dom, opts), { details });
  } catch (err) {
    if (!(err instanceof XmlReadError) || err.code !== XmlErrorCode.CONTENT) throw err;
    // virsh prints this one with vshPrint (stdout, no newline) and fails without an error line.
    if (err.message === DISK_WITHOUT_DETAILS) {
      ctx.print(err.message);
      throw new CliError([]);
    }
    throw new CliError([err.message.replace(/^(Unable to query NVMe disk address):.*$/s, '$1')]);
  }
  if (wantsJson(opts)) {
    printJson(
      ctx,
      disks.map(({ type, device, target, source }) =>
        details ? { type: type ?? null, device: device ?? null, target, source: source ?? null } : { target, source: source ?? null },
      ),
    );
    return;
  }
  const rows = disks.map(({ type, device, target, source }) => (details ? [type ?? '', device ?? '', target, source ?? '-'] : [target, source ?? '-']));
  ctx.print(formatTable(details ? ['Type', 'Device', 'Target', 'Source'] : ['Target', 'Source'], rows, ctx.quiet));
}

export async function domiflist(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  let nics: DomainInterfaceRow[];
  try {
    nics = domainInterfaces(await domainXml(ctx, dom, opts));
  } catch (err) {
    if (!(err instanceof XmlReadError) || err.code !== XmlErrorCode.CONTENT) throw err;
    // virsh's table refuses the row a missing type cuts short.
    throw new CliError(['Incorrect number of cells in a table row']);
  }
  if (wantsJson(opts)) {
    printJson(
      ctx,
      nics.map((n) => ({ interface: n.interface ?? null, type: n.type, source: n.source ?? null, model: n.model ?? null, mac: n.mac ?? null })),
    );
    return;
  }
  const rows = nics.map((n) => [n.interface ?? '-', n.type, n.source ?? '-', n.model ?? '-', n.mac ?? '-']);
  ctx.print(formatTable(['Interface', 'Type', 'Source', 'Model', 'MAC'], rows, ctx.quiet));
}

const BLOCK_STATS: readonly (readonly [string, string])[] = [
  ['rd_req', 'number of read operations:'],
  ['rd_bytes', 'number of bytes read:'],
  ['wr_req', 'number of write operations:'],
  ['wr_bytes', 'number of bytes written:'],
  ['errs', 'error count:'],
];

export async function domblkstat(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const device = opts.string('device') ?? '';
  const human = opts.bool('human');
  try {
    await ctx.conn.raw.domainBlockStatsFlags(dom, device, 0, 0);
    // The typed-parameter form is not printed yet: only drivers without it (the legacy form) are.
    throw new CliError(['domblkstat: typed block statistics are not supported by tsvirsh yet']);
  } catch (err) {
    if (!(err instanceof LibvirtError) || err.code !== 'VIR_ERR_NO_SUPPORT') throw err;
  }
  let stats: Record<string, bigint>;
  try {
    stats = { ...(await ctx.conn.raw.domainBlockStats(dom, device)) };
  } catch (err) {
    throw vshFail(`Failed to get block stats ${dom.name} ${device}`, err);
  }
  if (wantsJson(opts)) {
    printJson(ctx, { device, ...Object.fromEntries(BLOCK_STATS.filter(([key]) => stats[key] >= 0n).map(([key]) => [key, stats[key]])) });
    return;
  }
  let prefix = device;
  if (human) {
    ctx.print(`Device: ${device}\n`);
    prefix = '';
  }
  for (const [key, label] of BLOCK_STATS) {
    if (stats[key] >= 0n) ctx.print(`${prefix} ${human ? label.padEnd(31) : key} ${stats[key]}\n`);
  }
}

const IF_STATS = ['rx_bytes', 'rx_packets', 'rx_errs', 'rx_drop', 'tx_bytes', 'tx_packets', 'tx_errs', 'tx_drop'] as const;

export async function domifstat(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const device = opts.required('interface');
  let stats: Awaited<ReturnType<typeof ctx.conn.raw.domainInterfaceStats>>;
  try {
    stats = await ctx.conn.raw.domainInterfaceStats(dom, device);
  } catch (err) {
    throw vshFail(`Failed to get interface stats ${dom.name} ${device}`, err);
  }
  const present = IF_STATS.filter((key) => stats[key] >= 0n);
  if (wantsJson(opts)) printJson(ctx, { interface: device, ...Object.fromEntries(present.map((key) => [key, stats[key]])) });
  else for (const key of present) ctx.print(`${device} ${key} ${stats[key]}\n`);
}

// --- domblkinfo, domblkerror ----------------------------------------------------------------

/** Capacity, allocation and physical size as domblkinfo prints them (`-` when all are zero). */
function blockSizes(info: { capacity: bigint; allocation: bigint; physical: bigint }, human: boolean): string[] {
  const sizes = [info.capacity, info.allocation, info.physical];
  if (sizes.every((v) => v === 0n)) return ['-', '-', '-'];
  return sizes.map((v) => (human ? prettyCapacity3(v) : String(v)));
}

/** domblkinfo's sizes in JSON: bytes, null each when all are zero (virsh's `-`). */
function blockSizesJson(info: { capacity: bigint; allocation: bigint; physical: bigint }): Record<string, number | string | null> {
  const none = info.capacity === 0n && info.allocation === 0n && info.physical === 0n;
  return {
    capacity: none ? null : jsonNumber(info.capacity),
    allocation: none ? null : jsonNumber(info.allocation),
    physical: none ? null : jsonNumber(info.physical),
  };
}

export async function domblkinfo(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const raw = ctx.conn.raw;
  const human = opts.bool('human');
  const device = opts.string('device');
  if (!opts.bool('all')) {
    if (device === undefined || device === '') throw new CliError(["command 'domblkinfo' requires <device> option"]);
    const info = await raw.domainGetBlockInfo(dom, device, 0);
    if (wantsJson(opts)) {
      printJson(ctx, blockSizesJson(info));
      return;
    }
    const [cap, alloc, phy] = blockSizes(info, human);
    ctx.print(field('Capacity:', cap) + field('Allocation:', alloc) + field('Physical:', phy));
    return;
  }
  const active = (await raw.domainIsActive(dom)) === 1;
  const rows: string[][] = [];
  const records: Record<string, unknown>[] = [];
  for (const disk of xmlAll(parseXml(await raw.domainGetXMLDesc(dom, 0)), 'devices/disk')) {
    const source = xmlFirst(disk, 'source');
    const target = xmlFirst(disk, 'target')?.attrs.dev ?? '';
    let info = { capacity: 0n, allocation: 0n, physical: 0n };
    if (source) {
      try {
        info = await raw.domainGetBlockInfo(dom, target, 0);
      } catch (err) {
        // A network disk of an inactive domain has no sizes: virsh shows it as empty.
        const storage = err instanceof LibvirtError && err.domainName === 'VIR_FROM_STORAGE';
        if (!(source.attrs.protocol && !active && storage && isLibvirtError(err, 'VIR_ERR_INTERNAL_ERROR'))) throw err;
      }
    }
    rows.push([target, ...blockSizes(info, human)]);
    records.push({ target, ...blockSizesJson(info) });
  }
  if (wantsJson(opts)) {
    printJson(ctx, records);
    return;
  }
  ctx.print(formatTable(['Target', 'Capacity', 'Allocation', 'Physical'], rows, ctx.quiet));
}

const DISK_ERRORS = ['no error', 'unspecified error', 'no space'];

export async function domblkerror(ctx: CommandContext, dom: RemoteNonnullDomain): Promise<void> {
  const count = (await ctx.conn.raw.domainGetDiskErrors(dom, 0, 0)).nerrors;
  const errors = count > 0 ? (await ctx.conn.raw.domainGetDiskErrors(dom, count, 0)).errors : [];
  if (!errors.length) ctx.print('No errors found\n');
  else ctx.print(errors.map((e) => `${e.disk}: ${DISK_ERRORS[e.error] ?? 'unknown error'}\n`).join(''));
}

// --- domifaddr, domif-getlink ---------------------------------------------------------------

export const domifaddr: CommandSpec = {
  name: 'domifaddr',
  group: 'Domain Monitoring',
  help: "Get network interfaces' addresses for a running domain",
  description: "Get network interfaces' addresses for a running domain",
  options: [
    DOMAIN,
    valueOpt('interface', 'string', 'network interface name'),
    flag('full', 'always display names and MACs of interfaces'),
    valueOpt('source', 'string', "address source: 'lease', 'agent', or 'arp'"),
  ],
  extensions: ['json'],
  async run(ctx, opts) {
    const name = strOpt(opts, 'interface');
    const sourceText = strOpt(opts, 'source');
    const source = sourceText === undefined ? 0 : ADDRESS_SOURCES.indexOf(sourceText);
    if (source < 0) throw new CliError([`Unknown data source '${sourceText}'`]);
    const dom = await lookupDomain(ctx.conn, opts.required('domain'));
    const ifaces = await orFail('Failed to query for interfaces addresses', () => ctx.conn.raw.domainInterfaceAddresses(dom, source, 0));
    if (wantsJson(opts)) {
      printJson(
        ctx,
        ifaces
          .filter((iface) => name === undefined || name === iface.name)
          .map((iface) => ({
            name: iface.name,
            mac: iface.hwaddr ?? null,
            addresses: iface.addrs.map((a) => ({ type: a.type === 0 ? 'ipv4' : a.type === 1 ? 'ipv6' : null, address: a.addr, prefix: a.prefix })),
          })),
      );
      return;
    }
    const full = opts.bool('full');
    let out = ctx.quiet ? '' : ` ${'Name'.padEnd(10)} ${'MAC address'.padEnd(20)} ${'Protocol'.padEnd(8)}     Address\n${'-'.repeat(79)}\n`;
    const line = (a: string, b: string, c: string): string => ` ${a.padEnd(10)} ${b.padEnd(17)}    ${c}\n`;
    for (const iface of ifaces) {
      if (name !== undefined && name !== iface.name) continue;
      if (!iface.addrs.length) {
        out += line(iface.name, iface.hwaddr ?? 'N/A', `${'N/A'.padEnd(12)} N/A`);
        continue;
      }
      iface.addrs.forEach((a, j) => {
        // An address type virsh does not know prints as C's "%s" of NULL.
        const type = a.type === 0 ? 'ipv4' : a.type === 1 ? 'ipv6' : '(null)';
        const address = `${type.padEnd(12)} ${a.addr}/${a.prefix}`;
        out += full || j === 0 ? line(iface.name, iface.hwaddr ?? '', address) : line('-', '-', address);
      });
    }
    ctx.print(out);
  },
};

/** A MAC address as virMacAddrFormat writes it (two lowercase hex digits a byte). */
function normalMac(text: string): string {
  return text
    .split(/[\x00- ]/)[0]
    .split(':')
    .map((b) => b.toLowerCase().padStart(2, '0'))
    .join(':');
}

export async function domifGetlink(ctx: CommandContext, dom: RemoteNonnullDomain, opts: ParsedOptions): Promise<void> {
  const iface = strArg(opts, 'interface');
  const config = opts.bool('config') || opts.bool('persistent');
  const doc = parseXml(await ctx.conn.raw.domainGetXMLDesc(dom, config ? VIR_DOMAIN_XML_INACTIVE : 0));
  const mac = isMacAddress(iface) ? normalMac(iface) : '';
  const matches = xmlAll(doc, 'devices/interface').filter(
    (n) => xmlAll(n, 'mac').some((m) => m.attrs.address === mac) || xmlAll(n, 'target').some((t) => t.attrs.dev === iface),
  );
  if (matches.length < 1) throw new CliError([mac ? `Interface (mac: ${mac}) not found.` : `Interface (dev: ${iface}) not found.`]);
  if (matches.length > 1) throw new CliError(['multiple matching interfaces found']);
  ctx.print(`${iface} ${xmlFirst(matches[0], 'link')?.attrs.state || 'up'}`);
}
