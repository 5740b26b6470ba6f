/**
 * `console` against virsh 9.0.0 on a real QEMU TCG guest whose serial port prints a known line at
 * boot and echoes what it receives (harness/console-guest.ts). Each program runs on a
 * pseudo-terminal with the same keystrokes; the guest is started paused, the console attached,
 * then the guest resumed, so the line is printed while the console listens. The transcripts
 * (the line, the echoed input, virsh's messages) and exit statuses must match.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { clientEnv, run, VIRSH } from '../../harness/daemon.js';
import { consoleGuest, CONSOLE_GUEST_BANNER } from '../../harness/console-guest.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { bothOnTerminal, transcript } from './terminal.js';
import { both } from './virsh-diff.js';

let uri = '';
const name = `lvrpc-console-${randomUUID().slice(0, 8)}`;
/** A transient twin for `create --console`, from `createFile`. */
const created = `${name}-t`;
let createFile = '';

async function virshRun(...args: string[]): Promise<void> {
  await run(VIRSH, ['-c', uri, ...args], { env: clientEnv(), timeoutMs: 60_000 });
}

/** The guest, freshly booted and paused before its first instruction. */
async function pausedGuest(): Promise<void> {
  await virshRun('destroy', name);
  await virshRun('start', name, '--paused');
}

