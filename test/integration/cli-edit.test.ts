/**
 * `edit` and the `*-edit` commands against virsh 9.0.0 on the same private test-driver state (each
 * connection loads it afresh, so every run starts from the same objects):
 *
 * - on a pseudo-terminal, with EDITOR a script that changes the domain's memory: the same
 *   transcript and the same XML afterwards; with a script that breaks the XML: the same retry
 *   prompt, and the same behaviour for each answer (`?` help, an unknown key, `i` without
 *   validation, `f` force, `n` give up, `y` edit again);
 * - without a terminal (in process against virsh's own run): every `*-edit` command with an
 *   editor that changes nothing, one that changes the XML, one that breaks it, and editors that
 *   fail in the ways virsh reports ($VISUAL before $EDITOR, arguments run through `sh -c`, a
 *   program not on $PATH, a non-zero exit, a signal, a removed file).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownToTestUser } from '../../harness/daemon.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { bothOnTerminal, transcript, type KeyStep } from './terminal.js';
import { both, helpOutline, ours as oursRun, theirs as theirsRun } from './virsh-diff.js';

let uri = '';
let work = '';
let daemonDir = '';
const editor = (name: string): string => path.join(work, name);

/** Editor scripts: each edits the file it is given as $1. */
const EDITORS: Record<string, string> = {
  // memory 8388608 KiB -> 3000000 KiB
  'mem.sh': `sed -i 's|<memory unit=.KiB.>[0-9]*</memory>|<memory unit="KiB">3000000</memory>|' "$1"`,
  // an invalid memory value
  'bad.sh': `sed -i 's|<memory unit=.KiB.>|<memory unit="KiB">x|' "$1"`,
  // the first run breaks the memory value, the next one repairs it
  'toggle.sh': `if grep -q '>x[0-9]' "$1"; then sed -i 's|>x\\([0-9]\\)|>\\1|' "$1"; else sed -i 's|<memory unit=.KiB.>|<memory unit="KiB">x|' "$1"; fi`,
  'comment.sh': `echo '<!-- edited -->' >> "$1"`,
  'meta.sh': `printf '<foo bar="1"/>\\n' > "$1"`,
  // run as "args.sh -x FILE": the file is the second argument
  'args.sh': `[ "$1" = -x ] && echo '<!-- edited -->' >> "$2"`,
  'none.sh': 'true',
  'fail.sh': 'exit 3',
  'kill.sh': 'kill -9 $$',
  'rm.sh': `rm "$1"`,
};

