/**
 * `/queues`: every queue and its size. `/queues/NAME?offset=&q=`: a page of its jobs (50, by
 * position: a queue of a million jobs reads only them); `q` searches class and args over at most
 * SEARCH_SCAN jobs from `offset`; each job can be deleted (by its exact bytes).
 */
import { html, href } from '../html';
import { intParam, pager, postForm, table, type PageContext, type PageResult } from '../layout';

const PAGE = 50;
export const SEARCH_SCAN = 10000;

export async function queuesPage(ctx: PageContext): Promise<PageResult> {
  const queues = await ctx.admin.queues();
  return {
    title: 'Queues',
    body: table(['queue', 'waiting', ''], queues.map((q) => [
      html`<a href="${href(ctx.base, ['queues', q.name])}">${q.name}</a>`, q.error ? `? (${q.error})` : q.size,
      postForm(ctx, ['queues', q.name, 'clear'], {}, 'Clear', `Delete every job waiting in ${q.name}?`),
    ]), 'No queue yet.'),
  };
}

export async function queuePage(ctx: PageContext, name: string): Promise<PageResult> {
  const offset = intParam(ctx.url, 'offset', 0);
  const q = (ctx.url.searchParams.get('q') ?? '').trim();
  const size = await ctx.admin.size(name);
  let items;
  let scanned = 0;
  if (q === '') items = await ctx.admin.peek(name, offset, PAGE);
  else {
    items = [];
    for (let at = offset; items.length < PAGE && scanned < SEARCH_SCAN && at < size; at += 500) {
      const chunk = await ctx.admin.peek(name, at, 500);
      scanned += chunk.length;
      for (const it of chunk) if (items.length < PAGE && it.raw.includes(q)) items.push(it);
      if (chunk.length < 500) break;
    }
  }
  const rows = items.map((it) => [
    it.index,
    it.job ? it.job.className : html`<em>not a job: ${it.error}</em>`,
    it.job?.id ? html`<a href="${href(ctx.base, ['jobs', it.job.id])}">${it.job.id}</a>` : '–',
    html`<code>${it.raw.length > 300 ? `${it.raw.slice(0, 300)}…` : it.raw}</code>`,
    postForm(ctx, ['queues', name, 'delete'], { raw: it.raw }, 'Delete', 'Delete this job?'),
  ]);
  const body = html`<p>${size} waiting. <a href="${href(ctx.base, ['queues'])}">All queues</a></p>
<form method="get" class="search"><input name="q" value="${q}" placeholder="class or args text" aria-label="search"><button>Search</button></form>
${q !== '' ? html`<p class="note">Searched ${scanned} job(s) from position ${offset}${scanned >= SEARCH_SCAN ? ` (at most ${SEARCH_SCAN} per page)` : ''}.</p>` : ''}
${table(['#', 'class', 'id', 'payload', ''], rows, q ? 'No job matches.' : 'The queue is empty.')}
${q === '' ? pager(ctx, offset, PAGE, offset + PAGE < size) : ''}`;
  return { title: `Queue ${name}`, body };
}
