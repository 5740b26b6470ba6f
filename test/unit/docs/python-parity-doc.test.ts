/**
 * docs/python-parity.md is what scripts/python-parity-doc.ts renders from the parity table now
 * (`npm run gen:check` checks the same), and it lists every python method of the table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PARITY_DOC, renderParityDoc } from '../../../scripts/python-parity-doc.js';
import { PYTHON_PARITY } from '../api/python-parity-table.js';

describe('docs/python-parity.md', () => {
  const committed = readFileSync(PARITY_DOC, 'utf8');

  it('is current (run `npm run gen` after changing the table)', () => {
    expect(committed === renderParityDoc(), 'docs/python-parity.md differs from the table').toBe(true);
  });

  it('has one row per python method of the table', () => {
    for (const [pyClass, cls] of Object.entries(PYTHON_PARITY)) {
      for (const name of Object.keys(cls.methods)) expect(committed, `${pyClass}.${name}`).toContain(`| \`${name}\` |`);
    }
    const total = Object.values(PYTHON_PARITY).reduce((n, c) => n + Object.keys(c.methods).length, 0);
    expect(committed).toContain(`${total} python methods:`);
  });
});
