/**
 * tsvirsh against virsh for the event commands (event, net-event,
 * pool-event, nodedev-event, secret-event, qemu-monitor-event).
 *
 * Listening cases start both tools at once with a `--timeout`, let them
 * register (a fixed pause: neither says when it is ready), then cause the
 * events through a separate connection (test:///default's shared state, or
 * the QEMU session driver for secrets and QMP events) and compare stdout,
 * stderr and exit status, event order included. Only `--timestamp` values
 * are masked: they are the wall clock of each tool's own printing.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientEnv, run, VIRSH } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import { runVirsh } from '../../src/cli/main.js';
import { connect, type Connection } from '../../src/index.js';
import { QEMU_PROGRAM, QemuProcedure, REMOTE_PROGRAM, type RemoteNonnullDomain, RemoteProcedure } from '../../src/protocol.js';
import { CHANNELS, type CallEndMessage } from '../../src/rpc/diagnostics.js';
import { harnessDaemon, privateTestUri } from './env.js';
import { both, ours, theirs, type Outcome } from './virsh-diff.js';

const tag = randomBytes(3).toString('hex');
/** How long both tools get to connect and register before the events are caused. */
const SETTLE_MS = 2000;
/** How long `during` waits for both tools to register before causing the event anyway. */
const REGISTER_BOUND_MS = 20_000;
const TIMEOUT = '5';

let shared = '';
let session = '';
let privateUri = '';
let test: Connection;
let qemu: Connection;

beforeAll(async () => {
  const d = await harnessDaemon();
  shared = d.uris.testDefaultUnix;
  session = d.uris.qemuSessionUnix;
  privateUri = await privateTestUri();
  test = await connect(shared);
  qemu = await connect(session);
});

afterAll(async () => {
  await test?.close();
  await qemu?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** virTimeStringNowRaw's stamp at the start of a line: each tool prints its own clock. */
const maskTimestamps = (o: Outcome): Outcome => ({ ...o, stdout: o.stdout.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: /gm, 'TIME: ') });

/** An event-registration procedure's name (not a deregistration). */
const REGISTER = /EVENT(_CALLBACK)?_REGISTER(_ANY)?$/;

/** Resolves when tsvirsh (in this process) has had `count` replies to event registrations, or at `stop`. */
function oursRegistered(stop: AbortSignal, count: number): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const done = (): void => {
      unsubscribe(CHANNELS.callEnd, onEnd);
      resolve();
    };
    const onEnd = (m: unknown): void => {
      const { name, error } = m as CallEndMessage;
      if (REGISTER.test(name) && !error && ++seen === count) done();
    };
    subscribe(CHANNELS.callEnd, onEnd);
    stop.addEventListener('abort', done, { once: true });
  });
}

/**
 * Resolves when virsh, logging its RPC traffic to `log` (libvirt's RPC_CLIENT_MSG_RX probe), has
 * had `count` replies (type=1) to the event-registration procedures.
 */
async function theirsRegistered(log: string, stop: AbortSignal, count: number): Promise<void> {
  const procs = registrationProcedures();
  while (!stop.aborted) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    let seen = 0;
    for (const m of text.matchAll(/RPC_CLIENT_MSG_RX: .* prog=(\d+) vers=\d+ proc=(\d+) type=1 /g)) {
      if (procs.has(`${m[1]}:${m[2]}`) && ++seen === count) return;
    }
    await sleep(50);
  }
}

/** How many domain events `event --list` names (what `event --all` registers for). */
async function domainEventCount(uri: string): Promise<number> {
  const listed = await ours(['-c', uri, 'event', '--list']);
  return listed.stdout.split('\n').filter((line) => line.trim() !== '').length;
}

/** `program:procedure` of every event registration in libvirt's remote and QEMU programs. */
function registrationProcedures(): Set<string> {
  const set = new Set<string>();
  for (const [program, table] of [
    [REMOTE_PROGRAM, RemoteProcedure],
    [QEMU_PROGRAM, QemuProcedure],
  ] as const) {
    for (const [name, proc] of Object.entries(table)) if (REGISTER.test(name)) set.add(`${program}:${proc}`);
  }
  return set;
}

