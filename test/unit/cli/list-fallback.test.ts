/**
 * `list` against daemons no real one here is (scripted daemons): one that refuses a filter flag
 * of connectListAllDomains (VIR_ERR_INVALID_ARG), so that virsh lists by activity and filters
 * each domain itself, and one without connectListAllDomains (VIR_ERR_NO_SUPPORT, libvirt before
 * 0.9.13), asked with the old count-and-list calls (tools/virsh-domain-monitor.c
 * virshDomainListCollect). The calls made and the table printed are checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeFakeDaemons, dom, ReplyError, type Handler } from '../../support/scripted-peer.js';
import { tsvirshOnFake } from '../../support/tsvirsh-on-fake.js';

afterEach(closeFakeDaemons);

const VIR_ERR_NO_SUPPORT = 3;
const VIR_ERR_INVALID_ARG = 8;

/** web (running, persistent, autostarted), tmp (running, transient), old (shut off, persistent, 2 snapshots, managed save). */
const DOMAINS = [dom('web', 1, 4), dom('tmp', 2, 2), dom('old', 3)];
const FACTS: Record<string, { state: number; persistent: number; autostart: number; managed: number; snapshots: number }> = {
  web: { state: 1, persistent: 1, autostart: 1, managed: 0, snapshots: 0 },
  tmp: { state: 3, persistent: 0, autostart: 0, managed: 0, snapshots: 0 },
  old: { state: 5, persistent: 1, autostart: 0, managed: 1, snapshots: 2 },
};
const facts = (a: unknown) => FACTS[(a as { dom: { name: string } }).dom.name];

/** Answers for each domain's facts, and `listAll` for connectListAllDomains. */
function handlers(listAll: Handler): Record<string, Handler> {
  return {
    REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS: listAll,
    REMOTE_PROC_DOMAIN_GET_STATE: (a) => ({ state: facts(a).state, reason: 0 }),
    REMOTE_PROC_DOMAIN_IS_PERSISTENT: (a) => ({ persistent: facts(a).persistent }),
    REMOTE_PROC_DOMAIN_GET_AUTOSTART: (a) => ({ autostart: facts(a).autostart }),
    REMOTE_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE: (a) => ({ result: facts(a).managed }),
    REMOTE_PROC_DOMAIN_SNAPSHOT_NUM: (a) => ({ num: facts(a).snapshots }),
    REMOTE_PROC_DOMAIN_LIST_ALL_CHECKPOINTS: () => ({ checkpoints: [], ret: 0 }),
    REMOTE_PROC_CONNECT_NUM_OF_DOMAINS: () => ({ num: 2 }),
    REMOTE_PROC_CONNECT_LIST_DOMAINS: () => ({ ids: [4, 2] }),
    REMOTE_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS: () => ({ num: 1 }),
    REMOTE_PROC_CONNECT_LIST_DEFINED_DOMAINS: () => ({ names: ['old'] }),
    REMOTE_PROC_DOMAIN_LOOKUP_BY_ID: (a) => ({ dom: DOMAINS.find((d) => d.id === (a as { id: number }).id) }),
    REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME: (a) => ({ dom: DOMAINS.find((d) => d.name === (a as { name: string }).name) }),
  };
}

/** The domains connectListAllDomains returns for activity flags alone. */
function byActivity(flags: number) {
  const active = flags & 1;
  const inactive = flags & 2;
  return DOMAINS.filter((d) => (!active && !inactive) || (active && d.id !== -1) || (inactive && d.id === -1));
}

async function run(daemonHandlers: Record<string, Handler>, args: string[]) {
  const { stdout, stderr, status, daemon } = await tsvirshOnFake(daemonHandlers, args);
  const calls = daemon.eventCalls().map((c) => c.name.replace(/^REMOTE_PROC_/, ''));
  return { stdout, stderr, status, calls };
}

const table = (...rows: string[]): string => ` Id   Name   State\n-----------------------\n${rows.map((r) => `${r}\n`).join('')}\n`;

