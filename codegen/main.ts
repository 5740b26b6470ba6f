/**
 * `npm run gen`: regenerates `src/procedures/` (and the test fixture generated
 * from upstream's demo.x) from `protocol/`. `npm run gen:check` fails when the
 * committed files differ from a fresh generation.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generate } from './generate.js';
import { root, targets } from './targets.js';

function main(): void {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const t of targets()) {
    const files = generate(t.input);
    // TypeScript goes to the target's folder, Markdown to its docs folder.
    // Keys `api/NAME` go to the target's API folder (the raw and object layers).
    const folders = [
      { dir: join(root, t.dir), suffix: '.gen.ts', prefix: '' },
      ...(t.apiDir ? [{ dir: join(root, t.apiDir), suffix: '.gen.ts', prefix: 'api/' }] : []),
      ...(t.docsDir ? [{ dir: join(root, t.docsDir), suffix: '.gen.md', prefix: '' }] : []),
    ];
    for (const { dir, suffix, prefix } of folders) {
      const mine = [...files]
        .filter(([name]) => name.endsWith(suffix) && (prefix ? name.startsWith(prefix) : !name.includes('/')))
        .map(([name, text]) => [name.slice(prefix.length), text] as const);
      const names = new Set(mine.map(([name]) => name));
      if (!check) mkdirSync(dir, { recursive: true });
      const existing = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(suffix)) : [];
      for (const [name, text] of mine) {
        const path = join(dir, name);
        const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
        if (current === text) continue;
        if (check) stale.push(relative(root, path));
        else writeFileSync(path, text);
      }
      for (const name of existing) {
        if (names.has(name)) continue;
        if (check) stale.push(`${relative(root, join(dir, name))} (no longer generated)`);
        else unlinkSync(join(dir, name));
      }
    }
  }
  if (check && stale.length > 0) {
    console.error(`generated code is out of date; run \`npm run gen\`:\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  if (check) console.log('generated code is up to date');
}

main();