beforeAll(async () => {
  uri = await privateTestUri();
  daemonDir = (await harnessDaemon()).dir;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-edit-'));
  for (const [name, body] of Object.entries(EDITORS)) fs.writeFileSync(editor(name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A prompt step: wait for virsh's question, then press `key`. */
const answer = (key: string): KeyStep => ({ expect: 'Try again\\? \\[[a-z,?]+\\]: ', send: key });

describe('edit on a terminal, as virsh', { timeout: 240_000 }, () => {
  it('an editor that changes the memory: the domain changes as with virsh', async () => {
    const [ours, theirs] = await bothOnTerminal(['-c', uri, 'edit test; dumpxml test --inactive'], [], { EDITOR: editor('mem.sh') });
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(ours.status).toBe(theirs.status);
    expect(transcript(ours)).toContain("Domain 'test' XML configuration edited.");
    expect(transcript(ours)).toContain("<memory unit='KiB'>3000000</memory>");
  });

  it('an invalid edit: the prompt, ?, an unknown key, i, f and n behave as virsh', async () => {
    const steps = [answer('?'), answer('x'), answer('i'), answer('f'), answer('n')];
    const [ours, theirs] = await bothOnTerminal(['-c', uri, 'edit', 'test'], steps, { EDITOR: editor('bad.sh') });
    expect(ours.stepsDone).toBe(steps.length);
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(ours.status).toBe(theirs.status);
    expect(ours.status).toBe(1);
    expect(transcript(ours)).toContain('i - turn off validation and try to redefine again');
    expect(transcript(ours)).toContain('Failed. Try again? [y,n,f,?]: ');
  });

  it('y edits the same file again, and the repaired XML is defined', async () => {
    const [ours, theirs] = await bothOnTerminal(['-c', uri, 'edit test; dumpxml test --inactive'], [answer('y')], { EDITOR: editor('toggle.sh') });
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(ours.status).toBe(0);
    expect(transcript(ours)).toContain("Domain 'test' XML configuration edited.");
  });

  it('--skip-validate: still i on offer (virsh offers it whenever the command can relax)', async () => {
    const [ours, theirs] = await bothOnTerminal(['-c', uri, 'edit test --skip-validate'], [answer('i'), answer('n')], { EDITOR: editor('bad.sh') });
    expect(transcript(ours)).toBe(transcript(theirs));
    expect(transcript(ours)).toContain('Failed. Try again? [y,n,i,f,?]: ');
    expect(ours.status).toBe(theirs.status);
  });
});

/**
 * Runs both with the editor variables given (and no others), in process for tsvirsh; one after
 * the other when `sequential` (command lines that write one file on disk, which both would race for).
 */
async function withEditor(vars: Record<string, string>, args: string[], sequential = false): Promise<void> {
  const saved = { VISUAL: process.env.VISUAL, EDITOR: process.env.EDITOR };
  delete process.env.VISUAL;
  delete process.env.EDITOR;
  Object.assign(process.env, vars);
  try {
    const [ours, theirs] = sequential ? [await oursRun(args), await theirsRun(args)] : await both(args);
    const mask = (s: string): string => s.replace(/virsh[A-Za-z0-9]{6}\.xml/g, 'virshXXXXXX.xml');
    expect({ ...ours, stdout: mask(ours.stdout), stderr: mask(ours.stderr) }).toEqual({ ...theirs, stdout: mask(theirs.stdout), stderr: mask(theirs.stderr) });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('the *-edit commands without a terminal, as virsh', () => {
  const COMMANDS = [
    'edit test',
    'edit test --skip-validate',
    'net-edit default',
    'pool-edit default-pool',
    'iface-edit eth1',
    'nwfilter-edit allow-arp',
    'snapshot-create-as test s1; snapshot-edit test s1',
    'snapshot-create-as test s1; snapshot-edit test --current',
    'snapshot-create-as test s1; snapshot-edit test',
    'snapshot-edit test s1 --rename --clone',
    'checkpoint-create-as test c1; checkpoint-edit test c1',
    'checkpoint-edit test',
    'managedsave-edit test',
    'managedsave-edit test --running --paused',
    'edit nope',
    'net-edit nope',
    'metadata test --uri http://example.org/x --key x --edit; metadata test --uri http://example.org/x',
    'desc test --edit; desc test',
    'desc test --title --edit; desc test --title',
    "desc test --edit 'given text'; desc test",
  ];
  for (const script of ['none.sh', 'comment.sh', 'mem.sh']) {
    // mem.sh makes a snapshot's redefinition fail, and then virsh crashes without a terminal (below).
    const cmds = script === 'mem.sh' ? COMMANDS.filter((c) => !c.includes('snapshot-edit test s1') && !c.includes('--current')) : COMMANDS;
    it.each(cmds)(`EDITOR=${script}: %s`, async (cmd) => {
      await withEditor({ EDITOR: editor(script) }, ['-c', uri, cmd]);
    });
  }

  it.each([
    'edit test',
    'net-edit default',
    'pool-edit default-pool',
    'iface-edit eth1',
    'nwfilter-edit allow-arp',
    'checkpoint-create-as test c1; checkpoint-edit test c1',
  ])('a failed define without a terminal: %s', async (cmd) => {
    await withEditor({ EDITOR: editor('bad.sh') }, ['-c', uri, cmd]);
  });

  it('metadata --edit sets the element the editor wrote', async () => {
    await withEditor({ EDITOR: editor('meta.sh') }, [
      '-c',
      uri,
      'metadata test --uri http://example.org/x --key x --edit; metadata test --uri http://example.org/x',
    ]);
    await withEditor({ EDITOR: editor('meta.sh') }, ['-c', uri, 'metadata test --uri http://example.org/x --edit']);
  });

  it('save-image-edit', async () => {
    const image = path.join(daemonDir, `edit-${process.pid}.img`);
    fs.writeFileSync(image, '');
    chownToTestUser(image);
    await withEditor(
      { EDITOR: editor('comment.sh') },
      ['-c', uri, `save test ${image}; save-image-edit ${image}; save-image-edit ${image} --running --paused`],
      true,
    );
  });

  // Editor paths are made inside the tests: the scripts' directory exists only once beforeAll ran.
  it.each([
    ['VISUAL before EDITOR', () => ({ VISUAL: editor('none.sh'), EDITOR: editor('fail.sh') })],
    ['arguments go through sh -c', () => ({ EDITOR: `${editor('args.sh')} -x` })],
    ['a failing editor with arguments', () => ({ EDITOR: 'false -x' })],
    ['an editor not on $PATH', () => ({ EDITOR: 'no-such-editor-lvrpc' })],
    ['an editor that does not exist', () => ({ EDITOR: '/nonexistent/editor' })],
    ['a non-zero exit', () => ({ EDITOR: editor('fail.sh') })],
    ['killed by a signal', () => ({ EDITOR: editor('kill.sh') })],
    ['the file removed', () => ({ EDITOR: editor('rm.sh') })],
  ] as const)('%s', async (_label, vars) => {
    await withEditor(vars(), ['-c', uri, 'net-edit default']);
  });

  it('a failed snapshot redefine without a terminal: virsh 9.0.0 crashes, tsvirsh fails with its messages', async () => {
    const saved = process.env.EDITOR;
    process.env.EDITOR = editor('mem.sh');
    try {
      const [ours, theirs] = await both(['-c', uri, 'snapshot-create-as test s1; snapshot-edit test s1']);
      // virsh dereferences the snapshot it did not get (SIGSEGV) after "error: Failed.".
      expect(theirs.status).not.toBe(0);
      expect(theirs.status).not.toBe(1);
      expect(theirs.stderr).toBe('error: Failed.\n');
      expect(ours).toEqual({ status: 1, stdout: 'Domain snapshot s1 created\n\n', stderr: 'error: Failed.\nerror: Failed to update s1\n' });
    } finally {
      if (saved === undefined) delete process.env.EDITOR;
      else process.env.EDITOR = saved;
    }
  });
});

describe('help of the editing commands and console, as virsh', () => {
  // snapshot-edit and checkpoint-edit are left out: their name options are virsh's optional
  // strings that also take a positional value, which tsvirsh's help cannot show yet.
  it.each(['edit', 'net-edit', 'pool-edit', 'iface-edit', 'nwfilter-edit', 'save-image-edit', 'managedsave-edit', 'console'])('help %s', async (name) => {
    const [a, b] = await both(['help', name]);
    expect(helpOutline(a.stdout)).toEqual(helpOutline(b.stdout));
    expect(helpOutline(a.stdout)).toContainEqual(`SYNOPSIS: ${b.stdout.split('\n')[4].trim()}`);
  });
});
