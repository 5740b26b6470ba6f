/**
 * The TLS transport against a real libvirtd listening for TLS, with certificates made by openssl
 * for this file (harness/pki.ts): calls agree with python3-libvirt over the same URI, and every
 * certificate problem is refused with an error naming it.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type PrivateDaemon } from '../../harness/daemon.js';
import { createCa, createTestPki, type TestPki } from '../../harness/pki.js';
import { writeTestNodeXml } from '../../harness/test-driver.js';
import { AbortError, connect, ConnectionClosedError, TimeoutError, TransportError } from '../../src/index.js';
import { planRemoteConnection } from '../../src/transport/index.js';
import { dialTls, TlsError } from '../../src/transport/tls/index.js';
import { startExtraDaemon } from './env.js';
import { expectAgreesWithPython, pyLibvirt } from './oracle.js';

let pki: TestPki;
let daemon: PrivateDaemon;
let tlsPort: number;
/** A second daemon whose certificate (from the right CA) names only `wrong.example`. */
let wrongNameDaemon: PrivateDaemon;
let wrongNamePort: number;

beforeAll(async () => {
  pki = await createTestPki();
  tlsPort = await freePort();
  daemon = await startExtraDaemon({ label: 'tls', listenTls: true, confOverrides: pki.daemonConf(tlsPort) });
  const wrong = await pki.ca.issue({
    kind: 'server',
    commonName: 'wrong.example',
    dnsNames: ['wrong.example'],
    ipAddresses: [],
    outDir: path.join(pki.dir, 'wrong-server'),
  });
  wrongNamePort = await freePort();
  wrongNameDaemon = await startExtraDaemon({ label: 'tlswrong', listenTls: true, confOverrides: pki.daemonConf(wrongNamePort, wrong) });
});

afterAll(() => {
  pki?.remove();
});

/** A test-driver URI over TLS with private state, using `pkipath`. */
function tlsUri(pkipath: string, extra = '', port = tlsPort, d = daemon): string {
  const node = writeTestNodeXml(path.join(d.dir, 'nodes'));
  return `test+tls://127.0.0.1:${port}${node}?pkipath=${pkipath}${extra}`;
}

async function failure(uri: string): Promise<Error> {
  const err = await connect(uri, { timeout: 15_000 }).then(
    async (c) => {
      await c.close();
      return new Error('connected, but should not have');
    },
    (e: unknown) => e as Error,
  );
  return err;
}

