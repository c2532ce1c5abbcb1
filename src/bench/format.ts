// Plain-text tables for the terminal.

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtFixed = (n: number, digits: number): string => n.toFixed(digits);

/** Columns right-aligned except the first; a header row and a rule under it. */
export function table(header: string[], rows: string[][], leftAligned: number[] = [0]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (leftAligned.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Wrap text to `width` columns with a hanging indent. */
export function wrap(text: string, width: number, indent: string, first = indent): string {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let cur = first;
  let fresh = true;
  for (const w of words) {
    if (!fresh && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = indent + w;
    } else {
      cur += (fresh ? '' : ' ') + w;
    }
    fresh = false;
  }
  lines.push(cur);
  return lines.join('\n');
}
