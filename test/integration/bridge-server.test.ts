/**
 * The bridge as a server (src/bridge): the `libvirt-rpc-bridge` bin (tokens file with a URI per
 * token, wss with an openssl-made certificate, a static directory on the same port), the
 * message-rate limit, and one bad client (no trust in the certificate, garbage frames, a broken
 * HTTP request, a flood of calls) never affecting the others. Real daemon (the harness's
 * private libvirtd, test driver), real WebSocket clients from Node (`connect` and `ws`).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { request as httpsRequest } from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createTestPki, type TestPki } from '../../harness/pki.js';
import { startBridge } from '../../src/bridge/index.js';
import { connect, type Connection, LibvirtError, TransportError } from '../../src/index.js';
import { privateTestUri } from './env.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let pki: TestPki;
let ca: string;
let dir: string;
let uriA: string;
let uriB: string;

beforeAll(async () => {
  pki = await createTestPki();
  ca = fs.readFileSync(pki.ca.certPath, 'utf8');
  dir = fs.mkdtempSync(path.join(pki.dir, 'bridge-'));
  uriA = await privateTestUri('unix', { domains: [{ name: 'alpha-1' }, { name: 'alpha-2', state: 'shutoff' }] });
  uriB = await privateTestUri('unix', { domains: [{ name: 'beta-1' }] });
}, 120_000);

afterAll(() => {
  pki?.remove();
});

async function names(conn: Connection): Promise<string[]> {
  return (await conn.raw.connectListAllDomains(1, 0)).domains.map((d) => d.name).sort();
}

/** Runs the bin; resolves with the process and the URL it printed once it listens. */
function runBridge(args: string[]): { child: ChildProcessWithoutNullStreams; stderr: () => string; url: Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/bridge/cli.ts'), ...args], { cwd: root });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exit.then((code) => reject(new Error(`the bridge exited (${code}) before listening: ${err}`)));
  });
  url.catch(() => {}); // a test of a bridge that must not start awaits exit instead
  return { child, stderr: () => err, url, exit };
}

