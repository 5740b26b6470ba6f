/**
 * `libvirt-rpc/calls` against the harness's daemon: the small agent (bench/fixtures/calls-agent.ts:
 * open, list the domains, read their XML), bundled by esbuild from the built package into one
 * file and run by node, prints the domains and XML that the object API and virsh give for the
 * same URI; and a call the daemon fails rejects with libvirt's error, as the raw layer's does.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleAgent } from '../../bench/fixtures/bundle-agent.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../harness/daemon.js';
import { connect } from '../../src/index.js';
import { domainLookupByName, open } from '../../src/calls.js';
import { privateTestUri } from './env.js';
import { virsh } from './oracle.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lvrpc-calls-'));
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('libvirt-rpc/calls', () => {
  it('a bundled agent lists the domains and reads the XML the object API and virsh read', async () => {
    const entry = path.join(root, 'dist/esm/calls.js');
    expect(fs.existsSync(entry)).toBe(true); // npm test builds dist/ first
    const outfile = path.join(work, 'agent.mjs');
    const result = await bundleAgent(path.join(root, 'bench/fixtures/calls-agent.ts'), { 'libvirt-rpc/calls': entry }, { outfile });
    expect(result.errors).toEqual([]);
    const uri = await privateTestUri('unix', {
      domains: [{ name: 'calls-a' }, { name: 'calls-b', state: 'shutoff' }, { name: 'calls-c', state: 'paused', vcpus: 3 }],
    });
    const r = await run(process.execPath, [outfile], { cwd: work, timeoutMs: 60_000, env: { ...process.env, LIBVIRT_URI: uri } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const agent = (JSON.parse(r.stdout) as { name: string; xml: string }[]).sort((a, b) => a.name.localeCompare(b.name));

    await using conn = await connect(uri);
    const objects = await Promise.all((await conn.listAllDomains()).map(async (d) => ({ name: d.name, xml: await d.getXMLDesc() })));
    expect(agent).toEqual(objects.sort((a, b) => a.name.localeCompare(b.name)));
    expect(agent.map((d) => d.name)).toEqual(['calls-a', 'calls-b', 'calls-c']);
    const names = (await virsh(uri, ['list', '--all', '--name'])).split('\n').filter(Boolean).sort();
    expect(agent.map((d) => d.name)).toEqual(names);
    // Each domain's XML as virsh dumps it (virsh adds one newline).
    for (const d of agent) expect(`${d.xml}\n`).toBe(await virsh(uri, ['dumpxml', d.name]));
  }, 120_000);

  it('rejects with the daemon error for a failed call, and closes', async () => {
    const uri = await privateTestUri('unix');
    const conn = await open(uri);
    expect(conn.isOpen).toBe(true);
    expect(conn.uri).toBe(uri);
    await expect(domainLookupByName(conn, 'no-such-domain')).rejects.toMatchObject({ name: 'LibvirtError', code: 'VIR_ERR_NO_DOMAIN' });
    expect((await domainLookupByName(conn, 'test')).name).toBe('test');
    await conn.close();
    expect(conn.isOpen).toBe(false);
    await expect(domainLookupByName(conn, 'test')).rejects.toMatchObject({ name: 'ConnectionClosedError' });
  }, 60_000);
});
