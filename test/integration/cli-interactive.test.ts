/**
 * The interactive shell on a pseudo-terminal, tsvirsh against virsh 9.0.0 with the same
 * keystrokes on the same private test-driver state: the banner and prompt, history read from and
 * written to virsh's history file ($XDG_CACHE_HOME/libvirt/virsh/history: both files must end up
 * byte-identical), recall with the Up key, Tab completion of a command name and of a domain name,
 * Ctrl-D and Ctrl-C. Line editing is drawn differently by GNU readline and Node's readline, so
 * the terminal output is compared as text (escape sequences and carriage returns removed) for
 * what the commands printed. Then `complete` (what virsh's bash-completion script runs) against
 * virsh's, in process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_GUEST_DEVICES } from '../../harness/test-driver.js';
import { privateTestUri } from './env.js';
import { onTerminal, transcript, tsvirshArgv, virshArgv, type KeyStep, type TerminalRun } from './terminal.js';
import { both } from './virsh-diff.js';

let uri = '';
let work = '';

beforeAll(async () => {
  uri = await privateTestUri();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-shell-'));
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** The terminal's text: no escape sequences, no carriage returns. */
const text = (r: TerminalRun): string =>
  transcript(r)
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/[\r\x07\x08]/g, '');

/** Runs both programs through `steps`, each with a cache directory of its own seeded with `history`; returns their runs and history files. */
async function shellBoth(
  args: string[],
  steps: KeyStep[],
  history: string | null,
  env: Record<string, string> = {},
): Promise<{ runs: [TerminalRun, TerminalRun]; files: [string | null, string | null] }> {
  const runs: TerminalRun[] = [];
  const files: (string | null)[] = [];
  for (const [label, argv] of [
    ['ours', tsvirshArgv(...args)],
    ['theirs', virshArgv(...args)],
  ] as const) {
    const cache = path.join(work, `${label}-${Math.random().toString(36).slice(2)}`);
    const file = path.join(cache, 'libvirt', 'virsh', 'history');
    if (history !== null) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, history);
    }
    runs.push(await onTerminal(argv, steps, { XDG_CACHE_HOME: cache, HOME: work, ...env }));
    files.push(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null);
  }
  return { runs: runs as [TerminalRun, TerminalRun], files: files as [string | null, string | null] };
}

const PROMPT = 'virsh # ';

describe('the interactive shell on a terminal, as virsh', () => {
  it('history recall and completion of a command name and of a domain name', { timeout: 240_000 }, async () => {
    const steps: KeyStep[] = [
      // Up at the first prompt: the last line of the history file.
      { expect: PROMPT, send: '\x1b[A' },
      { expect: 'from the file', send: '\r' },
      { expect: PROMPT, send: 'echo one  two\r' },
      // Up again: the line just run.
      { expect: PROMPT, send: '\x1b[A\r' },
      { expect: PROMPT, send: 'dominf\t' },
      { expect: 'dominfo ', send: 'te\t' },
      { expect: 'test ', send: '\r' },
      { expect: PROMPT, send: '\x04' },
    ];
    const { runs, files } = await shellBoth(['-c', uri], steps, 'list\necho from the file\n');
    const [ours, theirs] = runs;
    expect(ours.stepsDone).toBe(steps.length);
    expect(theirs.stepsDone).toBe(steps.length);
    expect(ours.status).toBe(theirs.status);
    expect(ours.status).toBe(0);
    // History: the file's lines, then every line run, recalled ones again.
    expect(files[0]).toBe(files[1]);
    expect(files[0]).toBe('list\necho from the file\necho from the file\necho one  two\necho one  two\ndominfo test \n');
    for (const r of runs) {
      const t = text(r);
      expect(
        t.startsWith("Welcome to virsh, the virtualization interactive terminal.\n\nType:  'help' for help with commands\n       'quit' to quit\n\n"),
      ).toBe(true);
      expect(t).toContain('\nfrom the file\n');
      expect(t.split('\none two\n').length).toBe(3);
      expect(t).toContain('dominfo test \nId:             1\nName:           test\n');
    }
  });

  it('-q and -r: no banner, the read-only prompt; quit ends it', { timeout: 240_000 }, async () => {
    const steps: KeyStep[] = [
      { expect: 'virsh > ', send: 'destroy test\r' },
      { expect: 'virsh > ', send: 'quit\r' },
    ];
    const { runs, files } = await shellBoth(['-q', '-r', '-c', uri], steps, null);
    expect(files[0]).toBe(files[1]);
    expect(files[0]).toBe('destroy test\nquit\n');
    expect(runs[0].status).toBe(runs[1].status);
    for (const r of runs) {
      const t = text(r);
      expect(t.startsWith('virsh > ')).toBe(true);
      expect(t).toContain('error: operation forbidden: read only access prevents virDomainDestroy');
    }
  });

  it('Ctrl-C at the prompt ends the shell as it ends virsh, without writing the history', { timeout: 240_000 }, async () => {
    const steps: KeyStep[] = [
      { expect: PROMPT, send: 'echo x\r' },
      { expect: PROMPT, send: '\x03' },
    ];
    const { runs, files } = await shellBoth(['-c', uri], steps, 'old\n');
    expect(runs[0].status).toBe(runs[1].status);
    expect(files[0]).toBe(files[1]);
    expect(files[0]).toBe('old\n');
  });

  it('VIRSH_HISTSIZE limits the history, and a bad value is refused', { timeout: 240_000 }, async () => {
    const steps: KeyStep[] = [
      { expect: PROMPT, send: 'echo a\r' },
      { expect: PROMPT, send: 'echo b\r' },
      { expect: PROMPT, send: '\x04' },
    ];
    const small = await shellBoth(['-c', uri], steps, 'old1\nold2\n', { VIRSH_HISTSIZE: '2' });
    expect(small.files[0]).toBe(small.files[1]);
    expect(small.files[0]).toBe('echo a\necho b\n');
    // virsh reports a bad value and runs on, reading and writing no history.
    const bad = await shellBoth(['-c', uri], steps, 'old\n', { VIRSH_HISTSIZE: 'lots' });
    expect(bad.runs[0].status).toBe(bad.runs[1].status);
    expect(bad.files[0]).toBe(bad.files[1]);
    expect(bad.files[0]).toBe('old\n');
    for (const r of bad.runs) expect(text(r).startsWith('error: Bad $VIRSH_HISTSIZE value.\nWelcome to virsh')).toBe(true);
  });
});

