/**
 * The built tsvirsh (scripts/build.mjs): one CommonJS bundle that needs nothing beside it but
 * Node's modules, ssh2 and ws (loaded by an SSH and a WebSocket connection), run by the `bin` loader
 * (scripts/tsvirsh-bin.cjs), which keeps V8's code cache for it under $XDG_CACHE_HOME.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { LIBVIRT_PROTOCOL_VERSION } from '../../../src/procedures/libvirt-api.gen.js';

// `npm test` builds dist/ before running the suites (scripts/test.sh).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${root}dist/esm/cli/tsvirsh.js`;
const bundle = `${root}dist/esm/cli/tsvirsh.bundle.cjs`;
const cacheHome = mkdtempSync(join(tmpdir(), 'lvrpc-tsvirsh-cache-'));

afterAll(() => rmSync(cacheHome, { recursive: true, force: true }));

function tsvirsh(args: string[], env: Record<string, string>): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '', ...env } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** The files an esbuild scan of `file` reaches, and the imports it leaves to Node. */
async function reach(file: string, format: 'esm' | 'cjs'): Promise<{ inputs: string[]; imports: string[] }> {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format,
    external: ['ssh2', 'ws'],
    logLevel: 'silent',
  });
  return {
    inputs: Object.keys(result.metafile.inputs),
    imports: Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path)),
  };
}

describe('the built tsvirsh', () => {
  it('is the bin of the package', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: Record<string, string> };
    expect(`${root}${pkg.bin.tsvirsh!.replace(/^\.\//, '')}`).toBe(bin);
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    // A CommonJS main module: Node starts no ES module loader for it.
    expect(JSON.parse(readFileSync(`${root}dist/esm/cli/package.json`, 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('is one bundle that needs only node: modules, ssh2 and ws', async () => {
    // A second input would be a file the bundle reaches for beside it.
    const scan = await reach(bundle, 'cjs');
    expect(scan.inputs).toEqual([relative(process.cwd(), bundle)]);
    expect(scan.imports.filter((p) => !p.startsWith('node:') && p !== 'ssh2' && p !== 'ws')).toEqual([]);
    expect(scan.imports).toContain('node:net'); // the scan sees the requires at all
    const loader = await reach(bin, 'cjs');
    expect(loader.inputs).toEqual([relative(process.cwd(), bin)]);
    expect(loader.imports.every((p) => p.startsWith('node:'))).toBe(true);
  });

  it('runs, writes its code cache once, and runs from it alike', () => {
    const first = tsvirsh(['-V'], { XDG_CACHE_HOME: cacheHome });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`Virsh command line tool of libvirt ${LIBVIRT_PROTOCOL_VERSION}\n`);
    const dir = join(cacheHome, 'libvirt-rpc');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^tsvirsh-[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8cache$`));
    const written = statSync(join(dir, files[0]!)).mtimeMs;
    const second = tsvirsh(['-V'], { XDG_CACHE_HOME: cacheHome });
    expect(second).toEqual(first);
    expect(statSync(join(dir, files[0]!)).mtimeMs).toBe(written); // accepted, not rewritten
    expect(tsvirsh(['-v'], { XDG_CACHE_HOME: cacheHome }).stdout).toBe(`${LIBVIRT_PROTOCOL_VERSION}\n`);
  });

  it('keeps no cache when NODE_DISABLE_COMPILE_CACHE is set', () => {
    const home = join(cacheHome, 'disabled');
    const r = tsvirsh(['-v'], { XDG_CACHE_HOME: home, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${LIBVIRT_PROTOCOL_VERSION}\n`);
    expect(existsSync(home)).toBe(false);
  });
});
