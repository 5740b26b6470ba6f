/**
 * The browser harness itself (test/integration/browser.ts): Debian's Chromium starts under
 * puppeteer-core, a page's console lines are recorded, and an uncaught error, an unhandled
 * rejection, a `console.error` and a missing file are each reported as the page's problems, so a
 * browser test fails on them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, serveDirectory, type StaticServer } from './browser.js';

let browser: Browser;
let server: StaticServer;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-browser-harness-'));
  const page = (script: string): string => `<!doctype html><link rel="icon" href="data:,"><script type="module">${script}</script>`;
  fs.writeFileSync(path.join(dir, 'clean.html'), page(`console.log('hello from', navigator.userAgent); document.title = 'done';`));
  fs.writeFileSync(
    path.join(dir, 'broken.html'),
    page(`console.error('something broke'); Promise.reject(new Error('nobody catches this')); setTimeout(() => { throw new Error('thrown later'); });`),
  );
  fs.writeFileSync(path.join(dir, 'missing.html'), '<!doctype html><link rel="icon" href="data:,"><script src="./nope.js"></script>');
  browser = await launchChromium();
  server = await serveDirectory(dir);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the browser harness', () => {
  it('runs Debian’s Chromium and records what a clean page logs', async () => {
    const { page, logs, problems } = await openPage(browser, `${server.origin}/clean.html`);
    await page.waitForFunction("document.title === 'done'");
    expect(await browser.version()).toMatch(/^(Headless)?Chrome\/\d+/);
    expect(logs.find((l) => l.startsWith('log: hello from'))).toMatch(/Chrome\/\d+/);
    expect(problems).toEqual([]);
  });

  it('reports uncaught errors, unhandled rejections, console.error and missing files', async () => {
    const broken = await openPage(browser, `${server.origin}/broken.html`);
    await broken.page.waitForFunction(() => true);
    await expect.poll(() => broken.problems.length).toBe(3);
    expect(() => broken.assertClean()).toThrow(/3 problem/);
    expect(broken.problems.join('\n')).toMatch(/console.error: something broke/);
    expect(broken.problems.join('\n')).toMatch(/nobody catches this/);
    expect(broken.problems.join('\n')).toMatch(/thrown later/);
    broken.problems.length = 0; // seen: this test is about them

    const missing = await openPage(browser, `${server.origin}/missing.html`);
    await expect.poll(() => missing.problems.some((p) => /HTTP 404 for .*\/nope\.js/.test(p))).toBe(true);
    missing.problems.length = 0;
  });
});
