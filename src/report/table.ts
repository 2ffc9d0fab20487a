/** Tables as markdown, CSV or aligned terminal text: views of result rows. */

/** A table: column headers and rows of already formatted cells. */
export interface Table {
  columns: string[];
  rows: (string | number)[][];
}

/**
 * GitHub-flavoured markdown table.
 * @example toMarkdown({ columns: ['B', 'R'], rows: [[20, '0.95']] })
 */
export function toMarkdown(t: Table): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(t.columns), line(t.columns.map(() => '---')), ...t.rows.map(line)].join('\n') + '\n';
}

/**
 * RFC 4180 CSV (fields with commas, quotes or newlines are quoted).
 * @example toCsv({ columns: ['B', 'R'], rows: [[20, 0.95]] }) // "B,R\n20,0.95\n"
 */
export function toCsv(t: Table): string {
  const field = (v: string | number) => {
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [t.columns, ...t.rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
}

/**
 * Columns padded to line up in a terminal.
 * @example console.log(toText({ columns: ['B', 'R'], rows: [[20, '0.95']] }))
 */
export function toText(t: Table): string {
  const all = [t.columns, ...t.rows].map((r) => r.map(String));
  const widths = t.columns.map((_, j) => Math.max(...all.map((r) => (r[j] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, j) => c.padStart(widths[j])).join('  ');
  return [fmt(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(fmt)].join('\n') + '\n';
}
