/**
 * SASL against the real daemon: a private libvirtd with `auth_unix_rw = "sasl"` (and
 * `auth_tcp = "sasl"` and `auth_tls = "sasl"`), Cyrus SASL with SCRAM-SHA-256, SCRAM-SHA-1, PLAIN and DIGEST-MD5 from a
 * sasldb made by saslpasswd2. python3-libvirt and virsh (the C client) log in to the same daemon
 * with the same credentials, which proves the setup.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../src/auth/errors.js';
import { connect, LibvirtError, VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_USERNAME, type ConnectOptions } from '../../src/index.js';
import { freePort } from '../../harness/daemon.js';
import { createTestPki, type TestPki } from '../../harness/pki.js';
import { authConfText, startSaslDaemon, type SaslDaemon } from '../../harness/sasl.js';
import { OracleError, pyLibvirt, virsh } from './oracle.js';

const ALICE = { username: 'alice', password: 'correct horse battery staple' };
/** A password SASLprep would change (NBSP → space, Ⅸ → IX): Cyrus hashes its bytes as given. */
const BOB = { username: 'bob', password: 'p\u00e4ss\u00a0w\u2168rd' };

let s: SaslDaemon;
let pki: TestPki;
let unixUri: string;
let tcpUri: string;
let tlsUri: string;
/** Environment without a LIBVIRT_AUTH_FILE or user auth.conf that could answer for us. */
let cleanEnv: Record<string, string | undefined>;

beforeAll(async () => {
  pki = await createTestPki();
  const tlsPort = await freePort();
  s = await startSaslDaemon({
    mechanisms: ['scram-sha-256', 'scram-sha-1', 'plain', 'digest-md5'],
    users: { [ALICE.username]: ALICE.password, [BOB.username]: BOB.password },
    daemon: { listenTls: true, confOverrides: { ...pki.daemonConf(tlsPort), auth_tcp: '"sasl"', auth_tls: '"sasl"' } },
  });
  unixUri = s.daemon.uris.testDefaultUnix;
  tcpUri = s.daemon.uris.testDefaultTcp;
  tlsUri = `test+tls://127.0.0.1:${tlsPort}/default?pkipath=${pki.clientDir}`;
  const emptyConfig = path.join(s.sasl.dir, 'xdg-config');
  fs.mkdirSync(emptyConfig, { recursive: true });
  cleanEnv = { ...process.env, LIBVIRT_AUTH_FILE: undefined, XDG_CONFIG_HOME: emptyConfig };
});

afterAll(async () => {
  await s?.stop();
  pki?.remove();
});

