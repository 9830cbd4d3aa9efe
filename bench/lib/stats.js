'use strict';
/** Small statistics and text-table helpers for the benchmark report. */

function sorted(xs) {
  return xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
}

/** Median, min, max (and n) of the finite numbers in xs; undefined fields when there are none. */
function summary(xs) {
  const s = sorted(xs);
  if (s.length === 0) return { n: 0, median: undefined, min: undefined, max: undefined };
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median, min: s[0], max: s[s.length - 1] };
}

/** Nearest-rank percentile (p in 0..100) of a list of numbers. */
function percentile(xs, p) {
  const s = sorted(xs);
  if (s.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1];
}

function mean(xs) {
  const s = sorted(xs);
  return s.length ? s.reduce((a, b) => a + b, 0) / s.length : undefined;
}

/** Number → text with `digits` decimals ("–" when missing). */
function fmt(x, digits = 0) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A plain text table: the first column left-aligned, the others right-aligned. */
function table(title, header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [title, line(all[0]), rule, ...all.slice(1).map(line)].join('\n');
}

module.exports = { summary, percentile, mean, fmt, table };
