/**
 * `+ssh` without an `ssh` program: the in-process client with OpenSSH's configuration
 * (~/.ssh/config: Host aliases, HostName, User, Port, IdentityFile, ProxyJump with one and two
 * hops; ~/.ssh/known_hosts; the default identities; the agent), compared with python3-libvirt
 * running the real `ssh` program with the same configuration file. Jump hosts are real sshds;
 * one that refuses TCP forwarding proves the traffic goes through them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivateDaemon } from '../../harness/daemon.js';
import { generateKeyPair, SSH, startSshAgent, startSshd, type KeyPair, type Sshd } from '../../harness/sshd.js';
import { writeTestNodeXml } from '../../harness/test-driver.js';
import { connect, SshTransportError, VIR_CRED_ECHOPROMPT, type ConnectOptions, type CredentialRequest } from '../../src/index.js';
import { startExtraDaemon } from './env.js';
import { pyLibvirt } from './oracle.js';

let work: string;
let home: string;
let noSsh: Record<string, string>;
let daemon: PrivateDaemon;
let client: KeyPair;
let target: Sshd;
let jumpA: Sshd;
let jumpB: Sshd;
let closedJump: Sshd;
/** An ssh wrapper for python3-libvirt: the real ssh with the same config file. */
let wrapper: string;

