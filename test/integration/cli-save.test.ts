/**
 * tsvirsh against virsh for saved state files, core dumps and the other
 * domain actions (reset, inject-nmi, send-key, send-process-signal,
 * set-lifecycle-action, dompmsuspend/dompmwakeup, domxml-from/to-native):
 * on the test driver (private state per connection, so each flow is one
 * command string) and on a real QEMU guest of the suite daemon's session
 * driver.
 *
 * Commands that write files run tsvirsh first and virsh after it (never at
 * once), with the files removed in between, since both write the same paths.
 * --verbose progress is compared too: a save or dump of the test driver ends
 * before virsh's first progress poll, so only the final `[100 %]` shows.
 * Normalised: only the random UUID QEMU gives a domain XML that has none
 * (domxml-to-native from a file). Everything else is byte for byte.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chownToTestUser } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import { DEFAULT_TEST_DOMAINS } from '../../harness/test-driver.js';
import { connect } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, ours, theirs, type Outcome } from './virsh-diff.js';

let uri = '';
let dir = '';

beforeAll(async () => {
  uri = await privateTestUri('unix', { domains: [...DEFAULT_TEST_DOMAINS, { name: 'off', state: 'shutoff' as const }] });
  // A directory the daemon (running as lvtest) can write its files into.
  dir = path.join((await harnessDaemon()).dir, `cli-save-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  chownToTestUser(dir);
  writeFileSync(path.join(dir, 'broken.xml'), '<domain>\n');
  writeFileSync(path.join(dir, 'native.argv'), 'LC_ALL=C /usr/bin/qemu-system-x86_64 -name x -m 64\n');
});

/** Removes what a run left in the directory (its saved states and dumps; the inputs stay). */
function clean(): void {
  for (const f of readdirSync(dir)) if (/^(s|d|m)\d/.test(f)) rmSync(path.join(dir, f), { force: true });
}

/** tsvirsh, then virsh, on a clean directory each. */
async function oneAfterTheOther(args: string[]): Promise<[Outcome, Outcome]> {
  clean();
  const a = await ours(args);
  clean();
  const b = await theirs(args);
  clean();
  return [a, b];
}

/** Command lines on the test driver; `D/` stands for the test's directory. */
const FILES: string[][] = [
  ['save test D/s1; list --all; save-image-dumpxml D/s1; save-image-dumpxml D/s1 --security-info; restore D/s1; list'],
  ['save 1 D/s1 --running --bypass-cache; restore D/s1 --paused; domstate test; save test D/s2 --paused; restore D/s2; domstate test'],
  ['-q', 'save test D/s1; restore D/s1; domstate test'],
  ['save test D/s1; save-image-define D/s1 D/t.xml; save-image-dumpxml D/s1; restore D/s1; desc test'],
  ['save test D/s1; save-image-define D/s1 D/t.xml --paused; restore D/s1; domstate test --reason'],
  ['save test D/s1; save-image-define D/s1 D/missing.xml; save-image-define D/s1 D/broken.xml'],
  ['save test D/s1; save-image-dumpxml D/s1 --xpath ""; restore D/s1 --xml D/t.xml'],
  ['save test D/s1 --xml D/t.xml'],
  ['save test D/s1 --verbose; restore D/s1 --bypass-cache'],
  ['save test D/s1; save-image-dumpxml D/s1 --xpath /domain/name; save-image-dumpxml D/s1 --xpath //os --wrap; save-image-dumpxml D/s1 --xpath //@dev'],
  [
    'save test D/s1; save-image-dumpxml D/s1 --xpath "//boot/@dev | //name" --wrap; save-image-dumpxml D/s1 --xpath "count(//disk)"; save-image-dumpxml D/s1 --xpath //nope --wrap',
  ],
  [
    'save test D/s1; save-image-dumpxml D/s1 --xpath "/"; save-image-dumpxml D/s1 --xpath "//type[@arch=\'i686\']/text()"; save-image-dumpxml D/s1 --xpath "/domain/*[last()]"',
  ],
  ['save test D/s1 --xml D/missing.xml'],
  ['save', 'test', '/nonexistent/dir/s1'],
  ['save', 'off', 'D/s1'],
  ['save', 'nope', 'D/s1'],
  ['save', 'test', ''],
  ['save', 'test'],
  ['restore', 'D/s9'],
  ['restore', 'D/s9', '--xml', 'D/missing.xml'],
  ['restore', 'D/s9', '--reset-nvram'],
  ['save-image-dumpxml', 'D/s9'],
  ['save-image-define', 'D/s9', 'D/t.xml'],
  ['dump test D/d1; dump 1 D/d2 --live --crash; domstate test'],
  ['dump test D/d1 --memory-only; dump test D/d2 --memory-only --format elf; dump test D/d3 --memory-only --format kdump-zlib'],
  ['dump test D/d1 --format elf; dump test D/d1 --memory-only --format foo; dump test D/d1 --memory-only --format ""'],
  ['dump test D/d1 --reset --bypass-cache; domstate test'],
  ['dump test D/d1 --verbose; dump off D/d2 --verbose'],
  ['dump', 'off', 'D/d1'],
  ['dump', 'test', '/nonexistent/dir/d1'],
  ['dump', 'test', 'D/d1', 'elf'],
];