function opts(extra: ConnectOptions = {}): ConnectOptions {
  return { env: cleanEnv, timeout: 20_000, ...extra };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** Socket handles of this process (unix: PipeWrap, TCP: TCPSocketWrap): a failed connect() must leave none behind. */
function socketHandles(kind: 'PipeWrap' | 'TCPSocketWrap'): number {
  return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}

describe('SASL over the unix socket', () => {
  it('logs in with the right password (SCRAM-SHA-256 by default) and calls work, as python3-libvirt does', async () => {
    await using conn = await connect(unixUri, opts({ credentials: ALICE }));
    const [hostname, version] = await Promise.all([conn.raw.connectGetHostname(), conn.raw.connectGetLibVersion()]);
    const oracle = await pyLibvirt<{ host: string; lib: number }>(
      `${unixUri}&auth=sasl.SCRAM-SHA-256`,
      'result = {"host": conn.getHostname(), "lib": conn.getLibVersion()}',
      undefined,
      { credentials: ALICE },
    );
    expect(hostname).toBe(oracle.host);
    expect(Number(version)).toBe(oracle.lib);
    const list = await conn.raw.connectListAllDomains(1, 0);
    expect(list.domains.map((d) => d.name)).toContain('test');
  });

  it.each(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN', 'scram-sha-1'])('logs in with auth=sasl.%s', async (mech) => {
    await using conn = await connect(`${unixUri}&auth=sasl.${mech}`, opts({ credentials: ALICE }));
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
  });

  it("rejects a wrong password with the daemon's own error, closes the connection, does not hang", async () => {
    const before = socketHandles('PipeWrap');
    const t0 = Date.now();
    const err = await rejection(connect(unixUri, opts({ credentials: { username: ALICE.username, password: 'wrong' } })));
    expect(Date.now() - t0).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(socketHandles('PipeWrap')).toBe(before);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).not.toBeInstanceOf(AuthenticationError);
    const e = err as LibvirtError;
    expect(e.code).toBe('VIR_ERR_AUTH_FAILED');
    expect(e.errorCode).toBe(45);
    expect(e.procedure).toBe('REMOTE_PROC_AUTH_SASL_STEP');
    // The C client reports the same message for the same daemon error.
    const py = (await rejection(pyLibvirt(unixUri, 'result = 1', undefined, { credentials: { username: ALICE.username, password: 'wrong' } }))) as OracleError;
    expect(py).toBeInstanceOf(OracleError);
    expect(py.stderr).toContain(`libvirt.libvirtError: ${e.message}`);
  });

  it('fails the same way for a user that does not exist, for every mechanism', async () => {
    for (const mech of ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']) {
      const err = await rejection(connect(`${unixUri}&auth=sasl.${mech}`, opts({ credentials: { username: 'mallory', password: 'secret' } })));
      expect(err, mech).toBeInstanceOf(LibvirtError);
      expect((err as LibvirtError).code, mech).toBe('VIR_ERR_AUTH_FAILED');
      expect((err as LibvirtError).message, mech).toBe('authentication failed: authentication failed');
    }
  });

  it('asks the credentials callback for the authentication name and the password, once', async () => {
    const asked: { type: number; prompt: string }[][] = [];
    await using conn = await connect(
      unixUri,
      opts({
        credentials: (requests) => {
          asked.push(requests.map((r) => ({ type: r.type, prompt: r.prompt })));
          return requests.map((r) => (r.type === VIR_CRED_AUTHNAME ? ALICE.username : ALICE.password));
        },
      }),
    );
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
    expect(asked).toEqual([
      [
        { type: VIR_CRED_AUTHNAME, prompt: 'Please enter your authentication name' },
        { type: VIR_CRED_PASSPHRASE, prompt: 'Please enter your password' },
      ],
    ]);
  });

  it('asks for an authorization name too when the callback lists VIR_CRED_USERNAME (virConnectAuth credtype)', async () => {
    const types: number[] = [];
    await using conn = await connect(
      unixUri,
      opts({
        credentials: {
          credtypes: [VIR_CRED_USERNAME, VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE],
          callback: (requests) => {
            types.push(...requests.map((r) => r.type));
            return requests.map((r) => (r.type === VIR_CRED_PASSPHRASE ? ALICE.password : ALICE.username));
          },
        },
      }),
    );
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
    expect(types).toEqual([VIR_CRED_USERNAME, VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE]);
  });

  it('fails with VIR_ERR_AUTH_FAILED when a callback refuses, and with no credentials at all', async () => {
    const refused = await rejection(connect(unixUri, opts({ credentials: () => [null, null] })));
    expect(refused).toBeInstanceOf(AuthenticationError);
    expect((refused as AuthenticationError).code).toBe('VIR_ERR_AUTH_FAILED');
    expect((refused as AuthenticationError).reason).toBe('credentials');
    const none = await rejection(connect(unixUri, opts()));
    expect(none).toBeInstanceOf(AuthenticationError);
    expect((none as Error).message).toMatch(/No authentication callback available/);
  });

  it('reads the credentials from LIBVIRT_AUTH_FILE, and from authfile= in the URI, as virsh does', async () => {
    const file = path.join(s.sasl.dir, 'alice-auth.conf');
    fs.writeFileSync(file, authConfText({ authname: ALICE.username, password: ALICE.password }), { mode: 0o644 });
    {
      await using conn = await connect(unixUri, opts({ env: { ...cleanEnv, LIBVIRT_AUTH_FILE: file } }));
      expect(await conn.raw.connectGetHostname()).toBeTruthy();
    }
    {
      await using conn = await connect(`${unixUri}&authfile=${file}`, opts());
      expect(await conn.raw.connectGetHostname()).toBeTruthy();
    }
    // The C client, with the same file.
    const out = await virsh(unixUri, ['hostname'], { env: { LIBVIRT_AUTH_FILE: file } });
    expect(out.trim()).toBeTruthy();
    // A file that gives a wrong password fails like a wrong password.
    const bad = path.join(s.sasl.dir, 'bad-auth.conf');
    fs.writeFileSync(bad, authConfText({ authname: ALICE.username, password: 'nope' }, 'default'));
    const err = await rejection(connect(unixUri, opts({ env: { ...cleanEnv, LIBVIRT_AUTH_FILE: bad } })));
    expect((err as LibvirtError).code).toBe('VIR_ERR_AUTH_FAILED');
  });

  it('sends a non-ASCII password as Cyrus SASL expects (its UTF-8 bytes, no SASLprep), as python3-libvirt does', async () => {
    await using conn = await connect(`${unixUri}&auth=sasl.SCRAM-SHA-256`, opts({ credentials: BOB }));
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
    await pyLibvirt(`${unixUri}&auth=sasl.SCRAM-SHA-256`, 'result = conn.getHostname()', undefined, { credentials: BOB });
    // The SASLprep'd form of the same password is a different password to this daemon.
    const prepped = { username: BOB.username, password: 'p\u00e4ss wIXrd' };
    const err = await rejection(connect(`${unixUri}&auth=sasl.SCRAM-SHA-256`, opts({ credentials: prepped })));
    expect((err as LibvirtError).code).toBe('VIR_ERR_AUTH_FAILED');
  });

  it("names the daemon's mechanisms when the one asked for is not offered or not implemented", async () => {
    const notOffered = await rejection(connect(`${unixUri}&auth=sasl.GSSAPI`, opts({ credentials: ALICE })));
    expect(notOffered).toBeInstanceOf(AuthenticationError);
    expect((notOffered as Error).message).toMatch(/GSSAPI not supported by server/);
    expect((notOffered as Error).message).toMatch(/SCRAM-SHA-256/);
    const notImplemented = await rejection(connect(`${unixUri}&auth=sasl.DIGEST-MD5`, opts({ credentials: ALICE })));
    expect(notImplemented).toBeInstanceOf(AuthenticationError);
    expect((notImplemented as AuthenticationError).reason).toBe('no-mechanism');
  });
});

