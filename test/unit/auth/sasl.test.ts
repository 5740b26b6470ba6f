/**
 * The SASL exchange of remoteAuthSASL against scripted daemons: mechanism choice, `nil` vs empty
 * data, the signed `char data<>` conversion, the final client step that checks the daemon, and
 * errors (from the daemon, and on this side).
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, ScramError } from '../../../src/auth/errors.js';
import {
  authenticateSasl,
  bytesToSaslData,
  chooseMechanism,
  isSecureTransport,
  parseMechanismList,
  saslDataToBytes,
  type SaslAuthOptions,
} from '../../../src/auth/sasl.js';
import { LibvirtError, VIR_ERR_AUTH_FAILED, VIR_FROM_RPC } from '../../../src/index.js';
import type { RpcClient } from '../../../src/rpc/client.js';

describe('char data<> conversion', () => {
  it('maps every byte to a signed char and back', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const data = bytesToSaslData(all);
    expect(data[0x41]).toBe(0x41);
    expect(data[0x80]).toBe(-128);
    expect(data[0xff]).toBe(-1);
    expect(Math.min(...data)).toBe(-128);
    expect(Math.max(...data)).toBe(127);
    expect(saslDataToBytes(data).equals(all)).toBe(true);
    // Unsigned values (from a peer that sends them so) are taken too.
    expect([...saslDataToBytes([200, -56])]).toEqual([200, 200]);
  });
});

describe('mechanism choice', () => {
  it('parses comma- or space-separated lists', () => {
    expect(parseMechanismList('SCRAM-SHA-256,PLAIN')).toEqual(['SCRAM-SHA-256', 'PLAIN']);
    expect(parseMechanismList(' DIGEST-MD5 GSSAPI, PLAIN ')).toEqual(['DIGEST-MD5', 'GSSAPI', 'PLAIN']);
    expect(parseMechanismList('')).toEqual([]);
  });

  it('prefers SCRAM-SHA-256 > SCRAM-SHA-1 > PLAIN among what the daemon offers', () => {
    expect(chooseMechanism('PLAIN,SCRAM-SHA-1,SCRAM-SHA-256,DIGEST-MD5', { secure: true })).toBe('SCRAM-SHA-256');
    expect(chooseMechanism('PLAIN,SCRAM-SHA-1', { secure: true })).toBe('SCRAM-SHA-1');
    expect(chooseMechanism('DIGEST-MD5,PLAIN', { secure: true })).toBe('PLAIN');
  });

  it('takes auth=sasl.<mech> in any case, and says why when it cannot', () => {
    expect(chooseMechanism('SCRAM-SHA-256,PLAIN', { secure: true, wanted: 'plain' })).toBe('PLAIN');
    expect(() => chooseMechanism('SCRAM-SHA-256,PLAIN', { secure: true, wanted: 'GSSAPI' })).toThrow(
      /SASL mechanism GSSAPI not supported by server \(it offers: SCRAM-SHA-256, PLAIN\)/,
    );
    expect(() => chooseMechanism('DIGEST-MD5,PLAIN', { secure: true, wanted: 'digest-md5' })).toThrow(/not implemented by libvirt-rpc/);
  });

  it("names the daemon's list when nothing matches", () => {
    let err: unknown;
    try {
      chooseMechanism('GSSAPI,DIGEST-MD5', { secure: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('VIR_ERR_AUTH_FAILED');
    expect((err as AuthenticationError).reason).toBe('no-mechanism');
    expect((err as Error).message).toContain('GSSAPI, DIGEST-MD5');
    expect((err as Error).message).toContain('SCRAM-SHA-256, SCRAM-SHA-1, PLAIN');
  });

  it('uses nothing over an insecure transport (libvirt wants a security layer there)', () => {
    expect(() => chooseMechanism('SCRAM-SHA-256,PLAIN', { secure: false })).toThrow(/unencrypted transport.*SCRAM-SHA-256, PLAIN/);
    expect(() => chooseMechanism('SCRAM-SHA-256', { secure: false, wanted: 'SCRAM-SHA-256' })).toThrow(AuthenticationError);
  });

  it('knows which transports libvirt calls secure', () => {
    for (const t of ['unix', 'tls', 'ssh', 'libssh', 'libssh2'] as const) expect(isSecureTransport(t), t).toBe(true);
    for (const t of ['tcp', 'ext'] as const) expect(isSecureTransport(t), t).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// A scripted daemon behind a fake RpcClient

type Call = { name: string; args: unknown };
type Reply = unknown | (() => never);

function fakeClient(handlers: Record<string, (args: unknown, n: number) => Reply>): { client: RpcClient; calls: Call[] } {
  const calls: Call[] = [];
  const counts: Record<string, number> = {};
  const client = {
    call: async (proc: { name: string }, args: unknown) => {
      calls.push({ name: proc.name, args });
      const n = (counts[proc.name] = (counts[proc.name] ?? 0) + 1);
      const h = handlers[proc.name];
      if (!h) throw new Error(`no handler for ${proc.name}`);
      return h(args, n);
    },
  };
  return { client: client as unknown as RpcClient, calls };
}

function daemonError(message: string, procedure: string): LibvirtError {
  return new LibvirtError(
    { code: VIR_ERR_AUTH_FAILED, domain: VIR_FROM_RPC, message, level: 2, dom: null, str1: null, str2: null, str3: null, int1: -1, int2: -1, net: null },
    procedure,
  );
}

const data = (s: string | Buffer) => ({ nil: 0, data: bytesToSaslData(Buffer.from(s)) });
const text = (d: { data: number[] }) => saslDataToBytes(d.data).toString('utf8');
const base: SaslAuthOptions = { transport: 'unix', credentials: { username: 'alice', password: 'pässword' }, env: {} };

/** A SCRAM-SHA-256 server for the password, as a set of handlers; `tamper` changes its final message. */
function scramDaemon(password: string, opts: { tamper?: (v: string) => string; completeEarly?: boolean } = {}) {
  const salt = Buffer.from('saltsalt');
  let authMessage = '';
  let clientFirstBare = '';
  let serverFirst = '';
  return {
    REMOTE_PROC_AUTH_SASL_INIT: () => ({ mechlist: 'DIGEST-MD5,SCRAM-SHA-256,PLAIN' }),
    REMOTE_PROC_AUTH_SASL_START: (args: unknown) => {
      const a = args as { mech: string; nil: number; data: number[] };
      clientFirstBare = text(a).replace(/^n,[^,]*,/, '');
      const nonce = /r=([^,]*)/.exec(clientFirstBare)![1]!;
      serverFirst = `r=${nonce}SERVER,s=${salt.toString('base64')},i=4096`;
      return { complete: opts.completeEarly ? 1 : 0, ...data(serverFirst) };
    },
    REMOTE_PROC_AUTH_SASL_STEP: (args: unknown) => {
      const final = text(args as { data: number[] });
      const withoutProof = final.replace(/,p=.*/, '');
      authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const salted = pbkdf2Sync(Buffer.from(password), salt, 4096, 32, 'sha256');
      const clientKey = createHmac('sha256', salted).update('Client Key').digest();
      const stored = createHash('sha256').update(clientKey).digest();
      const proof = Buffer.from(/p=(.*)$/.exec(final)![1]!, 'base64');
      const sig = createHmac('sha256', stored).update(authMessage).digest();
      const recovered = createHash('sha256')
        .update(Buffer.from(proof.map((b, i) => b ^ sig[i]!)))
        .digest();
      if (!recovered.equals(stored)) throw daemonError('authentication failed: authentication failed', 'REMOTE_PROC_AUTH_SASL_STEP');
      const v = `v=${createHmac('sha256', createHmac('sha256', salted).update('Server Key').digest()).update(authMessage).digest('base64')}`;
      return { complete: 1, ...data(opts.tamper ? opts.tamper(v) : v) };
    },
  };
}