/**
 * Both tools listen with `args`; `cause` runs once both have registered for events (each tool's
 * `--timeout` counts from its registration, as virsh's cmdEvent starts its timer after it), or
 * after REGISTER_BOUND_MS if one never registers (a command that fails first).
 */
async function during(uri: string, args: string[], cause: () => Promise<unknown>): Promise<[Outcome, Outcome]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'virsh-rpc-'));
  const log = path.join(dir, 'rpc.log');
  const argv = ['-c', uri, ...args];
  // `event --all` registers for every domain event, one after the other: the cause waits for all
  // of them (the first alone left a late one, metadata-change, unregistered under load).
  const count = args[0] === 'event' && args.includes('--all') ? await domainEventCount(uri) : 1;
  const stop = new AbortController();
  const ready = Promise.all([oursRegistered(stop.signal, count), theirsRegistered(log, stop.signal, count)]);
  const running = Promise.all([
    ours(argv),
    run(VIRSH, argv, {
      env: { ...clientEnv(), LIBVIRT_LOG_OUTPUTS: `1:file:${log}`, LIBVIRT_LOG_FILTERS: '1:rpc' },
      timeoutMs: 30_000,
      input: '',
    }).then((r): Outcome => ({ stdout: r.stdout, stderr: r.stderr, status: r.code ?? -1 })),
  ]);
  await Promise.race([ready, sleep(REGISTER_BOUND_MS), running]);
  await cause();
  try {
    return await running;
  } finally {
    stop.abort();
    rmSync(dir, { recursive: true, force: true });
  }
}

const domainXml = (name: string): string => `<domain type='test'><name>${name}</name><memory>8192</memory><os><type>hvm</type></os></domain>`;

describe('event commands that list or fail match virsh', () => {
  const SAME: string[][] = [
    ['event', '--list'],
    ['event'],
    ['event', '--event', 'bogus'],
    ['event', '--all', '--event', 'lifecycle'],
    ['event', '--list', '--all'],
    ['event', '--list', '--event', 'x'],
    ['event', '--all', '--timeout', '0'],
    ['event', '--all', '--timeout', '-1'],
    ['event', '--all', '--timeout', 'abc'],
    ['event', '--all', '--timeout', '2147484'],
    ['event', '--all', '--timeout', '0x1'],
    ['event', '--all', '--timeout', '1 '],
    ['event', '--all', '--domain', 'nope'],
    ['event', '--event', ''],
    ['event', '--all', '--domain', ''],
    ['event', '--all', '--timeout', '1'],
    ['event', '--all', '--timeout', ' +1'],
    ['event', 'test', 'lifecycle', '1'],
    ['net-event', '--list'],
    ['net-event'],
    ['net-event', '--event', 'bogus'],
    ['net-event', '--event', ''],
    ['net-event', '--list', '--event', 'x'],
    ['net-event', '--network', 'nope', '--event', 'lifecycle', '--timeout', '1'],
    ['net-event', '--event', 'lifecycle', '--timeout', '1', '--network', ''],
    ['pool-event', '--list'],
    ['pool-event', '--pool', 'nope', '--event', 'lifecycle', '--timeout', '1'],
    ['pool-event', '--pool', '6695eb01-f6a4-8304-79aa-97f2502e193f', '--event', 'refresh', '--timeout', '1'],
    ['nodedev-event', '--list'],
    ['nodedev-event', '--device', 'nope', '--event', 'lifecycle', '--timeout', '1'],
    ['nodedev-event', '--event', 'update', '--timeout', '1', '--device', 'computer'],
    ['secret-event', '--list'],
    ['secret-event', '--secret', 'nope', '--event', 'lifecycle', '--timeout', '1'],
    ['secret-event', '--event', 'value-changed', '--timeout', '1'],
    ['qemu-monitor-event', '--timeout', '1'],
    ['qemu-monitor-event', '--timeout', 'x'],
  ];
  it.each(SAME.map((a) => [a.join(' '), a] as const))('%s', async (_label, args) => {
    const [a, b] = await both(['-c', privateUri, ...args]);
    expect(a).toEqual(b);
  });

  it.each([
    ['secret-event', '--secret', 'nope', '--event', 'lifecycle', '--timeout', '1'],
    ['secret-event', '--secret', '6695eb01-f6a4-8304-79aa-97f2502e193f', '--event', 'lifecycle', '--timeout', '1'],
    ['secret-event', '--secret', ' 6695eb01f6a4-8304-79aa-97f2502e193f ', '--event', 'value-changed', '--timeout', '1'],
    ['qemu-monitor-event', '--timeout', '1', '--domain', 'nope'],
    ['qemu-monitor-event', '--timeout', '1', '--event', ''],
  ])('%s %s %s %s (QEMU session)', async (...args) => {
    const [a, b] = await both(['-c', session, ...args]);
    expect(a).toEqual(b);
  });
});

