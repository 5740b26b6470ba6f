/**
 * The lifecycle options against virsh 9.0.0 on the suite daemon's QEMU session driver, where
 * the test driver cannot show them: `undefine --storage` / `--remove-all-storage` /
 * `--wipe-storage` / `--delete-storage-volume-snapshots` removing real volumes of a dir pool,
 * and shutdown/reboot `--mode`, dommemstat `--period`, domtime, domhostname `--source`,
 * start `--force-boot` / `--reset-nvram`, create `--validate` and undefine's NVRAM/TPM flags on
 * a real TCG guest (with a virtio balloon).
 *
 * Each line runs on a fresh domain (and fresh volumes): tsvirsh first, then virsh, never at
 * once (they act on the same domain and files). stdout, stderr and exit status must match; the
 * volumes left afterwards must be the same too.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyGuestXml } from '../../harness/guest.js';
import { connect, LibvirtError, type Connection } from '../../src/index.js';
import { createDirPool, type DirPool } from './dir-pool.js';
import { harnessDaemon } from './env.js';
import { ours, theirs, type Outcome } from './virsh-diff.js';

const tag = randomBytes(3).toString('hex');
const poolName = `cli-life-${tag}`;
/** The domain whose disks are volumes of the pool (defined, never started). */
const DISKS = `life-disks-${tag}`;
/** The running guest. */
const GUEST = `life-guest-${tag}`;
const GUEST_UUID = `5e1f0c2a-7d3e-4f5a-8b9c-${randomBytes(6).toString('hex')}`;

let uri = '';
let conn: Connection;
let dirPool: DirPool | undefined;
let files = '';

beforeAll(async () => {
  const d = await harnessDaemon();
  uri = d.uris.qemuSessionUnix;
  conn = await connect(uri);
  dirPool = await createDirPool(conn, d.dir, poolName);
  files = mkdtempSync(path.join(tmpdir(), 'lvrpc-cli-life-'));
  // create --validate: an element the schema does not know.
  writeFileSync(path.join(files, 'invalid.xml'), guestXml().replace('<devices>', '<devices>\n    <bogus/>'));
  writeFileSync(path.join(files, 'guest.xml'), guestXml());
});

afterAll(async () => {
  try {
    if (conn?.isOpen) {
      for (const name of [DISKS, GUEST]) {
        const dom = await conn.raw.domainLookupByName(name).catch(() => null);
        if (!dom) continue;
        await conn.raw.domainDestroy(dom).catch(() => {});
        // VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
        await conn.raw.domainUndefineFlags(dom, 3).catch(() => {});
      }
    }
    await dirPool?.remove();
  } finally {
    await conn?.close();
    if (files) rmSync(files, { recursive: true, force: true });
  }
});

/** The running guest's XML: the tiny TCG guest, no console (its pty would differ), a virtio balloon. */
function guestXml(): string {
  return tinyGuestXml(GUEST, { uuid: GUEST_UUID, vnc: false })
    .replace(/ *<serial[^\n]*\n/, '')
    .replace(/ *<console[^\n]*\n/, '')
    .replace("<memballoon model='none'/>", "<memballoon model='virtio'/>");
}

/** Removes a domain (inactive or not, with a managed save image or not) if it is there; one that goes meanwhile (autodestroy) is gone. */
async function removeDomain(name: string): Promise<void> {
  const gone = (err: unknown): void => {
    if (!(err instanceof LibvirtError && err.code === 'VIR_ERR_NO_DOMAIN')) throw err;
  };
  const dom = await conn.raw.domainLookupByName(name).catch(() => null);
  if (!dom) return;
  try {
    // A transient domain is gone once destroyed.
    const persistent = await conn.raw.domainIsPersistent(dom);
    if (await conn.raw.domainIsActive(dom)) await conn.raw.domainDestroy(dom);
    if (persistent) await conn.raw.domainUndefineFlags(dom, 1);
  } catch (err) {
    gone(err);
  }
}

/** The pool's volumes v1.img (raw) and v2.img (qcow2), afresh, and the domain DISKS using them. */
async function freshDisks(): Promise<void> {
  await removeDomain(DISKS);
  const pool = dirPool!.pool;
  for (const v of (await conn.raw.storagePoolListAllVolumes(pool, 1, 0)).vols) await conn.raw.storageVolDelete(v, 0);
  for (const [name, format] of [
    ['v1.img', 'raw'],
    ['v2.img', 'qcow2'],
  ]) {
    await conn.raw.storageVolCreateXML(
      pool,
      `<volume><name>${name}</name><capacity unit='KiB'>512</capacity><target><format type='${format}'/></target></volume>`,
      0,
    );
  }
  const disks = `    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${dirPool!.dir}/v1.img'/><target dev='vda' bus='virtio'/></disk>
    <disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='${poolName}' volume='v2.img'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='/nonexistent/${tag}.img'/><target dev='vdc' bus='virtio'/></disk>
    <disk type='volume' device='disk'><source pool='no-such-pool-${tag}' volume='x.img'/><target dev='vdd' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
`;
  await conn.raw.domainDefineXML(tinyGuestXml(DISKS, { vnc: false, extraDevices: disks }));
}

