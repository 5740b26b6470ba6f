/**
 * Session daemon autostart with the real libvirtd: an unprivileged client
 * (the harness user lvtest, in a child process with fresh XDG directories)
 * opens `qemu:///session` while no daemon runs, and the client starts
 * `/usr/sbin/libvirtd --timeout=120` itself, as virsh does for the same user.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { lookupUser, VIRSH } from '../../harness/daemon.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const user = lookupUser();

/** A private home for lvtest: its runtime, config and cache dirs, and the probe script. */
interface Home {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly probe: string;
}
const homes: Home[] = [];

function newHome(): Home {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-autostart-'));
  for (const d of ['run', 'home', 'config', 'cache']) fs.mkdirSync(path.join(dir, d), { mode: 0o700 });
  // The probe loads libvirt-rpc as root (the checkout need not be readable by lvtest), then
  // becomes lvtest, connects, prints what it learnt as JSON, and never throws.
  const probe = path.join(dir, 'probe.mts');
  fs.writeFileSync(
    probe,
    [
      `import { connect } from ${JSON.stringify(path.join(repoRoot, 'src/index.ts'))};`,
      `process.setgroups([]); process.setgid(${user.gid}); process.setuid(${user.uid});`,
      'try {',
      '  const conn = await connect(process.argv[2]);',
      '  console.log(JSON.stringify({ uri: conn.uri, hostname: await conn.getHostname() }));',
      '  await conn.close();',
      '} catch (e) {',
      '  console.log(JSON.stringify({ error: String((e as Error).message), name: (e as Error).name }));',
      '}',
      '',
    ].join('\n'),
  );
  for (const p of [dir, ...fs.readdirSync(dir).map((f) => path.join(dir, f))]) fs.chownSync(p, user.uid, user.gid);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: path.join(dir, 'home'),
    USER: 'lvtest',
    LOGNAME: 'lvtest',
    XDG_RUNTIME_DIR: path.join(dir, 'run'),
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_CACHE_HOME: path.join(dir, 'cache'),
  };
  const home = { dir, env, probe };
  homes.push(home);
  return home;
}

/** Runs `file args` as lvtest (or as ourselves). */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, asTestUser = true): Promise<{ code: number; stdout: string; stderr: string }> {
  const ids = asTestUser ? { uid: user.uid, gid: user.gid } : {};
  return new Promise((resolve) => {
    execFile(file, args, { ...ids, env, cwd: repoRoot, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Our client, as lvtest (the probe drops to lvtest itself): the probe's JSON line. */
async function probe(home: Home, uri: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Record<string, string>> {
  const r = await run(process.execPath, ['--import', 'tsx', home.probe, uri], { ...home.env, ...extraEnv }, false);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout.trim()) as Record<string, string>;
}

/** The daemon lvtest's session runs, from its pid file, or null. */
function sessionDaemon(home: Home): { pid: number; argv: string[]; uid: number } | null {
  const pidFile = path.join(home.dir, 'run', 'libvirt', 'libvirtd.pid');
  if (!fs.existsSync(pidFile)) return null;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return { pid, argv, uid };
  } catch {
    return null;
  }
}

afterEach(() => {
  for (const home of homes.splice(0)) {
    const d = sessionDaemon(home);
    if (d) {
      try {
        process.kill(d.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(home.dir, { recursive: true, force: true });
  }
});

describe('session daemon autostart', () => {
  it('qemu:///session with no daemon running: the client starts libvirtd --timeout=120 as the user, then reuses it', async () => {
    const home = newHome();
    expect(sessionDaemon(home)).toBeNull();
    const first = await probe(home, 'qemu:///session');
    expect(first).toEqual({ uri: 'qemu:///session', hostname: os.hostname() });
    const d = sessionDaemon(home);
    expect(d).not.toBeNull();
    expect(d!.argv).toEqual(['/usr/sbin/libvirtd', '--timeout=120']);
    expect(d!.uid).toBe(user.uid);
    expect(fs.statSync(path.join(home.dir, 'run', 'libvirt')).mode & 0o777).toBe(0o700);
    // A second client finds the daemon running and starts nothing.
    expect(await probe(home, 'qemu:///session')).toEqual(first);
    expect(sessionDaemon(home)!.pid).toBe(d!.pid);
    // virsh, for the same user, talks to the same daemon.
    const v = await run(VIRSH, ['-c', 'qemu:///session', 'hostname'], home.env);
    expect(v).toEqual({ code: 0, stdout: `${os.hostname()}\n\n`, stderr: '' });
    expect(sessionDaemon(home)!.pid).toBe(d!.pid);
  });

  it('starts the same daemon virsh starts (same program, same arguments)', async () => {
    const home = newHome();
    const v = await run(VIRSH, ['-c', 'qemu:///session', 'uri'], home.env);
    expect(v.code).toBe(0);
    const theirs = sessionDaemon(home);
    expect(theirs).not.toBeNull();
    process.kill(theirs!.pid, 'SIGKILL');
    await waitFor(() => !fs.existsSync(`/proc/${theirs!.pid}`));
    fs.rmSync(path.join(home.dir, 'run', 'libvirt'), { recursive: true, force: true });
    await probe(home, 'qemu:///session');
    const ours = sessionDaemon(home);
    expect(ours).not.toBeNull();
    expect(ours!.argv).toEqual(theirs!.argv);
  });

  it('LIBVIRT_AUTOSTART=0: no daemon is started and the error names the socket', async () => {
    const home = newHome();
    const r = await probe(home, 'qemu:///session', { LIBVIRT_AUTOSTART: '0' });
    expect(r.name).toBe('TransportError');
    expect(r.error).toContain(path.join(home.dir, 'run', 'libvirt', 'libvirt-sock'));
    expect(sessionDaemon(home)).toBeNull();
  });

  it('a daemon program that does not exist (VIRTD_PATH) is a clear error, not a hang', async () => {
    const home = newHome();
    const r = await probe(home, 'qemu:///session', { VIRTD_PATH: '/nonexistent/libvirtd' });
    expect(r.name).toBe('TransportError');
    expect(r.error).toContain('cannot start the session daemon /nonexistent/libvirtd');
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
