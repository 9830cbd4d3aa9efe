/**
 * HTML for the dashboard, built so that nothing user-controlled can become markup: every value
 * interpolated into `html\`…\`` is escaped (text and attribute alike) unless it is itself Html
 * built the same way. Links are built from path segments (encodeURIComponent), so a stored value
 * can never choose a scheme (`javascript:`) or another origin.
 */
import { humanDuration } from '../time';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text as HTML: `& < > " ' \`` escaped, control characters shown as \xHH. */
export function escapeHtml(value: unknown): string {
  const s = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  // eslint-disable-next-line no-control-regex
  return s.replace(/[&<>"'`]/g, (c) => ESC[c] ?? c).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export type Part = Html | string | number | bigint | boolean | null | undefined | readonly Part[];

function render(p: Part): string {
  if (p instanceof Html) return p.text;
  if (Array.isArray(p)) return (p as readonly Part[]).map(render).join('');
  if (p === false || p === null || p === undefined) return '';
  return escapeHtml(p);
}

/** The template tag: literal parts as written, interpolations escaped. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** A path under the dashboard's base: each segment encoded; `query` values encoded. */
export function href(base: string, segments: readonly (string | number)[], query: Record<string, string | number | undefined> = {}): string {
  const path = `${base}/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
  const q = Object.entries(query).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return q.length ? `${path}?${q.join('&')}` : path;
}

/** A duration in seconds for a person (src/time.ts), – when there is none. */
export function ago(seconds: number | null | undefined): string {
  return humanDuration(seconds) ?? '–';
}
