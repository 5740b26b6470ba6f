/**
 * The browser build's bundle (scripts/build-browser.mjs): built from the sources, it imports no
 * Node built-in and names no Buffer, and the check that says so fails on a file that does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const script = join(root, 'scripts/build-browser.mjs');
const dir = mkdtempSync(join(tmpdir(), 'lvrpc-browser-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

describe('the browser bundle', () => {
  it('builds with no Node built-in, no Buffer and no import left, and prints its size', () => {
    const r = run('--out', dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /index\.js: [\d.]+ KiB minified, [\d.]+ KiB gzipped \(\+ 1 chunk\(s\) it imports: [\d.]+ KiB minified, [\d.]+ KiB gzipped\); loaded on use: \d+ chunk\(s\), [\d.]+ KiB minified, [\d.]+ KiB gzipped; no Node built-in, no Buffer/,
    );
    const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
    expect(files).toContain('index.js');
    expect(files.length).toBeGreaterThan(1); // the lazily loaded XML model is a chunk of its own
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/\bBuffer\b|["']node:|\brequire\(/);
    const text = readFileSync(join(dir, 'index.js'), 'utf8');
    expect(text).toMatch(/export\s*\{/); // an ES module
    // What a page loads at start: index.js and the one chunk it imports (scripts/rechunk.mjs).
    const imported = [...text.matchAll(/from\s*["']\.\/(chunk-[\w-]+\.js)["']/g)].map((m) => m[1]!);
    expect(new Set(imported).size).toBe(1);
    expect(text + readFileSync(join(dir, imported[0]!), 'utf8')).toContain('bearer.'); // the WebSocket transport is in it
  }, 60_000);

  it('the check fails on a file that imports a Node built-in, a package, or names Buffer', () => {
    const bad = join(dir, 'bad.js');
    writeFileSync(bad, 'import{readFileSync as r}from"node:fs";import"ws";export const f=()=>Buffer.from(r("x"));\n');
    const r = run('--check', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/imports the Node built-in node:fs/);
    expect(r.stderr).toMatch(/imports ws \(the bundle must be self-contained\)/);
    expect(r.stderr).toMatch(/names Buffer/);
    const good = join(dir, 'good.js');
    writeFileSync(good, 'export const f=(t)=>new TextEncoder().encode(t),s="process-id";\n');
    expect(run('--check', good).status).toBe(0);
  });
});
