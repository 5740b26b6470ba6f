/**
 * `--progress` reports (src/cli/support/progress.ts) on a clock the test drives: the line format,
 * the interval between reports, the terminal form, and nothing when not asked for.
 */
import { describe, expect, it } from 'vitest';
import { clockText, PROGRESS_INTERVAL_MS, progressLine, progressReport } from '../../../src/cli/support/progress.js';

function sink(terminal = false): {
  lines: string[];
  ctx: { printError: (t: string) => void; stderrTerminal: boolean };
  tick: (ms: number) => void;
  now: () => number;
} {
  const lines: string[] = [];
  let t = 1000;
  return { lines, ctx: { printError: (x) => lines.push(x), stderrTerminal: terminal }, tick: (ms) => (t += ms), now: () => t };
}

describe('progress lines', () => {
  it('bytes, percentage, average rate and ETA; the last says how long it took', () => {
    expect(progressLine('vol-upload', 50 * 1024 * 1024, 100 * 1024 * 1024, 2000, false)).toBe(
      'vol-upload: 52428800/104857600 bytes (50%) at 25.00 MiB/s, ETA 0:02',
    );
    expect(progressLine('vol-upload', 104857600, 104857600, 4000, true)).toBe('vol-upload: 104857600/104857600 bytes (100%) at 25.00 MiB/s, done in 0:04');
    expect(progressLine('blockpull', 0, null, 0, false)).toBe('blockpull: 0 bytes at 0.00 B/s');
    expect(progressLine('save', 10, 100, 0, false)).toBe('save: 10/100 bytes (10%) at 0.00 B/s, ETA -:--');
    expect(clockText(3725)).toBe('1:02:05');
  });

  it('a line per report at most every interval, the first and last always', () => {
    const s = sink();
    const r = progressReport(s.ctx, 'vol-download', 1000, true, s.now);
    r.update(100);
    s.tick(PROGRESS_INTERVAL_MS);
    r.update(200);
    s.tick(PROGRESS_INTERVAL_MS - 1);
    r.update(300);
    s.tick(1);
    r.update(400);
    r.finish(1000);
    expect(s.lines.map((l) => /^vol-download: (\d+)\/1000 bytes/.exec(l)?.[1])).toEqual(['0', '200', '400', '1000']);
    expect(s.lines.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(s.lines.at(-1)).toMatch(/\(100%\) at .*, done in 0:01\n$/);
  });

  it('a total learnt late, or never (then the last count is the total)', () => {
    const s = sink();
    const r = progressReport(s.ctx, 'blockcopy', null, true, s.now);
    s.tick(PROGRESS_INTERVAL_MS);
    r.update(10, 40);
    r.finish(40);
    expect(s.lines.map((l) => l.split(' at ')[0])).toEqual(['blockcopy: 0 bytes', 'blockcopy: 10/40 bytes (25%)', 'blockcopy: 40/40 bytes (100%)']);
    const u = sink();
    progressReport(u.ctx, 'x', null, true, u.now).finish(7);
    expect(u.lines.at(-1)).toMatch(/^x: 7\/7 bytes \(100%\)/);
  });

  it('on a terminal one line rewritten, ended by the last', () => {
    const s = sink(true);
    const r = progressReport(s.ctx, 'save', 10, true, s.now);
    r.finish(10);
    expect(s.lines).toEqual([expect.stringMatching(/^\rsave: 0\/10 bytes .*\x1b\[K$/), expect.stringMatching(/^\rsave: 10\/10 bytes .*\x1b\[K\n$/)]);
  });

  it('says nothing unless asked', () => {
    const s = sink();
    const r = progressReport(s.ctx, 'save', 10, false, s.now);
    r.update(5);
    r.finish(10);
    expect(s.lines).toEqual([]);
  });
});
