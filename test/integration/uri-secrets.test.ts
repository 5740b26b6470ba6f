/**
 * A secret in a URI (the password of the user part, a `password=` or `token=` parameter) never
 * shows: it is fed through every error path of every transport (malformed URIs, bad parameters,
 * unreachable servers, TLS files, the ssh program, the in-process SSH client's host key, login
 * and remote command failures, ext, authentication the daemon does not offer) and through a
 * successful connection (`conn.uri`, `conn.plan`, warnings, debug lines), and tsvirsh's output.
 * Whatever is shown of the URI reads `***` in their place.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type Sshd } from '../../harness/sshd.js';
import { runVirsh } from '../../src/cli/main.js';
import { connect, type ConnectOptions } from '../../src/index.js';
import { planRemoteConnection } from '../../src/transport/index.js';
import { harnessDaemon, type HarnessDaemon } from './env.js';

const SECRET = 'Zq9-s3cr3t-Xv';
const PW_SERVER = 'Lvrpc-pw-9c2e';

let work: string;
let env: Record<string, string>;
let daemon: HarnessDaemon;
let sshd: Sshd;
let warnings: string[];
let debug: string[];

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-secrets-'));
  fs.mkdirSync(path.join(work, 'empty-path'));
  fs.mkdirSync(path.join(work, 'home'));
  env = {
    ...(process.env as Record<string, string>),
    PATH: path.join(work, 'empty-path'),
    HOME: path.join(work, 'home'),
    XDG_CONFIG_HOME: path.join(work, 'home', '.config'),
  };
  delete env.SSH_AUTH_SOCK;
  daemon = await harnessDaemon();
  sshd = await startSshd({ password: PW_SERVER });
});

afterAll(async () => {
  await sshd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Everything an error shows: message, stack, properties, causes (util.inspect walks them all). */
function shown(value: unknown): string {
  return `${inspect(value, { depth: 12, showHidden: false })}\n${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`;
}

function options(extra: ConnectOptions = {}): ConnectOptions {
  warnings = [];
  debug = [];
  return { timeout: 15_000, env, onWarning: (w) => warnings.push(w), onDebug: (l) => debug.push(l), keepalive: false, ...extra };
}

async function failure(uri: string, extra: ConnectOptions = {}): Promise<Error> {
  const err = await connect(uri, options(extra)).then(
    async (c) => {
      await c.close();
      throw new Error(`connected to a URI that should fail: ${uri.replaceAll(SECRET, '***')}`);
    },
    (e: unknown) => e as Error,
  );
  const text = shown(err);
  expect(text, `a secret shows in: ${text.replaceAll(SECRET, '<<SECRET>>')}`).not.toContain(SECRET);
  expect(warnings.join('\n')).not.toContain(SECRET);
  expect(debug.join('\n')).not.toContain(SECRET);
  return err;
}

const user = `alice:${SECRET}`;

describe('URI errors of every transport', () => {
  const transports = ['unix', 'tcp', 'tls', 'ssh', 'libssh', 'libssh2', 'ext'];

  it.each(transports)('%s: a malformed URI, a bad parameter value, a bad boolean', async (t) => {
    const host = t === 'unix' ? '' : 'h';
    for (const uri of [
      `qemu+${t}://${user}@${host}:99999/system?password=${SECRET}`,
      `qemu+${t}://${user}@${host}/system?mode=bogus&token=${SECRET}`,
      `qemu+${t}://${user}@${host}/system?no_verify=x&password=${SECRET}`,
      `qemu+${t}://${user}@${host}/system?proxy=native&netcat=nc&passphrase=${SECRET}`,
      `qemu+${t}://${user}@${host}/system?known_hosts_verify=x&sshauth=x&secret=${SECRET}`,
      `qemu+${t}://${user}@${host}/sys%zztem?password=${SECRET}`,
      `qemu+${t}://alice:${SECRET.slice(0, 4)}%zz${SECRET.slice(4)}@${host}/system`,
    ]) {
      const err = await failure(uri);
      if (err.name === 'UriError') expect((err as Error & { uri: string }).uri).toMatch(/\*\*\*/);
    }
  });

  it('an unknown transport, and a broken uri_aliases entry', async () => {
    const err = await failure(`qemu+bogus://${user}@h/system?password=${SECRET}`);
    expect(err.message).toContain(`qemu+bogus://alice:***@h/system?password=***`);
    const conf = path.join(work, 'libvirt.conf');
    fs.mkdirSync(path.join(work, 'xdg', 'libvirt'), { recursive: true });
    fs.writeFileSync(path.join(work, 'xdg', 'libvirt', 'libvirt.conf'), `uri_aliases = [ "bad alias=qemu+ssh://${user}@h/system" ]\n`);
    await failure('x', { env: { ...env, XDG_CONFIG_HOME: path.join(work, 'xdg') } });
    fs.rmSync(conf, { force: true });
  });
});

