/**
 * tsvirsh against virsh for qemu-monitor-command, qemu-agent-command,
 * qemu-attach and dom-fd-associate: on a QEMU TCG guest of the harness's
 * session daemon (QMP and HMP commands, --pretty and --return-value, the
 * QMP wrapper of words and its JSON errors as libvirt's yajl parser words
 * them; the guest runs no agent, so agent commands fail as the daemon says)
 * and on the test driver, whose refusals are compared too.
 *
 * Normalised: ONLY the `"id": "libvirt-N"` QEMU echoes in whole QMP
 * replies (libvirt numbers each monitor command, so two runs differ).
 *
 * Not compared: --pass-fds with descriptors to send. Node.js cannot pass
 * file descriptors over a socket (SCM_RIGHTS), so tsvirsh refuses with its
 * own message (checked here) where virsh would send them.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyGuestXml } from '../../harness/guest.js';
import { connect, type Connection } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, ours, type Outcome } from './virsh-diff.js';

// Short: libvirt puts the guest agent's socket at .../channel/target/domain-<id>-<name>/org.qemu.guest_agent.0,
// which must fit a unix socket path (107 bytes) under the suite's config dir once the shared
// daemon's domain IDs reach three digits and more.
const guest = `cq-${randomBytes(3).toString('hex')}`;
let session = '';
let testUri = '';
let qemu: Connection;

beforeAll(async () => {
  const d = await harnessDaemon();
  session = d.uris.qemuSessionUnix;
  testUri = await privateTestUri();
  qemu = await connect(session);
  const agent = "    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n";
  await qemu.domainCreateXML(tinyGuestXml(guest, { vnc: false, extraDevices: agent }), 0);
}, 60_000);

afterAll(async () => {
  const dom = await qemu?.domainLookupByName(guest).catch(() => null);
  await dom?.destroy().catch(() => {});
  await qemu?.close();
});

const maskIds = (o: Outcome): Outcome => ({ ...o, stdout: o.stdout.replace(/"id": ?"libvirt-\d+"/g, '"id":"libvirt-N"') });

describe('qemu-monitor-command and qemu-agent-command on a QEMU guest match virsh', () => {
  const LINES: string[][] = [
    ['qemu-monitor-command', 'GUEST', '{"execute":"query-status"}'],
    ['qemu-monitor-command', 'GUEST', 'query-status'],
    ['qemu-monitor-command', 'GUEST', '--pretty', 'query-status'],
    ['qemu-monitor-command', 'GUEST', '--return-value', 'query-status'],
    ['qemu-monitor-command', 'GUEST', '--return-value', '--pretty', 'query-version'],
    ['qemu-monitor-command', 'GUEST', '--return-value', '--pretty', 'query-iothreads'],
    ['qemu-monitor-command', 'GUEST', '--return-value', 'query-block-jobs'],
    ['qemu-monitor-command', 'GUEST', '--return-value', 'qom-list', '"path":"/machine/unattached"'],
    ['qemu-monitor-command', 'GUEST', '--return-value', 'qom-list', '{"path":"/machine"}'],
    ['qemu-monitor-command', 'GUEST', '--return-value', 'qom-get', '"path":"/machine"', '"property":"type"'],
    ['qemu-monitor-command', 'GUEST', '--pretty', '--return-value', '{"execute":"query-kvm"}'],
    ['qemu-monitor-command', 'GUEST', '--return-value', '"abc"'],
    ['qemu-monitor-command', 'GUEST', '--pretty', 'no-such-command'],
    ['qemu-monitor-command', 'GUEST', 'no-such-command'],
    ['qemu-monitor-command', 'GUEST', '--hmp', 'info', 'status'],
    ['qemu-monitor-command', 'GUEST', '--hmp', 'info status'],
    ['qemu-monitor-command', 'GUEST', '--hmp', '--pretty', 'info', 'status'],
    ['qemu-monitor-command', 'GUEST', '--hmp', '--return-value', 'info', 'status'],
    ['qemu-monitor-command', 'GUEST', '--return-value', '--pass-fds', '0,x', 'query-status'],
    ['qemu-monitor-command', 'GUEST', '--return-value', '--pass-fds', '', 'query-status'],
    ['qemu-monitor-command', 'GUEST', '--return-value'],
    ['qemu-monitor-command', 'nope', 'query-status'],
    ['-q', 'qemu-monitor-command', 'GUEST', '--return-value', 'query-name'],
    // The wrapper's JSON errors, worded and placed as yajl does.
    ['qemu-monitor-command', 'GUEST', 'query-commands', 'x'],
    ['qemu-monitor-command', 'GUEST', 'q', '"x":1', 'path=/machine'],
    ['qemu-monitor-command', 'GUEST', 'q', '{"x":1}', 'y'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":1', '"b"'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a"'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":tru'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":-x'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":1.x'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":1e'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":/'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a\\q":1'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a\\u12x4":1'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":[1', '2', ']'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":}'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":1 2'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":1 "bcde"'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":1 true'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":[1 2]'],
    ['qemu-monitor-command', 'GUEST', 'q', '"a":1}', 'x'],
    ['qemu-monitor-command', 'GUEST', 'q', `"${'a'.repeat(41)}":1`, 'b'],
    ['qemu-agent-command', 'GUEST', '{"execute":"guest-ping"}'],
    ['qemu-agent-command', 'GUEST', '--pretty', '{"execute":"guest-ping"}'],
    ['qemu-agent-command', 'GUEST', '--timeout', '0', '{"execute":"guest-ping"}'],
    ['qemu-agent-command', 'GUEST', '--timeout', '1', '--async', 'x'],
    ['qemu-agent-command', 'GUEST', '--block', '--async', 'x'],
    ['qemu-agent-command', 'GUEST', '--async', '{"execute":"guest-ping"}'],
    ['qemu-agent-command', 'GUEST', '--timeout', 'x', 'guest-ping'],
    ['qemu-agent-command', 'GUEST'],
    ['qemu-agent-command', 'nope', 'x'],
    ['qemu-attach', '0'],
    ['qemu-attach', '1'],
    ['qemu-attach', 'x'],
    ['qemu-attach', '4294967295'],
    ['qemu-attach', '--', '-1'],
    ['qemu-attach'],
    ['dom-fd-associate', 'GUEST', 'grp', ''],
    ['dom-fd-associate', 'GUEST', 'grp', '0,x'],
    ['dom-fd-associate', 'GUEST'],
    ['dom-fd-associate', 'nope', 'grp', '0'],
  ];
  it.each(LINES.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', session, ...args.map((x) => (x === 'GUEST' ? guest : x))]);
    expect(maskIds(a)).toEqual(maskIds(b));
  });

  it('refuses to pass file descriptors, with its reason', async () => {
    for (const args of [
      ['qemu-monitor-command', guest, '--pass-fds', '0', 'query-status'],
      ['dom-fd-associate', guest, 'grp', '0,1'],
    ]) {
      expect(await ours(['-c', session, ...args])).toEqual({
        stdout: '\n',
        stderr: 'error: tsvirsh cannot pass file descriptors (--pass-fds): Node.js has no way to send them over a socket (SCM_RIGHTS)\n',
        status: 1,
      });
    }
  });
});

describe('the test driver refuses the qemu commands as it refuses virsh', () => {
  it.each([
    ['qemu-monitor-command', 'test', 'query-status'],
    ['qemu-monitor-command', 'test', '--hmp', 'info', 'status'],
    ['qemu-agent-command', 'test', 'x'],
    ['qemu-attach', '1'],
    ['dom-fd-associate', 'test', 'grp', ''],
    ['dom-fd-associate', 'test', 'grp', '0,x'],
  ])('%s %s %s', async (...args) => {
    const [a, b] = await both(['-c', testUri, ...args]);
    expect(a).toEqual(b);
  });
});
