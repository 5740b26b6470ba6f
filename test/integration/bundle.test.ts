/**
 * Packaging of the in-process SSH client:
 *
 * - an esbuild single-file bundle of a small agent (examples/serverless-agent.ts: key and known
 *   hosts given in memory, `qemu+ssh`, list domains) runs from a directory with no node_modules
 *   and no `ssh` on PATH, and sees what python3-libvirt (with the ssh program) sees;
 * - importing the package (the built ESM and CommonJS entry points) does not load ssh2, and
 *   neither do unix and tcp connections; an SSH connection does (the positive control).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type PrivateDaemon } from '../../harness/daemon.js';
import { startSshd, type Sshd } from '../../harness/sshd.js';
import { writeTestNodeXml } from '../../harness/test-driver.js';
import { startExtraDaemon } from './env.js';
import { pyLibvirt } from './oracle.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let work: string;
let daemon: PrivateDaemon;
let sshd: Sshd;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-bundle-'));
  daemon = await startExtraDaemon({ label: 'bundle' });
  sshd = await startSshd();
});

afterAll(async () => {
  await sshd?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('an esbuild bundle of a serverless agent', () => {
  it('runs with no node_modules and no ssh on PATH, and agrees with python3-libvirt', async () => {
    const outDir = path.join(work, 'lambda');
    fs.mkdirSync(path.join(outDir, 'bin'), { recursive: true });
    const outfile = path.join(outDir, 'agent.cjs');
    const result = await build({
      entryPoints: [path.join(root, 'examples', 'serverless-agent.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'silent',
      // ssh2's optional native add-ons stay out: ssh2 runs without them (pure JavaScript).
      external: ['*.node'],
    });
    expect(result.errors).toEqual([]);
    const size = fs.statSync(outfile).size;
    console.log(`bundle: ${(size / 1024).toFixed(0)} KiB (${outfile})`);
    const text = fs.readFileSync(outfile, 'utf8');
    expect(text).not.toMatch(/require\(["']ssh2["']\)/); // ssh2 is inside the bundle
    expect(fs.existsSync(path.join(outDir, 'node_modules'))).toBe(false);

    const node = writeTestNodeXml(path.join(daemon.dir, 'nodes'));
    const uri = `test+ssh://lvtest@127.0.0.1:${sshd.port}${node}?socket=${daemon.socketPath}`;
    const config = { uri, privateKey: fs.readFileSync(sshd.clientKey!.privatePath, 'utf8'), knownHosts: sshd.knownHostsLine() };
    const r = await run(process.execPath, [outfile], {
      cwd: outDir,
      timeoutMs: 60_000,
      env: { PATH: path.join(outDir, 'bin'), HOME: outDir, AGENT_CONFIG: JSON.stringify(config), NODE_PATH: '' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { client: string; hostname: string; domains: string[] };
    expect(out.client).toBe('in-process');
    const wrapper = sshd.sshWrapper('ssh-bundle', sshd.writeKnownHosts(path.join(work, 'known_hosts')));
    const oracle = await pyLibvirt<{ hostname: string; domains: string[] }>(
      `${uri}&keyfile=${sshd.clientKey!.privatePath}&command=${wrapper}`,
      'result = {"hostname": conn.getHostname(), "domains": sorted(d.name() for d in conn.listAllDomains())}',
    );
    expect({ hostname: out.hostname, domains: out.domains }).toEqual(oracle);
  });
});

describe('ssh2 is loaded only by an SSH transport', () => {
  const probe = (entry: string, kind: 'esm' | 'cjs'): string => {
    const load = kind === 'esm' ? `await import(${JSON.stringify(entry)})` : `require(${JSON.stringify(entry)})`;
    return `
      const { createRequire } = await import('node:module');
      const req = createRequire(${JSON.stringify(path.join(root, 'package.json'))});
      const ssh2Loaded = () => Object.keys(req.cache).some((k) => k.includes('/node_modules/ssh2/'));
      const lib = ${kind === 'esm' ? load : `req(${JSON.stringify(entry)})`};
      const out = { afterImport: ssh2Loaded() };
      for (const [name, uri] of [['unix', process.env.UNIX_URI], ['tcp', process.env.TCP_URI]]) {
        const conn = await lib.connect(uri, { timeout: 15000 });
        await conn.raw.connectGetHostname();
        await conn.close();
        out['after_' + name] = ssh2Loaded();
      }
      await lib.connect(process.env.SSH_URI, { timeout: 15000 }).then((c) => c.close(), () => {});
      out.afterSsh = ssh2Loaded();
      console.log(JSON.stringify(out));
    `;
  };

  it.each(['esm', 'cjs'] as const)('the built %s entry point', async (kind) => {
    const entry = path.join(root, 'dist', kind, 'index.js');
    expect(fs.existsSync(entry)).toBe(true); // npm test builds dist/ first
    const r = await run(process.execPath, ['--input-type=module', '-e', probe(entry, kind)], {
      timeoutMs: 60_000,
      env: {
        ...process.env,
        UNIX_URI: daemon.uris.testDefaultUnix,
        TCP_URI: daemon.uris.testDefaultTcp,
        SSH_URI: `test+libssh2://lvtest@127.0.0.1:${sshd.port}/default?socket=${daemon.socketPath}&keyfile=${sshd.clientKey!.privatePath}&known_hosts_verify=ignore`,
      },
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ afterImport: false, after_unix: false, after_tcp: false, afterSsh: true });
  });
});
