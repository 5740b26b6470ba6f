/**
 * tsvirsh asks for an SSH password or key passphrase on the terminal, without echo, as virsh
 * does: both run on a pseudo-terminal (harness/pty-answer.py types the answer once the program has
 * turned echo off) against the same sshd and daemon over +libssh2, and their transcripts match.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientEnv, PYTHON, run, VIRSH, type PrivateDaemon } from '../../harness/daemon.js';
import { generateKeyPair, startSshd, type KeyPair, type Sshd } from '../../harness/sshd.js';
import { startExtraDaemon } from './env.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PASSWORD = 'Lvrpc-pw-9c2e';
const PHRASE = 'Lvrpc-phrase-tty-3';

let work: string;
let daemon: PrivateDaemon;
let pwd: Sshd;
let keyed: Sshd;
let encrypted: KeyPair;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-prompt-'));
  fs.mkdirSync(path.join(work, 'home'));
  daemon = await startExtraDaemon({ label: 'prompt' });
  encrypted = await generateKeyPair(path.join(work, 'keys'), 'id_enc', 'ed25519', PHRASE);
  pwd = await startSshd({ password: PASSWORD, pubkey: false });
  keyed = await startSshd({ authorizedKeys: [encrypted.publicLine] });
});

afterAll(async () => {
  await pwd?.stop();
  await keyed?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface PtyRun {
  output: string;
  status: number;
  answered: boolean;
  echo_off: boolean | null;
}

async function onTerminal(argv: string[], expectText: string, answer: string): Promise<PtyRun> {
  const env = { ...clientEnv(), HOME: path.join(work, 'home') } as Record<string, string>;
  const spec = { argv, env, expect: expectText.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), answer, timeout: 60 };
  const r = await run(PYTHON, ['-I', path.join(root, 'harness', 'pty-answer.py'), JSON.stringify(spec)], { timeoutMs: 90_000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as PtyRun;
}

/**
 * The output with carriage returns dropped, and without the line virsh prints on a terminal when
 * it cannot start its polkit agent (no D-Bus here), which has nothing to do with SSH.
 */
function transcript(r: PtyRun): string {
  return r.output.replace(/\r/g, '').replace(/^Authorization not available\. Check if polkit service is running.*\n/m, '');
}

const tsvirsh = (uri: string, cmd: string): string[] => [process.execPath, '--import', 'tsx', path.join(root, 'src', 'cli', 'tsvirsh.ts'), '-c', uri, cmd];
const virsh = (uri: string, cmd: string): string[] => [VIRSH, '-c', uri, cmd];

describe('tsvirsh prompts on the terminal as virsh does', () => {
  it('an SSH password (+libssh2, sshauth=password): same prompt, no echo, same result', async () => {
    const kh = pwd.writeKnownHosts(path.join(work, 'kh-pwd'));
    const uri = `test+libssh2://lvtest@127.0.0.1:${pwd.port}/default?socket=${daemon.socketPath}&known_hosts=${kh}&sshauth=password`;
    const prompt = "Enter lvtest's password for 127.0.0.1: ";
    const ours = await onTerminal(tsvirsh(uri, 'hostname'), prompt, PASSWORD);
    const theirs = await onTerminal(virsh(uri, 'hostname'), prompt, PASSWORD);
    for (const r of [ours, theirs]) {
      expect(r.answered).toBe(true);
      expect(r.echo_off).toBe(true);
      expect(r.status).toBe(0);
      expect(r.output).not.toContain(PASSWORD);
    }
    expect(transcript(ours)).toBe(transcript(theirs));
  });

  it('a key passphrase (+libssh2, sshauth=privkey): same prompt, no echo, same result', async () => {
    const kh = keyed.writeKnownHosts(path.join(work, 'kh-key'));
    const uri = `test+libssh2://lvtest@127.0.0.1:${keyed.port}/default?socket=${daemon.socketPath}&known_hosts=${kh}&keyfile=${encrypted.privatePath}&sshauth=privkey`;
    const prompt = `Passphrase for key '${encrypted.privatePath}': `;
    const ours = await onTerminal(tsvirsh(uri, 'list --name'), prompt, PHRASE);
    const theirs = await onTerminal(virsh(uri, 'list --name'), prompt, PHRASE);
    for (const r of [ours, theirs]) {
      expect(r.echo_off).toBe(true);
      expect(r.status).toBe(0);
      expect(r.output).not.toContain(PHRASE);
      expect(r.output).toContain('test');
    }
    expect(transcript(ours)).toBe(transcript(theirs));
  });
});