describe('tsvirsh save, restore and dump match virsh on the test driver', () => {
  beforeAll(() => {
    writeFileSync(
      path.join(dir, 't.xml'),
      `<domain type='test'>
  <name>test</name>
  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
  <description>edited</description>
  <memory unit='KiB'>8388608</memory>
  <currentMemory unit='KiB'>2097152</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='i686'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
  </devices>
</domain>
`,
    );
  });

  it.each(FILES.map((a) => [a.join(' '), a] as const))('%s', async (_label, template) => {
    const args = template.map((a) => a.replaceAll('D/', `${dir}/`));
    const [a, b] = await oneAfterTheOther(['-c', uri, ...args]);
    expect(a).toEqual(b);
  });

  it('save really writes a state file that restore reads back', async () => {
    clean();
    const a = await ours(['-c', uri, `save test ${dir}/s1; restore ${dir}/s1; domstate test --reason`]);
    expect(a.status).toBe(0);
    expect(a.stdout).toContain('running (restored)');
    expect(readdirSync(dir)).toContain('s1');
    clean();
  });
});

const ACTIONS: string[][] = [
  ['reset test; reset 1; reset off; reset nope'],
  ['-q', 'reset test'],
  ['inject-nmi test; inject-nmi off; inject-nmi nope'],
  ['send-key test KEY_A; send-key test --codeset usb 4 5; send-key test --codeset xt KEY_A; send-key test --codeset win32 VK_RETURN'],
  ['send-key test --codeset os_x ANSI_A --holdtime 10; send-key test --codeset rfb 0x1e; send-key test --codeset bogus 1; send-key test 0x10000'],
  ['send-key test 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; send-key test 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18'],
  ['send-key test --keycode 1 --keycode KEY_B 3; send-key test --holdtime 5 -- 30'],
  ['send-key test 017 0x1C 28 --holdtime x; send-key test --codeset "" KEY_ENTER; send-key off KEY_A; send-key test; send-key test 08'],
  ['send-key test --codeset linux KEY_LEFTCTRL KEY_LEFTALT KEY_DELETE; send-key test --codeset qnum KEY_A; send-key test --holdtime -1 1'],
  ['send-process-signal test 1 SIGTERM; send-process-signal test abc 1; send-process-signal test 1 bogus; send-process-signal test -5 sig_kill'],
  [
    'send-process-signal test 1 15; send-process-signal test 1 SigKill; send-process-signal test 1 rt32; send-process-signal test 1 rt33; send-process-signal test 1 -1',
  ],
  ['send-process-signal test 1 ""; send-process-signal off 1 term; send-process-signal test 99999999999999999999 term'],
  ['set-lifecycle-action test poweroff restart; set-lifecycle-action test foo bar; set-lifecycle-action test crash foo; dumpxml test'],
  ['set-lifecycle-action test reboot preserve --config; set-lifecycle-action test reboot preserve --current --live; set-lifecycle-action nope crash destroy'],
  ['set-lifecycle-action off crash coredump-restart --config; dumpxml off --inactive'],
  ['set-lifecycle-action'],
  ['dompmsuspend test mem; dompmsuspend test foo; dompmsuspend test mem --duration x; dompmwakeup test; dompmsuspend test disk --duration 5'],
  ['dompmsuspend nope mem; dompmwakeup nope; dompmsuspend test hybrid 5'],
  ['domxml-from-native qemu-argv D/missing; domxml-from-native qemu-argv D/native.argv'],
  [
    'domxml-to-native qemu-argv; domxml-to-native qemu-argv --domain test; domxml-to-native qemu-argv D/t.xml; domxml-to-native qemu-argv --domain test --xml D/t.xml',
  ],
  ['domxml-to-native qemu-argv --domain nope; domxml-to-native qemu-argv D/missing'],
  ['managedsave-dumpxml test; managedsave-dumpxml nope; managedsave-dumpxml test --xpath ""'],
  ['managedsave test --running --paused; managedsave 1 --verbose; managedsave-remove test; managedsave --bypass-cache test; managedsave nope'],
  ['managedsave-define test D/t.xml; managedsave-define test D/missing; managedsave-define test D/t.xml --running --paused'],
];

describe('tsvirsh domain actions match virsh on the test driver', () => {
  it.each(ACTIONS.map((a) => [a.join(' '), a] as const))('%s', async (_label, template) => {
    const [a, b] = await both(['-c', uri, ...template.map((a) => a.replaceAll('D/', `${dir}/`))]);
    expect(a).toEqual(b);
  });
});