describe('authenticateSasl', () => {
  it("runs INIT, START, STEP for SCRAM-SHA-256 and verifies the daemon, with the password's UTF-8 bytes (as Cyrus)", async () => {
    const { client, calls } = fakeClient(scramDaemon('pässword'));
    const result = await authenticateSasl(client, base);
    expect(result).toEqual({ mechanism: 'SCRAM-SHA-256', authname: 'alice' });
    expect(calls.map((c) => c.name)).toEqual(['REMOTE_PROC_AUTH_SASL_INIT', 'REMOTE_PROC_AUTH_SASL_START', 'REMOTE_PROC_AUTH_SASL_STEP']);
    const start = calls[1]!.args as { mech: string; nil: number; data: number[] };
    expect(start.mech).toBe('SCRAM-SHA-256');
    expect(start.nil).toBe(0);
    expect(text(start)).toMatch(/^n,,n=alice,r=/);
  });

  it("passes the daemon's refusal (wrong password) through as its LibvirtError, and stops", async () => {
    const { client, calls } = fakeClient(scramDaemon('other'));
    const err = await authenticateSasl(client, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect(err).not.toBeInstanceOf(AuthenticationError);
    expect((err as LibvirtError).code).toBe('VIR_ERR_AUTH_FAILED');
    expect(calls).toHaveLength(3);
  });

  it("fails when the daemon's final signature is wrong, even though it says complete", async () => {
    const { client, calls } = fakeClient(scramDaemon('pässword', { tamper: (v) => v.slice(0, 4) + (v[4] === 'A' ? 'B' : 'A') + v.slice(5) }));
    const err = await authenticateSasl(client, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).reason).toBe('negotiation');
    expect((err as Error).message).toMatch(/server signature is wrong/);
    expect((err as Error).cause).toBeInstanceOf(ScramError);
    expect(calls).toHaveLength(3);
  });

  it('fails when the daemon claims completion after START (before the client could check it)', async () => {
    const { client } = fakeClient(scramDaemon('pässword', { completeEarly: true }));
    await expect(authenticateSasl(client, base)).rejects.toThrow(/declared success before the exchange was complete/);
  });

  it('fails on a malformed server-first-message with the SCRAM reason', async () => {
    const { client } = fakeClient({
      ...scramDaemon('x'),
      REMOTE_PROC_AUTH_SASL_START: () => ({ complete: 0, ...data('r=not-our-nonce,s=c2FsdA==,i=1') }),
    });
    const err = (await authenticateSasl(client, base).catch((e: unknown) => e)) as AuthenticationError;
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.message).toMatch(/SCRAM-SHA-256: server-first-message: the nonce does not extend/);
    expect((err.cause as ScramError).code).toBe('SCRAM_MALFORMED');
  });

  it('fails when the daemon sends nil where SCRAM needs a message', async () => {
    const { client } = fakeClient({ ...scramDaemon('x'), REMOTE_PROC_AUTH_SASL_START: () => ({ complete: 0, nil: 1, data: [] }) });
    await expect(authenticateSasl(client, base)).rejects.toThrow(/no data/);
  });

  it('PLAIN: one START with authzid NUL authname NUL password, done when the daemon says complete', async () => {
    const { client, calls } = fakeClient({
      REMOTE_PROC_AUTH_SASL_INIT: () => ({ mechlist: 'PLAIN' }),
      REMOTE_PROC_AUTH_SASL_START: () => ({ complete: 1, nil: 1, data: [] }),
    });
    await authenticateSasl(client, { ...base, credentials: { username: 'alice', password: 'pässword', authzid: 'admin' } });
    const start = calls[1]!.args as { mech: string; nil: number; data: number[] };
    expect(start.mech).toBe('PLAIN');
    expect(saslDataToBytes(start.data).equals(Buffer.from('admin\0alice\0pässword'))).toBe(true);
    expect(start.data.some((b) => b < 0)).toBe(true); // ä is sent as signed chars
  });

  it('uses auth=sasl.<mech> when given', async () => {
    const { client, calls } = fakeClient({
      REMOTE_PROC_AUTH_SASL_INIT: () => ({ mechlist: 'SCRAM-SHA-256,PLAIN' }),
      REMOTE_PROC_AUTH_SASL_START: () => ({ complete: 1, nil: 1, data: [] }),
    });
    await authenticateSasl(client, { ...base, mechanism: 'plain' });
    expect((calls[1]!.args as { mech: string }).mech).toBe('PLAIN');
  });

  it('over TCP fails after INIT, before asking for or sending any credential', async () => {
    let asked = false;
    const { client, calls } = fakeClient({ REMOTE_PROC_AUTH_SASL_INIT: () => ({ mechlist: 'DIGEST-MD5,GSSAPI' }) });
    const err = await authenticateSasl(client, {
      ...base,
      transport: 'tcp',
      credentials: () => {
        asked = true;
        return [];
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toContain('DIGEST-MD5, GSSAPI');
    expect(asked).toBe(false);
    expect(calls.map((c) => c.name)).toEqual(['REMOTE_PROC_AUTH_SASL_INIT']);
  });

  it('takes credentials from the auth.conf named by LIBVIRT_AUTH_FILE in the given env, for the URI host', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'lvrpc-sasl-unit-'));
    try {
      const file = join(dir, 'auth.conf');
      writeFileSync(file, '[credentials-x]\nauthname=alice\npassword=pässword\n[auth-libvirt-host.example]\ncredentials=x\n');
      const { client } = fakeClient(scramDaemon('pässword'));
      const r = await authenticateSasl(client, { transport: 'tls', hostname: 'host.example', env: { LIBVIRT_AUTH_FILE: file } });
      expect(r.authname).toBe('alice');
      // Another host has no entry: nothing can answer.
      const { client: c2 } = fakeClient(scramDaemon('pässword'));
      await expect(authenticateSasl(c2, { transport: 'tls', hostname: 'other', env: { LIBVIRT_AUTH_FILE: file } })).rejects.toThrow(
        /No authentication callback available/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
