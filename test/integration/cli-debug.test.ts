/**
 * `-d LEVEL` and `-l FILE` against virsh 9.0.0 on the same test-driver state: the debug messages
 * on stdout (option parsing, lookups, the commands' own), stderr and the exit status are
 * identical, and so are the log files once each line's `[time program pid]` prefix is checked
 * and masked; VIRSH_DEBUG and VIRSH_LOG_FILE as virsh reads them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientEnv, run, VIRSH } from '../../harness/daemon.js';
import { runVirsh } from '../../src/cli/main.js';
import { privateTestUri } from './env.js';
import { both, type Outcome } from './virsh-diff.js';

let uri = '';
const dir = mkdtempSync(join(tmpdir(), 'tsvirsh-debug-'));

beforeAll(async () => {
  uri = await privateTestUri('unix');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The test driver's CPU time follows the clock. */
const stable = (o: Outcome): Outcome => ({ ...o, stdout: o.stdout.replace(/^(CPU time:\s+)[\d.]+s$/m, '$1') });

const SAME: string[][] = [
  ['-d', '0', 'dominfo', 'test'],
  ['-d', '1', 'dominfo', 'test'],
  ['-d', '3', 'dominfo', 'test'],
  ['-d', '0', 'list', '--all'],
  ['-d', '0', 'list --all; domstate 1; domstate 6695eb01-f6a4-8304-79aa-97f2502e193f; domstate nope'],
  ['-d', '0', 'net-info', 'default'],
  ['-d', '0', 'pool-info', 'default-pool'],
  ['-d', '0', 'pool-list', '--details'],
  ['-d', '0', 'vol-info', '--pool', 'default-pool', 'nope'],
  ['-d', '1', 'vol-info', 'nope'],
  ['-d', '0', 'vol-create-as', 'default-pool', 'v', '1M', '--backing-vol', 'nope', '--print-xml'],
  ['-d', '0', 'vol-create-as default-pool b 1M; vol-create-as default-pool v 1M --backing-vol b --print-xml'],
  ['-d', '0', 'list', '--all', '--all'],
  ['-d', '0', 'iface-mac', 'eth1'],
  ['-d', '0', 'nwfilter-dumpxml', 'x'],
  ['-d', '0', 'secret-dumpxml', 'x'],
  ['-d', '0', 'net-port-dumpxml', 'default', '6695eb01-f6a4-8304-79aa-97f2502e193f'],
  ['-d', '0', 'echo', 'a', '--shell', 'b c'],
  ['-d', '0', 'list', '--bogus'],
  ['-d', '9', 'list'],
  ['-d', 'x', 'list'],
  ['--debug=0', 'domid', 'test'],
];

describe('-d: virsh’s debug messages on stdout', () => {
  for (const args of SAME) {
    it(args.join(' '), async () => {
      const [a, b] = await both(['-c', uri, ...args]);
      expect(stable(a)).toEqual(stable(b));
    });
  }

  it('in the shell reading stdin', async () => {
    const [a, b] = await both(['-c', uri, '-d', '0'], 'dominfo test\nnet-info default\n');
    expect(stable(a)).toEqual(stable(b));
    expect(a.stdout).toContain('dominfo: <domain> trying as domain NAME\n');
  });
});

/** A log's lines with the `[YYYY.MM.DD HH:MM:SS PROGRAM PID]` prefix checked and masked. */
function logLines(path: string, program: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^\[(\d{4})\.(\d\d)\.(\d\d) (\d\d):(\d\d):(\d\d) (\S+) (\d+)\] (.*)$/.exec(l);
      expect(m, l).not.toBeNull();
      expect(m![7]).toBe(program);
      return m![9];
    });
}

/** tsvirsh in-process and virsh with `args`, each with its own log file (`LOG` in args), and `env` added. */
async function logged(args: string[], env: Record<string, string> = {}, name = 'x'): Promise<{ ours: string[]; theirs: string[]; a: Outcome; b: Outcome }> {
  const oursLog = join(dir, `${name}-ours.log`);
  const theirsLog = join(dir, `${name}-virsh.log`);
  const sub = (file: string): string[] => args.map((x) => (x === 'LOG' ? file : x));
  const envFor = (file: string): Record<string, string> => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === 'LOG' ? file : v]));
  let stdout = '';
  let stderr = '';
  const status = await runVirsh(['-c', uri, ...sub(oursLog)], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    stdin: '',
    env: clientEnv(envFor(oursLog)),
  });
  const r = await run(VIRSH, ['-c', uri, ...sub(theirsLog)], { env: clientEnv(envFor(theirsLog)), timeoutMs: 30_000, input: '' });
  return {
    ours: logLines(oursLog, 'tsvirsh'),
    theirs: logLines(theirsLog, 'virsh'),
    a: stable({ stdout, stderr, status }),
    b: stable({ stdout: r.stdout, stderr: r.stderr, status: r.code ?? -1 }),
  };
}

describe('-l: virsh’s log file', () => {
  it('debug messages at the level, and every error line, in virsh’s format', async () => {
    const r = await logged(['-l', 'LOG', '-d', '0', 'dominfo test; domstate nope; echo --err oops'], {}, 'one');
    expect(r.ours).toEqual(r.theirs);
    expect(r.a).toEqual(r.b);
    expect(r.ours).toContain('DEBUG dominfo: <domain> trying as domain NAME');
    expect(r.ours).toContain("ERROR failed to get domain 'nope'");
  });

  it('without -d only the errors', async () => {
    const r = await logged(['-l', 'LOG', 'vol-info', '--pool', 'default-pool', 'nope'], {}, 'two');
    expect(r.ours).toEqual(r.theirs);
    expect(r.ours.every((l) => l.startsWith('ERROR '))).toBe(true);
  });

  it('appends', async () => {
    await logged(['-l', 'LOG', 'domstate', 'nope'], {}, 'three');
    const r = await logged(['-l', 'LOG', 'domstate', 'nope'], {}, 'three');
    expect(r.ours).toEqual(r.theirs);
    expect(r.ours.length).toBe(2);
  });

  it('VIRSH_DEBUG and VIRSH_LOG_FILE when no option gives them', async () => {
    const r = await logged(['dominfo', 'test'], { VIRSH_DEBUG: '1', VIRSH_LOG_FILE: 'LOG' }, 'env');
    expect(r.ours).toEqual(r.theirs);
    expect(r.a).toEqual(r.b);
    expect(r.ours[0]).toBe('INFO dominfo: domain(optdata): test');
  });

  it('a bad VIRSH_DEBUG is virsh’s error, and -d still applies', async () => {
    const r = await logged(['-l', 'LOG', '-d', '1', 'domid', 'test'], { VIRSH_DEBUG: 'x' }, 'badenv');
    expect(r.a).toEqual(r.b);
    expect(r.a.stderr).toBe('error: VIRSH_DEBUG not set with a valid numeric value\n');
    expect(r.ours).toEqual(r.theirs);
  });

  it('a log file that cannot be opened', async () => {
    const [a, b] = await both(['-c', uri, '-l', join(dir, 'no/such/dir/x.log'), 'list']);
    expect(a).toEqual(b);
    expect(a.status).toBe(1);
  });
});