describe('event commands print the events virsh prints', () => {
  it('event --all --loop on one domain: its whole life, in order', async () => {
    const name = `ev-${tag}-a`;
    const dom = await test.raw.domainDefineXML(domainXml(name));
    const [a, b] = await during(shared, ['event', '--all', '--loop', '--timeout', TIMEOUT, '--domain', name], async () => {
      await test.raw.domainCreate(dom);
      await test.raw.domainSuspend(dom);
      await test.raw.domainResume(dom);
      await test.raw.domainSetMetadata(dom, 0, 'hello', null, null, 0);
      await test.raw.domainDestroy(dom);
      await test.raw.domainUndefine(dom);
    });
    expect(a).toEqual(b);
    expect(a.stdout).toContain(`event 'lifecycle' for domain '${name}': Started Booted\n`);
    expect(a.stdout).toContain(`event 'metadata-change' for domain '${name}': type description, uri <null>\n`);
    expect(a.stdout).toMatch(/events received: 6\n\n$/);
  });

  it('event --event lifecycle stops at the first event', async () => {
    const name = `ev-${tag}-b`;
    const [a, b] = await during(shared, ['event', '--event', 'lifecycle', '--timeout', TIMEOUT], async () => {
      const dom = await test.raw.domainDefineXML(domainXml(name));
      await test.raw.domainUndefine(dom);
    });
    expect(a).toEqual(b);
    expect(a).toEqual({ stdout: `event 'lifecycle' for domain '${name}': Defined Added\nevents received: 1\n\n`, stderr: '', status: 0 });
  });

  it('event --timestamp (stamps masked)', async () => {
    const name = `ev-${tag}-c`;
    const dom = await test.raw.domainDefineXML(domainXml(name));
    const [a, b] = await during(shared, ['event', name, '--all', '--loop', '--timeout', TIMEOUT, '--timestamp'], async () => {
      await test.raw.domainCreate(dom);
      await test.raw.domainDestroy(dom);
      await test.raw.domainUndefine(dom);
    });
    expect(a.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000: event 'lifecycle'/);
    expect(maskTimestamps(a)).toEqual(maskTimestamps(b));
  });

  it('net-event --loop', async () => {
    const name = `evnet-${tag}`;
    const [a, b] = await during(shared, ['net-event', '--event', 'lifecycle', '--loop', '--timeout', TIMEOUT], async () => {
      const net = await test.raw.networkDefineXML(`<network><name>${name}</name><bridge name='vb${tag}'/></network>`);
      await test.raw.networkCreate(net);
      await test.raw.networkDestroy(net);
      await test.raw.networkUndefine(net);
    });
    expect(a).toEqual(b);
    expect(a.stdout).toBe(
      ['Defined', 'Started', 'Stopped', 'Undefined'].map((e) => `event 'lifecycle' for network ${name}: ${e}\n`).join('') +
        'event loop timed out\nevents received: 4\n\n',
    );
  });

  it('net-event with a network filter that does not exist listens to all, and fails without events', async () => {
    const [a, b] = await during(shared, ['net-event', 'nope', 'lifecycle', '1'], async () => {});
    expect(a).toEqual(b);
    expect(a.status).toBe(1);
  });

  it('pool-event on one pool, and refresh', async () => {
    const name = `evpool-${tag}`;
    const pool = await test.raw.storagePoolDefineXML(`<pool type='dir'><name>${name}</name><target><path>/${name}</path></target></pool>`, 0);
    try {
      const [a, b] = await during(shared, ['pool-event', '--pool', name, '--event', 'lifecycle', '--loop', '--timeout', TIMEOUT], async () => {
        await test.raw.storagePoolCreate(pool, 0);
        await test.raw.storagePoolDestroy(pool);
      });
      expect(a).toEqual(b);
      expect(a.stdout).toContain(`event 'lifecycle' for storage pool ${name}: Started\n`);
      await test.raw.storagePoolCreate(pool, 0);
      const [c, d] = await during(shared, ['pool-event', name, 'refresh', TIMEOUT, '--timestamp'], () => test.raw.storagePoolRefresh(pool, 0));
      expect(maskTimestamps(c)).toEqual(maskTimestamps(d));
      expect(maskTimestamps(c).stdout).toBe(`TIME: event 'refresh' for storage pool ${name}\nevents received: 1\n\n`);
      await test.raw.storagePoolDestroy(pool);
    } finally {
      await test.raw.storagePoolUndefine(pool);
    }
  });

  it('nodedev-event --loop: a vHBA created and destroyed', async () => {
    const wwn = `20000000${randomBytes(4).toString('hex')}`;
    const [a, b] = await during(shared, ['nodedev-event', '--event', 'lifecycle', '--loop', '--timeout', TIMEOUT], async () => {
      const dev = await test.raw.nodeDeviceCreateXML(
        `<device><parent>scsi_host1</parent><capability type='scsi_host'><capability type='fc_host'><wwnn>${wwn}</wwnn><wwpn>1${wwn.slice(1)}</wwpn></capability></capability></device>`,
        0,
      );
      await test.raw.nodeDeviceDestroy(dev.name);
    });
    expect(a).toEqual(b);
    expect(a.stdout).toMatch(/^event 'lifecycle' for node device scsi_host\d+: Created\nevent 'lifecycle' for node device scsi_host\d+: Deleted\n/);
  });

  it('secret-event (QEMU session): lifecycle, then value-changed', async () => {
    const uuid = `0a81f5b2-8403-7b23-c8d6-${randomBytes(6).toString('hex')}`;
    const xml = `<secret ephemeral='no' private='no'><uuid>${uuid}</uuid><usage type='volume'><volume>/var/lib/${tag}.img</volume></usage></secret>`;
    const [a, b] = await during(session, ['secret-event', '--event', 'lifecycle', '--loop', '--timeout', TIMEOUT], async () => {
      const s = await qemu.raw.secretDefineXML(xml, 0);
      await qemu.raw.secretUndefine(s);
    });
    expect(a).toEqual(b);
    expect(a.stdout).toBe(
      `event 'lifecycle' for secret ${uuid}: Defined\nevent 'lifecycle' for secret ${uuid}: Undefined\nevent loop timed out\nevents received: 2\n\n`,
    );
    const s = await qemu.raw.secretDefineXML(xml, 0);
    try {
      const [c, d] = await during(session, ['secret-event', '--secret', uuid, '--event', 'value-changed', '--timeout', TIMEOUT], () =>
        qemu.raw.secretSetValue(s, Buffer.from('hello'), 0),
      );
      expect(c).toEqual(d);
      expect(c.stdout).toBe(`event 'value-changed' for secret ${uuid}\nevents received: 1\n\n`);
    } finally {
      await qemu.raw.secretUndefine(s);
    }
  });

  describe('qemu-monitor-event on a running guest', () => {
    const name = `evguest-${tag}`;
    let dom: RemoteNonnullDomain;
    beforeAll(async () => {
      // SeaBIOS finds nothing to boot and would reset the guest every minute: rebootTimeout -1 stops that.
      const xml = tinyGuestXml(name, { vnc: false }).replace("<boot dev='hd'/>", "<boot dev='hd'/>\n    <bios rebootTimeout='-1'/>");
      dom = await qemu.raw.domainCreateXML(xml, 0);
      // Let the firmware's own start-up resets pass before anyone listens.
      await sleep(2000);
    });
    afterAll(async () => {
      if (dom) await qemu.raw.domainDestroy(dom).catch(() => {});
    });

    const pause = async (): Promise<void> => {
      await qemu.raw.domainSuspend(dom);
      await qemu.raw.domainResume(dom);
    };

    it('--loop: STOP and RESUME', async () => {
      const [a, b] = await during(session, ['qemu-monitor-event', '--loop', '--timeout', TIMEOUT, '--domain', name], pause);
      expect(a).toEqual(b);
      expect(a.stdout).toMatch(new RegExp(`^event STOP at \\d+\\.\\d{6} for domain '${name}': <null>\\nevent RESUME at `));
    });

    it('--event stop --no-case, and --regex', async () => {
      const [a, b] = await during(session, ['qemu-monitor-event', name, 'stop', '--no-case', '--loop', '--timeout', TIMEOUT], pause);
      expect(a).toEqual(b);
      expect(a.stdout).toMatch(/events received: 1\n\n$/);
      const [c, d] = await during(session, ['qemu-monitor-event', '--regex', '--event', '^RES', '--timeout', TIMEOUT], pause);
      expect(c).toEqual(d);
      expect(c.stdout).toMatch(/^event RESUME at /);
    });

    it('--pretty re-indents the details; --timestamp drops QEMU’s time', async () => {
      // A reset reaches the listeners later than a pause: QEMU's TCG loop emits RESET when it runs
      // the reset, which a loaded machine delays (two full runs saw nothing within 5 s).
      const RESET_WINDOW = '15';
      // A host reset makes SeaBIOS reset the guest once more, a moment later: --loop takes both, and
      // the second run waits until the first one's resets are over.
      const reset = async (): Promise<void> => {
        await qemu.raw.domainReset(dom, 0);
        await sleep(1500);
      };
      const [a, b] = await during(session, ['qemu-monitor-event', '--pretty', '--loop', '--domain', name, '--timeout', RESET_WINDOW], reset);
      expect(a).toEqual(b);
      expect(a.stdout).toContain(`for domain '${name}': {\n  "guest": false,\n  "reason": "host-qmp-system-reset"\n}\n`);
      await sleep(2000);
      const [c, d] = await during(session, ['qemu-monitor-event', '--timestamp', '--loop', '--domain', name, '--timeout', RESET_WINDOW], reset);
      expect(maskTimestamps(c)).toEqual(maskTimestamps(d));
      expect(maskTimestamps(c).stdout).toMatch(new RegExp(`^TIME: event RESET for domain '${name}': \\{"guest":false,"reason":"host-qmp-system-reset"\\}\\n`));
    }, 60_000);
  });

  it('an interrupt ends the wait as virsh’s SIGINT does', async () => {
    const args = ['-c', privateUri, 'event', '--all', '--loop'];
    const controller = new AbortController();
    let stdout = '';
    let stderr = '';
    const mine = runVirsh(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stdin: '', interrupt: controller.signal });
    const virsh = spawn(VIRSH, args, { env: clientEnv() });
    let vout = '';
    let verr = '';
    virsh.stdout.on('data', (d: Buffer) => (vout += d.toString()));
    virsh.stderr.on('data', (d: Buffer) => (verr += d.toString()));
    const vstatus = new Promise<number | null>((r) => virsh.on('close', (code) => r(code)));
    await sleep(SETTLE_MS);
    controller.abort();
    virsh.kill('SIGINT');
    const [status, vcode] = await Promise.all([mine, vstatus]);
    expect({ stdout, stderr, status }).toEqual({ stdout: vout, stderr: verr, status: vcode });
    expect(stdout).toBe('event loop interrupted\nevents received: 0\n\n');
  });

  it('ours and theirs agree that an unknown --domain fails before listening', async () => {
    const [a, b] = await Promise.all([
      ours(['-c', shared, 'event', '--all', '--domain', `none-${tag}`]),
      theirs(['-c', shared, 'event', '--all', '--domain', `none-${tag}`]),
    ]);
    expect(a).toEqual(b);
    expect(a.status).toBe(1);
  });
});
