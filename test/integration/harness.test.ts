/**
 * Tests of the integration harness itself, using only the C client (python3-libvirt, virsh).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canConnect, run, clientEnv, HarnessError, startPrivateDaemon, VIRSH } from '../../harness/daemon.js';
import { tinyGuestXml } from '../../harness/guest.js';
import { daemonInfo, harnessDaemon, privateTestUri, startExtraDaemon } from './env.js';
import { OracleError, pyLibvirt, virsh } from './oracle.js';

describe('the run daemon', () => {
  it('is described to the tests', () => {
    const info = daemonInfo();
    expect(typeof info.uri).toBe('string');
    if (!info.external) {
      expect(info.daemon?.uris.qemuSessionUnix).toBe(info.uri);
      expect(info.daemon?.socketPath.length).toBeLessThan(100);
    }
  });

  it('answers getLibVersion over the unix socket and TCP (python3-libvirt)', async () => {
    const d = await harnessDaemon();
    const uris = [d.uris.qemuSessionUnix, d.uris.qemuSessionTcp, d.uris.testDefaultUnix, d.uris.testDefaultTcp];
    const versions = await Promise.all(
      uris.map((u) => pyLibvirt<{ lib: number; uri: string }>(u, `result = {"lib": conn.getLibVersion(), "uri": conn.getURI()}`)),
    );
    for (const v of versions) {
      expect(v.lib).toBeGreaterThanOrEqual(9_000_000);
      expect(v.lib).toBe(versions[0]!.lib);
    }
    expect(versions[0]!.uri).toMatch(/^qemu\+unix:\/\/\/session\?socket=/);
    expect(versions[3]!.uri).toMatch(/^test\+tcp:\/\/127\.0\.0\.1:\d+\/default$/);
  });

  it('answers virsh too', async () => {
    const d = await harnessDaemon();
    const out = await virsh(d.uris.testDefaultTcp, ['list', '--all', '--name']);
    expect(out.split('\n').filter(Boolean)).toContain('test');
  });

  it('is reachable as plain qemu:///session by a C client run as lvtest with its env', async () => {
    const d = await harnessDaemon();
    const envArgs = Object.entries(d.env).map(([k, v]) => `${k}=${v}`);
    const r = await run('/usr/sbin/runuser', ['-u', 'lvtest', '--', 'env', ...envArgs, VIRSH, '-q', '-c', 'qemu:///session', 'uri'], {
      env: clientEnv(),
      timeoutMs: 20_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('qemu:///session');
  });
});

describe('oracle', () => {
  it("reports a failing connection with libvirt's message", async () => {
    const err = await pyLibvirt('test+unix:///default?socket=/nonexistent/sock', 'result = 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OracleError);
    expect((err as OracleError).code).toBe('ORACLE_FAILED');
    expect((err as OracleError).message).toMatch(/nonexistent\/sock/);
  });

  it('accepts a body that prints its JSON', async () => {
    const d = await harnessDaemon();
    const names = await pyLibvirt<string[]>(
      d.uris.testDefaultUnix,
      `
        names = sorted(dom.name() for dom in conn.listAllDomains())
        print(json.dumps(names))
      `,
    );
    expect(names).toContain('test');
  });
});

describe('private test-driver state', () => {
  const listAndMutate = `
    def snapshot(c):
        return sorted([d.name(), d.state()[0]] for d in c.listAllDomains())
    before = snapshot(conn)
    conn.lookupByName("test").destroy()
    conn.defineXML("<domain type='test'><name>extra</name><memory>1024</memory><os><type>hvm</type></os></domain>")
    after = snapshot(conn)
    conn2 = libvirt.open(URI)   # a second connection to the same node file: its own fresh state
    other = snapshot(conn2)
    conn2.close()
    result = {"before": before, "after": after, "other": other}
  `;
  type Snap = [string, number][];

  for (const transport of ['unix', 'tcp'] as const) {
    it(`shows its node XML's domains and keeps changes per connection (${transport})`, async () => {
      const opts = { domains: [{ name: 'test' }, { name: 'off', state: 'shutoff' as const }] };
      const uri = await privateTestUri(transport, opts);
      const r = await pyLibvirt<{ before: Snap; after: Snap; other: Snap }>(uri, listAndMutate);
      expect(r.before).toEqual([
        ['off', 5],
        ['test', 1],
      ]);
      expect(r.after).toEqual([
        ['extra', 5],
        ['off', 5],
        ['test', 5],
      ]);
      expect(r.other).toEqual(r.before);

      // A later connection, and one to another private URI, see none of it either.
      const again = await pyLibvirt<Snap>(uri, 'result = sorted([d.name(), d.state()[0]] for d in conn.listAllDomains())');
      expect(again).toEqual(r.before);
      const otherUri = await privateTestUri(transport);
      expect(otherUri).not.toBe(uri);
      const fresh = await pyLibvirt<Snap>(otherUri, 'result = sorted([d.name(), d.state()[0]] for d in conn.listAllDomains())');
      expect(fresh).toEqual([['test', 1]]);
    });
  }
});

describe('tiny QEMU guest on the session daemon', () => {
  it('defines, starts (running), is destroyed and undefined (python3-libvirt)', async () => {
    const d = await harnessDaemon();
    const name = `tiny-${randomBytes(4).toString('hex')}`;
    const r = await pyLibvirt<{ running: number[]; vnc: boolean; after: number[]; left: string[] }>(
      d.uris.qemuSessionUnix,
      `
        import re
        XML = ${JSON.stringify(tinyGuestXml(name))}
        dom = conn.defineXML(XML)
        try:
            dom.create()
            running = dom.state()
            desc = dom.XMLDesc(0)
            vnc = re.search(r"<graphics type='vnc' port='(\\d+)'", desc) is not None
            dom.destroy()
            after = dom.state()
        finally:
            if dom.isActive():
                dom.destroy()
            dom.undefine()
        left = [x.name() for x in conn.listAllDomains()]
        result = {"running": running, "vnc": vnc, "after": after, "left": left}
      `,
      undefined,
      { timeoutMs: 45_000 },
    );
    expect(r.running[0]).toBe(1); // VIR_DOMAIN_RUNNING
    expect(r.vnc).toBe(true);
    expect(r.after[0]).toBe(5); // VIR_DOMAIN_SHUTOFF
    expect(r.left).not.toContain(name);
  });
});

describe('extra daemons', () => {
  it('run beside the shared one, and refuse connections once killed', async () => {
    const shared = await harnessDaemon();
    const d = await startExtraDaemon();
    expect(d.dir).not.toBe(shared.dir);
    expect(d.tcpPort).not.toBe(shared.tcpPort);
    const v = await pyLibvirt<number>(d.uris.testDefaultUnix, 'result = conn.getLibVersion()');
    expect(v).toBeGreaterThanOrEqual(9_000_000);

    d.kill('SIGKILL');
    const exit = await d.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(d.isRunning()).toBe(false);
    expect(await canConnect({ path: d.socketPath })).toBe(false);
    expect(await canConnect({ host: '127.0.0.1', port: d.tcpPort })).toBe(false);
    const err = await pyLibvirt(d.uris.testDefaultUnix, 'result = 1', undefined, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect((err as OracleError).code).toBe('ORACLE_FAILED');
    expect((err as OracleError).stderr).toMatch(/Connection refused|Failed to connect socket/);

    // The shared daemon is unaffected.
    expect(await canConnect({ path: shared.socketPath })).toBe(true);
  });

  it('can be stopped (bounded) while SIGSTOPped, guests included', async () => {
    const d = await startExtraDaemon();
    const name = `tiny-${randomBytes(4).toString('hex')}`;
    const xmlPath = path.join(d.dir, 'guest.xml');
    fs.writeFileSync(xmlPath, tinyGuestXml(name));
    await virsh(d.uris.qemuSessionUnix, ['create', xmlPath], { timeoutMs: 45_000 });
    expect(await virsh(d.uris.qemuSessionUnix, ['domstate', name])).toMatch(/running/);
    d.kill('SIGSTOP');
    // A stopped daemon accepts at the kernel level but never answers: the oracle's timeout fires.
    const err = await pyLibvirt(d.uris.testDefaultUnix, 'result = 1', undefined, { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect((err as OracleError).code).toBe('ORACLE_TIMEOUT');
    const t0 = Date.now();
    await d.stop();
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(d.isRunning()).toBe(false);
    const ps = await run('/bin/ps', ['-eo', 'pid,stat,args'], { timeoutMs: 5000 });
    expect(ps.stdout).not.toContain(d.dir);
  });
});

describe('start-up failures', () => {
  it("fail fast with the daemon's log when libvirtd exits", async () => {
    const t0 = Date.now();
    const err = await startPrivateDaemon({ label: 'bad', extraConf: ['max_clients = "not a number"'] }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('HARNESS_START');
    expect((err as HarnessError).message).toMatch(/exited during start-up/);
    expect((err as HarnessError).message).toMatch(/max_clients/); // libvirtd's own complaint, from its log
  });

  it('are bounded by the start timeout, naming what did not come up', async () => {
    const err = await startPrivateDaemon({ label: 'slow', startTimeoutMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toMatch(/did not come up within 1 ms|exited during start-up/);
  });
});
