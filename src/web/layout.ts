/**
 * The page frame (navigation, the CSRF token in every form, flash messages) and the small pieces
 * every page shares: forms that POST, tables, pagers.
 */
import { html, href, type Html, type Part } from './html';
import type { ResqueAdmin } from '../api/admin';

export interface PageContext {
  readonly admin: ResqueAdmin;
  /** The mount path, without a trailing slash ('' at the root). */
  readonly base: string;
  readonly url: URL;
  readonly csrf: string;
  readonly readOnly: boolean;
  readonly now: number;
}

export interface PageResult {
  readonly title: string;
  readonly body: Html;
  readonly status?: number;
  /** Reload every few seconds while "live" is on (the overview). */
  readonly live?: boolean;
}

const NAV: readonly [string, string][] = [['', 'Overview'], ['queues', 'Queues'], ['workers', 'Workers'], ['failed', 'Failed'], ['delayed', 'Delayed'], ['schedules', 'Schedules']];

export function layout(ctx: PageContext, page: PageResult): string {
  const here = ctx.url.pathname.slice(ctx.base.length).split('/')[1] ?? '';
  const flash = ctx.url.searchParams.get('msg');
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · resque-ts</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${ctx.base}/assets/app.css"><script src="${ctx.base}/assets/app.js" defer></script></head>
<body${page.live ? html` data-live="1"` : ''}><header><a class="brand" href="${ctx.base}/">resque-ts</a><nav>${NAV.map(([p, label]) => html`<a href="${ctx.base}/${p}"${p === here ? html` class="on"` : ''}>${label}</a>`)}</nav>
<form class="lookup" method="get" action="${ctx.base}/jobs"><input name="id" placeholder="job id" aria-label="job id"><button>Find</button></form>
${ctx.readOnly ? html`<span class="ro">read-only</span>` : ''}</header>
<main>${flash ? html`<p class="flash" role="status">${flash}</p>` : ''}<h1>${page.title}</h1>${page.body}</main></body></html>`.text}`;
}

/** A POST form with the CSRF token, hidden `fields`, a `return` to this page, and one button (none when read-only). */
export function postForm(ctx: PageContext, action: readonly (string | number)[], fields: Record<string, string>, label: string, confirm?: string): Html {
  if (ctx.readOnly) return html``;
  const back = ctx.url.pathname + ctx.url.search.replace(/([?&])msg=[^&]*&?/, '$1').replace(/[?&]$/, '');
  return html`<form method="post" class="inline" action="${href(ctx.base, action)}"${confirm ? html` data-confirm="${confirm}"` : ''}><input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="return" value="${back}">${Object.entries(fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<button>${label}</button></form>`;
}

export function table(header: readonly string[], rows: readonly (readonly Part[])[], empty = 'Nothing here.'): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<table><thead><tr>${header.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>`;
}

/** Previous / next links for a page of `limit` items at `offset` (`more`: a next page exists). */
export function pager(ctx: PageContext, offset: number, limit: number, more: boolean): Html {
  const link = (o: number): string => {
    const u = new URL(ctx.url.href);
    u.searchParams.set('offset', String(Math.max(0, o)));
    u.searchParams.delete('msg');
    return u.pathname + u.search;
  };
  return html`<p class="pager">${offset > 0 ? html`<a href="${link(offset - limit)}">← previous</a>` : ''} <span>${offset + 1}–${offset + limit}</span> ${more ? html`<a href="${link(offset + limit)}">next →</a>` : ''}</p>`;
}

/** A number query parameter: a whole number ≥ 0, else `fallback`. */
export function intParam(url: URL, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = Number(url.searchParams.get(name));
  return url.searchParams.has(name) && Number.isSafeInteger(v) && v >= 0 ? Math.min(v, max) : fallback;
}

/** Unix seconds as an ISO time, or –. */
export function when(unix: number | null | undefined): string {
  return unix === null || unix === undefined || !Number.isFinite(unix) ? '–' : new Date(unix * 1000).toISOString().replace('.000Z', 'Z');
}
