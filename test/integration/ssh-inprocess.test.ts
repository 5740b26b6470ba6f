/**
 * The in-process SSH client (ssh2) against Debian's real sshd, with no `ssh` program on PATH:
 * `+libssh2` and `+libssh` with libvirt's semantics (key file, ssh-agent, password,
 * keyboard-interactive through PAM, passphrase-protected keys; proxy=netcat and proxy=native),
 * each compared with python3-libvirt, whose libvirt runs the same transports with libssh2 and
 * libssh over the same URIs and daemon.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivateDaemon } from '../../harness/daemon.js';
import { descendants, generateKeyPair, startSshAgent, startSshd, type KeyPair, type Sshd } from '../../harness/sshd.js';
import { writeTestNodeXml } from '../../harness/test-driver.js';
import {
  connect,
  ConnectionClosedError,
  SshTransportError,
  VIR_CRED_ECHOPROMPT,
  VIR_CRED_PASSPHRASE,
  type ConnectOptions,
  type CredentialRequest,
} from '../../src/index.js';
import { startExtraDaemon } from './env.js';
import { pyLibvirt } from './oracle.js';

const PASSWORD = 'Lvrpc-pw-9c2e';
const PHRASE = 'Lvrpc-phrase-71b4';

let work: string;
/** A PATH with no ssh in it, and a HOME of the test's own. */
let env: Record<string, string>;
let daemon: PrivateDaemon;
/** Key login; its sessions see the daemon's XDG_RUNTIME_DIR (for virt-ssh-helper qemu:///session). */
let sshd: Sshd;
let knownHosts: string;
let key: string;
let encrypted: KeyPair;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-inproc-'));
  fs.mkdirSync(path.join(work, 'empty-path'));
  fs.mkdirSync(path.join(work, 'home'));
  env = { ...(process.env as Record<string, string>), PATH: path.join(work, 'empty-path'), HOME: path.join(work, 'home') };
  delete env.SSH_AUTH_SOCK;
  daemon = await startExtraDaemon({ label: 'inproc' });
  encrypted = await generateKeyPair(path.join(work, 'keys'), 'id_encrypted', 'ed25519', PHRASE);
  const plain = await generateKeyPair(path.join(work, 'keys'), 'id_plain');
  sshd = await startSshd({
    authorizedKeys: [plain.publicLine, encrypted.publicLine],
    setEnv: { XDG_RUNTIME_DIR: path.join(daemon.dir, 'run'), LIBVIRT_AUTOSTART: '0' },
  });
  key = plain.privatePath;
  knownHosts = sshd.writeKnownHosts(path.join(work, 'known_hosts'));
});

