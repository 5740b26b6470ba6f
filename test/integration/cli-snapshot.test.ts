/**
 * tsvirsh against virsh for the snapshot commands on the test driver. Every
 * connection to the private test URI starts from the same node file, so each
 * multi-step flow runs as one command string (or one stdin script) in a
 * single tsvirsh / virsh invocation.
 *
 * Normalised: ONLY the snapshots' creation times, which differ between the
 * two runs — `<creationTime>SECONDS</creationTime>` in snapshot XML and the
 * `YYYY-MM-DD HH:MM:SS +ZZZZ` column of snapshot-list (same width, so the
 * table layout is still compared). Everything else is compared byte for byte.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_DOMAINS } from '../../harness/test-driver.js';
import { privateTestUri } from './env.js';
import { both, type Outcome } from './virsh-diff.js';

let uri = '';

beforeAll(async () => {
  uri = await privateTestUri('unix', {
    domains: [...DEFAULT_TEST_DOMAINS, { name: 'off', state: 'shutoff' as const }],
  });
});

/** Replaces the creation times (and nothing else) with a placeholder. */
function normalise(o: Outcome): Outcome {
  const times = (s: string): string =>
    s
      .replace(/<creationTime>\d+<\/creationTime>/g, '<creationTime>T</creationTime>')
      .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}/g, 'YYYY-MM-DD HH:MM:SS +ZZZZ');
  return { stdout: times(o.stdout), stderr: times(o.stderr), status: o.status };
}

/** A chain of snapshots: s1 <- s2 <- s4, s1 <- s3, current s4. */
const CHAIN =
  'snapshot-create-as off s1 --description hi; snapshot-create-as off s2 desc2; snapshot-current off s1; ' +
  'snapshot-create-as off s3; snapshot-current off s2; snapshot-create-as off s4';

