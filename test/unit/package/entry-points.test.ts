import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `npm test` builds dist/ before running the suites (scripts/test.sh).
const root = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);

describe('package entry points', () => {
  it('has a build to test', () => {
    expect(existsSync(`${root}dist/esm/index.js`)).toBe(true);
    expect(existsSync(`${root}dist/cjs/index.js`)).toBe(true);
  });

  it('loads through require() (CommonJS)', () => {
    const lib = require(`${root}dist/cjs/index.js`) as Record<string, unknown>;
    expect(typeof lib.connect).toBe('function');
    expect(lib.VIR_DOMAIN_RUNNING).toBe(1);
    expect(Object.keys((lib.procedures as { remote: object }).remote)).toHaveLength(453);
  });

  it('loads through import (ESM) and resolves the package exports map', async () => {
    const lib = (await import(`${root}dist/esm/index.js`)) as Record<string, unknown>;
    expect(typeof lib.connect).toBe('function');
    expect(Object.keys((lib.procedures as { qemu: object }).qemu)).toHaveLength(7);
    const pkg = require(`${root}package.json`) as { exports: Record<string, Record<string, Record<string, string>>> };
    expect(existsSync(`${root}${pkg.exports['.'].import.types}`)).toBe(true);
    expect(existsSync(`${root}${pkg.exports['.'].require.types}`)).toBe(true);
  }, 30_000); // vitest transforms the whole built package first: seconds on a loaded 2-core machine

  it('keeps instanceof across two copies of the package (the CommonJS and ESM builds side by side)', async () => {
    type Lib = Record<string, new (caller: unknown, ref: unknown) => object>;
    const cjs = require(`${root}dist/cjs/index.js`) as Lib;
    const esm = (await import(`${root}dist/esm/index.js`)) as Lib;
    expect(cjs.Domain).not.toBe(esm.Domain);
    const caller = { call: () => Promise.resolve(undefined) };
    const dom = new cjs.Domain!(caller, { name: 'a', uuid: new Uint8Array(16), id: 1 });
    expect(dom instanceof esm.Domain!).toBe(true);
    expect(dom instanceof esm.Network!).toBe(false);
    expect(new esm.StorageVol!(caller, { name: 'v', pool: 'p', key: 'k' }) instanceof cjs.StorageVol!).toBe(true);
  }, 30_000);

  it('loads the XML reader and its parser dependency in both builds', async () => {
    const xml = "<domain><devices><disk type='file' device='cdrom'><target dev='hdc'/></disk></devices></domain>";
    // Both are exports of the root entry (the build bundles each entry point).
    const cjs = require(`${root}dist/cjs/index.js`) as typeof import('../../../src/index.js');
    const esm = (await import(`${root}dist/esm/index.js`)) as typeof import('../../../src/index.js');
    for (const lib of [cjs, esm]) expect(lib.domainDisks(xml)).toEqual([{ type: 'file', device: 'cdrom', target: 'hdc', source: null }]);
    for (const reader of [cjs, esm]) expect(() => reader.parseXml('<a>')).toThrow(expect.objectContaining({ code: 'XML_PARSE', line: 1, column: 4 }));
  }, 30_000);
});
