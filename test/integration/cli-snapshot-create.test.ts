/**
 * tsvirsh against virsh for snapshot-create: every option of virsh's table
 * on the test driver (from an XML file, the empty default, --redefine with
 * and without --current, --validate, --halt, --no-metadata, the flags the
 * driver refuses, the client-side flag checks), on a QEMU guest (the
 * daemon's refusals), each multi-step flow as one command string since
 * every connection to the private test URI starts from the same state.
 *
 * Normalised: ONLY the names the daemon gives snapshots made without one
 * (the creation time in seconds, which differs between the two runs) and
 * `<creationTime>`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TEST_DOMAINS } from '../../harness/test-driver.js';
import { tinyGuestXml } from '../../harness/guest.js';
import { connect, VIR_DOMAIN_XML_SECURE, type Connection } from '../../src/index.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, type Outcome } from './virsh-diff.js';

let uri = '';
let session = '';
let files = '';
let qemu: Connection;
const guest = `cli-snc-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  uri = await privateTestUri('unix', { domains: [...DEFAULT_TEST_DOMAINS, { name: 'off', state: 'shutoff' as const }] });
  session = (await harnessDaemon()).uris.qemuSessionUnix;
  files = mkdtempSync(join(tmpdir(), 'lvrpc-cli-snc-'));
  chmodSync(files, 0o755);
  const write = (name: string, text: string): void => writeFileSync(join(files, name), text);
  write('s1.xml', '<domainsnapshot><name>s1</name><description>from a file</description></domainsnapshot>\n');
  write('bad.xml', '<domainsnapshot><name>x1</name><bogus/></domainsnapshot>\n');
  write('junk.xml', 'not xml');
  write('empty.xml', '');
  // A full snapshot XML to redefine, taken from the same state through the object API.
  await using conn = await connect(uri);
  const test = await conn.domainLookupByName('test');
  const made = await test.snapshotCreateXML('<domainsnapshot><name>r1</name><description>redefined</description></domainsnapshot>', 0);
  write('r1.xml', await made.getXMLDesc(VIR_DOMAIN_XML_SECURE));
  qemu = await connect(session);
  await qemu.domainCreateXML(tinyGuestXml(guest, { vnc: false }), 0);
}, 60_000);

afterAll(async () => {
  const dom = await qemu?.domainLookupByName(guest).catch(() => null);
  await dom?.destroy().catch(() => {});
  await qemu?.close();
});

const normalise = (o: Outcome): Outcome => {
  const fix = (s: string): string => s.replace(/snapshot \d{9,} created/g, 'snapshot T created').replace(/<creationTime>\d+</g, '<creationTime>T<');
  return { stdout: fix(o.stdout), stderr: fix(o.stderr), status: o.status };
};

const at = (line: string): string => line.replaceAll('@', files).replaceAll('GUEST', guest);

describe('snapshot-create matches virsh on the test driver', () => {
  it.each([
    'snapshot-create test',
    'snapshot-create test @/s1.xml',
    'snapshot-create test --xmlfile @/s1.xml',
    'snapshot-create off @/s1.xml',
    'snapshot-create test @/bad.xml --validate',
    'snapshot-create test @/bad.xml',
    'snapshot-create test @/junk.xml',
    'snapshot-create test @/empty.xml',
    'snapshot-create test /nonexistent',
    'snapshot-create test --xmlfile ""',
    'snapshot-create test --current',
    'snapshot-create test --redefine --no-metadata',
    'snapshot-create test --redefine --halt',
    'snapshot-create test --redefine',
    'snapshot-create test @/s1.xml --redefine',
    'snapshot-create test @/r1.xml --redefine',
    'snapshot-create test @/r1.xml --redefine --current',
    'snapshot-create test --validate',
    'snapshot-create test --disk-only',
    'snapshot-create test --reuse-external',
    'snapshot-create test --live --quiesce --atomic',
    'snapshot-create nope',
    'snapshot-create',
    'snapshot-create test @/s1.xml extra',
    '-q snapshot-create test @/s1.xml',
    // flows in one invocation
    'snapshot-create test @/s1.xml; snapshot-create test @/s1.xml',
    'snapshot-create test @/s1.xml; snapshot-list test --name; snapshot-current test --name',
    'snapshot-create test @/s1.xml --no-metadata; snapshot-list test --name; snapshot-current test',
    'snapshot-create test @/r1.xml --redefine; snapshot-list test --name; snapshot-current test',
    'snapshot-create test @/r1.xml --redefine --current; snapshot-current test --name; snapshot-dumpxml test r1',
    'snapshot-create test @/r1.xml --redefine; snapshot-create test @/r1.xml --redefine --current; snapshot-info test r1',
    'snapshot-create test --halt; domstate test; snapshot-create test @/s1.xml --halt; domstate test',
    'snapshot-create off @/s1.xml --halt; domstate off; snapshot-info off s1',
  ])('%s', async (line) => {
    const [a, b] = await both(['-c', uri, at(line)]);
    expect(normalise(a)).toEqual(normalise(b));
  });
});

describe('snapshot-create-as matches virsh on the test driver', () => {
  it.each([
    // --memspec and --diskspec as virshParseSnapshotMemspec/Diskspec write them, disk specs also given by position
    "snapshot-create-as test s1 'a <desc>' --print-xml --memspec /var/mem.img,snapshot=external",
    'snapshot-create-as test --print-xml --memspec file=/m,,x.img',
    'snapshot-create-as test --print-xml --memspec snapshot=no',
    'snapshot-create-as test --print-xml --memspec snapshot=a,snapshot=b',
    'snapshot-create-as test --print-xml --memspec file=/a,/b',
    'snapshot-create-as test --print-xml --memspec relative.img',
    'snapshot-create-as test --print-xml --memspec ""',
    "snapshot-create-as test s1 d1 --print-xml vda,snapshot=external,driver=qcow2,file=/img/a'b.qcow2 vdb,snapshot=no",
    'snapshot-create-as test --print-xml --diskspec vda,stype=block,file=/dev/sdb --diskspec vdb,stype=file,file=/f vdc',
    'snapshot-create-as test --print-xml --diskspec vda,driver=raw --diskspec "v<d>a"',
    'snapshot-create-as test --print-xml --diskspec vda,stype=network,file=/x',
    'snapshot-create-as test --print-xml --diskspec vda,bogus=1',
    'snapshot-create-as test --print-xml --diskspec vda,file=/a,file=/b',
    'snapshot-create-as test --print-xml --diskspec ""',
    'snapshot-create-as test --print-xml --diskspec vda,,b,snapshot=no',
    'snapshot-create-as test --print-xml --memspec /m --memspec /n',
    'snapshot-create-as test --print-xml --name ""',
    'snapshot-create-as test --print-xml --description ""',
    'snapshot-create-as test --print-xml --memspec snapshot=bad --diskspec vda,stype=nope',
    'snapshot-create-as nope --print-xml --memspec bogus',
    // made for real: the test driver's answers, --validate included
    'snapshot-create-as test s1 --validate; snapshot-list test --name',
    'snapshot-create-as test s1 --memspec snapshot=no; snapshot-dumpxml test s1 --xpath //memory',
    'snapshot-create-as test s1 --memspec /tmp/mem --disk-only',
    'snapshot-create-as test s1 --diskspec hda,snapshot=no',
    'snapshot-create-as test s1 --diskspec nosuchdisk,snapshot=external',
    '-q snapshot-create-as test s1 --validate',
  ])('%s', async (line) => {
    const [a, b] = await both(['-c', uri, at(line)]);
    expect(normalise(a)).toEqual(normalise(b));
  });
});

describe('snapshot-create on a QEMU guest fails as virsh does', () => {
  it.each([
    'snapshot-create GUEST',
    'snapshot-create GUEST @/s1.xml --halt',
    'snapshot-create GUEST @/s1.xml --disk-only',
    'snapshot-create GUEST @/s1.xml --live',
    'snapshot-create GUEST @/s1.xml --redefine',
    'snapshot-create GUEST @/r1.xml --redefine --current',
    'snapshot-create-as GUEST s1 --validate --memspec /nonexistent/mem,snapshot=external',
    'snapshot-create-as GUEST s1 --disk-only --diskspec vda,snapshot=external,file=/nonexistent/x.qcow2',
  ])('%s', async (line) => {
    const [a, b] = await both(['-c', session, at(line)]);
    expect(normalise(a)).toEqual(normalise(b));
  });
});