const LINES: string[][] = [
  // one command each, on the fresh state (no snapshots)
  ['snapshot-list', 'test'],
  ['-q', 'snapshot-list', 'test'],
  ['snapshot-list', 'test', '--name'],
  ['snapshot-list', 'test', '--tree'],
  ['snapshot-list', 'nope'],
  ['snapshot-list', 'test', '--tree', '--name'],
  ['snapshot-list', 'test', '--parent', '--roots'],
  ['snapshot-list', 'test', '--roots', '--tree'],
  ['snapshot-list', 'test', '--parent', '--tree'],
  ['snapshot-list', 'test', '--leaves', '--tree'],
  ['snapshot-list', 'test', '--roots', '--from', 's1'],
  ['snapshot-list', 'test', '--roots', '--current'],
  ['snapshot-list', 'test', '--descendants'],
  ['snapshot-list', 'test', '--current'],
  ['snapshot-list', 'test', '--from', 'nope'],
  ['snapshot-info', 'test'],
  ['snapshot-info', 'test', 's1'],
  ['snapshot-info', 'test', '--current'],
  ['snapshot-info', 'test', 's1', '--current'],
  ['snapshot-info', 'nope', 's1'],
  ['snapshot-current', 'test'],
  ['snapshot-current', 'test', '--name'],
  ['snapshot-current', 'test', '--name', 's1'],
  ['snapshot-current', 'test', 'nope'],
  ['snapshot-dumpxml', 'test'],
  ['snapshot-dumpxml', 'test', 'nope'],
  ['snapshot-revert', 'test', 'nope'],
  ['snapshot-revert', 'test'],
  ['snapshot-delete', 'test', 'nope'],
  ['snapshot-delete', 'test'],
  ['snapshot-delete', 'test', '--current'],
  ['snapshot-parent', 'test'],
  ['snapshot-parent', 'test', '--current'],
  ['snapshot-create-as', 'test', '--print-xml'],
  ['snapshot-create-as', 'test', 's1', '--description', `a<b&c "q" 'a'`, '--print-xml'],
  ['snapshot-create-as', 'test', 's1', 'positional description', '--print-xml'],
  ['snapshot-create-as', 'test', 's1', '--print-xml', '--no-metadata'],
  ['snapshot-create-as', 'nope', 's1'],
  ['snapshot-create-as', 'nope', 's1', '--print-xml'],
  ['snapshot-create-as', 'test', 's1'],
  ['-q', 'snapshot-create-as', 'test', 's1'],
  // flows in one invocation
  [
    'snapshot-create-as test s1 --description d; snapshot-list test; snapshot-info test s1; snapshot-current test --name; snapshot-dumpxml test s1; snapshot-revert test s1; snapshot-delete test s1',
  ],
  ['snapshot-create-as test s1; snapshot-create-as test s1'],
  ['snapshot-create-as test s1; snapshot-current test; snapshot-current test --security-info; snapshot-parent test s1; snapshot-parent test --current'],
  [
    `${CHAIN}; snapshot-list off --parent; snapshot-list off --tree; snapshot-list off --name; snapshot-list off --leaves; snapshot-list off --no-leaves --parent`,
  ],
  [`${CHAIN}; snapshot-list off --roots --name; snapshot-list off --roots; snapshot-list off --from s1; snapshot-list off --from s1 --descendants --name`],
  [
    `${CHAIN}; snapshot-list off --current --parent; snapshot-list off --current --tree; snapshot-list off --from s1 --tree; snapshot-list off --from s2 --tree`,
  ],
  [
    `${CHAIN}; snapshot-list off --topological --name; snapshot-list off --inactive --name; snapshot-list off --active; snapshot-list off --internal --name; snapshot-list off --external`,
  ],
  [
    `${CHAIN}; snapshot-info off s1; snapshot-info off --current; snapshot-info off s4; snapshot-parent off s4; snapshot-parent off --current; snapshot-parent off s1`,
  ],
  [`${CHAIN}; snapshot-dumpxml off s2; snapshot-current off; snapshot-current off --name`],
  // --from by position (a VSH_OT_STRING without VSH_OFLAG_REQ_OPT), and given twice
  [`${CHAIN}; snapshot-list off s1 --name; snapshot-list off s2 --tree; snapshot-list off s1 --from s2`],
  [
    `${CHAIN}; snapshot-revert off s1; domstate off; snapshot-revert off --current; snapshot-revert off s4 --running; domstate off; snapshot-revert off s1 --paused`,
  ],
  [
    `${CHAIN}; snapshot-delete off s1 --children-only; snapshot-list off --tree; snapshot-delete --current off; snapshot-delete off s1 --children; snapshot-list off`,
  ],
  [`${CHAIN}; snapshot-delete off s2 --children; snapshot-list off --tree; snapshot-delete off s1 --metadata; snapshot-list off --name`],
  [`${CHAIN}; snapshot-delete off s2; snapshot-list off --parent; snapshot-info off s4`],
  [
    'snapshot-create-as test s1; snapshot-create-as test s2; snapshot-current test s1; snapshot-create-as test s3; snapshot-create-as test x; snapshot-current test s1; snapshot-create-as test Y; snapshot-list test --tree; snapshot-list test --parent',
  ],
  ['-q', `${CHAIN}; snapshot-list off --parent; snapshot-revert off s1; snapshot-delete off s1; snapshot-current off s3; snapshot-list off --tree`],
  ['snapshot-create-as off s1; snapshot-revert off s1; snapshot-revert off s1 --running --paused; snapshot-revert off s1 --running; domstate off'],
];

describe('tsvirsh snapshot commands match virsh (creation times normalised)', () => {
  it.each(LINES.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', uri, ...args]);
    expect(normalise(a)).toEqual(normalise(b));
  });

  it('a stdin script', async () => {
    const script = `${CHAIN.replaceAll('; ', '\n')}\nsnapshot-list off --tree\nsnapshot-info off --current\nsnapshot-delete off s1 --children\nsnapshot-list off\n`;
    const [a, b] = await both(['-c', uri], script);
    expect(normalise(a)).toEqual(normalise(b));
  });
});