/** The guest, defined and running afresh (shut off when `running` is false). */
async function freshGuest(running = true): Promise<void> {
  await removeDomain(GUEST);
  const dom = await conn.raw.domainDefineXML(guestXml());
  if (running) await conn.raw.domainCreate(dom);
}

/** The pool's volumes, by name. */
async function volumes(): Promise<string[]> {
  return (await conn.raw.storagePoolListAllVolumes(dirPool!.pool, 1, 0)).vols.map((v) => v.name).sort();
}

/** `line` (D/ is the pool's dir, F/ the test's files) through tsvirsh then virsh, each after `fresh`; with what each left in the pool. */
async function bothAfter(fresh: () => Promise<void>, line: string): Promise<[Outcome & { vols: string[] }, Outcome & { vols: string[] }]> {
  const args = ['-c', uri, line.replaceAll('D/', `${dirPool!.dir}/`).replaceAll('F/', `${files}/`)];
  await fresh();
  const a = await ours(args);
  const aVols = await volumes();
  await fresh();
  const b = await theirs(args);
  const bVols = await volumes();
  return [
    { ...a, vols: aVols },
    { ...b, vols: bVols },
  ];
}

describe('undefine removes a domain’s volumes as virsh does', { timeout: 120_000 }, () => {
  const LINES = [
    `undefine ${DISKS} --remove-all-storage`,
    `undefine ${DISKS} --storage vda,vdb`,
    `undefine ${DISKS} --storage vdb --wipe-storage`,
    `undefine ${DISKS} --storage D/v1.img,vdc`,
    `undefine ${DISKS} --storage vdd`,
    `undefine ${DISKS} --storage vdb,nope`,
    `undefine ${DISKS} --storage hdc`,
    `undefine ${DISKS} --remove-all-storage --wipe-storage`,
    `undefine ${DISKS} --remove-all-storage --delete-storage-volume-snapshots`,
    `undefine ${DISKS} --remove-all-storage --delete-snapshots --wipe-storage`,
    `undefine ${DISKS} --storage vda --remove-all-storage`,
  ];
  it.each(LINES)('%s', async (line) => {
    const [a, b] = await bothAfter(freshDisks, line);
    expect(a).toEqual(b);
  });

  it('removes exactly the volumes it names (so the comparison is not of two failures)', async () => {
    const [a] = await bothAfter(freshDisks, `undefine ${DISKS} --storage vdb`);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(`Domain '${DISKS}' has been undefined\nVolume 'vdb'(v2.img) removed.\n\n`);
    expect(a.vols).toEqual(['v1.img']);
  });
});

describe('the lifecycle and monitoring options on a QEMU guest, as virsh', { timeout: 120_000 }, () => {
  const RUNNING = [
    `shutdown ${GUEST} --mode acpi`,
    `shutdown ${GUEST} --mode agent`,
    `shutdown ${GUEST} --mode initctl`,
    `shutdown ${GUEST} --mode signal,paravirt`,
    `reboot ${GUEST} --mode acpi`,
    `reboot ${GUEST} --mode agent`,
    `reboot ${GUEST} --mode initctl,signal`,
    `dommemstat ${GUEST} --period 2; dommemstat ${GUEST} --period 3 --live; dommemstat ${GUEST} --period 4 --config; dumpxml ${GUEST} --inactive --xpath //memballoon`,
    `dommemstat ${GUEST} --period 2 --current`,
    `domtime ${GUEST}`,
    `domtime ${GUEST} --now`,
    `domtime ${GUEST} --sync`,
    `domtime ${GUEST} --time 1000000`,
    `domhostname ${GUEST}`,
    `domhostname ${GUEST} --source agent`,
    `domhostname ${GUEST} --source lease`,
    `undefine ${GUEST} --nvram; undefine ${GUEST} --keep-nvram; list --name --transient --state-running --uuid`,
    `start ${GUEST}`,
    `undefine ${GUEST} --storage vda`,
  ];
  it.each(RUNNING)('%s', async (line) => {
    const [a, b] = await bothAfter(() => freshGuest(true), line);
    expect(a).toEqual(b);
  });

  const SHUT_OFF = [
    `start ${GUEST} --reset-nvram; domstate ${GUEST}`,
    `managedsave ${GUEST}; start ${GUEST} --force-boot; domstate ${GUEST} --reason`,
    `start ${GUEST} --paused --bypass-cache; domstate ${GUEST} --reason`,
    `undefine ${GUEST} --tpm`,
    `undefine ${GUEST} --keep-tpm --checkpoints-metadata`,
    `undefine ${GUEST}; create F/invalid.xml --validate; create F/invalid.xml --reset-nvram --paused --autodestroy`,
  ];
  it.each(SHUT_OFF)('%s', async (line) => {
    // managedsave needs the guest running first.
    const fresh = line.startsWith('managedsave') ? () => freshGuest(true) : () => freshGuest(false);
    const [a, b] = await bothAfter(fresh, line);
    expect(a).toEqual(b);
  });

  it('the guest really takes --period (so the comparison is not of two failures)', async () => {
    const [a] = await bothAfter(() => freshGuest(true), `dommemstat ${GUEST} --period 4 --config; dumpxml ${GUEST} --inactive --xpath //memballoon/stats`);
    expect(a.status).toBe(0);
    expect(a.stdout).toContain('<stats period="4"/>');
  });
});