function httpsGet(url: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    httpsRequest(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('libvirt-rpc-bridge (the bin)', () => {
  it('serves wss and a static page on one port; each token reaches its own URI; read-only holds; SIGTERM stops it', async () => {
    const tokens = path.join(dir, 'tokens.json');
    fs.writeFileSync(tokens, JSON.stringify({ 'token-a': { uri: uriA }, 'token-b': { uri: uriB, maxConnections: 1 }, 'token-ro': { readOnly: true } }));
    fs.chmodSync(tokens, 0o600);
    const site = path.join(dir, 'site');
    fs.mkdirSync(site);
    fs.writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>console</title>');
    const bridge = runBridge(['--tokens', tokens, '--uri', uriA, '--port', '0', '--cert', pki.server.certPath, '--key', pki.server.keyPath, '--static', site]);
    try {
      const url = await bridge.url;
      expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/libvirt$/);
      await using a = await connect('test:///default', { webSocket: url, token: 'token-a', tls: { ca }, timeout: 20_000 });
      await using b = await connect('test:///default', { webSocket: url, token: 'token-b', tls: { ca }, timeout: 20_000 });
      expect(await names(a)).toEqual(['alpha-1', 'alpha-2']);
      expect(await names(b)).toEqual(['beta-1']);
      await expect(connect('test:///default', { webSocket: url, token: 'token-b', tls: { ca }, timeout: 20_000 })).rejects.toThrow(/429/);
      // The token without a uri got --uri, read-only.
      await using ro = await connect('test:///default', { webSocket: url, token: 'token-ro', tls: { ca }, timeout: 20_000 });
      const [dom] = (await ro.raw.connectListAllDomains(1, 0)).domains;
      const denied = await ro.raw.domainSuspend(dom!).catch((e: unknown) => e);
      expect((denied as LibvirtError).codeName).toBe('VIR_ERR_OPERATION_DENIED');
      const page = await httpsGet(url.replace(/^wss:/, 'https:').replace(/\/libvirt$/, '/'));
      expect(page).toEqual({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>console</title>' });
      expect((await httpsGet(url.replace(/^wss:/, 'https:').replace(/\/libvirt$/, '/missing.js'))).status).toBe(404);
      bridge.child.kill('SIGTERM');
      expect(await bridge.exit).toBe(0);
      expect(bridge.stderr()).toMatch(/client 1 \(.*\) connected to test\+unix:/);
      expect(bridge.stderr()).toMatch(/refused: the token has 1 connections open, its limit/);
      expect(bridge.stderr()).toMatch(/refused call: virDomainSuspend on a read-only token/);
      // The client asked for test:///default; the bridge opened each token's own driver URI.
      expect(bridge.stderr()).toMatch(/client 1 \(.*\) asked to open "test:\/\/\/default": opens the token's "test:\/\/\/.*\.xml"/);
      await a.closed;
    } finally {
      bridge.child.kill('SIGKILL');
    }
  }, 120_000);

  it('bad input stops it at once with the reason: a bad tokens file, a port in use', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"t": {"uri": "test:///default", "readonly": true}}');
    const one = runBridge(['--tokens', bad]);
    expect(await one.exit).toBe(1);
    expect(one.stderr()).toMatch(/^libvirt-rpc-bridge: error: tokens file .*bad\.json, token #1: unknown key "readonly"/m);
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as net.AddressInfo).port;
    fs.writeFileSync(bad, '{"t": {"uri": "test:///default"}}');
    const two = runBridge(['--tokens', bad, '--port', String(port)]);
    expect(await two.exit).toBe(1);
    expect(two.stderr()).toMatch(/error: listen EADDRINUSE.*127\.0\.0\.1:\d+/);
    busy.close();
  }, 60_000);
});

describe('the bridge server', () => {
  it('a message rate over the limit: calls refused with VIR_ERR_OPERATION_DENIED and logged; the connection and the other clients go on', async () => {
    const lines: string[] = [];
    await using bridge = await startBridge({ tokens: { slow: { uri: uriA, maxMessageRate: 20 }, fast: { uri: uriA } }, log: (l) => lines.push(l) });
    await using slow = await connect('test:///default', { webSocket: bridge.url, token: 'slow', timeout: 20_000 });
    await using fast = await connect('test:///default', { webSocket: bridge.url, token: 'fast', timeout: 20_000 });
    const version = await fast.raw.connectGetLibVersion();
    const settle = (p: Promise<bigint>) =>
      p.then(
        (v) => ({ ok: v === version, err: null as unknown }),
        (err: unknown) => ({ ok: false, err }),
      );
    const [slowResults, fastResults] = await Promise.all([
      Promise.all(Array.from({ length: 300 }, () => settle(slow.raw.connectGetLibVersion()))),
      Promise.all(Array.from({ length: 300 }, () => settle(fast.raw.connectGetLibVersion()))),
    ]);
    expect(fastResults.every((r) => r.ok)).toBe(true);
    const answered = slowResults.filter((r) => r.ok).length;
    const refused = slowResults.filter((r) => r.err !== null);
    expect(answered).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(answered + refused.length).toBe(300);
    for (const { err } of refused) {
      expect(err).toBeInstanceOf(LibvirtError);
      expect((err as LibvirtError).codeName).toBe('VIR_ERR_OPERATION_DENIED');
      expect((err as LibvirtError).message).toBe("operation forbidden: message rate over the bridge's limit of 20 per second");
    }
    expect(lines.filter((l) => l.includes('refused call: REMOTE_PROC_CONNECT_GET_LIB_VERSION over the message rate limit of 20 per second'))).toHaveLength(1);
    expect(slow.isOpen).toBe(true);
    // The bucket refills: the slow client's calls pass again.
    let again: unknown = null;
    for (let i = 0; i < 100 && again !== version; i++) {
      again = await slow.raw.connectGetLibVersion().catch(() => null);
      if (again !== version) await new Promise((r) => setTimeout(r, 100));
    }
    expect(again).toBe(version);
    await slow.close();
    const total = /refused (\d+) calls in all over the message rate limit of 20 per second/;
    await expect.poll(() => lines.some((l) => total.test(l)), { timeout: 30_000 }).toBe(true);
    expect(Number(total.exec(lines.find((l) => total.test(l))!)![1])).toBeGreaterThanOrEqual(refused.length);
  }, 60_000);

  it('one bad client never affects the others: untrusted certificate, garbage frames, a broken HTTP request, a peer that leaves', async () => {
    const lines: string[] = [];
    await using bridge = await startBridge({
      tokens: { t: { uri: uriA } },
      cert: fs.readFileSync(pki.server.certPath),
      key: fs.readFileSync(pki.server.keyPath),
      log: (l) => lines.push(l),
    });
    expect(bridge.url).toMatch(/^wss:/);
    await using good = await connect('test:///default', { webSocket: bridge.url, token: 't', tls: { ca }, timeout: 20_000 });
    const calls = Array.from({ length: 200 }, () => good.raw.connectListAllDomains(1, 0));
    // No CA: Node's default CAs do not trust the test certificate.
    const untrusted = await connect('test:///default', { webSocket: bridge.url, token: 't', timeout: 20_000 }).catch((e: unknown) => e);
    expect(untrusted).toBeInstanceOf(TransportError);
    expect((untrusted as Error).message).toMatch(/certificate/);
    // Garbage: a frame whose length word is below the header size.
    const raw = new WebSocket(bridge.url, ['libvirt-rpc'], { headers: { authorization: 'Bearer t' }, ca });
    await new Promise((resolve, reject) => {
      raw.once('open', resolve);
      raw.once('error', reject);
    });
    const closeCode = new Promise<number>((resolve) => raw.once('close', (code) => resolve(code)));
    raw.send(Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5]));
    expect(await closeCode).toBe(1009);
    // A broken HTTP request over TLS, and a peer that leaves in the middle of its handshake.
    const tls = await import('node:tls');
    const port = bridge.port;
    await new Promise<void>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca }, () => s.end('NOT HTTP AT ALL\r\n\r\n'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    await new Promise<void>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end(Buffer.from([0x16, 0x03, 0x01])));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    const answers = await Promise.all(calls);
    expect(
      answers.every(
        (a) =>
          a.domains
            .map((d) => d.name)
            .sort()
            .join() === 'alpha-1,alpha-2',
      ),
    ).toBe(true);
    expect(await names(good)).toEqual(['alpha-1', 'alpha-2']);
    expect(lines.some((l) => /refused: TLS handshake failed/.test(l))).toBe(true);
    expect(lines.some((l) => /refused frame: frame length 5 is below the 28-byte header/.test(l))).toBe(true);
    expect(lines.some((l) => /refused: bad HTTP request/.test(l))).toBe(true);
    expect(bridge.clients).toBe(1);
  }, 60_000);
});