describe('TLS transport', () => {
  it('answers the basic calls and agrees with python3-libvirt over the same URI', async () => {
    const uri = tlsUri(pki.clientDir);
    await using conn = await connect(uri, { timeout: 15_000 });
    expect(conn.plan.transport).toBe('tls');
    expect(await expectAgreesWithPython(uri, { timeout: 15_000 })).toContain('test');
  });

  it('reaches the session QEMU driver too (qemu+tls://.../session)', async () => {
    const uri = `qemu+tls://127.0.0.1:${tlsPort}/session?pkipath=${pki.clientDir}`;
    await using conn = await connect(uri, { timeout: 30_000 });
    const oracle = await pyLibvirt<number>(uri, 'result = conn.getLibVersion()');
    expect(Number(await conn.raw.connectGetLibVersion())).toBe(oracle);
  });

  it('refuses a server certificate from another CA, naming the reason', async () => {
    const other = await createCa(path.join(pki.dir, 'other-ca'), 'some other CA');
    const dir = pki.clientDirWith('other-ca-trust', { cacert: other.certPath });
    // Our client certificate is not from that CA either: the sanity check would catch that first.
    const err = await failure(tlsUri(dir, '&no_sanity=1'));
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).reason).toBe('untrusted');
    expect(err.message).toMatch(/hasn't got a known issuer/);
    expect(err.message).toContain(path.join(dir, 'cacert.pem'));
    // The C client refuses it too.
    await expect(pyLibvirt(tlsUri(dir, '&no_sanity=1'), 'result = 1')).rejects.toThrow();
  });

  it('with the sanity check on, refuses a client certificate that our CA did not issue', async () => {
    const other = await createCa(path.join(pki.dir, 'other-ca2'), 'another CA');
    const dir = pki.clientDirWith('other-ca-trust2', { cacert: other.certPath });
    const err = await failure(tlsUri(dir));
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).reason).toBe('local-certificate');
    expect(err.message).toContain(`Our own certificate ${path.join(dir, 'clientcert.pem')} failed validation against ${path.join(dir, 'cacert.pem')}`);
  });

  it('refuses a certificate that does not name the host, and accepts it with no_verify=1', async () => {
    const err = await failure(tlsUri(pki.clientDir, '', wrongNamePort, wrongNameDaemon));
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).reason).toBe('hostname-mismatch');
    expect(err.message).toContain('does not match the hostname 127.0.0.1');
    expect(err.message).toContain('wrong.example');

    const uri = tlsUri(pki.clientDir, '&no_verify=1', wrongNamePort, wrongNameDaemon);
    await using conn = await connect(uri, { timeout: 15_000 });
    const oracle = await pyLibvirt<string>(uri, 'result = conn.getHostname()');
    expect(await conn.raw.connectGetHostname()).toBe(oracle);
  });

  it('names a missing client certificate (its key being there)', async () => {
    const dir = pki.clientDirWith('no-cert', { clientcert: null });
    const err = await failure(tlsUri(dir));
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).reason).toBe('missing-file');
    expect((err as TlsError).file).toBe(path.join(dir, 'clientcert.pem'));
    expect(err.message).toContain(`Certificate '${path.join(dir, 'clientcert.pem')}' does not exist`);
  });

  it("without any client certificate, reports the daemon's refusal and the missing files", async () => {
    const dir = pki.clientDirWith('no-identity', { clientcert: null, clientkey: null });
    const err = await failure(tlsUri(dir));
    expect(err).toBeInstanceOf(TlsError);
    expect(['server-refused', 'handshake']).toContain((err as TlsError).reason);
    expect(err.message).toContain(`no client certificate was sent: ${path.join(dir, 'clientcert.pem')}`);
  });

  it('names a missing CA certificate', async () => {
    const dir = pki.clientDirWith('no-ca', { cacert: null });
    const err = await failure(tlsUri(dir));
    expect(err).toBeInstanceOf(TlsError);
    expect(err.message).toContain(`Cannot read CA certificate '${path.join(dir, 'cacert.pem')}'`);
    expect((err as TlsError).errno).toBe('ENOENT');
  });

  it('names an expired client certificate; with no_sanity=1 the daemon refuses it instead', async () => {
    const expired = await pki.ca.issue({
      kind: 'client',
      outDir: path.join(pki.dir, 'expired-src'),
      notBefore: new Date(Date.now() - 10 * 86400_000),
      notAfter: new Date(Date.now() - 86400_000),
    });
    const dir = pki.clientDirWith('expired', { clientcert: expired.certPath, clientkey: expired.keyPath });
    const err = await failure(tlsUri(dir));
    expect(err).toBeInstanceOf(TlsError);
    expect(err.message).toContain(`The client certificate ${path.join(dir, 'clientcert.pem')} has expired`);

    const err2 = await failure(tlsUri(dir, '&no_sanity=1'));
    expect(err2).toBeInstanceOf(TlsError);
    expect(['server-refused', 'handshake']).toContain((err2 as TlsError).reason);
  });

  it('names a key that does not belong to the certificate', async () => {
    const another = await pki.ca.issue({ kind: 'client', outDir: path.join(pki.dir, 'another-client') });
    const dir = pki.clientDirWith('mismatched', { clientkey: another.keyPath });
    const err = await failure(tlsUri(dir));
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).reason).toBe('bad-file');
    expect(err.message).toContain(path.join(dir, 'clientkey.pem'));
    expect(err.message).toContain('does not belong to the certificate');
  });

  it('bounds a server that never answers the handshake (timeout, abort), and refused ports', async () => {
    const silent = net.createServer((s) => s.on('error', () => {}).resume());
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const plan = planRemoteConnection(`test+tls://127.0.0.1:${port}/default?pkipath=${pki.clientDir}`);
      const t0 = Date.now();
      await expect(dialTls(plan, { timeout: 300 })).rejects.toBeInstanceOf(TimeoutError);
      expect(Date.now() - t0).toBeLessThan(5000);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 200);
      await expect(dialTls(plan, { signal: ac.signal })).rejects.toBeInstanceOf(AbortError);
    } finally {
      await new Promise<void>((r) => silent.close(() => r()));
    }
    const closedPort = await freePort();
    const err = await failure(`test+tls://127.0.0.1:${closedPort}/default?pkipath=${pki.clientDir}`);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toContain('connection refused');
  });

  it('rejects pending calls when the TLS daemon dies', async () => {
    const port = await freePort();
    const d = await startExtraDaemon({ label: 'tlsdie', listenTls: true, confOverrides: pki.daemonConf(port) });
    const conn = await connect(tlsUri(pki.clientDir, '', port, d), { timeout: 15_000, keepalive: false });
    d.kill('SIGSTOP');
    const pending = conn.raw.connectGetHostname();
    d.kill('SIGKILL');
    await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError);
    await conn.close().catch(() => {});
  });
});

describe('TLS credentials given in memory', () => {
  const read = (f: string): string => fs.readFileSync(path.join(pki.clientDir, f), 'utf8');

  it('CA, certificate and key as PEM text (no files at pkipath) connect as the files do', async () => {
    const empty = fs.mkdtempSync(path.join(pki.dir, 'empty-pki-'));
    const uri = tlsUri(empty);
    await using conn = await connect(uri, {
      timeout: 15_000,
      tls: { ca: read('cacert.pem'), cert: Buffer.from(read('clientcert.pem')), key: read('clientkey.pem') },
    });
    const oracle = await pyLibvirt<number>(tlsUri(pki.clientDir), 'result = conn.getLibVersion()');
    expect(Number(await conn.raw.connectGetLibVersion())).toBe(oracle);
    // Without them, the files are missing.
    const err = await failure(uri);
    expect((err as TlsError).reason).toBe('missing-file');
  });

  it('the same checks apply: a wrong CA in memory is refused, a certificate without its key too', async () => {
    const other = await createCa(path.join(pki.dir, 'other-ca-mem'), 'another CA');
    const err = await connect(tlsUri(pki.clientDir, '&no_sanity=1'), { timeout: 15_000, tls: { ca: fs.readFileSync(other.certPath) } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).reason).toBe('untrusted');
    expect((err as TlsError).message).toContain('<CA certificate given in memory>');
    const half = await connect(tlsUri(pki.clientDir), { timeout: 15_000, tls: { cert: read('clientcert.pem') } }).catch((e: unknown) => e);
    expect(half).toBeInstanceOf(TlsError);
    expect((half as Error).message).toMatch(/given in memory without its key/);
  });
});
