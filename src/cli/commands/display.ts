/**
 * Display and console lookups (tools/virsh-domain.c): domdisplay,
 * vncdisplay, ttyconsole.
 */
import { VIR_DOMAIN_XML_SECURE } from '../../procedures/libvirt-api.gen.js';
import { parseXml, xmlAll, xmlFirst } from '../../api/xml/reader.js';
import { CliError, type ParsedOptions, type CommandContext, type CommandSpec } from '../command.js';
import { SilentFailure } from '../support/failures.js';
import { flag, valueOpt, strOpt } from '../support/options.js';
import { cNumber } from '../support/numbers.js';
import { domainCommand, domainOf } from '../support/templates.js';

// --- display and console --------------------------------------------------------------------

/** virXPathInt on an attribute: the number, or null when missing or not a whole `int`. */
function intAttr(value: string | undefined): number | null {
  if (value === undefined) return null;
  const v = cNumber(value, 'int');
  return v === null ? null : Number(v);
}

async function domdisplay(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  const raw = ctx.conn.raw;
  if (!(await raw.domainIsActive(dom))) throw new CliError(['Domain is not running']);
  const type = strOpt(opts, 'type');
  const all = opts.bool('all');
  const doc = parseXml(await raw.domainGetXMLDesc(dom, opts.bool('include-password') ? VIR_DOMAIN_XML_SECURE : 0));
  const graphics = xmlAll(doc, 'devices/graphics');
  let found = false;
  for (const scheme of ['vnc', 'spice', 'rdp', 'dbus']) {
    if (!all && type !== undefined && type !== scheme) continue;
    const g = graphics.find((e) => e.attrs.type === scheme);
    if (!g) continue;
    let port = intAttr(g.attrs.port) ?? 0;
    const tlsPort = intAttr(g.attrs.tlsPort) ?? 0;
    let listen: string | undefined = g.attrs.listen;
    const listenEl = xmlFirst(g, 'listen');
    const sock = listenEl?.attrs.type === 'socket' ? listenEl.attrs.socket : undefined;
    let uri: string;
    if (scheme === 'dbus') {
      // A D-Bus display is reached through its bus address.
      const address = g.attrs.address;
      if (address === undefined || !address.startsWith('unix:path=')) continue;
      uri = `dbus+unix://${address.slice('unix:path='.length)}`;
    } else {
      if (!port && !tlsPort && sock === undefined) continue;
      if (listen === undefined) listen = listenEl?.attrs.address;
      else if (/^(0\.0\.0\.0|::|\[::\]|0+(:0+)*|::0)$/.test(listen)) listen = serverOf(ctx.conn.uri);
      const passwd = g.attrs.passwd;
      uri = sock !== undefined ? `${scheme}+unix://` : `${scheme}://`;
      if (scheme === 'vnc' && passwd !== undefined) uri += `:${passwd}@`;
      if (sock !== undefined) uri += sock;
      else if (listen === undefined) uri += 'localhost';
      else uri += listen.includes(':') ? `[${listen}]` : listen;
      if (port) {
        if (scheme === 'vnc') port -= 5900;
        uri += `:${port}`;
      }
      const query: string[] = [];
      if (tlsPort) query.push(`tls-port=${tlsPort}`);
      if (scheme === 'spice' && passwd !== undefined) query.push(`password=${passwd}`);
      if (query.length) uri += `?${query.join('&')}`;
    }
    ctx.print(uri);
    found = true;
    if (!all) break;
    ctx.print('\n');
  }
  if (!found) throw new CliError([type !== undefined ? `No graphical display with type '${type}' found` : 'No graphical display found']);
}

/** The host part of a connection URI (virsh's fallback for a wildcard listen address), if any. */
function serverOf(uri: string): string | undefined {
  const m = /^[^:]+:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/?]*)/.exec(uri);
  const host = m?.[1];
  return host ? host.replace(/^\[|\]$/g, '') : undefined;
}

async function vncdisplay(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const dom = await domainOf(ctx, opts);
  if (!(await ctx.conn.raw.domainIsActive(dom))) throw new CliError(['Domain is not running']);
  const doc = parseXml(await ctx.conn.raw.domainGetXMLDesc(dom, 0));
  const vnc = xmlAll(doc, 'devices/graphics').find((g) => g.attrs.type === 'vnc');
  const port = intAttr(vnc?.attrs.port);
  if (port === null) throw new CliError(['Failed to get VNC port. Is this domain using VNC?']);
  const listen = vnc?.attrs.listen || (vnc ? xmlFirst(vnc, 'listen')?.attrs.address : undefined) || undefined;
  ctx.print(listen === undefined || listen === '0.0.0.0' ? `:${port - 5900}\n` : `${listen}:${port - 5900}\n`);
}

async function ttyconsole(ctx: CommandContext, opts: ParsedOptions): Promise<void> {
  const doc = parseXml(await ctx.conn.raw.domainGetXMLDesc(await domainOf(ctx, opts), 0));
  const tty = xmlFirst(doc, 'devices/console')?.attrs.tty;
  if (!tty) throw new SilentFailure();
  ctx.print(`${tty}\n`);
}

/** The commands of this group. */
export const displayCommands: readonly CommandSpec[] = [
  domainCommand({
    name: 'domdisplay',
    help: 'domain display connection URI',
    description: 'Output the IP address and port number for the graphical display.',
    options: [
      flag('include-password', 'includes the password into the connection URI if available'),
      valueOpt('type', 'string', 'select particular graphical display (e.g. "vnc", "spice", "rdp", "dbus")'),
      flag('all', 'show all possible graphical displays'),
    ],
    run: domdisplay,
  }),
  domainCommand({
    name: 'vncdisplay',
    help: 'vnc display',
    description: 'Output the IP address and port number for the VNC display.',
    options: [],
    run: vncdisplay,
  }),
  domainCommand({ name: 'ttyconsole', help: 'tty console', description: 'Output the device for the TTY console.', options: [], run: ttyconsole }),
];