function writeConfig(): void {
  const kh = path.join(home, '.ssh', 'known_hosts');
  fs.writeFileSync(
    path.join(home, '.ssh', 'config'),
    [
      'Host box',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      '  User lvtest',
      'Host via-one',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      '  User lvtest',
      `  ProxyJump lvtest@127.0.0.1:${jumpA.port}`,
      'Host via-two',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      '  User lvtest',
      `  ProxyJump lvtest@127.0.0.1:${jumpA.port},jb`,
      'Host jb',
      '  HostName 127.0.0.1',
      `  Port ${jumpB.port}`,
      '  User lvtest',
      'Host via-closed',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      '  User lvtest',
      `  ProxyJump lvtest@127.0.0.1:${closedJump.port}`,
      'Host with-proxycommand',
      '  ProxyCommand nc %h %p',
      'Host *',
      `  IdentityFile ${client.privatePath}`,
      '  IdentitiesOnly yes',
      '  IdentityAgent none',
      `  UserKnownHostsFile ${kh}`,
      '  GlobalKnownHostsFile /dev/null',
      '  BatchMode yes',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(kh, [target, jumpA, jumpB, closedJump].map((s) => s.knownHostsLine()).join('\n') + '\n');
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-fallback-'));
  home = path.join(work, 'home');
  fs.mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(work, 'empty-path'));
  noSsh = { ...(process.env as Record<string, string>), PATH: path.join(work, 'empty-path'), HOME: home, USER: 'root' };
  delete noSsh.SSH_AUTH_SOCK;
  daemon = await startExtraDaemon({ label: 'fallback' });
  client = await generateKeyPair(path.join(work, 'keys'), 'id_client');
  const authorizedKeys = [client.publicLine];
  [target, jumpA, jumpB, closedJump] = await Promise.all([
    startSshd({ authorizedKeys }),
    startSshd({ authorizedKeys }),
    startSshd({ authorizedKeys }),
    startSshd({ authorizedKeys, extraConfig: ['AllowTcpForwarding no'] }),
  ]);
  writeConfig();
  wrapper = path.join(work, 'ssh-wrapper');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${SSH} -F ${path.join(home, '.ssh', 'config')} "$@"\n`, { mode: 0o755 });
});

afterAll(async () => {
  await Promise.all([target, jumpA, jumpB, closedJump].map((s) => s?.stop()));
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function node(): string {
  return writeTestNodeXml(path.join(daemon.dir, 'nodes'));
}

type Facts = { lib: number; host: string; names: string[] };

/** Ours without ssh on PATH vs python3-libvirt with the ssh program and the same config (through `command=`). */
async function sameAsOpenSsh(host: string, options: ConnectOptions = {}): Promise<Facts> {
  const file = node();
  const ours = `test+ssh://${host}${file}?socket=${daemon.socketPath}`;
  await using conn = await connect(ours, { timeout: 30_000, env: noSsh, ...options });
  expect(conn.plan.ssh?.implementation).toBe('in-process');
  const facts: Facts = {
    lib: Number(await conn.raw.connectGetLibVersion()),
    host: await conn.raw.connectGetHostname(),
    names: (await conn.raw.connectListAllDomains(1, 0)).domains.map((d) => d.name).sort(),
  };
  const theirs = await pyLibvirt<Facts>(
    `${ours}&command=${wrapper}`,
    'result = {"lib": conn.getLibVersion(), "host": conn.getHostname(), "names": sorted(d.name() for d in conn.listAllDomains())}',
    undefined,
    { timeoutMs: 30_000 },
  );
  expect(facts).toEqual(theirs);
  expect(facts.names).toContain('test');
  return facts;
}

function acceptedLogins(s: Sshd): number {
  return (s.logTail(10_000).match(/Accepted publickey for lvtest/g) ?? []).length;
}

describe('+ssh in process with ~/.ssh/config', () => {
  it("a Host alias (HostName, User, Port, IdentityFile, known hosts from the config) equals OpenSSH's result", async () => {
    await sameAsOpenSsh('box');
  });

  it('conn.plan says which client ran; the option chooses explicitly', async () => {
    const u = `test+ssh://box/default?socket=${daemon.socketPath}`;
    {
      await using conn = await connect(u, { timeout: 30_000, env: { ...noSsh, PATH: process.env.PATH! }, ssh: { client: 'in-process' } });
      expect(conn.plan.ssh?.implementation).toBe('in-process');
      expect(await conn.raw.connectGetHostname()).toBeTruthy();
    }
    const planned = await connect(`${u}&command=${wrapper}`, { timeout: 30_000, env: { ...noSsh, PATH: process.env.PATH! } });
    expect(planned.plan.ssh?.implementation).toBe('program');
    await planned.close();
  });

  it('the default identities (~/.ssh/id_ed25519) and ~/.ssh/known_hosts, without a config', async () => {
    const bare = path.join(work, 'bare-home');
    fs.mkdirSync(path.join(bare, '.ssh'), { recursive: true });
    fs.copyFileSync(client.privatePath, path.join(bare, '.ssh', 'id_ed25519'));
    fs.writeFileSync(path.join(bare, '.ssh', 'known_hosts'), `${target.knownHostsLine()}\n`);
    const u = `test+ssh://lvtest@127.0.0.1:${target.port}/default?socket=${daemon.socketPath}`;
    await using conn = await connect(u, { timeout: 30_000, env: { ...noSsh, HOME: bare }, ssh: { configFile: null } });
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
  });

  it('an ssh-agent (SSH_AUTH_SOCK) when the config does not turn it off', async () => {
    const agent = await startSshAgent(path.join(work, 'agent'));
    try {
      await agent.add(client.privatePath);
      const bare = path.join(work, 'agent-home');
      fs.mkdirSync(path.join(bare, '.ssh'), { recursive: true });
      fs.writeFileSync(path.join(bare, '.ssh', 'known_hosts'), `${target.knownHostsLine()}\n`);
      const u = `test+ssh://lvtest@127.0.0.1:${target.port}/default?socket=${daemon.socketPath}`;
      await using conn = await connect(u, { timeout: 30_000, env: { ...noSsh, HOME: bare, SSH_AUTH_SOCK: agent.socket }, ssh: { configFile: null } });
      expect(await conn.raw.connectGetHostname()).toBeTruthy();
    } finally {
      await agent.stop();
    }
  });

  it('an unknown host: refused in batch mode; asked (OpenSSH\'s question) otherwise, and "yes" records it', async () => {
    const bare = path.join(work, 'ask-home');
    fs.mkdirSync(path.join(bare, '.ssh'), { recursive: true });
    fs.copyFileSync(client.privatePath, path.join(bare, '.ssh', 'id_ed25519'));
    const u = `test+ssh://lvtest@127.0.0.1:${target.port}/default?socket=${daemon.socketPath}`;
    const asked: CredentialRequest[] = [];
    const credentials = (reqs: readonly CredentialRequest[]) => {
      asked.push(...reqs);
      return reqs.map(() => 'yes');
    };
    const batch = (await connect(`${u}&no_tty=1`, { timeout: 30_000, env: { ...noSsh, HOME: bare }, ssh: { configFile: null }, credentials }).catch(
      (e: unknown) => e,
    )) as SshTransportError;
    expect(batch.hostKey?.status).toBe('unknown');
    expect(asked).toEqual([]);
    await using _conn = await connect(u, { timeout: 30_000, env: { ...noSsh, HOME: bare }, ssh: { configFile: null }, credentials, onWarning: () => {} });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.type).toBe(VIR_CRED_ECHOPROMPT);
    expect(asked[0]!.prompt).toMatch(
      /^The authenticity of host '127\.0\.0\.1:\d+' can't be established\.\nssh-ed25519 key fingerprint is SHA256:\S+\.\nAre you sure you want to continue connecting \(yes\/no\/\[fingerprint\]\)\?$/,
    );
    expect(fs.readFileSync(path.join(bare, '.ssh', 'known_hosts'), 'utf8')).toBe(`${target.knownHostsLine()}\n`);
  });

  it('ProxyCommand is refused with a clear message', async () => {
    const err = (await connect(`test+ssh://with-proxycommand/default?socket=${daemon.socketPath}`, { timeout: 30_000, env: noSsh }).catch(
      (e: unknown) => e,
    )) as SshTransportError;
    expect(err).toBeInstanceOf(SshTransportError);
    expect(err.failure).toBe('config');
    expect(err.message).toMatch(/ProxyCommand, which the in-process SSH client cannot run/);
  });
});

