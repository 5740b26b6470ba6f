/**
 * Host key checks of the in-process SSH client against a real sshd (two host keys: ed25519 and
 * RSA), each known_hosts file also given to OpenSSH's `ssh` (StrictHostKeyChecking=yes,
 * BatchMode): both must accept or refuse, and for the same reason (unknown, changed, revoked).
 * Keys recorded by known_hosts_verify=auto and by +ssh's accept-new (hashed, as HashKnownHosts
 * asks) must then be accepted by OpenSSH.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type PrivateDaemon } from '../../harness/daemon.js';
import { generateKeyPair, SSH, startSshd, type Sshd } from '../../harness/sshd.js';
import { connect, SshTransportError } from '../../src/index.js';
import { startExtraDaemon } from './env.js';

let work: string;
let env: Record<string, string>;
let daemon: PrivateDaemon;
let sshd: Sshd;
let key: string;
let ed: string;
let rsa: string;
let other: string;
let otherEcdsa: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-kh-'));
  fs.mkdirSync(path.join(work, 'empty-path'));
  fs.mkdirSync(path.join(work, 'home'));
  env = { ...(process.env as Record<string, string>), PATH: path.join(work, 'empty-path'), HOME: path.join(work, 'home') };
  delete env.SSH_AUTH_SOCK;
  daemon = await startExtraDaemon({ label: 'knownhosts' });
  const rsaHost = await generateKeyPair(path.join(work, 'hostkeys'), 'rsa_host', 'rsa');
  sshd = await startSshd({ extraConfig: [`HostKey ${rsaHost.privatePath}`] });
  key = sshd.clientKey!.privatePath;
  ed = sshd.hostKeyText;
  rsa = rsaHost.publicLine.split(' ').slice(0, 2).join(' ');
  other = (await generateKeyPair(path.join(work, 'other'), 'k')).publicLine.split(' ').slice(0, 2).join(' ');
  otherEcdsa = (await generateKeyPair(path.join(work, 'other'), 'e', 'ecdsa')).publicLine.split(' ').slice(0, 2).join(' ');
});

afterAll(async () => {
  await sshd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

type Verdict = 'ok' | 'unknown' | 'changed' | 'revoked';

let n = 0;
function file(text: string, hash = false): string {
  const f = path.join(work, `kh-${++n}`);
  fs.writeFileSync(f, text);
  if (hash) execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'pipe' }); // its note about the .old backup is not for us
  return f;
}

/** OpenSSH's verdict: ssh with only this known_hosts file, strict checking, no prompts. */
async function openssh(knownHosts: string): Promise<Verdict> {
  const r = await run(
    SSH,
    [
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'UpdateHostKeys=no',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityAgent=none',
      '-o',
      'CheckHostIP=no',
      '-i',
      key,
      '-p',
      String(sshd.port),
      'lvtest@127.0.0.1',
      'true',
    ],
    { timeoutMs: 20_000 },
  );
  if (r.code === 0) return 'ok';
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(r.stderr)) return 'changed';
  if (/REVOKED HOST KEY/.test(r.stderr)) return 'revoked';
  if (/No \S+ host key is known/.test(r.stderr)) return 'unknown';
  throw new Error(`unexpected ssh failure (${r.code}): ${r.stderr}`);
}

/** Ours: +libssh2 in process with this known_hosts file (known_hosts_verify=normal, no callback). */
async function ours(knownHosts: string): Promise<{ verdict: Verdict; err: SshTransportError | null }> {
  const u = `test+libssh2://lvtest@127.0.0.1:${sshd.port}/default?socket=${daemon.socketPath}&keyfile=${key}&known_hosts=${knownHosts}&sshauth=privkey`;
  try {
    await using conn = await connect(u, { timeout: 20_000, env });
    await conn.raw.connectGetHostname();
    return { verdict: 'ok', err: null };
  } catch (e) {
    expect(e).toBeInstanceOf(SshTransportError);
    const err = e as SshTransportError;
    expect(err.failure).toBe('host-key');
    const status = err.hostKey!.status;
    return { verdict: status === 'cert-authority' ? 'unknown' : (status as Verdict), err };
  }
}

