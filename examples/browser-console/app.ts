/**
 * libvirt in a web page: the domains of a host with live lifecycle events, start and stop
 * buttons, and a domain's serial console in xterm.js, all over one libvirt connection that
 * travels through a WebSocket bridge (libvirt-rpc/bridge) to the daemon.
 *
 * The page reads its settings from the URL's fragment, which never reaches a server:
 *   index.html#token=SECRET&uri=qemu:///system&bridge=wss://host/libvirt
 * `bridge` defaults to `/libvirt` on the page's own host. The bridge, not the page, decides which
 * daemon and driver answer (its token's URI), whatever `uri` says.
 */
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { connect, domainStateName, LibvirtError, VIR_DOMAIN_CONSOLE_FORCE, webStream, type Domain } from 'libvirt-rpc';

const settings = new URLSearchParams(location.hash.slice(1));
const uri = settings.get('uri') ?? 'qemu:///system';
const bridge = settings.get('bridge') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/libvirt`;
const token = settings.get('token') ?? '';

const status = document.getElementById('status')!;
const rows = document.querySelector('#domains tbody')!;
const eventLog = document.getElementById('events')!;
const consoleTitle = document.getElementById('console')!;

/** Shows what happened last; an error in red, with libvirt's error name (VIR_ERR_...). */
function say(text: string, failed = false): void {
  status.textContent = text;
  status.className = failed ? 'error' : '';
}
const describe = (err: unknown): string => (err instanceof LibvirtError ? `${err.codeName}: ${err.message}` : String(err));

/** Runs a button's action, reporting its failure on the page. */
function action(label: string, run: () => Promise<unknown>): HTMLButtonElement {
  const button = document.createElement('button');
  button.textContent = label;
  button.onclick = () => run().catch((err: unknown) => say(describe(err), true));
  return button;
}

const conn = await connect(uri, { webSocket: bridge, token });
say(`connected to ${uri}`);

/** Redraws the table: running domains by id, then the others by name, as `virsh list --all`. */
async function render(): Promise<void> {
  const domains = await conn.listAllDomains();
  const states = await Promise.all(domains.map(async (d) => (await d.getState()).state));
  const order = domains.map((dom, i) => ({ dom, state: states[i]! }));
  order.sort((a, b) => (a.dom.id >= 0 && b.dom.id >= 0 ? a.dom.id - b.dom.id : a.dom.id >= 0 ? -1 : b.dom.id >= 0 ? 1 : a.dom.name.localeCompare(b.dom.name)));
  rows.replaceChildren(
    ...order.map(({ dom, state }) => {
      const row = document.createElement('tr');
      row.dataset.domain = dom.name;
      for (const text of [dom.id >= 0 ? String(dom.id) : '-', dom.name, domainStateName(state)]) row.insertCell().textContent = text;
      const running = dom.id >= 0;
      const actions = running ? [action('Stop', () => dom.destroy()), action('Console', () => openConsole(dom))] : [action('Start', () => dom.create())];
      row.insertCell().append(...actions);
      return row;
    }),
  );
}

// One redraw at a time, in order, however fast events come.
let drawing = Promise.resolve();
const redraw = (): Promise<void> => (drawing = drawing.then(render).catch((err: unknown) => say(describe(err), true)));

await conn.events.onDomain('lifecycle', (ev) => {
  const line = document.createElement('li');
  line.textContent = `${ev.domain.name}: ${ev.event} (${ev.detail})`;
  eventLog.append(line);
  void redraw();
});
await redraw();

// The serial console: what the guest writes goes to the terminal, what is typed goes to the guest.
const terminal = new Terminal({ cols: 100, rows: 20 });
terminal.open(document.getElementById('terminal')!);
let closeConsole = (): void => {};

async function openConsole(dom: Domain): Promise<void> {
  closeConsole();
  terminal.reset();
  // FORCE: take the console over from another client (or from this page's previous stream).
  // webStream: the stream as the browser build makes it (web streams), typed so.
  const stream = webStream(await dom.openConsole(null, VIR_DOMAIN_CONSOLE_FORCE));
  const writer = stream.writable.getWriter();
  const encoder = new TextEncoder();
  const typing = terminal.onData((text) => void writer.write(encoder.encode(text)).catch(() => {}));
  const reader = stream.readable.getReader();
  let replaced = false;
  closeConsole = () => {
    replaced = true;
    typing.dispose();
    void reader.cancel();
  };
  consoleTitle.textContent = `Console: ${dom.name}`;
  consoleTitle.dataset.domain = dom.name;
  terminal.focus();
  for (let r = await reader.read(); !r.done; r = await reader.read()) terminal.write(r.value);
  if (!replaced) terminal.write('\r\n[console closed]\r\n');
}
