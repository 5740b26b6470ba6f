/**
 * The browser build (dist/browser/index.js, built here by scripts/build-browser.mjs into a
 * temporary directory), run in Node with the `ws` package's WebSocket class standing in for the
 * browser's (the same interface): through the bridge to a private daemon it gives what Node's
 * own build gives (object API, raw calls, events, a stream as a web ReadableStream), refuses what
 * it should with its reasons, and its text holds no Node built-in. Chromium runs it in the
 * browser tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { PrivateDaemon } from '../../harness/daemon.js';
import { writeTestNodeXml } from '../../harness/test-driver.js';
import { startBridge, type Bridge } from '../../src/bridge/index.js';
import { connect as nodeConnect, LibvirtError } from '../../src/index.js';
import { startExtraDaemon } from './env.js';

type BrowserBuild = typeof import('../../src/browser.js');

const root = path.resolve(import.meta.dirname, '../..');
let outDir: string;
let web: BrowserBuild;
let bundleText: string;
let daemon: PrivateDaemon;
let bridge: Bridge;
let node: string;
let uri: string;
const logged: string[] = [];

beforeAll(async () => {
  outDir = mkdtempSync(path.join(tmpdir(), 'lvrpc-web-'));
  execFileSync(process.execPath, [path.join(root, 'scripts/build-browser.mjs'), '--out', outDir], { stdio: 'pipe' });
  const file = path.join(outDir, 'index.js');
  bundleText = readFileSync(file, 'utf8');
  web = (await import(pathToFileURL(file).href)) as BrowserBuild;
  daemon = await startExtraDaemon({ label: 'web-build' });
  node = writeTestNodeXml(path.join(daemon.dir, 'nodes'));
  uri = `test+unix://${node}?socket=${daemon.socketPath}`;
  bridge = await startBridge({ tokens: { rw: { uri }, ro: { uri, readOnly: true } }, log: (l) => logged.push(l) });
}, 120_000);

afterAll(async () => {
  await bridge?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

const opts = (token: string) => ({ webSocket: bridge.url, token, WebSocket: WebSocket as never, timeout: 15_000 });

describe('the browser build, run in Node over ws', () => {
  it('imports no Node built-in and names no Buffer', () => {
    expect(bundleText).not.toMatch(/\bfrom\s*["']node:|\brequire\s*\(|\bBuffer\b/);
    expect(bundleText.length).toBeGreaterThan(10_000);
  });

  it('lists the same domains, through the object API and raw calls, as Node’s build on a direct connection', async () => {
    const conn = await web.connect(`test://${node}`, opts('rw'));
    try {
      await using direct = await nodeConnect(uri, { timeout: 15_000 });
      const viaWeb = (await conn.listAllDomains()).map((d) => d.name).sort();
      const viaNode = (await direct.listAllDomains()).map((d) => d.name).sort();
      expect(viaWeb.length).toBeGreaterThan(0);
      expect(viaWeb).toEqual(viaNode);
      const dom = await conn.domainLookupByName(viaWeb[0]!);
      const same = await direct.domainLookupByName(viaWeb[0]!);
      expect(dom.uuidString).toBe(same.uuidString);
      expect(await dom.getXMLDesc()).toBe(await same.getXMLDesc());
      expect(await conn.raw.connectGetHostname()).toBe(await direct.raw.connectGetHostname());
      expect(await conn.getURI()).toBe(`test://${node}`);
    } finally {
      await conn.close();
    }
  });

  it('receives the lifecycle events of a domain stopped and started again', async () => {
    // (Each connection to a test+unix:///<node XML> URI has a state of its own: the same connection acts.)
    const conn = await web.connect(`test://${node}`, opts('rw'));
    try {
      const [dom] = await conn.listAllDomains(1);
      const events: string[] = [];
      let seen!: () => void;
      const two = new Promise<void>((resolve) => (seen = resolve));
      await conn.events.onDomain('lifecycle', (ev) => {
        events.push(`${ev.domain.name} ${String(ev.event)}`);
        if (events.length === 2) seen();
      });
      await dom!.destroy();
      await dom!.create();
      await two;
      expect(events).toEqual([`${dom!.name} stopped`, `${dom!.name} started`]);
    } finally {
      await conn.close();
    }
  });

  it('reads a screenshot stream as a web ReadableStream, the same bytes as Node’s Duplex', async () => {
    const conn = await web.connect(`test://${node}`, opts('rw'));
    try {
      await using direct = await nodeConnect(uri, { timeout: 15_000 });
      const [name] = (await direct.listAllDomains(1)).map((d) => d.name);
      const { mime, stream } = await (await conn.domainLookupByName(name!)).screenshot(0);
      expect(stream.readable).toBeInstanceOf(ReadableStream);
      const parts: Uint8Array[] = [];
      for await (const chunk of stream.readable as unknown as AsyncIterable<Uint8Array>) parts.push(chunk);
      await stream.closed;
      const viaWeb = Buffer.concat(parts);
      const theirs = await (await direct.domainLookupByName(name!)).screenshot(0);
      const viaNode = Buffer.concat(await theirs.stream.toArray());
      expect(mime).toBe(theirs.mime);
      expect(viaWeb.length).toBeGreaterThan(1000);
      expect(viaWeb.equals(viaNode)).toBe(true);
      // The connection is still usable after the stream.
      expect((await conn.listAllDomains()).length).toBeGreaterThan(0);
    } finally {
      await conn.close();
    }
  });

  it('a read-only token: a write call fails with VIR_ERR_OPERATION_DENIED, a LibvirtError of either build', async () => {
    const conn = await web.connect(`test://${node}`, opts('ro'));
    try {
      const [dom] = await conn.listAllDomains(1);
      const err = await dom!.destroy().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(web.LibvirtError);
      expect(err).toBeInstanceOf(LibvirtError); // branded: instanceof holds across the two copies
      expect((err as LibvirtError).codeName).toBe('VIR_ERR_OPERATION_DENIED');
      expect(await dom!.isActive()).toBe(true);
    } finally {
      await conn.close();
    }
  });

  it('refuses bad options before dialing, and a wrong token with the reason a browser can give', async () => {
    await expect(web.connect(`test://${node}`, undefined as never)).rejects.toThrow(web.ArgumentError);
    await expect(web.connect(`test://${node}`, { ...opts('rw'), webSocket: 'http://x/' })).rejects.toThrow(/ws: or wss: URL/);
    await expect(web.connect(`test://${node}`, opts('bad token'))).rejects.toThrow(/token must be made of/);
    const err = await web.connect(`test://${node}`, opts('nope')).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(web.TransportError);
    expect((err as Error).message).toMatch(/handshake failed .*the bridge logs the reason/);
    expect(logged.some((l) => l.endsWith('refused: unknown token'))).toBe(true);
  });

  it('the daemon closing the connection rejects pending work with a ConnectionClosedError', async () => {
    const conn = await web.connect(`test://${node}`, { ...opts('rw'), keepalive: false });
    const closed = conn.closed;
    await bridge.close();
    const reason = await closed;
    expect(reason).toBeInstanceOf(web.ConnectionClosedError);
    await expect(conn.raw.connectGetHostname()).rejects.toBeInstanceOf(web.ConnectionClosedError);
    bridge = await startBridge({ tokens: { rw: { uri }, ro: { uri, readOnly: true } }, log: (l) => logged.push(l) });
  });
});