beforeAll(async () => {
  const d = await harnessDaemon();
  uri = d.uris.qemuSessionUnix;
  const guest = consoleGuest(d.dir, name);
  const file = path.join(d.dir, `${name}.xml`);
  fs.writeFileSync(file, guest.xml);
  const r = await run(VIRSH, ['-c', uri, 'define', file], { env: clientEnv(), timeoutMs: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  createFile = path.join(d.dir, `${created}.xml`);
  fs.writeFileSync(createFile, consoleGuest(d.dir, created).xml);
}, 120_000);

afterAll(async () => {
  if (!uri) return;
  await virshRun('destroy', created);
  await virshRun('destroy', name);
  await virshRun('undefine', name);
}, 120_000);

const resume = (): string[] => [VIRSH, '-c', uri, 'resume', name];
const ESC = '\x1d';

describe('console on a QEMU guest, as virsh', { timeout: 240_000 }, () => {
  it('shows the guest’s line, sends typed input, and ^] ends it', async () => {
    const steps = [
      { expect: 'Escape character is .*\\n', send: '', run: resume() },
      { expect: 'type and I echo\\r\\n', send: 'hello from the terminal' },
      { expect: 'hello from the terminal', send: ESC },
    ];
    const [ours, theirs] = await bothOnTerminal(['-c', uri, 'console', name], steps, {}, pausedGuest);
    expect(ours.stepsDone).toBe(steps.length);
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(ours.status).toBe(theirs.status);
    expect(ours.status).toBe(0);
    expect(transcript(ours)).toBe(
      `Connected to domain '${name}'\r\nEscape character is ^] (Ctrl + ])\r\n${CONSOLE_GUEST_BANNER}\r\nhello from the terminal\r\n`,
    );
  });

  it('-e ^a: its own escape, and ^] goes to the guest', async () => {
    const steps = [
      { expect: 'Escape character is .*\\n', send: '', run: resume() },
      { expect: 'type and I echo\\r\\n', send: `a${ESC}b` },
      { expect: `a${ESC}b`, send: '\x01' },
    ];
    const [ours, theirs] = await bothOnTerminal(['-e', '^a', '-c', uri, 'console', name], steps, {}, pausedGuest);
    expect(ours.stepsDone).toBe(steps.length);
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(ours.status).toBe(theirs.status);
    expect(transcript(ours)).toContain('Escape character is ^a (Ctrl + a)');
  });

  it('--safe and a one-character escape', async () => {
    const steps = [{ expect: 'Escape character is .*\\n', send: 'x' }];
    const [ours, theirs] = await bothOnTerminal(['-e', 'x', '-c', uri, `console ${name} --safe`], steps, {}, pausedGuest);
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(ours.status).toBe(theirs.status);
  });

  it('--devname of no device fails as virsh', async () => {
    // No keystroke: the session fails by itself (a key typed meanwhile would be echoed or not by timing).
    const [ours, theirs] = await bothOnTerminal(['-c', uri, 'console', name, '--devname', 'nope'], [], {}, pausedGuest);
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(ours.status).toBe(1);
    expect(theirs.status).toBe(1);
  });

  it('a shut-off domain is refused as virsh refuses it', async () => {
    const [ours, theirs] = await bothOnTerminal(['-c', uri, 'console', name], [], {}, () => virshRun('destroy', name));
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(ours.status).toBe(1);
    expect(transcript(ours)).toContain('error: The domain is not running');
  });

  it('start --console: started, then the console as `console` runs it', async () => {
    const steps = [
      { expect: 'Escape character is .*\\n', send: '', run: resume() },
      { expect: 'type and I echo\\r\\n', send: 'started here' },
      { expect: 'started here', send: ESC },
    ];
    const [ours, theirs] = await bothOnTerminal(['-c', uri, 'start', name, '--paused', '--console'], steps, {}, () => virshRun('destroy', name));
    expect(ours.stepsDone).toBe(steps.length);
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(ours.status).toBe(theirs.status);
    expect(ours.status).toBe(0);
    expect(transcript(ours)).toBe(
      `Domain '${name}' started\r\nConnected to domain '${name}'\r\nEscape character is ^] (Ctrl + ])\r\n${CONSOLE_GUEST_BANNER}\r\nstarted here\r\n`,
    );
  });

  it('create --console: created, then the console', async () => {
    const steps = [
      { expect: 'Escape character is .*\\n', send: '', run: [VIRSH, '-c', uri, 'resume', created] },
      { expect: 'type and I echo\\r\\n', send: 'created here' },
      { expect: 'created here', send: ESC },
    ];
    const [ours, theirs] = await bothOnTerminal(['-c', uri, 'create', createFile, '--paused', '--console'], steps, {}, () => virshRun('destroy', created));
    expect(ours.stepsDone).toBe(steps.length);
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(ours.status).toBe(theirs.status);
    expect(transcript(ours)).toContain(`Domain '${created}' created from ${createFile}\r\nConnected to domain '${created}'\r\n`);
    expect(transcript(ours)).toContain('created here');
  });

  it('start/create --console where the driver has no console: start fails with libvirt’s error, create succeeds silently', async () => {
    const testUri = await privateTestUri('unix', { domains: [{ name: 'idle', state: 'shutoff' }] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-console-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'new.xml');
    fs.writeFileSync(file, "<domain type='test'><name>newdom</name><memory>8192</memory><os><type>hvm</type></os></domain>\n");
    const [startOurs, startTheirs] = await bothOnTerminal(['-c', testUri, 'start', 'idle', '--console'], []);
    expect(transcript(startOurs)).toBe(transcript(startTheirs));
    expect([startOurs.status, startTheirs.status]).toEqual([1, 1]);
    expect(transcript(startOurs)).toMatch(/^Domain 'idle' started\r\nConnected to domain 'idle'\r\nEscape character is .*\r\nerror: /);
    const [createOurs, createTheirs] = await bothOnTerminal(['-c', testUri, 'create', file, '--console'], []);
    expect(transcript(createOurs)).toBe(transcript(createTheirs));
    expect([createOurs.status, createTheirs.status]).toEqual([0, 0]);
    expect(transcript(createOurs)).not.toContain('error');
  });

  it('without a terminal, and with a bad escape', async () => {
    await pausedGuest();
    for (const args of [
      ['console', name],
      ['-e', '^5', 'console', name],
      ['-e', 'xy', 'console', name],
    ]) {
      const [ours, theirs] = await both(['-c', uri, ...args]);
      expect(ours).toEqual(theirs);
      expect(ours.status).toBe(1);
    }
  });
});
