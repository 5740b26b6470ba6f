/**
 * `start --force-boot` and `undefine` against older daemons (scripted): virsh emulates a forced
 * boot where the daemon refuses the flag (the managed save image removed, then a plain start),
 * and undefines piece by piece where virDomainUndefineFlags is missing or unsafe, refusing what
 * would strand snapshot metadata (tools/virsh-domain.c cmdStart, cmdUndefine). The calls made
 * and what tsvirsh prints are checked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeFakeDaemons, dom, ReplyError, type Handler } from '../../support/scripted-peer.js';
import { tsvirshOnFake } from '../../support/tsvirsh-on-fake.js';

afterEach(closeFakeDaemons);

const VIR_ERR_NO_SUPPORT = 3;
const VIR_ERR_INVALID_ARG = 8;
const VIR_DOMAIN_START_FORCE_BOOT = 8;
const VIR_DOMAIN_SNAPSHOT_LIST_METADATA = 2;

const OLD = dom('old', 1);

async function run(handlers: Record<string, Handler>, args: string[]) {
  const { stdout, stderr, status, daemon } = await tsvirshOnFake({ REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME: () => ({ dom: OLD }), ...handlers }, args);
  const calls = daemon
    .eventCalls()
    .map(
      (c) =>
        `${c.name.replace(/^REMOTE_PROC_/, '')}${(c.args as { flags?: number } | undefined)?.flags !== undefined ? `(${(c.args as { flags: number }).flags})` : ''}`,
    );
  return { stdout, stderr, status, calls };
}

const fail = (code: number, message: string) => () => {
  throw new ReplyError(code, message);
};

describe('start --force-boot on a daemon that refuses the flag', () => {
  const handlers = (managed: number): Record<string, Handler> => ({
    REMOTE_PROC_DOMAIN_CREATE_WITH_FLAGS: (a) => {
      if ((a as { flags: number }).flags & VIR_DOMAIN_START_FORCE_BOOT) throw new ReplyError(VIR_ERR_INVALID_ARG, 'unsupported flags (0x8)');
      return { dom: OLD };
    },
    REMOTE_PROC_DOMAIN_CREATE: () => undefined,
    REMOTE_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE: () => ({ result: managed }),
    REMOTE_PROC_DOMAIN_MANAGED_SAVE_REMOVE: () => undefined,
  });

  it('removes the managed save image, then starts without the flag', async () => {
    const r = await run(handlers(1), ['start', 'old', '--force-boot']);
    expect(r).toMatchObject({ stdout: "Domain 'old' started\n\n", stderr: '', status: 0 });
    expect(r.calls).toEqual([
      'DOMAIN_LOOKUP_BY_NAME',
      'DOMAIN_CREATE_WITH_FLAGS(8)',
      'DOMAIN_HAS_MANAGED_SAVE_IMAGE(0)',
      'DOMAIN_MANAGED_SAVE_REMOVE(0)',
      'DOMAIN_CREATE',
    ]);
  });

  it('with --paused: the other flags stay (CreateWithFlags), nothing to remove', async () => {
    const r = await run(handlers(0), ['start', 'old', '--force-boot', '--paused']);
    expect(r).toMatchObject({ stdout: "Domain 'old' started\n\n", stderr: '', status: 0 });
    expect(r.calls).toEqual(['DOMAIN_LOOKUP_BY_NAME', 'DOMAIN_CREATE_WITH_FLAGS(9)', 'DOMAIN_HAS_MANAGED_SAVE_IMAGE(0)', 'DOMAIN_CREATE_WITH_FLAGS(1)']);
  });

  it('any other refusal is reported as it is', async () => {
    const r = await run({ REMOTE_PROC_DOMAIN_CREATE_WITH_FLAGS: fail(55, 'Requested operation is not valid: nope') }, ['start', 'old', '--force-boot']);
    expect(r).toMatchObject({ stdout: '\n', stderr: 'error: Requested operation is not valid: nope\n', status: 1 });
  });
});

describe('undefine on a daemon without virDomainUndefineFlags', () => {
  const handlers = (managed: number, snapshots: number, metadataKnown: boolean): Record<string, Handler> => ({
    REMOTE_PROC_DOMAIN_IS_ACTIVE: () => ({ active: 0 }),
    REMOTE_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE: () => ({ result: managed }),
    REMOTE_PROC_DOMAIN_SNAPSHOT_NUM: (a) => {
      if ((a as { flags: number }).flags & VIR_DOMAIN_SNAPSHOT_LIST_METADATA && !metadataKnown)
        throw new ReplyError(VIR_ERR_INVALID_ARG, 'unsupported flags (0x2)');
      return { num: snapshots };
    },
    REMOTE_PROC_DOMAIN_UNDEFINE_FLAGS: fail(VIR_ERR_NO_SUPPORT, 'this function is not supported by the connection driver: virDomainUndefineFlags'),
    REMOTE_PROC_DOMAIN_MANAGED_SAVE_REMOVE: () => undefined,
    REMOTE_PROC_DOMAIN_UNDEFINE: () => undefined,
  });

  it('--managed-save: the image removed, then the old call', async () => {
    const r = await run(handlers(1, 0, true), ['undefine', 'old', '--managed-save']);
    expect(r).toMatchObject({ stdout: "Domain 'old' has been undefined\n\n", stderr: '', status: 0 });
    expect(r.calls.slice(-3)).toEqual(['DOMAIN_UNDEFINE_FLAGS(1)', 'DOMAIN_MANAGED_SAVE_REMOVE(0)', 'DOMAIN_UNDEFINE']);
  });

  it('a managed save image without --managed-save: the flags call is not even tried', async () => {
    const r = await run(handlers(1, 0, true), ['undefine', 'old']);
    expect(r).toMatchObject({ stdout: '\n', stderr: 'error: Refusing to undefine while domain managed save image exists\n', status: 1 });
    expect(r.calls).not.toContain('DOMAIN_UNDEFINE_FLAGS(0)');
  });

  it('snapshots on a daemon that cannot count their metadata: refused, with or without --snapshots-metadata', async () => {
    const a = await run(handlers(0, 2, false), ['undefine', 'old']);
    expect(a).toMatchObject({ stdout: '\n', stderr: 'error: Refusing to undefine while 2 snapshots exist\n', status: 1 });
    const b = await run(handlers(0, 2, false), ['undefine', 'old', '--snapshots-metadata']);
    expect(b).toMatchObject({ stdout: '\n', stderr: 'error: Unable to remove metadata of 2 snapshots\n', status: 1 });
    expect(b.calls).not.toContain('DOMAIN_UNDEFINE');
  });

  it('--nvram needs the flags call: its failure is the command’s', async () => {
    const r = await run(handlers(0, 0, true), ['undefine', 'old', '--nvram']);
    expect(r).toMatchObject({
      stdout: '\n',
      stderr: "error: Failed to undefine domain 'old'\nerror: this function is not supported by the connection driver: virDomainUndefineFlags\n",
      status: 1,
    });
  });
});
