/**
 * tsvirsh against virsh for the checkpoint commands on the test driver
 * (private state per connection: each flow is one command string or stdin
 * script). The running domain `test` has disks, so its checkpoints list
 * them; `off` is shut off, where the driver refuses checkpoints.
 *
 * Normalised: ONLY the checkpoints' creation times, which differ between
 * the two runs — `<creationTime>SECONDS</creationTime>` in checkpoint XML,
 * the `YYYY-MM-DD HH:MM:SS +ZZZZ` column of checkpoint-list (same width, so
 * the table layout is still compared) and the name a checkpoint gets when
 * none is given (its creation time in seconds).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_DOMAINS, TEST_DEVICE } from '../../harness/test-driver.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, ours, type Outcome } from './virsh-diff.js';

/** Two disks for `test`. */
const DISKS = `${TEST_DEVICE.disk}      <disk type='file' device='disk'>
        <source file='/guest/disk2.img'/>
        <target dev='vdb' bus='virtio'/>
      </disk>
`;

let uri = '';
let xmlFile = '';

beforeAll(async () => {
  uri = await privateTestUri('unix', {
    domains: [
      { ...DEFAULT_TEST_DOMAINS[0]!, devices: DISKS },
      { name: 'off', state: 'shutoff' as const },
    ],
  });
  xmlFile = path.join((await harnessDaemon()).dir, `cli-checkpoint-${process.pid}.xml`);
  writeFileSync(
    xmlFile,
    "<domaincheckpoint>\n  <name>fromfile</name>\n  <disks>\n    <disk name='vda' checkpoint='bitmap'/>\n    <disk name='vdb' checkpoint='no'/>\n  </disks>\n</domaincheckpoint>\n",
  );
});

/** Replaces the creation times (and default names made of them) with a placeholder. */
function normalise(o: Outcome): Outcome {
  const times = (s: string): string => s.replace(/\b1\d{9}\b/g, 'T').replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}/g, 'YYYY-MM-DD HH:MM:SS +ZZZZ');
  return { stdout: times(o.stdout), stderr: times(o.stderr), status: o.status };
}

/** c1 <- c2 <- c3: the test driver makes each new checkpoint a child of the last one made. */
const CHAIN = 'checkpoint-create-as test c1 first; checkpoint-create-as test c2; checkpoint-create-as test c3 --description third';

