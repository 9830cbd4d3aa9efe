/**
 * The overview's throughput chart: processed and failed per minute as an inline SVG, drawn on the
 * server (no chart library, no script): two polylines over the last hour of our history.
 */
import { html, type Html } from './html';
import type { HistoryMinute } from '../api/history';

export function throughputChart(minutes: readonly HistoryMinute[]): Html {
  const W = 720;
  const H = 160;
  const pad = 28;
  const max = Math.max(1, ...minutes.map((m) => m.processed));
  const x = (i: number): number => pad + (i * (W - 2 * pad)) / Math.max(1, minutes.length - 1);
  const y = (v: number): number => H - pad - (v * (H - 2 * pad)) / max;
  const line = (pick: (m: HistoryMinute) => number): string => minutes.map((m, i) => `${x(i).toFixed(1)},${y(pick(m)).toFixed(1)}`).join(' ');
  const total = minutes.reduce((s, m) => s + m.processed, 0);
  const failed = minutes.reduce((s, m) => s + m.failed, 0);
  const first = minutes[0];
  const label = first ? new Date(first.at * 1000).toISOString().slice(11, 16) : '';
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="jobs per minute, last ${minutes.length} minutes">
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#999"/>
<text x="2" y="${pad + 4}" font-size="11">${max}</text><text x="2" y="${H - pad}" font-size="11">0</text>
<text x="${pad}" y="${H - 8}" font-size="11">${label} UTC</text><text x="${W - pad - 30}" y="${H - 8}" font-size="11">now</text>
<polyline fill="none" stroke="#2a6fdb" stroke-width="2" points="${line((m) => m.processed)}"/>
<polyline fill="none" stroke="#d33" stroke-width="2" points="${line((m) => m.failed)}"/></svg>
<figcaption><span class="key processed">processed</span> ${total} · <span class="key failed">failed</span> ${failed} in the last ${minutes.length} minutes (per minute, our workers)</figcaption></figure>`;
}
