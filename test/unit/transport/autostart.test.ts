/**
 * Session daemon autostart (src/transport/autostart.ts) against a stand-in
 * "daemon": the start hook opens a unix server where the socket should be.
 */
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AbortError, TimeoutError, TransportError } from '../../../src/rpc/errors.js';
import { AUTOSTART_DAEMON_TIMEOUT, dialUnixAutostart, sessionDaemonCommand, sessionDaemonPath } from '../../../src/transport/autostart.js';
import { planRemoteConnection } from '../../../src/transport/remote-plan.js';

let dir: string;
const servers: Server[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-autostart-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(dir, { recursive: true, force: true });
});

function listen(socketPath: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((c) => c.end());
    servers.push(server);
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}

describe('sessionDaemonPath', () => {
  it('prefers VIRTD_PATH, then LIBVIRTD_PATH, then /usr/sbin/<daemon>', () => {
    expect(sessionDaemonPath('libvirtd', {})).toBe('/usr/sbin/libvirtd');
    expect(sessionDaemonPath('virtqemud', {})).toBe('/usr/sbin/virtqemud');
    expect(sessionDaemonPath('libvirtd', { LIBVIRTD_PATH: '/opt/l' })).toBe('/opt/l');
    expect(sessionDaemonPath('libvirtd', { LIBVIRTD_PATH: '/opt/l', VIRTD_PATH: '/opt/v' })).toBe('/opt/v');
  });
});

describe('sessionDaemonCommand', () => {
  it('runs the daemon with --timeout=120 and only the variables libvirt passes', () => {
    const cmd = sessionDaemonCommand('/usr/sbin/libvirtd', {
      PATH: '/bin',
      HOME: '/h',
      XDG_RUNTIME_DIR: '/r',
      XDG_CONFIG_HOME: '/c',
      XDG_CACHE_HOME: '/k',
      SECRET_TOKEN: 'x',
      LANG: 'de_DE',
    });
    expect(AUTOSTART_DAEMON_TIMEOUT).toBe(120);
    expect(cmd.argv).toEqual(['/usr/sbin/libvirtd', '--timeout=120']);
    expect(cmd.env).toEqual({ LC_ALL: 'C', PATH: '/bin', HOME: '/h', XDG_RUNTIME_DIR: '/r', XDG_CONFIG_HOME: '/c', XDG_CACHE_HOME: '/k' });
  });
});

describe('dialUnixAutostart', () => {
  it('connects without starting anything when the daemon listens', async () => {
    const sock = path.join(dir, 'libvirt-sock');
    await listen(sock);
    let started = 0;
    const s = await dialUnixAutostart(sock, '/usr/sbin/libvirtd', { env: { XDG_RUNTIME_DIR: dir }, startDaemon: async () => void started++ });
    s.destroy();
    expect(started).toBe(0);
  });

  it('starts the daemon once, creates the runtime dir 0700, and connects when the socket appears', async () => {
    const runtime = path.join(dir, 'run');
    const sock = path.join(runtime, 'libvirt', 'libvirt-sock');
    const calls: string[][] = [];
    const s = await dialUnixAutostart(sock, '/usr/sbin/libvirtd', {
      env: { XDG_RUNTIME_DIR: runtime, PATH: '/bin' },
      startDaemon: async (argv, env) => {
        calls.push([...argv]);
        expect(env.XDG_RUNTIME_DIR).toBe(runtime);
        // The "daemon" takes a moment to create its socket, as a real one does.
        setTimeout(() => void listen(sock), 50);
      },
    });
    s.destroy();
    expect(calls).toEqual([['/usr/sbin/libvirtd', '--timeout=120']]);
    expect(fs.statSync(path.join(runtime, 'libvirt')).mode & 0o777).toBe(0o700);
  });

  it('reports a daemon that cannot be started, naming it', async () => {
    const sock = path.join(dir, 'libvirt', 'libvirt-sock');
    const err = await dialUnixAutostart(sock, path.join(dir, 'no-such-daemon'), { env: { XDG_RUNTIME_DIR: dir } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).errno).toBe('ENOENT');
    expect((err as Error).message).toContain(`cannot start the session daemon ${path.join(dir, 'no-such-daemon')}`);
  });

  it('gives up at the timeout when the daemon never listens', async () => {
    const sock = path.join(dir, 'libvirt', 'libvirt-sock');
    const t0 = Date.now();
    const err = await dialUnixAutostart(sock, '/usr/sbin/libvirtd', {
      env: { XDG_RUNTIME_DIR: dir },
      timeout: 150,
      startDaemon: async () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('stops waiting when aborted', async () => {
    const sock = path.join(dir, 'libvirt', 'libvirt-sock');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const err = await dialUnixAutostart(sock, '/usr/sbin/libvirtd', {
      env: { XDG_RUNTIME_DIR: dir },
      signal: ac.signal,
      startDaemon: async () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
  });

  it('does not start a daemon for other failures (a socket path below a regular file: ENOTDIR)', async () => {
    fs.writeFileSync(path.join(dir, 'file'), '');
    const sock = path.join(dir, 'file', 'libvirt-sock');
    let started = 0;
    const err = await dialUnixAutostart(sock, '/usr/sbin/libvirtd', {
      env: { XDG_RUNTIME_DIR: dir },
      startDaemon: async () => void started++,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).errno).toBe('ENOTDIR');
    expect(started).toBe(0);
  });
});

describe('when the plan asks for autostart', () => {
  const plan = (uri: string | null, vars: Record<string, string>, uid = 1000) =>
    planRemoteConnection(uri, { env: { XDG_RUNTIME_DIR: '/run/user/1000', HOME: '/home/u', ...vars }, uid, exists: () => false, conf: null });

  it('for a session URI of an unprivileged user, with the daemon behind the socket', () => {
    const p = plan('qemu:///session', {});
    expect(p.autostart).toBe(true);
    expect(p.daemonName).not.toBeNull();
  });

  it('not for root, a socket= parameter, a host, or LIBVIRT_AUTOSTART=0', () => {
    expect(plan('qemu:///session', {}, 0).autostart).toBe(false);
    expect(plan('qemu:///session', { LIBVIRT_AUTOSTART: '0' }).autostart).toBe(false);
    expect(plan('qemu+unix:///session?socket=/tmp/s', {}).daemonName).toBeNull();
    expect(plan('qemu+tcp://host/session', {}).autostart).toBe(false);
  });
});
