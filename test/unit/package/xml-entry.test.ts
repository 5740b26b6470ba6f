/**
 * `libvirt-rpc/xml` is a subpath of its own: the root entry does not load the XML model (its
 * tables, runtime and validator); the object API's typed companions import it on first call.
 *
 * - in the sources, the static imports reachable from src/index.ts never reach src/api/xml's
 *   model modules, while those from src/api/xml/index.ts do (the control);
 * - in the built CommonJS package (`npm test` builds dist/ first), requiring the root loads none
 *   of them, and requiring the subpath does (found in the loaded files by a text of each).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { staticGraph } from '../../support/static-graph.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const MODEL = ['src/api/xml/schema.gen.ts', 'src/api/xml/codec.ts', 'src/api/xml/validate.ts', 'src/api/xml/documents.gen.ts', 'src/api/xml/builders.ts'];

describe('the XML model stays off the root entry', () => {
  it('is not reachable from src/index.ts by static imports, and is from src/api/xml/index.ts', () => {
    const fromRoot = staticGraph('src/index.ts');
    expect(fromRoot.size).toBeGreaterThan(20);
    expect(MODEL.filter((m) => fromRoot.has(m))).toEqual([]);
    const fromXml = staticGraph('src/api/xml/index.ts');
    expect(MODEL.filter((m) => !fromXml.has(m))).toEqual([]);
  });

  it('is not loaded by requiring the built root entry, and is by the subpath', () => {
    // The build bundles each entry point (modules shared between entries, and those imported on
    // demand, go to chunks): the model's modules are recognised in the files loaded by a text each
    // of them holds.
    const markers = ['function validateDocument(', 'libvirt-rpc.xml.unknown', '[["qemu","kqemu","kvm"'];
    const probe = (entry: string): string =>
      (
        JSON.parse(
          execFileSync(process.execPath, ['-e', `require(${JSON.stringify(join(root, entry))}); console.log(JSON.stringify(Object.keys(require.cache)))`], {
            encoding: 'utf8',
          }),
        ) as string[]
      )
        .filter((f) => f.startsWith(join(root, 'dist')))
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n');
    const model = (text: string) => markers.filter((m) => text.includes(m)).length;
    const rootLoaded = probe('dist/cjs/index.js');
    expect(rootLoaded).toContain('ConnectionBase');
    expect(model(rootLoaded)).toBe(0);
    expect(model(probe('dist/cjs/api/xml/index.js'))).toBe(3);
  }, 30_000);

  it('is the package export libvirt-rpc/xml in both builds', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      exports: Record<string, { import: Record<string, string>; require: Record<string, string> }>;
    };
    const entry = pkg.exports['./xml']!;
    for (const file of [entry.import.types, entry.import.default, entry.require.types, entry.require.default])
      expect(existsSync(join(root, file!)), file).toBe(true);
    const esm = (await import(join(root, entry.import.default!))) as typeof import('../../../src/api/xml/index.js');
    const cjs = createRequire(import.meta.url)(join(root, entry.require.default!)) as typeof import('../../../src/api/xml/index.js');
    for (const lib of [esm, cjs]) expect(lib.parseNetworkXml("<network><name>n</name><ip address='10.0.0.1' prefix='24'/></network>").ip?.[0]?.prefix).toBe(24);
  }, 30_000);
});
