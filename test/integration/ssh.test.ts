/**
 * The SSH transports against a real sshd (harness/sshd.ts) in front of a real libvirtd: the
 * `ssh` program runs with libvirt's own argv and the remote command libvirt builds (netcat or
 * virt-ssh-helper), and every failure (host key, login, remote command, dropped server) is
 * reported with ssh's words.
 *
 * The `+ssh` URIs pass `command=<wrapper>`: a two-line script that runs `/usr/bin/ssh -F <config>`
 * with the rest of libvirt's argv, the config naming this file's own known_hosts so the tests
 * never read or write root's `~/.ssh`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivateDaemon } from '../../harness/daemon.js';
import { generateKeyPair, startSshd, type Sshd } from '../../harness/sshd.js';
import { writeTestNodeXml } from '../../harness/test-driver.js';
import { connect, ConnectionClosedError } from '../../src/index.js';
import { planRemoteConnection } from '../../src/transport/index.js';
import { CommandTransportError, type CommandFailure } from '../../src/transport/command.js';
import { startExtraDaemon } from './env.js';
import { expectAgreesWithPython, pyLibvirt } from './oracle.js';

let sshd: Sshd;
let daemon: PrivateDaemon;
let goodKnownHosts: string;
/** ssh wrapper trusting the server's real host key. */
let trusting: string;
/** ssh wrapper with an empty known_hosts file (left empty: only for the unknown-key test). */
let ignorant: string;
/** ssh wrapper with a scratch known_hosts file, for no_verify=1 (which adds the key to it). */
let scratch: string;
let key: string;

beforeAll(async () => {
  sshd = await startSshd();
  daemon = await startExtraDaemon({ label: 'ssh' });
  goodKnownHosts = sshd.writeKnownHosts(path.join(sshd.dir, 'known_hosts'));
  fs.writeFileSync(path.join(sshd.dir, 'empty_known_hosts'), '');
  trusting = sshd.sshWrapper('ssh-trusting', goodKnownHosts);
  ignorant = sshd.sshWrapper('ssh-ignorant', path.join(sshd.dir, 'empty_known_hosts'));
  scratch = sshd.sshWrapper('ssh-scratch', path.join(sshd.dir, 'scratch_known_hosts'));
  key = sshd.clientKey!.privatePath;
});

afterAll(async () => {
  await sshd?.stop();
});

function node(): string {
  return writeTestNodeXml(path.join(daemon.dir, 'nodes'));
}

function sshUri(params: string, opts: { user?: string; port?: number; path?: string } = {}): string {
  const user = opts.user ?? 'lvtest';
  return `test+ssh://${user}@127.0.0.1:${opts.port ?? sshd.port}${opts.path ?? node()}?socket=${daemon.socketPath}&${params}`;
}

/** Opens `uri`, expecting failure; returns the command error behind it. */
async function commandFailure(uri: string): Promise<{ err: Error; cmd: CommandTransportError }> {
  const err = await connect(uri, { timeout: 20_000 }).then(
    async (c) => {
      await c.close();
      throw new Error(`connected to ${uri}, but should not have`);
    },
    (e: unknown) => e as Error,
  );
  const cmd = err instanceof CommandTransportError ? err : (err.cause as CommandTransportError);
  expect(cmd).toBeInstanceOf(CommandTransportError);
  return { err, cmd };
}

async function agreesWithPython(uri: string): Promise<void> {
  expect(await expectAgreesWithPython(uri, { timeout: 20_000 })).toContain('test');
}