describe('SASL over plain TCP', () => {
  it('refuses before sending any secret: the daemon only offers mechanisms with a security layer there', async () => {
    let asked = false;
    const before = socketHandles('TCPSocketWrap');
    const err = await rejection(
      connect(
        tcpUri,
        opts({
          credentials: () => {
            asked = true;
            return [ALICE.username, ALICE.password];
          },
        }),
      ),
    );
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('VIR_ERR_AUTH_FAILED');
    expect((err as AuthenticationError).reason).toBe('no-mechanism');
    expect((err as Error).message).toContain('DIGEST-MD5');
    expect(asked).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(socketHandles('TCPSocketWrap')).toBe(before);
  });
});

describe('SASL over TLS', () => {
  it('logs in with SCRAM-SHA-256 (TLS is secure: every mechanism goes), as python3-libvirt does', async () => {
    await using conn = await connect(tlsUri, opts({ credentials: ALICE }));
    expect(conn.plan.transport).toBe('tls');
    const hostname = await conn.raw.connectGetHostname();
    const oracle = await pyLibvirt<string>(`${tlsUri}&auth=sasl.SCRAM-SHA-256`, 'result = conn.getHostname()', undefined, {
      credentials: ALICE,
    });
    expect(hostname).toBe(oracle);
  });

  it.each(['SCRAM-SHA-1', 'PLAIN'])('logs in with auth=sasl.%s', async (mech) => {
    await using conn = await connect(`${tlsUri}&auth=sasl.${mech}`, opts({ credentials: ALICE }));
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
  });

  it("rejects a wrong password with the daemon's VIR_ERR_AUTH_FAILED", async () => {
    const err = await rejection(connect(tlsUri, opts({ credentials: { username: ALICE.username, password: 'wrong' } })));
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).code).toBe('VIR_ERR_AUTH_FAILED');
    expect((err as LibvirtError).procedure).toBe('REMOTE_PROC_AUTH_SASL_STEP');
  });

  it('reads auth.conf for the URI host ([auth-libvirt-127.0.0.1])', async () => {
    const file = path.join(s.sasl.dir, 'tls-auth.conf');
    fs.writeFileSync(file, authConfText({ authname: ALICE.username, password: ALICE.password }, '127.0.0.1'));
    await using conn = await connect(tlsUri, opts({ env: { ...cleanEnv, LIBVIRT_AUTH_FILE: file } }));
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
  });
});
