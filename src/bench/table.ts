/**
 * Rows as a plain aligned table (what `mobileclip bench` and the bench scripts print): a header,
 * a rule, numbers right-aligned and strings left-aligned, two spaces between columns. No quotes
 * and no index column, so it reads in a terminal and pastes into a note.
 */
export type TableRow = Record<string, string | number>;

const cell = (v: string | number | undefined): string => (v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v);

export function formatTable(rows: readonly TableRow[]): string {
  if (rows.length === 0) return '';
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const numeric = cols.map((c) => rows.every((r) => r[c] === undefined || typeof r[c] === 'number' || /^-?[\d.]+\*?$/.test(String(r[c]))));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}