const LINES: string[][] = [
  // one command each, on the fresh state (no checkpoints)
  ['checkpoint-list', 'test'],
  ['-q', 'checkpoint-list', 'test'],
  ['checkpoint-list', 'test', '--name'],
  ['checkpoint-list', 'test', '--tree'],
  ['checkpoint-list', 'test', '--parent'],
  ['checkpoint-list', 'nope'],
  ['checkpoint-list', 'test', '--tree', '--name'],
  ['checkpoint-list', 'test', '--parent', '--roots'],
  ['checkpoint-list', 'test', '--parent', '--tree'],
  ['checkpoint-list', 'test', '--roots', '--tree'],
  ['checkpoint-list', 'test', '--roots', '--from', 'c1'],
  ['checkpoint-list', 'test', '--leaves', '--tree'],
  ['checkpoint-list', 'test', '--no-leaves', '--tree'],
  ['checkpoint-list', 'test', '--descendants'],
  ['checkpoint-list', 'test', '--from', 'nope'],
  ['checkpoint-list', 'test', '--from', ''],
  ['checkpoint-info', 'test'],
  ['checkpoint-info', 'test', 'nope'],
  ['checkpoint-info', 'nope', 'c1'],
  ['checkpoint-parent', 'test'],
  ['checkpoint-parent', 'test', 'nope'],
  ['checkpoint-dumpxml', 'test'],
  ['checkpoint-dumpxml', 'test', 'nope'],
  ['checkpoint-dumpxml', 'test', 'nope', '--xpath', ''],
  ['checkpoint-delete', 'test'],
  ['checkpoint-delete', 'test', 'nope'],
  ['checkpoint-delete', 'test', ''],
  ['checkpoint-create-as', 'test', '--print-xml'],
  ['checkpoint-create-as', 'test', 'c1', `d<&>'"`, '--print-xml', 'vda,checkpoint=bitmap,bitmap=b1', 'a,,b', 'vdb,checkpoint=no'],
  ['checkpoint-create-as', 'test', '--name', 'c1', '--description', 'd', '--diskspec', 'vda', '--diskspec', 'vdb,checkpoint=no', '--print-xml'],
  ['checkpoint-create-as', 'test', 'c1', '--print-xml', 'vda,foo=1'],
  ['checkpoint-create-as', 'test', 'c1', '--print-xml', 'vda,checkpoint=a,checkpoint=b'],
  ['checkpoint-create-as', 'test', 'c1', '--print-xml', 'vda,'],
  ['checkpoint-create-as', 'nope', 'c1', '--print-xml'],
  ['checkpoint-create-as', 'off', 'c1'],
  ['checkpoint-create-as', 'test', 'c1', '', '--print-xml'],
  ['checkpoint-create-as', 'test', 'c1'],
  ['-q', 'checkpoint-create-as', 'test', 'c1'],
  ['checkpoint-create-as', 'test', 'c1', '--quiesce'],
  ['checkpoint-create-as', 'test', 'c1', 'd', 'vda,checkpoint=bitmap', 'vdb,checkpoint=bitmap,bitmap=bb'],
  ['checkpoint-create', 'test'],
  ['checkpoint-create', 'test', '/nonexistent.xml'],
  ['checkpoint-create', 'test', '--redefine-validate'],
  ['checkpoint-create', 'off'],
  // flows in one invocation
  [`${CHAIN}; checkpoint-list test; checkpoint-list test --parent; checkpoint-list test --name; checkpoint-list test --tree`],
  [
    `${CHAIN}; checkpoint-list test --topological --name; checkpoint-list test --leaves --name; checkpoint-list test --no-leaves --parent; checkpoint-list test --roots`,
  ],
  [
    `${CHAIN}; checkpoint-list test --from c1 --name; checkpoint-list test --from c1 --descendants --name; checkpoint-list test --from c2 --tree; checkpoint-list test --from c1 --descendants --tree`,
  ],
  [`${CHAIN}; checkpoint-info test c1; checkpoint-info test c2; checkpoint-info test c3; checkpoint-parent test c3; checkpoint-parent test c1`],
  [
    `${CHAIN}; checkpoint-dumpxml test c2; checkpoint-dumpxml test c3 --no-domain; checkpoint-dumpxml test c1 --security-info --no-domain; checkpoint-dumpxml test c1 --size --no-domain`,
  ],
  [`${CHAIN}; checkpoint-delete test c2 --children-only; checkpoint-list test --tree; checkpoint-delete test c1; checkpoint-list test --name`],
  [`${CHAIN}; checkpoint-delete test c1 --children; checkpoint-list test; checkpoint-delete test c3`],
  [
    `${CHAIN}; checkpoint-delete test c2; checkpoint-list test --parent; checkpoint-info test c3; checkpoint-delete test c3 --metadata; checkpoint-list test --name`,
  ],
  [
    `${CHAIN}; checkpoint-create-as test c1; checkpoint-create test --redefine; checkpoint-create-as test B; checkpoint-create-as test a; checkpoint-list test --tree`,
  ],
  // A checkpoint named by its creation second, then a child of it. (Two unnamed creates in one
  // line collide or not depending on whether a second boundary falls between them: not comparable.)
  ['checkpoint-create test; checkpoint-list test --name; checkpoint-create-as test child; checkpoint-list test --tree'],
  [`${CHAIN}; checkpoint-dumpxml test c2 --xpath //disk --wrap; checkpoint-dumpxml test c2 --xpath /domaincheckpoint/parent/name`],
  [`${CHAIN}; checkpoint-dumpxml test c3 --xpath "//disks/disk[@checkpoint='bitmap']/@name" --no-domain; checkpoint-dumpxml test c3 --xpath "string(//name)"`],
  [`${CHAIN}; checkpoint-dumpxml test c1 --xpath "//domain/name | /domaincheckpoint/name"; checkpoint-dumpxml test c1 --xpath //nope`],
  ['-q', `${CHAIN}; checkpoint-list test --parent; checkpoint-delete test c1 --children; checkpoint-list test`],
];

describe('tsvirsh checkpoint commands match virsh (creation times normalised)', () => {
  it.each(LINES.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', uri, ...args]);
    expect(normalise(a)).toEqual(normalise(b));
  });

  it('checkpoint-create reads the XML file', async () => {
    const [a, b] = await both(['-c', uri, `checkpoint-create test ${xmlFile}; checkpoint-list test --name; checkpoint-dumpxml test fromfile --no-domain`]);
    expect(normalise(a)).toEqual(normalise(b));
    expect(a.stdout).toContain(`Domain checkpoint fromfile created from '${xmlFile}'`);
  });

  it('checkpoints really are created and deleted', async () => {
    const a = await ours(['-c', uri, `${CHAIN}; checkpoint-list test --name; checkpoint-delete test c1 --children; checkpoint-list test --name`]);
    expect(a.status).toBe(0);
    expect(a.stdout).toContain('c1\nc2\nc3\n');
    // The last listing is empty: only the closing blank lines follow the deletion.
    expect(a.stdout).toMatch(/Domain checkpoint c1 deleted\n\n\n$/);
  });

  it('a stdin script', async () => {
    const script = `${CHAIN.replaceAll('; ', '\n')}\ncheckpoint-list test --tree\ncheckpoint-info test c3\ncheckpoint-delete test c1 --children\ncheckpoint-list test\n`;
    const [a, b] = await both(['-c', uri], script);
    expect(normalise(a)).toEqual(normalise(b));
  });
});
