/**
 * The built tsvirsh (scripts/build-tsvirsh.mjs): packs of CommonJS modules in
 * dist/esm/cli/tsvirsh-chunks that need nothing beside them but Node's modules, ssh2 and ws (loaded
 * by an SSH and a WebSocket connection), run by the `bin` loader (scripts/tsvirsh-bin.cjs), which
 * keeps V8's code cache of each pack under $XDG_CACHE_HOME. Its commands are data until one runs
 * (src/cli/lazy-commands.ts): every help page and completion must still be what the sources give.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_COMMANDS, runVirsh } from '../../../src/cli/main.js';
import { LIBVIRT_PROTOCOL_VERSION } from '../../../src/procedures/libvirt-api.gen.js';

// `npm test` builds dist/ before running the suites (scripts/test.sh).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${root}dist/esm/cli/tsvirsh.js`;
const chunks = `${root}dist/esm/cli/tsvirsh-chunks`;
const cacheHome = mkdtempSync(join(tmpdir(), 'lvrpc-tsvirsh-cache-'));

afterAll(() => rmSync(cacheHome, { recursive: true, force: true }));

function tsvirsh(args: string[], env: Record<string, string>): { stdout: string; stderr: string; status: number | null } {
  // No URI or debug setting from the environment: the sources run with none either.
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** What runVirsh (the sources, every command module loaded) prints for `args`. */
async function fromSources(args: string[]): Promise<{ stdout: string; stderr: string; status: number }> {
  let stdout = '';
  let stderr = '';
  const status = await runVirsh(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stdin: '', env: {} });
  return { stdout, stderr, status };
}

const packs = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? packs(join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name]));

describe('the built tsvirsh', () => {
  it('is the bin of the package', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { bin: Record<string, string> };
    expect(`${root}${pkg.bin.tsvirsh!.replace(/^\.\//, '')}`).toBe(bin);
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    // A CommonJS main module: Node starts no ES module loader for it.
    expect(JSON.parse(readFileSync(`${root}dist/esm/cli/package.json`, 'utf8'))).toEqual({ type: 'commonjs' });
  });

  it('is packs of modules that need only each other, node: modules, ssh2 and ws', () => {
    const files = packs(chunks);
    expect(files).toContain('tsvirsh.js');
    expect(files.filter((f) => f.startsWith('commands/')).length).toBeGreaterThan(20);
    const modules = new Set<string>();
    const required = new Set<string>();
    for (const f of files) {
      const text = readFileSync(join(chunks, f), 'latin1');
      expect(text, f).toMatch(/^[\x00-\x7f]*$/); // the loader reads them as Latin-1
      for (const m of text.matchAll(/"([\w./-]+\.js)":function\(exports,require,module,/g)) modules.add(m[1]!);
      for (const m of text.matchAll(/require\("([^"]+)"\)/g)) required.add(m[1]!);
    }
    const packages = [...required].filter((r) => !r.startsWith('./') && !r.startsWith('../'));
    expect(packages.filter((p) => !p.startsWith('node:') && p !== 'ssh2' && p !== 'ws')).toEqual([]);
    expect(packages).toContain('node:net'); // the scan sees the requires at all
    // Every pack is a module of its own name, which the loader runs.
    for (const f of files) expect(modules, f).toContain(f);
  });

  it('runs, writes its code caches once, runs from them alike, and prunes old builds', () => {
    const dir = join(cacheHome, 'libvirt-rpc');
    mkdirSync(dir, { recursive: true });
    // Five older builds' caches: the newest three stay (other copies of the package may use them).
    for (const [i, name] of ['tsvirsh-a', 'tsvirsh-b', 'tsvirsh-c', 'tsvirsh-d', 'tsvirsh-e.v8cache'].entries()) {
      const p = join(dir, name);
      // The one-file cache of earlier builds, or a folder of this kind.
      if (name.endsWith('.v8cache')) writeFileSync(p, '');
      else mkdirSync(p, { recursive: true });
      utimesSync(p, 1_000_000 + i, 1_000_000 + i);
    }
    mkdirSync(join(dir, 'unrelated'), { recursive: true });
    const first = tsvirsh(['-V'], { XDG_CACHE_HOME: cacheHome });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`Virsh command line tool of libvirt ${LIBVIRT_PROTOCOL_VERSION}\n`);
    const names = readdirSync(dir).sort();
    const ours = names.filter((n) => new RegExp(`^tsvirsh-[0-9a-f]{16}-${process.version.replace(/\./g, '\\.')}-${process.arch}$`).test(n));
    expect(ours).toHaveLength(1);
    expect(names).toEqual([...ours, 'tsvirsh-c', 'tsvirsh-d', 'tsvirsh-e.v8cache', 'unrelated'].sort());
    const caches = readdirSync(join(dir, ours[0]!));
    expect(caches).toContain('tsvirsh.js.v8cache');
    const written = caches.map((c) => statSync(join(dir, ours[0]!, c)).mtimeMs);
    const second = tsvirsh(['-V'], { XDG_CACHE_HOME: cacheHome });
    expect(second).toEqual(first);
    // accepted, not rewritten
    expect(caches.map((c) => statSync(join(dir, ours[0]!, c)).mtimeMs)).toEqual(written);
    expect(tsvirsh(['-v'], { XDG_CACHE_HOME: cacheHome }).stdout).toBe(`${LIBVIRT_PROTOCOL_VERSION}\n`);
  });

  it('keeps no cache when NODE_DISABLE_COMPILE_CACHE is set', () => {
    const home = join(cacheHome, 'disabled');
    const r = tsvirsh(['-v'], { XDG_CACHE_HOME: home, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${LIBVIRT_PROTOCOL_VERSION}\n`);
    expect(existsSync(home)).toBe(false);
  });

  it('prints every help page, and completes, as the sources do', async () => {
    // One command string: `help`, each group's and each command's page (every alias), completions.
    const names = ALL_COMMANDS.flatMap((c) => [c.name, ...(c.aliasNames ?? [])]);
    const lines = [
      'help',
      ...['domain', 'monitor', 'network', 'pool', 'volume', 'virsh'].map((g) => `help ${g}`),
      ...names.map((n) => `help ${n}`),
      'complete -- "snapshot-c"',
      'complete -- "list --"',
      'complete -- "migrate --tun"',
      'echo --str a --hi',
    ];
    const args = ['-q', lines.join('; ')];
    const built = tsvirsh(args, { XDG_CACHE_HOME: cacheHome });
    const expected = await fromSources(args);
    expect(expected.status).toBe(0);
    expect(built.stdout.length).toBeGreaterThan(100_000);
    expect(built).toEqual(expected);
  });

  it('gives the errors of the sources for a bad command line', async () => {
    for (const args of [['dominfo'], ['list', '--bogus'], ['nosuchcommand'], ['migrate', '--tunneled', 'a', 'b', '--xml']]) {
      const built = tsvirsh(args, { XDG_CACHE_HOME: cacheHome });
      expect(built, args.join(' ')).toEqual(await fromSources(args));
    }
  });
});