describe('complete, as virsh’s bash completion runs it', () => {
  // Inputs whose answers do not depend on commands or option orders still being brought to virsh's.
  const WORDS: string[][] = [
    [],
    ['sta'],
    ['start'],
    ['dump'],
    ['dominfo', ''],
    ['dominfo', 't'],
    ['dominfo', '--domain', 't'],
    ['dominfo', '--domain=t'],
    ['dominfo --domain', ''],
    ['dominfo --domain', 'x'],
    ['dominfo', 'test', ''],
    ['start', 't'],
    ['destroy', 't'],
    ['net-info', 'd'],
    ['net-start', 'd'],
    ['net-info', '--network'],
    ['pool-info', 'd'],
    ['iface-dumpxml', 'e'],
    ['nodedev-dumpxml', 'c'],
    ['snapshot-list', 't'],
    ['vol-list', 'd'],
    ['echo', 'a', 'b'],
    ['list;', 'dominf'],
    ['help', 'domsta'],
    ['nosuch', 'x'],
    ['domstate', '--reason', '--'],
    ['set-lifecycle-action', 'test', '--type', ''],
    ['set-lifecycle-action', 'test', '--action', 're'],
    ['dump', 'test', 'f', '--format', ''],
    ['nodesuspend', '--target', ''],
    ['net-update', 'default', '--command', ''],
    ['net-update', 'default', '--section', 'ip'],
    ['numatune', 'test', '--mode', ''],
    ['domdirtyrate-calc', 'test', '--mode', ''],
    ['send-key', 'test', '--codeset', ''],
    ['domifaddr', 'test', '--source', ''],
    ['attach-interface', 'test', '--source-mode', ''],
    ['pool-list', '--type', ''],
    ['pool-list', '--type', 'dir,'],
    ['pool-list', '--type', 'dir,logical,i'],
    ['pool-define-as', 'p', ''],
    ['pool-define-as', 'p', 'n'],
    ['pool-create-as', '--type', 'rbd,'],
    ['pool-define-as', 'p', 'dir', '--source-host', ''],
  ];
  it.each(WORDS.map((w) => [JSON.stringify(w), w] as const))('complete -- %s', async (_label, words) => {
    const [ours, theirs] = await both(['-c', uri, 'complete', '--', ...words]);
    expect(ours).toEqual(theirs);
  });

  // Comma-separated lists (virshCommaStringListComplete) and disk targets, on domains with disks.
  const ON_DISKS: string[][] = [
    ['shutdown', 'test', '--mode', ''],
    ['shutdown', 'test', '--mode', 'acpi,a'],
    ['reboot', 'test', '--mode', 'acpi,agent,'],
    ['undefine', 'test', '--storage', ''],
    ['undefine', 'test', '--storage', 'vda,'],
    ['undefine', 'test', '--storage', 'vda,h'],
    ['undefine', 'nope', '--storage', ''],
    ['domblkinfo', 'test', '--device', ''],
    ['migrate', 'test', '--migrate-disks', 'hdc,'],
    ['snapshot-info', 'nope', '--snapshotname', ''],
  ];
  it.each(ON_DISKS.map((w) => [JSON.stringify(w), w] as const))('complete -- %s (domains with disks)', async (_label, words) => {
    const devUri = await privateTestUri('unix', { domainDevices: TEST_GUEST_DEVICES });
    const [ours, theirs] = await both(['-c', devUri, 'complete', '--', ...words]);
    expect(ours).toEqual(theirs);
  });

  it('completes a mode list and disk targets (so the list is not empty by accident)', async () => {
    const devUri = await privateTestUri('unix', { domainDevices: TEST_GUEST_DEVICES });
    const [mode, disks] = await Promise.all([
      both(['-c', devUri, 'complete', '--', 'shutdown', 'test', '--mode', 'acpi,']),
      both(['-c', devUri, 'complete', '--', 'undefine', 'test', '--storage', 'hdc,']),
    ]);
    expect(mode[0].stdout).toBe('acpi,agent\nacpi,initctl\nacpi,signal\nacpi,paravirt\n\n');
    expect(disks[0].stdout).toBe('hdc,vda\nhdc,fda\n\n');
  });

  it('completes a domain name and a command name (so the list is not empty by accident)', async () => {
    const [dom, cmd] = await Promise.all([both(['-c', uri, 'complete', '--', 'dominfo', 't']), both(['-c', uri, 'complete', '--', 'domsta'])]);
    expect(dom[0].stdout).toBe('test\n\n');
    expect(cmd[0].stdout).toBe('domstate\ndomstats\n\n');
  });
});