describe("ssh transport (the ssh program, libvirt's argv)", () => {
  it("builds exactly libvirt's command line", () => {
    const plan = planRemoteConnection(`qemu+ssh://lvtest@127.0.0.1:2222/session?socket=/s&keyfile=/k&no_verify=1&no_tty=1&proxy=netcat&command=${trusting}`);
    expect(plan.ssh?.argv?.slice(0, -1)).toEqual([
      trusting,
      '-p',
      '2222',
      '-l',
      'lvtest',
      '-i',
      '/k',
      '-T',
      '-e',
      'none',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '--',
      '127.0.0.1',
    ]);
    expect(plan.ssh?.argv?.at(-1)).toMatch(/^sh -c '.*nc.* -U \/s'$/);
  });

  it('works with proxy=netcat and no_verify=1, and agrees with python3-libvirt over the same URI', async () => {
    await agreesWithPython(sshUri(`keyfile=${key}&no_verify=1&proxy=netcat&command=${scratch}`));
  });

  it('works with proxy=native (virt-ssh-helper on the far side), and agrees with python3-libvirt', async () => {
    // libvirt 9.0's virt-ssh-helper ignores socket=: it finds the session daemon through the
    // login's XDG_RUNTIME_DIR, which this sshd sets to the private daemon's.
    const own = await startSshd({ setEnv: { XDG_RUNTIME_DIR: path.join(daemon.dir, 'run'), LIBVIRT_AUTOSTART: '0' } });
    try {
      const wrapper = own.sshWrapper('ssh', path.join(own.dir, 'scratch_known_hosts'));
      const uri = `qemu+ssh://lvtest@127.0.0.1:${own.port}/session?keyfile=${own.clientKey!.privatePath}&no_verify=1&proxy=native&command=${wrapper}`;
      const plan = planRemoteConnection(uri);
      expect(plan.ssh?.remoteCommand).toBe("sh -c 'virt-ssh-helper 'qemu:///session''");
      await expectAgreesWithPython(uri, { timeout: 30_000 });
    } finally {
      await own.stop();
    }
  });

  it("works with a known_hosts file that has the server's key (no no_verify)", async () => {
    await agreesWithPython(sshUri(`keyfile=${key}&no_tty=1&command=${trusting}`));
  });

  it('reaches the session QEMU driver (qemu+ssh://.../session)', async () => {
    const uri = `qemu+ssh://lvtest@127.0.0.1:${sshd.port}/session?socket=${daemon.socketPath}&keyfile=${key}&command=${trusting}`;
    await using conn = await connect(uri, { timeout: 30_000 });
    expect(conn.uri).toBe(uri);
    const oracle = await pyLibvirt<number>(uri, 'result = conn.getLibVersion()');
    expect(Number(await conn.raw.connectGetLibVersion())).toBe(oracle);
  });

  it('fails clearly on an unknown host key without no_verify', async () => {
    const { err, cmd } = await commandFailure(sshUri(`keyfile=${key}&no_tty=1&command=${ignorant}`));
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(cmd.failure).toBe<CommandFailure>('host-key');
    expect(err.message).toContain('Host key verification failed');
    expect(cmd.exitCode).toBe(255);
  });

  it('fails clearly on a changed host key, even with a known_hosts entry', async () => {
    const other = await generateKeyPair(path.join(sshd.dir, 'fake-host'), 'hostkey');
    const kh = sshd.writeKnownHosts(path.join(sshd.dir, 'changed_known_hosts'), [
      `[127.0.0.1]:${sshd.port} ${other.publicLine.split(' ').slice(0, 2).join(' ')}`,
    ]);
    const wrapper = sshd.sshWrapper('ssh-changed', kh);
    const { cmd } = await commandFailure(sshUri(`keyfile=${key}&no_tty=1&command=${wrapper}`));
    expect(cmd.failure).toBe<CommandFailure>('host-key');
    expect(cmd.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
  });

  it('fails clearly with a key the server does not accept', async () => {
    const wrong = await generateKeyPair(path.join(sshd.dir, 'wrong'), 'id_wrong');
    const { err, cmd } = await commandFailure(sshUri(`keyfile=${wrong.privatePath}&no_tty=1&command=${trusting}`));
    expect(cmd.failure).toBe<CommandFailure>('auth');
    expect(err.message).toContain('Permission denied');
    expect(err.message).toContain('SSH authentication failed');
  });

  it('fails clearly when the remote netcat is missing', async () => {
    const { err, cmd } = await commandFailure(sshUri(`keyfile=${key}&command=${trusting}&netcat=/nonexistent/nc`));
    expect(cmd.failure).toBe<CommandFailure>('command-missing');
    expect(err.message).toContain('/nonexistent/nc');
    expect(cmd.exitCode).toBe(127);
  });

  it('fails clearly when the daemon socket is missing on the far side', async () => {
    const uri = `test+ssh://lvtest@127.0.0.1:${sshd.port}/default?socket=/nonexistent/libvirt-sock&keyfile=${key}&command=${trusting}`;
    const { err, cmd } = await commandFailure(uri);
    expect(cmd.failure).toBe<CommandFailure>('daemon-socket');
    expect(err.message).toContain('/nonexistent/libvirt-sock');
  });

  it('fails clearly when the ssh program itself is missing', async () => {
    const err = (await connect(sshUri(`keyfile=${key}&command=/nonexistent/ssh`), { timeout: 10_000 }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(CommandTransportError);
    expect((err as CommandTransportError).errno).toBe('ENOENT');
    expect(err.message).toContain('/nonexistent/ssh: command not found');
  });

  it('rejects pending calls when sshd is killed mid-connection', async () => {
    const own = await startSshd();
    try {
      const d = await startExtraDaemon({ label: 'sshdie' });
      const wrapper = own.sshWrapper('ssh', own.writeKnownHosts(path.join(own.dir, 'known_hosts')));
      const uri = `test+ssh://lvtest@127.0.0.1:${own.port}/default?socket=${d.socketPath}&keyfile=${own.clientKey!.privatePath}&command=${wrapper}`;
      const conn = await connect(uri, { timeout: 20_000, keepalive: false });
      expect(await conn.raw.connectGetHostname()).toBeTruthy();
      d.kill('SIGSTOP'); // the call below stays pending
      const pending = conn.raw.connectGetHostname();
      const t0 = Date.now();
      own.killAll('SIGKILL');
      const err = await pending.then(
        () => null,
        (e: unknown) => e as Error,
      );
      d.kill('SIGCONT');
      expect(err).toBeInstanceOf(ConnectionClosedError);
      expect(Date.now() - t0).toBeLessThan(10_000);
      const cmd = err!.cause as CommandTransportError;
      expect(cmd).toBeInstanceOf(CommandTransportError);
      expect(cmd.exitCode).toBe(255);
      expect((await conn.closed).reason).toBe('error');
    } finally {
      await own.stop();
    }
  });

  it('kills ssh when the connect times out', async () => {
    const d = await startExtraDaemon({ label: 'sshstop' });
    d.kill('SIGSTOP'); // nc connects, but nothing ever answers
    try {
      const uri = `test+ssh://lvtest@127.0.0.1:${sshd.port}/default?socket=${d.socketPath}&keyfile=${key}&command=${trusting}`;
      const before = sshChildren();
      const t0 = Date.now();
      const err = (await connect(uri, { timeout: 1500 }).catch((e: unknown) => e)) as Error;
      expect(err.name).toBe('TimeoutError');
      expect(Date.now() - t0).toBeLessThan(5000);
      await waitFor(() => sshChildren().filter((p) => !before.includes(p)).length === 0, 5000);
    } finally {
      d.kill('SIGCONT');
    }
  });
});

describe('libssh / libssh2 transports (in process, ssh2)', () => {
  it.each(['libssh', 'libssh2'] as const)('%s: known_hosts= and keyfile= work, and an empty known_hosts fails', async (t) => {
    const base = `${t}://lvtest@127.0.0.1:${sshd.port}`;
    const ok = `test+${base}${node()}?socket=${daemon.socketPath}&keyfile=${key}&known_hosts=${goodKnownHosts}`;
    await using conn = await connect(ok, { timeout: 20_000 });
    expect(await conn.raw.connectGetHostname()).toBeTruthy();

    const empty = path.join(sshd.dir, `${t}_empty`);
    fs.writeFileSync(empty, '');
    const { cmd } = await commandFailure(`test+${base}${node()}?socket=${daemon.socketPath}&keyfile=${key}&known_hosts=${empty}`);
    expect(cmd.failure).toBe<CommandFailure>('host-key');
  });

  it("known_hosts_verify=auto adds the server's key; ignore does not need it", async () => {
    const kh = path.join(sshd.dir, 'auto_known_hosts');
    fs.writeFileSync(kh, '');
    const auto = `test+libssh://lvtest@127.0.0.1:${sshd.port}${node()}?socket=${daemon.socketPath}&keyfile=${key}&known_hosts=${kh}&known_hosts_verify=auto`;
    await using c1 = await connect(auto, { timeout: 20_000 });
    expect(await c1.raw.connectGetHostname()).toBeTruthy();
    expect(fs.readFileSync(kh, 'utf8')).toContain(sshd.hostKey.publicLine.split(' ')[1]);

    const ignore = `test+libssh://lvtest@127.0.0.1:${sshd.port}${node()}?socket=${daemon.socketPath}&keyfile=${key}&known_hosts_verify=ignore`;
    await using c2 = await connect(ignore, { timeout: 20_000 });
    expect(await c2.raw.connectGetHostname()).toBeTruthy();
  });
});

function sshChildren(): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /\((ssh|ssh-trusting|sh)\)/.test(stat)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
