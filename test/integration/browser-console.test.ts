/**
 * The example page (examples/browser-console) in headless Chromium, connected through the
 * WebSocket bridge to the harness's session daemon: its table is `virsh list --all`'s, a QEMU TCG
 * guest started by virsh shows up through its lifecycle event, the guest's serial line appears in
 * xterm.js and what is typed there comes back, the page's Stop and Start buttons work, and a
 * read-only token's Stop is refused by the bridge with VIR_ERR_OPERATION_DENIED shown on the page
 * while the guest keeps running. The page is the bundle `npm run size:browser-console` builds.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowserConsole } from '../../examples/browser-console/build.js';
import { CONSOLE_GUEST_BANNER, consoleGuest } from '../../harness/console-guest.js';
import { startBridge, type Bridge } from '../../src/bridge/index.js';
import { launchChromium, openPage, serveDirectory, type StaticServer, type WatchedPage } from './browser.js';
import { harnessDaemon } from './env.js';
import { virsh } from './oracle.js';

const name = `lvrpc-page-${randomUUID().slice(0, 8)}`;
let uri = '';
let work = '';
let browser: Browser;
let server: StaticServer;
let bridge: Bridge;
const bridgeLog: string[] = [];

beforeAll(async () => {
  const d = await harnessDaemon();
  uri = d.uris.qemuSessionUnix;
  const guest = consoleGuest(d.dir, name);
  const xml = path.join(d.dir, `${name}.xml`);
  fs.writeFileSync(xml, guest.xml);
  await virsh(uri, ['define', xml]);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-page-'));
  await buildBrowserConsole(work);
  server = await serveDirectory(work);
  bridge = await startBridge({
    tokens: { rw: { uri }, ro: { uri, readOnly: true } },
    origins: [server.origin],
    log: (line) => bridgeLog.push(line),
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close();
  await server?.close();
  if (uri) {
    await virsh(uri, ['destroy', name], { allowFailure: true });
    await virsh(uri, ['undefine', name], { allowFailure: true });
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
}, 120_000);

/** Opens the example page with a token, connected once its status says so. */
async function openExample(token: string): Promise<WatchedPage> {
  const settings = new URLSearchParams({ token, uri: 'qemu:///session', bridge: bridge.url });
  const watched = await openPage(browser, `${server.origin}/index.html#${settings}`);
  await until(watched.page, "document.querySelector('#status').textContent.startsWith('connected')");
  return watched;
}

/** The page's table, as rows of [Id, Name, State]. */
async function tableOf(page: Page): Promise<string[][]> {
  return await page.$$eval('#domains tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent ?? '')));
}

/** `virsh list --all` as rows of [Id, Name, State]. */
async function virshList(): Promise<string[][]> {
  const out = await virsh(uri, ['list', '--all']);
  return out
    .split('\n')
    .slice(2)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(l);
      if (!m) throw new Error(`unexpected virsh list line: ${JSON.stringify(l)}`);
      return [m[1]!, m[2]!, m[3]!];
    });
}

/** Waits until a JavaScript expression is true in the page. */
async function until(page: Page, expression: string): Promise<void> {
  await page.waitForFunction(expression, { timeout: 60_000 });
}

/** Waits until the page's row for the guest shows `state`. */
async function rowState(page: Page, state: string): Promise<void> {
  await until(
    page,
    `[...document.querySelectorAll('#domains tbody tr')].some((tr) => tr.dataset.domain === ${JSON.stringify(name)} && tr.cells[2].textContent === ${JSON.stringify(state)})`,
  );
}

/** Waits until the page's event log has `text`. */
async function eventSeen(page: Page, text: string): Promise<void> {
  await until(page, `document.querySelector('#events').textContent.includes(${JSON.stringify(text)})`);
}

/** Starts the guest unless it runs. */
async function running(): Promise<void> {
  if ((await virsh(uri, ['domstate', name])).trim() !== 'running') await virsh(uri, ['start', name]);
}

/** What xterm.js shows, one string per row (its DOM renderer draws spaces as no-break spaces). */
async function terminalText(page: Page): Promise<string> {
  return await page.$$eval('.xterm-rows > div', (divs) => divs.map((d) => (d.textContent ?? '').replace(/\u00a0/g, ' ').trimEnd()).join('\n'));
}

async function clickButton(page: Page, label: string): Promise<void> {
  const button = await page.waitForSelector(`#domains tr[data-domain="${name}"] ::-p-text(${label})`, { timeout: 30_000 });
  await button!.click();
}

describe('the example page in Chromium, through the bridge', { timeout: 240_000 }, () => {
  it('shows the domains virsh list --all shows', async () => {
    const { page } = await openExample('rw');
    await page.waitForSelector(`#domains tr[data-domain="${name}"]`, { timeout: 30_000 });
    expect(await tableOf(page)).toEqual(await virshList());
    expect((await tableOf(page)).map((r) => r[1])).toContain(name);
  });

  it('a guest started by virsh arrives as a lifecycle event; its serial console runs in xterm.js both ways', async () => {
    await virsh(uri, ['destroy', name], { allowFailure: true });
    const { page } = await openExample('rw');
    await rowState(page, 'shut off');
    // Paused at its first instruction: the console is attached before the guest prints its line.
    await virsh(uri, ['start', name, '--paused']);
    await eventSeen(page, `${name}: started (booted)`);
    await rowState(page, 'paused');
    expect(await tableOf(page)).toEqual(await virshList());

    await clickButton(page, 'Console');
    await until(page, `document.querySelector('#console').dataset.domain === ${JSON.stringify(name)}`);
    await virsh(uri, ['resume', name]);
    await eventSeen(page, `${name}: resumed (unpaused)`);
    await expect.poll(() => terminalText(page), { timeout: 60_000 }).toContain(CONSOLE_GUEST_BANNER);

    const typed = `typed in Chromium ${randomUUID().slice(0, 8)}`;
    await page.click('#terminal');
    await page.keyboard.type(typed);
    await expect.poll(() => terminalText(page), { timeout: 60_000 }).toContain(`${CONSOLE_GUEST_BANNER}\n${typed}`);
  });

  it('a read-only token: Stop is refused with VIR_ERR_OPERATION_DENIED on the page, and the guest keeps running', async () => {
    await running();
    const { page } = await openExample('ro');
    await rowState(page, 'running');
    await clickButton(page, 'Stop');
    await until(page, "document.querySelector('#status').className === 'error'");
    expect(await page.$eval('#status', (e) => e.textContent)).toBe('VIR_ERR_OPERATION_DENIED: operation forbidden: read only access prevents virDomainDestroy');
    expect((await virsh(uri, ['domstate', name])).trim()).toBe('running');
    expect(bridgeLog.some((l) => l.includes('refused call: virDomainDestroy on a read-only token'))).toBe(true);
  });

  it('Stop and Start on the page change the domain, as virsh sees it', async () => {
    await running();
    const { page } = await openExample('rw');
    await rowState(page, 'running');
    await clickButton(page, 'Stop');
    await eventSeen(page, `${name}: stopped (destroyed)`);
    await rowState(page, 'shut off');
    expect((await virsh(uri, ['domstate', name])).trim()).toBe('shut off');
    await clickButton(page, 'Start');
    await rowState(page, 'running');
    expect((await virsh(uri, ['domstate', name])).trim()).toBe('running');
    expect(await tableOf(page)).toEqual(await virshList());
  });
});
