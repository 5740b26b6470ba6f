/**
 * The ext transport (`command=`): libvirt runs the program, with no arguments, and speaks the
 * protocol over its stdin/stdout. Here the program is a script running `nc -U <daemon socket>`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrivateDaemon } from '../../harness/daemon.js';
import { writeTestNodeXml } from '../../harness/test-driver.js';
import { connect, ConnectionClosedError } from '../../src/index.js';
import { CommandTransportError } from '../../src/transport/command.js';
import { startExtraDaemon } from './env.js';
import { expectAgreesWithPython } from './oracle.js';

let daemon: PrivateDaemon;
let dir: string;

beforeAll(async () => {
  daemon = await startExtraDaemon({ label: 'ext' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-ext-'));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}

function extUri(command: string): string {
  const node = writeTestNodeXml(path.join(daemon.dir, 'nodes'));
  return `test+ext://${node}?command=${command}`;
}

describe('ext transport', () => {
  it('runs command= (nc -U <socket>) and agrees with python3-libvirt over the same URI', async () => {
    const uri = extUri(script('nc-daemon', `exec nc -U ${daemon.socketPath}`));
    await using conn = await connect(uri, { timeout: 15_000 });
    expect(conn.plan.transport).toBe('ext');
    await expectAgreesWithPython(uri, { timeout: 15_000 });
  });

  it("gives the command libvirt's environment (LC_ALL=C, no other variables of ours)", async () => {
    process.env.LVRPC_SHOULD_NOT_PASS = 'x';
    try {
      const envFile = path.join(dir, 'env.txt');
      const uri = extUri(script('env-dump', `env > ${envFile}\nexec nc -U ${daemon.socketPath}`));
      await using conn = await connect(uri, { timeout: 15_000 });
      await conn.raw.connectGetLibVersion();
      const env = fs.readFileSync(envFile, 'utf8');
      expect(env).toMatch(/^LC_ALL=C$/m);
      expect(env).toMatch(/^PATH=/m);
      expect(env).not.toContain('LVRPC_SHOULD_NOT_PASS');
    } finally {
      delete process.env.LVRPC_SHOULD_NOT_PASS;
    }
  });

  it("fails with the command's stderr and exit status when it exits", async () => {
    const uri = extUri(script('fails', 'echo "tunnel: no route to the daemon" >&2\nexit 3'));
    const err = (await connect(uri, { timeout: 15_000 }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ConnectionClosedError);
    const cmd = err.cause as CommandTransportError;
    expect(cmd).toBeInstanceOf(CommandTransportError);
    expect(cmd.exitCode).toBe(3);
    expect(err.message).toContain('tunnel: no route to the daemon');
    expect(err.message).toContain('exit status 3');
  });

  it('names a command that does not exist, or cannot be run', async () => {
    const missing = (await connect(extUri(path.join(dir, 'nope')), { timeout: 5000 }).catch((e: unknown) => e)) as Error;
    expect(missing).toBeInstanceOf(CommandTransportError);
    expect((missing as CommandTransportError).errno).toBe('ENOENT');
    expect(missing.message).toContain(path.join(dir, 'nope'));

    const notExec = path.join(dir, 'not-executable');
    fs.writeFileSync(notExec, '#!/bin/sh\n', { mode: 0o644 });
    const denied = (await connect(extUri(notExec), { timeout: 5000 }).catch((e: unknown) => e)) as Error;
    expect(denied).toBeInstanceOf(CommandTransportError);
    expect((denied as CommandTransportError).errno).toBe('EACCES');
  });

  it('kills the command on timeout and on abort', async () => {
    for (const how of ['timeout', 'abort'] as const) {
      const pidFile = path.join(dir, `${how}.pid`);
      const uri = extUri(script(`silent-${how}`, `echo $$ > ${pidFile}\nexec sleep 60`));
      const ac = new AbortController();
      if (how === 'abort') setTimeout(() => ac.abort(), 500);
      const t0 = Date.now();
      const err = (await connect(uri, how === 'timeout' ? { timeout: 500 } : { signal: ac.signal }).catch((e: unknown) => e)) as Error;
      expect(err.name).toBe(how === 'timeout' ? 'TimeoutError' : 'AbortError');
      expect(Date.now() - t0).toBeLessThan(5000);
      const pid = Number(fs.readFileSync(pidFile, 'utf8'));
      const end = Date.now() + 5000;
      while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(alive(pid)).toBe(false);
    }
  });

  it('rejects pending calls when the command dies mid-connection', async () => {
    const pidFile = path.join(dir, 'mid.pid');
    const uri = extUri(script('mid', `echo $$ > ${pidFile}\nexec nc -U ${daemon.socketPath}`));
    const conn = await connect(uri, { timeout: 15_000, keepalive: false });
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    daemon.kill('SIGSTOP');
    try {
      const pending = conn.raw.connectGetHostname();
      process.kill(pid, 'SIGKILL');
      const err = (await pending.catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(ConnectionClosedError);
      expect((err.cause as CommandTransportError).signal).toBe('SIGKILL');
    } finally {
      daemon.kill('SIGCONT');
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
