/**
 * `/failed?queue=&class=&exception=&search=&since=&until=&offset=`: failure records by the admin
 * API's stable references; retry / remove one, or every one matching the filter. Without a filter
 * a page is a range of the list (LRANGE: 100,000 records cost what 50 do); with one, the list is
 * walked until the page is full. `/failed/REF`: one record, payload and backtrace.
 */
import { html, href } from '../html';
import { intParam, pager, postForm, table, type PageContext, type PageResult } from '../layout';
import type { FailedFilter, FailedRecord } from '../../api/failed-admin';

const PAGE = 50;
const FIELDS = ['queue', 'class', 'exception', 'search', 'since', 'until'] as const;

export function filterOf(params: URLSearchParams): FailedFilter {
  const f: Record<string, string | number> = {};
  for (const k of FIELDS) {
    const v = (params.get(k) ?? '').trim();
    if (v === '') continue;
    if (k === 'since' || k === 'until') {
      const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v) / 1000;
      if (Number.isFinite(n)) f[k] = n;
    } else f[k] = v;
  }
  return f as FailedFilter;
}

function filterFields(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of FIELDS) { const v = params.get(k); if (v) out[k] = v; }
  return out;
}

export async function failedPage(ctx: PageContext): Promise<PageResult> {
  const offset = intParam(ctx.url, 'offset', 0);
  const filter = filterOf(ctx.url.searchParams);
  const filtered = Object.keys(filter).length > 0;
  const [records, total] = await Promise.all([ctx.admin.failed.list({ ...filter, offset, limit: PAGE + 1 }), filtered ? Promise.resolve(undefined) : ctx.admin.failed.count()]);
  const more = records.length > PAGE;
  const rows = records.slice(0, PAGE).map((r) => row(ctx, r));
  const p = ctx.url.searchParams;
  const input = (k: string, label: string): ReturnType<typeof html> => html`<label>${label} <input name="${k}" value="${p.get(k) ?? ''}"></label>`;
  const body = html`<p>${total !== undefined ? `${total} record(s).` : 'Records matching the filter:'}</p>
<form method="get" class="filters">${input('queue', 'queue')}${input('class', 'class')}${input('exception', 'exception')}${input('search', 'text')}${input('since', 'since')}${input('until', 'until')}<button>Filter</button> <a href="${href(ctx.base, ['failed'])}">clear</a></form>
${records.length > 0 ? html`<p>${postForm(ctx, ['failed', 'retry-all'], filterFields(p), filtered ? 'Retry all matching' : 'Retry all', 'Retry every matching record?')} ${postForm(ctx, ['failed', 'remove-all'], filterFields(p), filtered ? 'Remove all matching' : 'Remove all', 'Remove every matching record?')}</p>` : ''}
${table(['failed at', 'queue', 'class', 'exception', 'error', ''], rows, filtered ? 'No record matches.' : 'No failed job.')}
${pager(ctx, offset, PAGE, more)}`;
  return { title: 'Failed jobs', body };
}

function row(ctx: PageContext, r: FailedRecord): readonly ReturnType<typeof html>[] | readonly (string | ReturnType<typeof html>)[] {
  const d = r.failure;
  const link = html`<a href="${href(ctx.base, ['failed', r.ref])}">${d?.failedAt?.raw ?? '?'}</a>`;
  if (!d) return [link, '–', '–', '–', html`<em>not a record: ${r.error}</em>`, ''];
  return [
    link, d.queue ?? '?', d.payload?.job?.className ?? '?', d.exception ?? '?', (d.error ?? '').split('\n')[0] ?? '',
    html`${postForm(ctx, ['failed', r.ref, 'retry'], {}, 'Retry')} ${postForm(ctx, ['failed', r.ref, 'remove'], {}, 'Remove', 'Remove this record?')}`,
  ];
}

export async function failedRecordPage(ctx: PageContext, ref: string): Promise<PageResult> {
  const r = await ctx.admin.failed.get(ref);
  if (!r) return { title: 'Failed job', status: 404, body: html`<p>No such record (retried or removed since). <a href="${href(ctx.base, ['failed'])}">All failed jobs</a></p>` };
  const d = r.failure;
  const job = d?.payload?.job;
  const body = html`<dl>
<dt>failed at</dt><dd>${d?.failedAt?.raw ?? '?'}</dd><dt>queue</dt><dd>${d?.queue ?? '?'}</dd><dt>worker</dt><dd>${d?.worker ?? '?'}</dd>
<dt>class</dt><dd>${job?.className ?? '?'}</dd><dt>job id</dt><dd>${job?.id ? html`<a href="${href(ctx.base, ['jobs', job.id])}">${job.id}</a>` : '–'}</dd>
<dt>exception</dt><dd>${d?.exception ?? '?'}</dd><dt>error</dt><dd><pre>${d?.error ?? ''}</pre></dd>
${d?.retriedAt ? html`<dt>retried at</dt><dd>${d.retriedAt.raw}</dd>` : ''}</dl>
<p>${postForm(ctx, ['failed', r.ref, 'retry'], {}, 'Retry')} ${postForm(ctx, ['failed', r.ref, 'remove'], {}, 'Remove', 'Remove this record?')}</p>
<h2>Payload</h2><pre>${d?.payload?.raw ?? r.raw}</pre>
<h2>Backtrace</h2><pre>${(d?.backtrace ?? []).join('\n') || '(none)'}</pre>
<h2>Record</h2><pre>${r.raw}</pre>`;
  return { title: `Failed: ${job?.className ?? 'record'}`, body };
}