describe('tsvirsh saved states, dumps and actions match virsh on a QEMU guest', () => {
  const NAME = 'tsvirsh-save';
  const UUID = '6b1f0c2a-7d3e-4f5a-8b9c-0d1e2f3a4b5c';
  let qemuUri = '';

  /** The guest (no serial console: its pty's name would differ between runs), defined and running from scratch. */
  async function freshGuest(): Promise<void> {
    await using conn = await connect(qemuUri);
    // Redefined in place rather than undefined: the domain stays listed for other tests of the daemon.
    const old = await conn.raw.domainLookupByName(NAME).catch(() => null);
    if (old) {
      if (await conn.raw.domainIsActive(old)) await conn.raw.domainDestroy(old);
      if (await conn.raw.domainHasManagedSaveImage(old, 0)) await conn.raw.domainManagedSaveRemove(old, 0);
    }
    const xml = tinyGuestXml(NAME, { uuid: UUID, vnc: false })
      .replace(/ *<serial[^\n]*\n/, '')
      .replace(/ *<console[^\n]*\n/, '');
    await conn.raw.domainCreate(await conn.raw.domainDefineXML(xml));
  }

  beforeAll(async () => {
    qemuUri = (await harnessDaemon()).uris.qemuSessionUnix;
    writeFileSync(
      path.join(dir, 'g.xml'),
      tinyGuestXml(NAME, { uuid: UUID, vnc: false })
        .replace(/ *<serial[^\n]*\n/, '')
        .replace(/ *<console[^\n]*\n/, ''),
    );
  });

  afterAll(async () => {
    if (!qemuUri) return;
    await using conn = await connect(qemuUri);
    const dom = await conn.raw.domainLookupByName(NAME).catch(() => null);
    if (dom) {
      if (await conn.raw.domainIsActive(dom)) await conn.raw.domainDestroy(dom);
      // VIR_DOMAIN_UNDEFINE_MANAGED_SAVE: a managed save image may be left.
      await conn.raw.domainUndefineFlags(dom, 1).catch(() => undefined);
    }
  });

  /** A random UUID (QEMU's, for a domain XML without one) in native command lines. */
  const maskUuid = (o: Outcome): Outcome => ({ ...o, stdout: o.stdout.replace(/-uuid [0-9a-f-]{36}/g, '-uuid UUID') });

  const LINES: string[][] = [
    [`save ${NAME} D/s1; domstate ${NAME} --reason; save-image-dumpxml D/s1; restore D/s1 --paused; domstate ${NAME} --reason`],
    [`save ${NAME} D/s1; save-image-define D/s1 D/g.xml --running; restore D/s1; domstate ${NAME}`],
    [`managedsave ${NAME}; managedsave-dumpxml ${NAME}; managedsave-define ${NAME} D/g.xml --paused; start ${NAME}; domstate ${NAME} --reason`],
    [`managedsave-dumpxml ${NAME}; managedsave-define ${NAME} D/g.xml`],
    [`dump ${NAME} D/d1 --memory-only; dump ${NAME} D/d2 --memory-only --format kdump-zlib; dump ${NAME} D/d3 --memory-only --format win-dmp`],
    [`dump ${NAME} D/d1 --crash; domstate ${NAME} --reason`],
    [`reset ${NAME}; inject-nmi ${NAME}; send-key ${NAME} KEY_A; send-key ${NAME} --codeset usb 4 5; send-key ${NAME} --codeset win32 VK_RETURN --holdtime 5`],
    [
      `send-key ${NAME} --codeset os_x ANSI_A; send-key ${NAME} --codeset xt 0x1e; send-key ${NAME} --codeset atset2 0x1c; send-key ${NAME} --codeset xt_kbd 0x1e; send-key ${NAME} --codeset atset3 0x1c`,
    ],
    [`send-process-signal ${NAME} 1 term; dompmsuspend ${NAME} mem; dompmwakeup ${NAME}`],
    [`set-lifecycle-action ${NAME} reboot destroy --config; dumpxml ${NAME} --inactive; set-lifecycle-action ${NAME} crash preserve --live`],
    [
      `domxml-to-native qemu-argv --domain ${NAME}; domxml-to-native qemu-argv D/g.xml; domxml-from-native qemu-argv D/native.argv; domxml-to-native bogus D/g.xml`,
    ],
  ];

  it.each(LINES.map((a, i) => [a.join(' '), i] as const))('%s', async (_label, i) => {
    const args = ['-c', qemuUri, ...LINES[i].map((a) => a.replaceAll('D/', `${dir}/`))];
    clean();
    await freshGuest();
    const a = await ours(args);
    clean();
    await freshGuest();
    const b = await theirs(args);
    clean();
    expect(maskUuid(a)).toEqual(maskUuid(b));
    if (i === 0) expect(a.stdout).toContain('shut off (saved)');
  });
});
