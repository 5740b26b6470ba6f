/**
 * The built tsvirsh executable is one file (scripts/build.mjs bundles it): it imports nothing of
 * its own from disk, only Node's modules and ssh2 (loaded by an SSH connection), and it runs.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { LIBVIRT_PROTOCOL_VERSION } from '../../../src/procedures/libvirt-api.gen.js';

// `npm test` builds dist/ before running the suites (scripts/test.sh).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${root}dist/esm/cli/tsvirsh.js`;

describe('the built tsvirsh', () => {
  it('is the bin of the package', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: Record<string, string> };
    expect(`${root}${pkg.bin.tsvirsh!.replace(/^\.\//, '')}`).toBe(bin);
  });

  it('imports only node: modules and ssh2', async () => {
    // esbuild reads the file's imports; everything but Node's modules and ssh2 would be bundled
    // in, so a second input means the executable reaches for a file beside it.
    const result = await build({ entryPoints: [bin], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', external: ['ssh2'], logLevel: 'silent' });
    expect(Object.keys(result.metafile.inputs)).toEqual([relative(process.cwd(), bin)]);
    const imports = Object.values(result.metafile.inputs)[0]!.imports.map((i) => i.path);
    expect(imports.filter((p) => !p.startsWith('node:') && p !== 'ssh2')).toEqual([]);
    expect(imports).toContain('node:net'); // the scan sees the imports at all
  });

  it('runs: -v prints the protocol version', () => {
    const r = spawnSync(process.execPath, [bin, '-v'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${LIBVIRT_PROTOCOL_VERSION}\n`);
  });
});
