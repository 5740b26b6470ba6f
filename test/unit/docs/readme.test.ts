/**
 * The README is code that compiles: every TypeScript block of README.md is type-checked against
 * the package's sources (`libvirt-rpc` mapped to src/index.ts, `libvirt-rpc/xml` to src/api/xml/index.ts, `libvirt-rpc/bridge` to src/bridge/index.ts, `libvirt-rpc/browser` to src/browser.ts), each block as an ES module of its
 * own. Names a block uses without defining them (`conn`, `dom`, `signal`, `askPassword`) are
 * declared once as globals, which a block's own declarations shadow.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { root } from '../../../codegen/targets.js';

const GLOBALS = `import type { Connection, Domain } from 'libvirt-rpc';
declare global {
  const conn: Connection;
  const dom: Domain;
  const signal: AbortSignal;
  function askPassword(prompt: string): string;
}
export {};
`;

/** The TypeScript blocks of a Markdown text. */
function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

describe('README.md', () => {
  const blocks = typescriptBlocks(readFileSync(join(root, 'README.md'), 'utf8'));

  it('has TypeScript examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it('type-checks every TypeScript block against the package', async () => {
    const dir = join(root, '.tmp', 'readme-check');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'globals.d.mts'), GLOBALS);
    blocks.forEach((text, i) => {
      writeFileSync(join(dir, `block-${i + 1}.mts`), `${text}\nexport {};\n`);
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: {
          noEmit: true,
          noUnusedLocals: false,
          paths: {
            'libvirt-rpc': ['../../src/index.ts'],
            'libvirt-rpc/xml': ['../../src/api/xml/index.ts'],
            'libvirt-rpc/bridge': ['../../src/bridge/index.ts'],
            'libvirt-rpc/browser': ['../../src/browser.ts'],
          },
        },
        include: ['*.mts'],
      }),
    );
    const tsc = join(root, 'node_modules', '.bin', 'tsc');
    const result = await promisify(execFile)(tsc, ['-p', join(dir, 'tsconfig.json')], { cwd: root }).then(
      () => '',
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    // Errors name the block (`.tmp/readme-check/block-3.mts(4,7): ...`): blocks are numbered from the top of README.md.
    expect(result).toBe('');
  }, 120_000);
});