describe('list where the daemon refuses a filter (VIR_ERR_INVALID_ARG)', () => {
  const refuseFilters: Handler = (a) => {
    const { flags } = a as { flags: number };
    if (flags & ~3) throw new ReplyError(VIR_ERR_INVALID_ARG, 'unsupported flags');
    return { domains: byActivity(flags), ret: byActivity(flags).length };
  };

  it('--all --persistent: all domains listed, the transient one filtered out here', async () => {
    const r = await run(handlers(refuseFilters), ['list', '--all', '--persistent']);
    expect(r).toMatchObject({ stderr: '', status: 0 });
    expect(r.stdout).toBe(table(' 4    web    running', ' -    old    shut off'));
    expect(r.calls.filter((c) => c === 'CONNECT_LIST_ALL_DOMAINS')).toHaveLength(2);
    expect(r.calls.filter((c) => c === 'DOMAIN_IS_PERSISTENT')).toHaveLength(3);
  });

  it('--inactive --with-snapshot --with-managed-save, and --state-paused --no-autostart', async () => {
    const a = await run(handlers(refuseFilters), ['list', '--inactive', '--with-snapshot', '--with-managed-save', '--name']);
    expect(a).toMatchObject({ stdout: 'old\n\n', stderr: '', status: 0 });
    const b = await run(handlers(refuseFilters), ['list', '--state-paused', '--no-autostart', '--uuid', '--name']);
    expect(b).toMatchObject({ stdout: '00000000-0000-0000-0000-000000000002 tmp\n\n', stderr: '', status: 0 });
  });

  it('a filter the daemon cannot answer fails with virsh’s message and the daemon’s error', async () => {
    const h = handlers(refuseFilters);
    h.REMOTE_PROC_DOMAIN_SNAPSHOT_NUM = () => {
      throw new ReplyError(VIR_ERR_NO_SUPPORT, 'this function is not supported by the connection driver: virDomainSnapshotNum');
    };
    const r = await run(h, ['list', '--with-snapshot']);
    expect(r.stderr).toBe('error: Failed to get snapshot count\nerror: this function is not supported by the connection driver: virDomainSnapshotNum\n');
    expect(r.status).toBe(1);
  });

  it('a second refusal is “Failed to list domains”', async () => {
    const r = await run(
      handlers(() => {
        throw new ReplyError(VIR_ERR_INVALID_ARG, 'unsupported flags');
      }),
      ['list', '--persistent'],
    );
    expect(r.stderr).toBe('error: Failed to list domains\nerror: unsupported flags\n');
    expect(r.status).toBe(1);
  });
});

describe('list where the daemon has no connectListAllDomains (VIR_ERR_NO_SUPPORT)', () => {
  const noListAll: Handler = () => {
    throw new ReplyError(VIR_ERR_NO_SUPPORT, 'this function is not supported by the connection driver: virConnectListAllDomains');
  };

  it('--all: IDs of the active domains, names of the inactive ones, each looked up; sorted as virsh sorts', async () => {
    const r = await run(handlers(noListAll), ['list', '--all']);
    expect(r).toMatchObject({ stderr: '', status: 0 });
    expect(r.stdout).toBe(table(' 2    tmp    paused', ' 4    web    running', ' -    old    shut off'));
    expect(r.calls.slice(0, 7)).toEqual([
      'CONNECT_LIST_ALL_DOMAINS',
      'CONNECT_NUM_OF_DOMAINS',
      'CONNECT_LIST_DOMAINS',
      'DOMAIN_LOOKUP_BY_ID',
      'DOMAIN_LOOKUP_BY_ID',
      'CONNECT_NUM_OF_DEFINED_DOMAINS',
      'CONNECT_LIST_DEFINED_DOMAINS',
    ]);
  });

  it('active domains only by default, filtered here (--autostart)', async () => {
    const r = await run(handlers(noListAll), ['list', '--autostart', '--name']);
    expect(r).toMatchObject({ stdout: 'web\n\n', stderr: '', status: 0 });
    expect(r.calls).not.toContain('CONNECT_NUM_OF_DEFINED_DOMAINS');
  });
});

describe('list --title where the daemon has no metadata call', () => {
  it('reads the title from the domain’s XML, as virshGetDomainDescription falls back to', async () => {
    const h = handlers((a) => ({ domains: byActivity((a as { flags: number }).flags), ret: 0 }));
    h.REMOTE_PROC_DOMAIN_GET_METADATA = () => {
      throw new ReplyError(VIR_ERR_NO_SUPPORT, 'this function is not supported by the connection driver: virDomainGetMetadata');
    };
    h.REMOTE_PROC_DOMAIN_GET_XML_DESC = (a) => {
      const name = (a as { dom: { name: string } }).dom.name;
      return { xml: name === 'web' ? '<domain><name>web</name><title>Web &amp; co</title></domain>' : `<domain><name>${name}</name></domain>` };
    };
    const r = await run(h, ['list', '--title']);
    expect(r).toMatchObject({ stderr: '', status: 0 });
    expect(r.stdout).toBe(' Id   Name   State     Title\n---------------------------------\n 2    tmp    paused    \n 4    web    running   Web & co\n\n');
  });
});
