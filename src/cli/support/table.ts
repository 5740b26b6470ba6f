/**
 * virsh's tables (tools/vsh-table.c): a leading space, every column but the
 * last padded to its widest cell, three spaces between columns, and a rule of
 * dashes as wide as all columns plus their separators.
 */

/** Display width of a string (East Asian wide characters count two, as virsh counts them). */
function width(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    w +=
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1faff) ||
      (c >= 0x20000 && c <= 0x3fffd)
        ? 2
        : 1;
  }
  return w;
}

/** Renders a table; with `quiet` (virsh -q) the header and rule are left out. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], quiet = false): string {
  // Without its header (virsh -q) a column is only as wide as its cells.
  const widths = header.map((h, i) => Math.max(quiet ? 0 : width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    ' ' + cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - width(c)) + '   ')).join('') + '\n';
  let out = '';
  if (!quiet) {
    out += line(header);
    out += '-'.repeat(widths.reduce((a, w) => a + w + 3, 0)) + '\n';
  }
  for (const r of rows) out += line(r);
  return out;
}