describe('known_hosts: the in-process client decides as OpenSSH does', () => {
  const host = (): string => `[127.0.0.1]:${sshd.port}`;
  const cases: [string, () => string, Verdict][] = [
    ['an empty file', () => file(''), 'unknown'],
    ['[host]:port with the key', () => file(`${host()} ${ed}\n`), 'ok'],
    ['a hashed [host]:port entry', () => file(`${host()} ${ed}\n`, true), 'ok'],
    ['the bare host (no port) with the key', () => file(`127.0.0.1 ${ed}\n`), 'ok'],
    ['a wildcard pattern', () => file(`[127.0.0.?]:* ${ed}\n`), 'ok'],
    ['a pattern list that negates [host]:port (the bare-host retry still matches *)', () => file(`*,![127.0.0.1]:* ${ed}\n`), 'ok'],
    ['a pattern list that negates both names', () => file(`*,![127.0.0.1]:*,!127.0.0.1 ${ed}\n`), 'unknown'],
    ['an entry for another port only', () => file(`[127.0.0.1]:1 ${ed}\n`), 'unknown'],
    ['another key for [host]:port', () => file(`${host()} ${other}\n`), 'changed'],
    ['another key, hashed', () => file(`${host()} ${other}\n`, true), 'changed'],
    ['the key, and @revoked for it', () => file(`${host()} ${ed}\n@revoked * ${ed}\n`), 'revoked'],
    ['several keys: only the RSA host key known', () => file(`${host()} ${rsa}\n`), 'ok'],
    ['several keys: a wrong one and the right one', () => file(`${host()} ${other}\n${host()} ${ed}\n`), 'ok'],
    ['a key of another type only', () => file(`${host()} ${otherEcdsa}\n`), 'changed'],
    ['a @cert-authority entry only', () => file(`@cert-authority * ${other}\n`), 'unknown'],
  ];
  it.each(cases)('%s', async (_name, make, expected) => {
    const f = make();
    const theirs = await openssh(f);
    const { verdict } = await ours(f);
    expect(theirs).toBe(expected);
    expect(verdict).toBe(theirs);
  });

  it('an unknown key is refused with its SHA256 fingerprint and the line that trusts it (which both then accept)', async () => {
    const f = file('');
    const { err } = await ours(f);
    const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', sshd.hostKey.publicPath], { encoding: 'utf8' }).split(' ')[1]!;
    expect(err!.hostKey).toMatchObject({ status: 'unknown', fingerprint: fp, keyType: 'ssh-ed25519', knownHostsLine: `${host()} ${ed}`, file: f });
    expect(err!.message).toContain(fp);
    expect(err!.message).toContain(`${host()} ${ed}`);
    fs.appendFileSync(f, `${err!.hostKey!.knownHostsLine}\n`);
    expect(await openssh(f)).toBe('ok');
    expect((await ours(f)).verdict).toBe('ok');
  });

  it('a changed key is refused even with known_hosts_verify=auto, and the file is left alone', async () => {
    const f = file(`${host()} ${other}\n`);
    const u = `test+libssh2://lvtest@127.0.0.1:${sshd.port}/default?socket=${daemon.socketPath}&keyfile=${key}&known_hosts=${f}&known_hosts_verify=auto`;
    const err = (await connect(u, { timeout: 20_000, env }).catch((e: unknown) => e)) as SshTransportError;
    expect(err.hostKey?.status).toBe('changed');
    expect(err.message).toMatch(/SSH HOST KEY VERIFICATION FAILED.*has changed/);
    expect(err.hostKey?.entry).toBe(`${f}:1`);
    expect(fs.readFileSync(f, 'utf8')).toBe(`${host()} ${other}\n`);
  });

  it('a @cert-authority-only host is refused with a message that says certificates are not supported', async () => {
    const { err } = await ours(file(`@cert-authority * ${other}\n`));
    expect(err!.hostKey?.status).toBe('cert-authority');
    expect(err!.message).toMatch(/host certificates are not supported/);
  });

  it("known_hosts_verify=auto records the key in OpenSSH's format, which OpenSSH then accepts", async () => {
    const f = path.join(work, 'auto', 'known_hosts'); // the directory does not exist yet
    const u = `test+libssh2://lvtest@127.0.0.1:${sshd.port}/default?socket=${daemon.socketPath}&keyfile=${key}&known_hosts=${f}&known_hosts_verify=auto`;
    const warnings: string[] = [];
    await using conn = await connect(u, { timeout: 20_000, env, onWarning: (w) => warnings.push(w) });
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
    expect(fs.readFileSync(f, 'utf8')).toBe(`${host()} ${ed}\n`);
    expect(warnings.join('\n')).toMatch(/Permanently added/);
    expect(await openssh(f)).toBe('ok');
  });

  it('+ssh in process with accept-new and HashKnownHosts records a hashed line, which OpenSSH then accepts', async () => {
    const home = path.join(work, 'home-hash');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
    fs.writeFileSync(path.join(home, '.ssh', 'config'), `Host *\n  StrictHostKeyChecking accept-new\n  HashKnownHosts yes\n  IdentityFile ${key}\n`);
    const u = `test+ssh://lvtest@127.0.0.1:${sshd.port}/default?socket=${daemon.socketPath}`;
    await using conn = await connect(u, { timeout: 20_000, env: { ...env, HOME: home }, onWarning: () => {} });
    expect(conn.plan.ssh?.implementation).toBe('in-process');
    const recorded = fs.readFileSync(path.join(home, '.ssh', 'known_hosts'), 'utf8');
    expect(recorded).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 \S+\n$/);
    expect(await openssh(path.join(home, '.ssh', 'known_hosts'))).toBe('ok');
  });

  it('known hosts given in memory, and a verifier told the known_hosts verdict', async () => {
    const u = `test+libssh2://lvtest@127.0.0.1:${sshd.port}/default?socket=${daemon.socketPath}&keyfile=${key}&sshauth=privkey`;
    {
      await using conn = await connect(u, { timeout: 20_000, env, ssh: { knownHosts: `${host()} ${ed}\n` } });
      expect(await conn.raw.connectGetHostname()).toBeTruthy();
    }
    const seen: string[] = [];
    const verifier = (q: { knownHosts: string; fingerprint: string }) => {
      seen.push(q.knownHosts);
      return q.fingerprint.startsWith('SHA256:');
    };
    {
      await using conn = await connect(u, { timeout: 20_000, env, ssh: { knownHosts: '', hostVerifier: verifier } });
      expect(await conn.raw.connectGetHostname()).toBeTruthy();
    }
    const err = (await connect(u, { timeout: 20_000, env, ssh: { knownHosts: `${host()} ${ed}\n`, hostVerifier: () => false } }).catch(
      (e: unknown) => e,
    )) as SshTransportError;
    expect(err.hostKey?.status).toBe('refused');
    expect(seen).toEqual(['unknown']);
  });
});