describe('transport failures', () => {
  it('unix: no socket', async () => {
    await failure(`qemu+unix://${user}@/system?socket=/nonexistent/sock&password=${SECRET}`);
  });

  it('tcp: refused', async () => {
    await failure(`qemu+tcp://${user}@127.0.0.1:1/system?password=${SECRET}`);
  });

  it('tls: missing certificate files, and a refused port', async () => {
    await failure(`qemu+tls://${user}@127.0.0.1:1/system?pkipath=/nonexistent&password=${SECRET}`);
    await failure(`qemu+tls://${user}@127.0.0.1:1/system?password=${SECRET}`, { tls: { ca: 'not a certificate' } });
  });

  it('ssh (the program): refused before anything runs, never on a command line', async () => {
    const err = await failure(`qemu+ssh://${user}@127.0.0.1:${sshd.port}/system?password=${SECRET}&proxy=netcat`, {
      env: process.env as Record<string, string>,
    });
    expect(err.message).toMatch(/cannot be given to the ssh program/);
    // and a secret parameter would reach virt-ssh-helper's command line: refused too
    const helper = await failure(`qemu+ssh://alice@127.0.0.1:${sshd.port}/system?proxy=native&token=${SECRET}`, { env: process.env as Record<string, string> });
    expect(helper.message).toMatch(/secret parameters would be put on the remote command line of virt-ssh-helper/);
  });

  it.each(['ssh', 'libssh', 'libssh2'])('%s in process: unreachable, unknown host key, rejected password, remote command', async (t) => {
    await failure(`test+${t}://${user}@127.0.0.1:1/default?password=${SECRET}`);
    await failure(`test+${t}://${user}@127.0.0.1:${sshd.port}/default?password=${SECRET}&proxy=netcat`);
    const kh = sshd.writeKnownHosts(path.join(work, `kh-${t}`));
    const khParam = t === 'ssh' ? '' : `&known_hosts=${kh}`;
    const ssh = t === 'ssh' ? { knownHosts: sshd.knownHostsLine(), configFile: null } : {};
    const rejected = await failure(`test+${t}://lvtest:${SECRET}@127.0.0.1:${sshd.port}/default?password=${SECRET}&proxy=netcat${khParam}`, { ssh });
    expect(rejected.message).toMatch(/password was rejected/);
    // The right password in the URI, but a remote command that fails.
    const cmdErr = await failure(
      `test+${t}://lvtest:${PW_SERVER}@127.0.0.1:${sshd.port}/default?socket=/nonexistent/${SECRET}&token=${SECRET}&proxy=netcat${khParam}`.replace(
        `/nonexistent/${SECRET}`,
        '/nonexistent/sock',
      ),
      { ssh },
    );
    expect(cmdErr.name).toBe('ConnectionClosedError');
  });

  it('ext: the command is missing', async () => {
    await failure(`qemu+ext://${user}@h/system?command=/nonexistent/cmd&password=${SECRET}`);
  });

  it("an authentication the daemon does not offer (the daemon's URI named in the error)", async () => {
    const tcp = daemon.uris.testDefaultTcp.replace('test+tcp://', `test+tcp://${user}@`);
    const err = await failure(`${tcp}?auth=polkit&password=${SECRET}`);
    expect(err.message).toContain('alice:***@');
    expect(err.message).toContain('password=***');
  });
});

describe('a successful connection', () => {
  it('shows the URI redacted in conn.uri and conn.plan; the daemon still gets the parameter', async () => {
    const uri = daemon.uris.testDefaultTcp.replace('test+tcp://', `test+tcp://${user}@`) + `?password=${SECRET}`;
    await using conn = await connect(uri, options());
    expect(await conn.raw.connectGetHostname()).toBeTruthy();
    expect(conn.uri).toBe(uri.replaceAll(SECRET, '***'));
    expect(shown(conn.plan)).not.toContain(SECRET);
    expect(conn.plan.connectName).toBe('test:///default?password=***');
    expect(shown(conn)).not.toContain(SECRET);
  });

  it('the plan alone never holds it', () => {
    const plan = planRemoteConnection(`qemu+libssh2://${user}@h/system?token=${SECRET}&x=1&proxy=netcat`, { env });
    expect(shown(plan)).not.toContain(SECRET);
    expect(plan.uri?.query).toBe('token=***&x=1&proxy=netcat');
    expect(plan.ssh?.helperUri).toBe('qemu:///system?token=***&x=1');
  });
});

describe('tsvirsh', () => {
  it('prints the failure without the secret', async () => {
    let out = '';
    let err = '';
    const code = await runVirsh(['-c', `qemu+tcp://${user}@127.0.0.1:1/system?password=${SECRET}`, 'list'], {
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
      env,
    });
    expect(code).toBe(1);
    expect(err).toMatch(/error:/);
    expect(`${out}${err}`).not.toContain(SECRET);
    const bad = await runVirsh(['-c', `qemu+tcp://${user}@h:99999/system`, 'uri'], { stdout: (t) => (out += t), stderr: (t) => (err += t), env });
    expect(bad).toBe(1);
    expect(`${out}${err}`).not.toContain(SECRET);
    expect(err).toContain('alice:***@');
  });
});