describe('ProxyJump', () => {
  it("one hop: equals OpenSSH's result, and the jump host logs the login", async () => {
    const before = acceptedLogins(jumpA);
    await sameAsOpenSsh('via-one');
    expect(acceptedLogins(jumpA)).toBe(before + 2); // ours and OpenSSH's
  });

  it('two hops (the second from its own Host block)', async () => {
    const [a, b] = [acceptedLogins(jumpA), acceptedLogins(jumpB)];
    await sameAsOpenSsh('via-two');
    expect([acceptedLogins(jumpA), acceptedLogins(jumpB)]).toEqual([a + 2, b + 2]);
  });

  it('a jump host that refuses forwarding: the error names it', async () => {
    const err = (await connect(`test+ssh://via-closed/default?socket=${daemon.socketPath}`, { timeout: 30_000, env: noSsh }).catch(
      (e: unknown) => e,
    )) as SshTransportError;
    expect(err).toBeInstanceOf(SshTransportError);
    expect(err.failure).toBe('unreachable');
    expect(err.message).toContain(`the jump host 127.0.0.1:${closedJump.port} could not open a connection to 127.0.0.1:${target.port}`);
  });

  it('+libssh2 with jump hosts given as an option', async () => {
    const kh = path.join(home, '.ssh', 'known_hosts');
    const u = `test+libssh2://lvtest@127.0.0.1:${target.port}${node()}?socket=${daemon.socketPath}&keyfile=${client.privatePath}&known_hosts=${kh}`;
    const before = acceptedLogins(jumpB);
    {
      await using conn = await connect(u, { timeout: 30_000, env: noSsh, ssh: { proxyJump: `lvtest@127.0.0.1:${jumpA.port},lvtest@127.0.0.1:${jumpB.port}` } });
      expect((await conn.raw.connectListAllDomains(1, 0)).domains.map((d) => d.name)).toContain('test');
    }
    expect(acceptedLogins(jumpB)).toBe(before + 1);
    const err = (await connect(u, { timeout: 30_000, env: noSsh, ssh: { proxyJump: `lvtest@127.0.0.1:${closedJump.port}` } }).catch(
      (e: unknown) => e,
    )) as SshTransportError;
    expect(err.failure).toBe('unreachable');
  });
});
