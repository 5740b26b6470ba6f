/**
 * Reading tsvirsh's `--progress` lines (src/cli/support/progress.ts): `LABEL: DONE/TOTAL bytes
 * (PCT%) at RATE/s, ETA M:SS`, the last one `done in M:SS`.
 */
import { expect } from 'vitest';

export interface Report {
  done: number;
  total: number | null;
  pct: number | null;
  last: boolean;
}

/** Every stderr line as a progress report of `label` (a line that is not one fails the test). */
export function reports(stderr: string, label: string): Report[] {
  const lines = stderr.split('\n').filter((l) => l !== '');
  return lines.map((l) => {
    const m = new RegExp(
      `^${label}: (\\d+)(?:/(\\d+) bytes \\((\\d+)%\\)| bytes) at \\d+\\.\\d\\d [KMGT]?i?B/s(?:, (ETA [\\d:-]+|done in \\d+:\\d\\d))?$`,
    ).exec(l);
    expect(m, l).not.toBeNull();
    return {
      done: Number(m![1]),
      total: m![2] === undefined ? null : Number(m![2]),
      pct: m![3] === undefined ? null : Number(m![3]),
      last: m![4]?.startsWith('done') ?? false,
    };
  });
}

/** The reports of a transfer or job that went well: from 0, never back, the last (only) one at the total. */
export function checkRun(rs: Report[], total: number): void {
  expect(rs.length).toBeGreaterThanOrEqual(2);
  expect(rs[0].done).toBe(0);
  expect(rs.filter((r) => r.last).length).toBe(1);
  expect(rs.at(-1)).toEqual({ done: total, total, pct: 100, last: true });
  for (let i = 1; i < rs.length; i++) expect(rs[i].done).toBeGreaterThanOrEqual(rs[i - 1].done);
  for (const r of rs) if (r.total !== null) expect(r.done).toBeLessThanOrEqual(r.total);
}
