/**
 * Headless Chromium for the browser tests: Debian's `chromium` package (installed by
 * harness/install.sh; nothing is downloaded by a browser installer) driven by puppeteer-core
 * over a pipe. Every page is watched: an uncaught exception or unhandled rejection in the page,
 * a `console.error`, a failed request or an HTTP error response is recorded, and
 * {@link WatchedPage.assertClean} (called by {@link openPage}'s `onTestFinished`) fails the test
 * with all of them. The page's console lines are printed with a `[page]` prefix so a failing
 * run shows what the page said.
 *
 * @module
 */
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { onTestFinished } from 'vitest';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Where Debian's package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Starts headless Chromium. `--no-sandbox`: the suite runs as root, where Chromium's sandbox
 * refuses to start. Close it with `browser.close()` (an `afterAll`).
 */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run harness/install.sh as root (it installs Debian's chromium package)`);
  return await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    pipe: true,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
}

/** A page and what it has said. */
export interface WatchedPage {
  readonly page: Page;
  /** Uncaught errors, `console.error` lines, failed requests and HTTP errors, in order. */
  readonly problems: string[];
  /** Every console line, `type: text`. */
  readonly logs: string[];
  /** Throws naming every problem recorded so far (none: returns). */
  assertClean(): void;
}

/**
 * Opens a new tab on `url`, watching it from before the first byte loads, and registers a check
 * that fails the running test if the page had a problem; the tab is closed when the test ends.
 */
export async function openPage(browser: Browser, url: string): Promise<WatchedPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const logs: string[] = [];
  page.on('pageerror', (err) => problems.push(`uncaught in the page: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  page.on('console', (msg) => {
    const line = `${msg.type()}: ${msg.text()}`;
    logs.push(line);
    console.log(`[page] ${line}`);
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText ?? 'unknown'}`));
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  const watched: WatchedPage = {
    page,
    problems,
    logs,
    assertClean() {
      if (problems.length > 0) throw new Error(`the page had ${problems.length} problem(s):\n${problems.join('\n')}`);
    },
  };
  onTestFinished(async () => {
    await page.close().catch(() => {});
    watched.assertClean();
  });
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  return watched;
}

/** A static HTTP server on loopback. */
export interface StaticServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`: also the page's Origin. */
  readonly origin: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

/** Serves the files of `dir` (GET only, no directory listing, nothing outside `dir`) on a free loopback port. */
export async function serveDirectory(dir: string): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(dir, name.endsWith('/') ? `${name}index.html` : name);
    if (req.method !== 'GET' || !file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no ${name}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const close = (): Promise<void> => new Promise((ok) => server.close(() => ok()));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close, [Symbol.asyncDispose]: close };
}
