/**
 * Aligned text tables for the operator commands: a header row and rows of cells, each column as
 * wide as its widest cell, numbers right-aligned. Control characters in cells (a hostile class
 * name, say) are shown escaped, so a value cannot move the cursor or clear the terminal.
 */
export type Cell = string | number | null | undefined;

export function table(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = (c: Cell): string => (c === null || c === undefined ? '-' : typeof c === 'number' ? formatNumber(c) : printable(c));
  const cells = [header.map(text), ...rows.map((r) => r.map(text))];
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  return cells.map((r) => r.map((c, i) => {
    const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...c].length));
    return numeric[i] ? pad + c : i === r.length - 1 ? c : c + pad;
  }).join('  ').trimEnd()).join('\n');
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Control characters (C0, DEL, C1) escaped as \xHH. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A duration in seconds for a person (src/time.ts). */
export { humanDuration as ago } from '../time';
