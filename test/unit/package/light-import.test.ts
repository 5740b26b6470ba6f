/**
 * What importing the root entry does not load (issue 15's light import; `npm run bench:import`
 * measures the cost, this holds the structure that keeps it low):
 *
 * - in the sources, the static imports reachable from src/index.ts reach the programs' core
 *   modules (`remote-core.gen.ts`: the procedure tables) but not their public files, which export
 *   each table codec by name (`remote.gen.ts`, ...), nor SCRAM (node:crypto); src/protocol.ts
 *   reaches the public files (the control);
 * - in the built package (`npm test` builds dist/ first): no file imports @rgrove/parse-xml (it
 *   is bundled as ES module code); importing the root entry loads two files of the package in
 *   either build (the entry's own module and one file of everything else it evaluates:
 *   scripts/build.mjs re-chunks it); libvirt's constants are declared in dist/esm/index.js alone
 *   (no chunk declares them for the root entry to import and export again); and
 *   requiring the CommonJS root entry does not load node:crypto.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { staticGraph } from '../../support/static-graph.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const PUBLIC_CODECS = ['src/procedures/remote.gen.ts', 'src/procedures/qemu.gen.ts', 'src/procedures/lxc.gen.ts', 'src/procedures/admin.gen.ts'];

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));

describe('a light import of the root entry', () => {
  it('reaches the procedure tables but not the named codec exports nor SCRAM, in the sources', () => {
    const fromRoot = staticGraph('src/index.ts');
    expect(fromRoot.has('src/procedures/remote-core.gen.ts')).toBe(true);
    expect(PUBLIC_CODECS.filter((f) => fromRoot.has(f))).toEqual([]);
    expect(fromRoot.has('src/auth/scram.ts')).toBe(false);
    const fromProtocol = staticGraph('src/protocol.ts');
    expect(PUBLIC_CODECS.filter((f) => !fromProtocol.has(f))).toEqual([]);
  });

  it('in the build: parse-xml bundled, the constants declared once in the root entry, no node:crypto loaded', () => {
    const built = [...files(join(root, 'dist/esm')), ...files(join(root, 'dist/cjs'))].filter((f) => !f.includes('/cli/'));
    expect(built.filter((f) => /["']@rgrove\/parse-xml["']/.test(readFileSync(f, 'utf8')))).toEqual([]);
    // The files of the package each build's root entry loads: static imports of the ES modules
    // (not `import()`), and what `require` put in its cache.
    const esmLoaded = (file: string, seen = new Set<string>()): Set<string> => {
      if (seen.has(file)) return seen;
      seen.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*)['"](\.[^'"]+)['"]/g)) esmLoaded(join(file, '..', m[1]!), seen);
      return seen;
    };
    const esm = [...esmLoaded(join(root, 'dist/esm/index.js'))].map((f) => f.slice(root.length));
    const cjs = (
      JSON.parse(
        execFileSync(
          process.execPath,
          ['-e', `require(${JSON.stringify(join(root, 'dist/cjs/index.js'))}); console.log(JSON.stringify(Object.keys(require.cache)))`],
          {
            encoding: 'utf8',
          },
        ),
      ) as string[]
    )
      .filter((f) => f.startsWith(join(root, 'dist/')))
      .map((f) => f.slice(root.length));
    expect(esm).toHaveLength(2);
    expect(esm[0]).toBe('dist/esm/index.js');
    expect(cjs.sort()).toEqual(esm.map((f) => f.replace('dist/esm/', 'dist/cjs/')).sort());
    const declaring = files(join(root, 'dist/esm')).filter((f) => /\bVIR_DOMAIN_RUNNING_BOOTED\s*=\s*1\b/.test(readFileSync(f, 'utf8')));
    expect(declaring.map((f) => f.slice(root.length))).toEqual(['dist/esm/index.js']);
    const loaded = execFileSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(join(root, 'dist/cjs/index.js'))}); console.log(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).join('\\n'))`,
      ],
      { encoding: 'utf8' },
    ).split('\n');
    expect(loaded).toContain('NativeModule diagnostics_channel'); // the probe sees what the import loads
    expect(loaded).not.toContain('NativeModule crypto');
  }, 30_000);

  it('loads neither node:stream nor node:fs in either build', () => {
    // An ES module import of node:fs builds its namespace from every export, the file stream
    // classes included, which load Node's stream modules (~25 M instructions).
    const added = (entry: string, load: 'import' | 'require'): string[] =>
      execFileSync(
        process.execPath,
        [
          ...(load === 'import' ? ['--input-type=module'] : []),
          '-e',
          `const before = new Set(process.moduleLoadList); ${load === 'import' ? 'await import' : 'require'}(${JSON.stringify(join(root, entry))});
           console.log(process.moduleLoadList.filter((m) => !before.has(m)).join('\\n'))`,
        ],
        { encoding: 'utf8' },
      ).split('\n');
    for (const [entry, load] of [
      ['dist/esm/index.js', 'import'],
      ['dist/cjs/index.js', 'require'],
    ] as const) {
      const loaded = added(entry, load);
      expect(loaded, entry).toContain('NativeModule diagnostics_channel'); // the probe sees what the import loads
      expect(loaded, entry).not.toContain('NativeModule stream');
      expect(loaded, entry).not.toContain('NativeModule internal/fs/streams');
    }
  }, 30_000);

  it('gives the CommonJS entries an exports object in dictionary mode before assigning their exports', () => {
    // V8 turns an object with over ~1,000 properties into a dictionary by itself, so the end
    // state cannot tell: the file must switch it before the first assignment (scripts/rechunk.mjs).
    for (const entry of ['dist/cjs/index.js', 'dist/cjs/calls.js']) {
      const code = readFileSync(join(root, entry), 'utf8');
      const switched = code.search(/^delete exports\.__toDictionary1;$/m);
      const firstExport = code.search(/^exports\.(?!__toDictionary)[\w$]+ = /m);
      expect(switched, entry).toBeGreaterThan(0);
      expect(firstExport, entry).toBeGreaterThan(switched);
      const keys = JSON.parse(
        execFileSync(process.execPath, ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(join(root, entry))}))))`], { encoding: 'utf8' }),
      ) as string[];
      expect(keys.length, entry).toBeGreaterThan(400);
      expect(
        keys.filter((k) => k.startsWith('__')),
        entry,
      ).toEqual([]);
    }
  }, 30_000);

  it("LibvirtStream extends Node's Duplex, which its first use loads", () => {
    for (const [entry, load] of [
      ['dist/esm/index.js', 'import'],
      ['dist/cjs/index.js', 'require'],
    ] as const) {
      const out = execFileSync(
        process.execPath,
        [
          ...(load === 'import' ? ['--input-type=module'] : []),
          '-e',
          `const { LibvirtStream } = ${load === 'import' ? 'await import' : 'require'}(${JSON.stringify(join(root, entry))});
           const loaded = () => process.moduleLoadList.includes('NativeModule stream');
           const before = loaded();
           const pipe = typeof LibvirtStream.prototype.pipe;
           const { Duplex } = process.getBuiltinModule('node:stream');
           console.log(JSON.stringify([before, pipe, loaded(), LibvirtStream.prototype instanceof Duplex, Object.getPrototypeOf(LibvirtStream) === Duplex]))`,
        ],
        { encoding: 'utf8' },
      );
      expect(JSON.parse(out), entry).toEqual([false, 'function', true, true, true]);
    }
  }, 30_000);
});