afterAll(async () => {
  await sshd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function node(): string {
  return writeTestNodeXml(path.join(daemon.dir, 'nodes'));
}

/** A test-driver URI through `server` (netcat to the daemon's socket). */
function uri(transport: 'libssh2' | 'libssh' | 'ssh', server: Sshd, params: string, user = 'lvtest'): string {
  return `test+${transport}://${user}@127.0.0.1:${server.port}${node()}?socket=${daemon.socketPath}&known_hosts=${knownHostsFor(server)}&${params}`;
}

const khFiles = new Map<Sshd, string>();
function knownHostsFor(server: Sshd): string {
  if (server === sshd) return knownHosts;
  let f = khFiles.get(server);
  if (!f) {
    f = server.writeKnownHosts(path.join(work, `known_hosts_${server.port}`));
    khFiles.set(server, f);
  }
  return f;
}

type Facts = { lib: number; host: string; names: string[] };

/** Connects with libvirt-rpc (no ssh on PATH) and with python3-libvirt over the same URI; both must see the same. */
async function sameAsPython(
  u: string,
  options: ConnectOptions = {},
  py: { env?: Record<string, string>; credentials?: { username: string; password: string } } = {},
): Promise<Facts> {
  await using conn = await connect(u, { timeout: 30_000, env, ...options });
  expect(conn.plan.ssh?.implementation).toBe('in-process');
  const ours: Facts = {
    lib: Number(await conn.raw.connectGetLibVersion()),
    host: await conn.raw.connectGetHostname(),
    names: (await conn.raw.connectListAllDomains(1, 0)).domains.map((d) => d.name).sort(),
  };
  const theirs = await pyLibvirt<Facts>(
    u,
    'result = {"lib": conn.getLibVersion(), "host": conn.getHostname(), "names": sorted(d.name() for d in conn.listAllDomains())}',
    py.env,
    { timeoutMs: 30_000, ...(py.credentials ? { credentials: py.credentials } : {}) },
  );
  expect(ours).toEqual(theirs);
  expect(ours.names).toContain('test');
  return ours;
}

/** Opens `u`, expecting failure; returns the SSH error (directly, or as the cause of the closed connection). */
async function sshFailure(u: string, options: ConnectOptions = {}): Promise<{ err: Error; ssh: SshTransportError }> {
  const err = await connect(u, { timeout: 30_000, env, ...options }).then(
    async (c) => {
      await c.close();
      throw new Error(`connected to ${u}, but should not have`);
    },
    (e: unknown) => e as Error,
  );
  const ssh = err instanceof SshTransportError ? err : (err.cause as SshTransportError);
  expect(ssh).toBeInstanceOf(SshTransportError);
  return { err, ssh };
}

describe('+libssh2 / +libssh in process: key file, proxy=netcat and proxy=native', () => {
  it.each(['libssh2', 'libssh'] as const)('%s with keyfile= and proxy=netcat equals python3-libvirt', async (t) => {
    await sameAsPython(uri(t, sshd, `keyfile=${key}&proxy=netcat`));
  });

  it.each(['libssh2', 'libssh'] as const)('%s with proxy=native (virt-ssh-helper) equals python3-libvirt', async (t) => {
    const u = `qemu+${t}://lvtest@127.0.0.1:${sshd.port}/session?keyfile=${key}&known_hosts=${knownHosts}&proxy=native`;
    await using conn = await connect(u, { timeout: 30_000, env });
    expect(conn.plan.ssh?.remoteCommand).toBe("sh -c 'virt-ssh-helper 'qemu:///session''");
    const oracle = await pyLibvirt<number>(u, 'result = conn.getLibVersion()');
    expect(Number(await conn.raw.connectGetLibVersion())).toBe(oracle);
    expect(await conn.raw.connectGetHostname()).toBe(await pyLibvirt<string>(u, 'result = conn.getHostname()'));
  });

  it('+ssh in process (no ssh on PATH) with proxy=native and proxy=netcat equals python3-libvirt running the ssh program', async () => {
    const wrapper = sshd.sshWrapper('ssh-oracle', knownHosts);
    const native = `qemu+ssh://lvtest@127.0.0.1:${sshd.port}/session?keyfile=${key}&proxy=native`;
    const ssh = { knownHosts: sshd.knownHostsLine(), configFile: null };
    {
      await using conn = await connect(native, { timeout: 30_000, env, ssh });
      expect(conn.plan.ssh).toMatchObject({ client: 'ssh', implementation: 'in-process' });
      expect(conn.plan.ssh?.remoteCommand).toBe("sh -c 'virt-ssh-helper 'qemu:///session''");
      const oracle = await pyLibvirt<number>(`${native}&command=${wrapper}`, 'result = conn.getLibVersion()');
      expect(Number(await conn.raw.connectGetLibVersion())).toBe(oracle);
    }
    const netcat = uri('ssh', sshd, `keyfile=${key}&proxy=netcat`);
    await using conn = await connect(netcat, { timeout: 30_000, env, ssh });
    const names = (await conn.raw.connectListAllDomains(1, 0)).domains.map((d) => d.name).sort();
    expect(names).toEqual(await pyLibvirt<string[]>(`${netcat}&command=${wrapper}`, 'result = sorted(d.name() for d in conn.listAllDomains())'));
  });

  it('never runs a program: ssh is not on PATH, and nothing is spawned', async () => {
    await using conn = await connect(uri('libssh2', sshd, `keyfile=${key}`), { timeout: 30_000, env });
    expect(conn.plan.ssh?.client).toBe('libssh2');
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
    const children = fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .filter((e) => {
        try {
          const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid && /\(ssh\)/.test(stat);
        } catch {
          return false;
        }
      });
    expect(children).toEqual([]);
  });
});

describe('logins', () => {
  it('a real ssh-agent (sshauth=agent, no key file)', async () => {
    const agent = await startSshAgent(path.join(work, 'agent'));
    try {
      await agent.add(key);
      const u = uri('libssh2', sshd, 'sshauth=agent');
      await sameAsPython(u, { env: { ...env, SSH_AUTH_SOCK: agent.socket } }, { env: { SSH_AUTH_SOCK: agent.socket } });
      // The agent socket can also be given as an option.
      await using conn = await connect(u, { timeout: 30_000, env, ssh: { agent: agent.socket } });
      expect(await conn.raw.connectGetHostname()).toBeTruthy();
    } finally {
      await agent.stop();
    }
  });

  it('an agent without the key fails, and says what was tried', async () => {
    const agent = await startSshAgent(path.join(work, 'agent2'));
    try {
      const { ssh } = await sshFailure(uri('libssh2', sshd, 'sshauth=agent'), { ssh: { agent: agent.socket } });
      expect(ssh.failure).toBe('auth');
      expect(ssh.authAttempts).toEqual([{ method: 'agent', outcome: 'skipped', detail: expect.stringContaining('holds no keys') }]);
    } finally {
      await agent.stop();
    }
  });

  describe('password and keyboard-interactive', () => {
    let pwd: Sshd;
    let kbd: Sshd;
    beforeAll(async () => {
      pwd = await startSshd({ password: PASSWORD, pubkey: false, setEnv: { XDG_RUNTIME_DIR: path.join(daemon.dir, 'run') } });
      kbd = await startSshd({ password: PASSWORD, kbdInteractive: true, pubkey: false });
    });
    afterAll(async () => {
      await pwd?.stop();
      await kbd?.stop();
    });

    it('password through the credentials callback (VIR_CRED_PASSPHRASE), as python3-libvirt answers it', async () => {
      const asked: CredentialRequest[] = [];
      const credentials = (reqs: readonly CredentialRequest[]) => {
        asked.push(...reqs);
        return reqs.map(() => PASSWORD);
      };
      await sameAsPython(uri('libssh2', pwd, 'sshauth=password'), { credentials }, { credentials: { username: 'lvtest', password: PASSWORD } });
      expect(asked).toEqual([{ type: VIR_CRED_PASSPHRASE, prompt: "Enter lvtest's password for 127.0.0.1", challenge: '127.0.0.1', defresult: null }]);
    });

    it("password from auth.conf ([auth-ssh-HOST]), from fixed credentials, and from the URI's user part", async () => {
      const conf = path.join(work, 'auth.conf');
      fs.writeFileSync(conf, `[credentials-ssh]\npassword=${PASSWORD}\n\n[auth-ssh-127.0.0.1]\ncredentials=ssh\n`);
      for (const options of [
        { env: { ...env, LIBVIRT_AUTH_FILE: conf } },
        { credentials: { username: 'ignored', password: PASSWORD } },
      ] satisfies ConnectOptions[]) {
        await using conn = await connect(uri('libssh', pwd, 'sshauth=password'), { timeout: 30_000, env, ...options });
        expect(await conn.raw.connectGetHostname()).toBeTruthy();
      }
      const withPassword = uri('libssh2', pwd, 'sshauth=password', `lvtest:${PASSWORD}`);
      await using conn = await connect(withPassword, { timeout: 30_000, env });
      expect(conn.uri).not.toContain(PASSWORD);
      expect(conn.uri).toContain('lvtest:***@');
      expect(JSON.stringify(conn.plan)).not.toContain(PASSWORD);
    });

    it('a wrong password is asked again (three times), and the error lists the method without the password', async () => {
      let calls = 0;
      const { ssh, err } = await sshFailure(uri('libssh2', pwd, 'sshauth=password'), {
        credentials: (reqs) => reqs.map(() => `wrong-${++calls}`),
      });
      expect(calls).toBe(3);
      expect(ssh.failure).toBe('auth');
      expect(ssh.authAttempts).toEqual([{ method: 'password', outcome: 'rejected', detail: 'the password was rejected (3 attempts)' }]);
      expect(`${err.message} ${JSON.stringify(ssh)}`).not.toMatch(/wrong-\d/);
    });

    it("keyboard-interactive (PAM's prompt) through the callback, as python3-libvirt (libssh) answers it", async () => {
      const asked: CredentialRequest[] = [];
      const credentials = (reqs: readonly CredentialRequest[]) => {
        asked.push(...reqs);
        return reqs.map(() => PASSWORD);
      };
      // The oracle's callback lists no VIR_CRED_ECHOPROMPT, which libvirt's libssh2 transport
      // requires for keyboard-interactive ("no suitable method"); its libssh transport does not.
      await sameAsPython(uri('libssh', kbd, 'sshauth=keyboard-interactive'), { credentials }, { credentials: { username: 'lvtest', password: PASSWORD } });
      await using conn = await connect(uri('libssh2', kbd, 'sshauth=keyboard-interactive'), { timeout: 30_000, env, credentials });
      expect(await conn.raw.connectGetHostname()).toBeTruthy();
      expect(asked).toHaveLength(2);
      expect(asked[0]).toMatchObject({ type: VIR_CRED_PASSPHRASE, prompt: 'Password' });
    });

    it("+ssh in process: password and keyboard-interactive through the callback (OpenSSH's order)", async () => {
      for (const server of [pwd, kbd]) {
        const asked: CredentialRequest[] = [];
        const u = `test+ssh://lvtest@127.0.0.1:${server.port}${node()}?socket=${daemon.socketPath}`;
        await using conn = await connect(u, {
          timeout: 30_000,
          env,
          ssh: { knownHosts: server.knownHostsLine(), configFile: null },
          credentials: (reqs) => {
            asked.push(...reqs);
            return reqs.map(() => PASSWORD);
          },
        });
        expect(conn.plan.ssh?.implementation).toBe('in-process');
        expect((await conn.raw.connectListAllDomains(1, 0)).domains.map((d) => d.name)).toContain('test');
        expect(asked[0]!.prompt).toBe(server === pwd ? "Enter lvtest's password for 127.0.0.1" : 'Password');
      }
    });

    it('the default method order reaches keyboard-interactive after the others are not offered', async () => {
      const { ssh } = await sshFailure(uri('libssh2', kbd, `keyfile=${key}`));
      expect(ssh.authAttempts.map((a) => [a.method, a.outcome])).toEqual([
        ['agent', 'skipped'],
        ['privkey', 'skipped'],
        ['password', 'skipped'],
        ['keyboard-interactive', 'skipped'],
      ]);
      expect(ssh.message).toMatch(/None of the requested authentication methods/);
    });
  });

  it('a passphrase-protected key: the passphrase asked through the callback, as python3-libvirt answers it', async () => {
    const asked: CredentialRequest[] = [];
    await sameAsPython(
      uri('libssh2', sshd, `keyfile=${encrypted.privatePath}&sshauth=privkey`),
      {
        credentials: (reqs) => {
          asked.push(...reqs);
          return reqs.map(() => PHRASE);
        },
      },
      { credentials: { username: 'lvtest', password: PHRASE } },
    );
    expect(asked).toEqual([{ type: VIR_CRED_PASSPHRASE, prompt: `Passphrase for key '${encrypted.privatePath}'`, challenge: null, defresult: null }]);
  });

  it('+ssh in process: a passphrase-protected identity file, its passphrase asked through the callback', async () => {
    const u = `test+ssh://lvtest@127.0.0.1:${sshd.port}${node()}?socket=${daemon.socketPath}&keyfile=${encrypted.privatePath}`;
    const asked: CredentialRequest[] = [];
    await using conn = await connect(u, {
      timeout: 30_000,
      env,
      ssh: { knownHosts: sshd.knownHostsLine(), configFile: null },
      credentials: (reqs) => {
        asked.push(...reqs);
        return reqs.map(() => PHRASE);
      },
    });
    expect((await conn.raw.connectListAllDomains(1, 0)).domains.map((d) => d.name)).toContain('test');
    expect(asked.map((r) => r.prompt)).toEqual([`Passphrase for key '${encrypted.privatePath}'`]);
  });

  it('a passphrase-protected key given in memory with its passphrase', async () => {
    const u = `test+libssh2://lvtest@127.0.0.1:${sshd.port}${node()}?socket=${daemon.socketPath}&sshauth=privkey`;
    await using conn = await connect(u, {
      timeout: 30_000,
      env,
      ssh: { privateKey: fs.readFileSync(encrypted.privatePath, 'utf8'), passphrase: PHRASE, knownHosts: sshd.knownHostsLine() },
    });
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
  });

  it('a wrong passphrase ends the login, naming the key but not the passphrase', async () => {
    const { ssh } = await sshFailure(uri('libssh', sshd, `keyfile=${encrypted.privatePath}&sshauth=privkey,password`), {
      credentials: (reqs) => reqs.map(() => 'not-the-phrase'),
    });
    expect(ssh.failure).toBe('credentials');
    expect(ssh.message).toBe(`error while opening private key '${encrypted.privatePath}', wrong passphrase?`);
  });

  it('an encrypted key without a way to ask is skipped, and said so', async () => {
    const { ssh } = await sshFailure(uri('libssh2', sshd, `keyfile=${encrypted.privatePath}&sshauth=privkey`));
    expect(ssh.authAttempts).toEqual([{ method: 'privkey', outcome: 'skipped', detail: expect.stringContaining('is encrypted') }]);
  });

  it('a key the server does not accept is reported as rejected', async () => {
    const wrong = await generateKeyPair(path.join(work, 'keys'), 'id_wrong');
    const { ssh } = await sshFailure(uri('libssh2', sshd, `keyfile=${wrong.privatePath}&sshauth=privkey`));
    expect(ssh.authAttempts).toEqual([{ method: 'privkey', outcome: 'rejected', detail: `the key ${wrong.privatePath} was not accepted` }]);
  });
});

describe("the remote command's failures", () => {
  it('a missing netcat: exit 127 and its stderr', async () => {
    const { err, ssh } = await sshFailure(uri('libssh2', sshd, `keyfile=${key}&netcat=/nonexistent/nc`));
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(ssh.failure).toBe('command-missing');
    expect(ssh.exitCode).toBe(127);
    expect(ssh.stderr).toContain('/nonexistent/nc');
  });

  it('a missing daemon socket on the far side', async () => {
    const u = `test+libssh2://lvtest@127.0.0.1:${sshd.port}/default?socket=/nonexistent/libvirt-sock&keyfile=${key}&known_hosts=${knownHosts}`;
    const { ssh } = await sshFailure(u);
    expect(ssh.failure).toBe('daemon-socket');
    expect(ssh.message).toContain('/nonexistent/libvirt-sock');
  });

  it('a missing virt-ssh-helper (proxy=native with a PATH that lacks it on the far side)', async () => {
    // A PATH on the far side with sh in it, but no virt-ssh-helper.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-shonly-'));
    fs.chmodSync(bin, 0o755);
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
    const own = await startSshd({ setEnv: { PATH: bin } });
    try {
      const u = `qemu+libssh2://lvtest@127.0.0.1:${own.port}/session?keyfile=${own.clientKey!.privatePath}&known_hosts_verify=ignore&proxy=native`;
      const { ssh } = await sshFailure(u);
      expect(ssh.failure).toBe('command-missing');
      expect(ssh.stderr).toMatch(/virt-ssh-helper: not found/);
      expect(ssh.exitCode).toBe(127);
    } finally {
      await own.stop();
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it('an unreachable server', async () => {
    const { ssh } = await sshFailure(`test+libssh2://lvtest@127.0.0.1:1/default?keyfile=${key}`);
    expect(ssh.failure).toBe('unreachable');
    expect(ssh.errno).toBe('ECONNREFUSED');
  });

  it('pending calls fail when the server dies mid-connection', async () => {
    const own = await startSshd({ authorizedKeys: [fs.readFileSync(`${key}.pub`, 'utf8').trim()] });
    try {
      const d = await startExtraDaemon({ label: 'inprocdie' });
      const u = `test+libssh2://lvtest@127.0.0.1:${own.port}/default?socket=${d.socketPath}&keyfile=${key}&known_hosts_verify=ignore`;
      const conn = await connect(u, { timeout: 20_000, keepalive: false, env });
      expect(await conn.raw.connectGetHostname()).toBeTruthy();
      d.kill('SIGSTOP');
      const pending = conn.raw.connectGetHostname();
      own.killAll('SIGKILL');
      const err = await pending.then(
        () => null,
        (e: unknown) => e as Error,
      );
      d.kill('SIGCONT');
      expect(err).toBeInstanceOf(ConnectionClosedError);
      expect(err!.cause).toBeInstanceOf(SshTransportError);
      expect((err!.cause as SshTransportError).failure).toBe('disconnected');
    } finally {
      await own.stop();
    }
  });

  it('a timeout ends the dial and closes the SSH connection', async () => {
    const d = await startExtraDaemon({ label: 'inprocstop' });
    d.kill('SIGSTOP');
    try {
      const u = `test+libssh2://lvtest@127.0.0.1:${sshd.port}/default?socket=${d.socketPath}&keyfile=${key}&known_hosts=${knownHosts}`;
      const before = descendants(sshd.pid).length;
      const err = (await connect(u, { timeout: 1500, env }).catch((e: unknown) => e)) as Error;
      expect(err.name).toBe('TimeoutError');
      // The SSH connection is closed: sshd's session processes for it go away.
      const end = Date.now() + 5000;
      while (descendants(sshd.pid).length > before && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(descendants(sshd.pid).length).toBeLessThanOrEqual(before);
    } finally {
      d.kill('SIGCONT');
    }
  });

  it('host key questions go through the callback (VIR_CRED_ECHOPROMPT) in normal mode, and "y" records the key', async () => {
    const kh = path.join(work, 'asked_known_hosts');
    const asked: CredentialRequest[] = [];
    await using _conn = await connect(uri('libssh2', sshd, `keyfile=${key}`).replace(knownHosts, kh), {
      timeout: 30_000,
      env,
      credentials: (reqs) => {
        asked.push(...reqs);
        return reqs.map((r) => (r.type === VIR_CRED_ECHOPROMPT ? 'y' : ''));
      },
    });
    expect(asked[0]!.type).toBe(VIR_CRED_ECHOPROMPT);
    expect(asked[0]!.prompt).toMatch(/^Accept SSH host key with hash 'SHA256:[A-Za-z0-9+/]{43}' for host '127\.0\.0\.1:\d+' \(y\/n\)\?$/);
    expect(fs.readFileSync(kh, 'utf8')).toBe(`${sshd.knownHostsLine()}\n`);
  });
});
