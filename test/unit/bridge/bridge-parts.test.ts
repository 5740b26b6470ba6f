/**
 * The bridge's parts that need no daemon: the CONNECT_OPEN rewrite (frames.ts), the message-rate token bucket (src/bridge/rate.ts),
 * the static file server (static.ts) over a real HTTP server on loopback, the command line and
 * tokens file of `libvirt-rpc-bridge` (cli-options.ts), and startBridge's option checks.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBridgeCommand, readHeader, readTokensFile, startBridge } from '../../../src/bridge/index.js';
import { connectOpenName, rewriteConnectOpen } from '../../../src/bridge/frames.js';
import { REMOTE_PROGRAM, remoteConnectOpenArgsCodec } from '../../../src/procedures/remote.gen.js';
import { XdrReader } from '../../../src/xdr/reader.js';
import { XdrWriter } from '../../../src/xdr/writer.js';
import { MessageRate } from '../../../src/bridge/rate.js';
import { staticHandler } from '../../../src/bridge/static.js';
import { ArgumentError } from '../../../src/errors/root.js';

const dir = mkdtempSync(join(tmpdir(), 'lvrpc-bridge-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('MessageRate', () => {
  it('allows a burst of one second, then refills at the rate', () => {
    let now = 0;
    const r = new MessageRate(10, () => now);
    const first = Array.from({ length: 15 }, () => r.take());
    expect(first.filter(Boolean)).toHaveLength(10);
    expect(first.slice(10)).toEqual([false, false, false, false, false]);
    now += 250; // 2.5 tokens
    expect([r.take(), r.take(), r.take()]).toEqual([true, true, false]);
    now += 10_000;
    expect(Array.from({ length: 11 }, () => r.take()).filter(Boolean)).toHaveLength(10);
  });

  it('charges messages it never refuses, down to one second of debt', () => {
    let now = 0;
    const r = new MessageRate(4, () => now);
    for (let i = 0; i < 100; i++) r.charge();
    expect(r.take()).toBe(false);
    now += 1000; // pays the debt of 4 only
    expect(r.take()).toBe(false);
    now += 250;
    expect(r.take()).toBe(true);
  });

  it('Infinity never refuses', () => {
    const r = new MessageRate(Number.POSITIVE_INFINITY);
    expect(Array.from({ length: 100_000 }, () => r.take()).every(Boolean)).toBe(true);
  });
});

describe('staticHandler', () => {
  let server: Server;
  let base: string;
  const refused: string[] = [];
  const site = join(dir, 'site');
  beforeAll(async () => {
    mkdirSync(join(site, 'sub'), { recursive: true });
    writeFileSync(join(site, 'index.html'), '<!doctype html><p>hello</p>');
    writeFileSync(join(site, 'app.js'), 'console.log(1);');
    writeFileSync(join(site, 'sub', 'index.html'), 'sub page');
    writeFileSync(join(dir, 'secret.txt'), 'outside');
    symlinkSync(join(dir, 'secret.txt'), join(site, 'link.txt'));
    server = createServer(staticHandler(site, (l) => refused.push(l)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** A raw request (fetch would normalise the path). */
  const get = (path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(`${base}/`, { method, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('serves files with their content type, and a directory its index.html', async () => {
    expect(await get('/')).toEqual({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><p>hello</p>' });
    expect(await get('/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'console.log(1);' });
    expect(await get('/sub/')).toMatchObject({ status: 200, body: 'sub page' });
    expect(await get('/app.js', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it('serves nothing outside the directory: .., encoded .., a symbolic link out; other methods refused', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/sub/%2E%2E/%2e%2e/secret.txt', '/link.txt', '/nothing.html', '/%00']) {
      const r = await get(p);
      expect([p, r.status]).toEqual([p, r.status === 400 ? 400 : 404]);
      expect(r.body).not.toContain('outside');
    }
    expect(refused.some((l) => l.includes('/link.txt: outside'))).toBe(true);
    expect(await get('/', 'POST')).toMatchObject({ status: 405 });
  });

  it('a directory that is not there is an ArgumentError at once', () => {
    expect(() => staticHandler(join(dir, 'missing'), () => {})).toThrow(ArgumentError);
  });
});

describe('libvirt-rpc-bridge command line', () => {
  const tokens = join(dir, 'tokens.json');
  beforeAll(() => {
    writeFileSync(tokens, JSON.stringify({ 'tok-a': { uri: 'qemu:///system', readOnly: true, maxConnections: 2, maxMessageRate: 50 }, 'tok-b': {} }));
    chmodSync(tokens, 0o600);
  });

  it('reads the options and the tokens file, filling in --uri', () => {
    const c = parseBridgeCommand([
      '--tokens',
      tokens,
      '--uri',
      'test:///default',
      '--port',
      '0',
      '--origin',
      'https://a.example',
      '--origin',
      'https://b.example',
      '--max-message-rate',
      '100',
      '--static',
      dir,
    ]);
    expect(c.options).toMatchObject({
      tokens: { 'tok-a': { uri: 'qemu:///system', readOnly: true, maxConnections: 2, maxMessageRate: 50 }, 'tok-b': { uri: 'test:///default' } },
      listen: '127.0.0.1',
      port: 0,
      origins: ['https://a.example', 'https://b.example'],
      maxMessageRate: 100,
      staticDir: dir,
    });
    expect(c.warnings).toEqual([]);
  });

  it('warns about a tokens file others can read and plain ws off loopback', () => {
    const open = join(dir, 'open.json');
    writeFileSync(open, '{"t":{"uri":"test:///default"}}');
    chmodSync(open, 0o644);
    const c = parseBridgeCommand(['--tokens', open, '--listen', '0.0.0.0']);
    expect(c.warnings).toEqual([
      `the tokens file ${open} can be read by other users: chmod 600 it`,
      'listening on 0.0.0.0 without --cert: tokens and traffic travel in clear',
    ]);
  });

  it('names what is wrong', () => {
    const bad = (name: string, text: string): string => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const cases: [string[], RegExp][] = [
      [[], /--tokens FILE is required/],
      [['--tokens'], /--tokens/],
      [['--tokens', tokens, '--nope'], /Unknown option '--nope'/],
      [['--tokens', join(dir, 'none.json')], /tokens file .*none\.json cannot be read: ENOENT/],
      [['--tokens', bad('a.json', '{')], /tokens file .*a\.json is not valid JSON/],
      [['--tokens', bad('b.json', '[]')], /must hold a JSON object/],
      [['--tokens', bad('c.json', '{}')], /holds no token/],
      [['--tokens', bad('d.json', '{"t":{"url":"x"}}')], /token #1: unknown key "url"/],
      [['--tokens', bad('e.json', '{"t":{}}')], /token #1: "uri" must be a libvirt URI \(or give --uri\)/],
      [['--tokens', bad('f.json', '{"t":{"uri":"test:///default","readOnly":"yes"}}')], /"readOnly" must be true or false/],
      [['--tokens', bad('g.json', '{"t":{"uri":"test:///default","maxConnections":0}}')], /"maxConnections" must be a whole number of at least 1/],
      [['--tokens', tokens, '--uri', 'x', '--port', '70000'], /--port must be a whole number from 0 to 65535/],
      [['--tokens', tokens, '--uri', 'x', '--cert', tokens], /--cert and --key go together/],
      [['--tokens', tokens, '--uri', 'x', '--cert', join(dir, 'no.pem'), '--key', join(dir, 'no.pem')], /certificate .*no\.pem cannot be read/],
    ];
    for (const [argv, message] of cases) {
      let err: unknown = null;
      try {
        parseBridgeCommand(argv);
      } catch (e) {
        err = e;
      }
      expect([argv, err]).toEqual([argv, expect.any(ArgumentError)]);
      expect((err as Error).message).toMatch(message);
    }
    expect(() => readTokensFile(tokens, undefined)).toThrow(/token #2: "uri" must be a libvirt URI/);
    expect(readTokensFile(tokens, 'test:///default')['tok-b']).toEqual({ uri: 'test:///default' });
  });
});

describe('startBridge option checks', () => {
  it('refuses bad options with an ArgumentError naming each', async () => {
    const uri = 'test:///default';
    const cases: [object, RegExp][] = [
      [{ tokens: { 'a b': { uri } } }, /a token may hold only letters, digits/],
      [{ tokens: { a: { uri: '' } } }, /\.uri must be a libvirt URI/],
      [{ tokens: { a: { uri: 'qemu+nope://h/system' } } }, /\.uri qemu\+nope:\/\/h\/system: /],
      [{ tokens: { a: { uri, maxConnections: 0 } } }, /maxConnections must be a number of at least 1/],
      [{ tokens: { a: { uri } }, port: 99999 }, /port must be an integer from 0 to 65535/],
      [{ tokens: { a: { uri } }, listen: 'example.com' }, /listen must be an IP address or localhost/],
      [{ tokens: { a: { uri } }, path: 'libvirt' }, /path must start with \//],
      [{ tokens: { a: { uri } }, maxFrame: 10 }, /maxFrame must be a number of at least 28/],
      [{ tokens: { a: { uri } }, maxMessageRate: 0 }, /maxMessageRate must be a number of at least 1 or Infinity/],
      [{ tokens: { a: { uri } }, cert: 'x' }, /cert and key go together/],
      [{ tokens: { a: { uri } }, cert: 'not a certificate', key: 'not a key' }, /the certificate or key cannot be used/],
      [{ tokens: { a: { uri } }, staticDir: join(dir, 'missing') }, /staticDir .*missing cannot be read/],
    ];
    for (const [options, message] of cases) {
      const err = await startBridge(options).then(
        async (b) => {
          await b.close();
          return null;
        },
        (e: unknown) => e,
      );
      expect([options, err]).toEqual([options, expect.any(ArgumentError)]);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('CONNECT_OPEN as granted', () => {
  /** A CONNECT_OPEN call frame as the client encodes it. */
  function openFrame(name: string | null, flags: number): Buffer {
    const w = new XdrWriter();
    remoteConnectOpenArgsCodec.encode(w, { name, flags });
    const body = w.toBytes();
    const f = Buffer.alloc(28 + body.length);
    f.writeUInt32BE(f.length, 0);
    f.writeUInt32BE(REMOTE_PROGRAM, 4);
    f.writeUInt32BE(1, 8);
    f.writeInt32BE(1, 12);
    f.writeUInt32BE(9, 20);
    Buffer.from(body).copy(f, 28);
    return f;
  }

  it('reads the name asked for and writes the granted one, keeping the flags and adding read-only', () => {
    const asked = openFrame('qemu:///system', 2);
    expect(connectOpenName(asked)).toBe('qemu:///system');
    expect(connectOpenName(openFrame(null, 0))).toBeNull();
    expect(connectOpenName(asked.subarray(0, 33))).toBeUndefined();
    const out = rewriteConnectOpen(asked, 'test:///tmp/node é.xml', 1);
    expect(readHeader(out)).toMatchObject({ length: out.length, program: REMOTE_PROGRAM, procedure: 1, serial: 9 });
    expect(remoteConnectOpenArgsCodec.decode(new XdrReader(out.subarray(28)))).toEqual({ name: 'test:///tmp/node é.xml', flags: 3 });
  });
});
