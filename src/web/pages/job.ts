/**
 * `/jobs/ID` (or `/jobs?id=ID`): a job's php-resque status and result, and where it is now — run
 * by a worker, waiting in a queue (looked for in the first QUEUE_LOOK jobs of each), or in the
 * failed list (its record found by the id's bytes).
 */
import { html, href } from '../html';
import { table, when, type PageContext, type PageResult } from '../layout';

export const QUEUE_LOOK = 1000;

export async function jobPage(ctx: PageContext, id: string): Promise<PageResult> {
  if (id === '') return { title: 'Job', body: html`<p>Give a job id.</p>` };
  const needle = JSON.stringify(id);
  const [status, workers, queues, failed] = await Promise.all([
    ctx.admin.jobStatus(id), ctx.admin.workers(), ctx.admin.queues(), ctx.admin.failed.list({ search: `"id":${needle}`, limit: 5 }),
  ]);
  const where: [string, ReturnType<typeof html> | string][] = [];
  for (const w of workers) if (w.job?.payload?.job?.id === id) where.push(['running', html`on ${w.id} (queue ${w.job.queue ?? '?'})`]);
  for (const q of queues) {
    const items = await ctx.admin.peek(q.name, 0, Math.min(q.size, QUEUE_LOOK));
    for (const it of items) if (it.job?.id === id) where.push(['waiting', html`<a href="${href(ctx.base, ['queues', q.name])}">${q.name}</a> at position ${it.index}`]);
  }
  for (const r of failed) if (r.failure?.payload?.job?.id === id) where.push(['failed', html`<a href="${href(ctx.base, ['failed', r.ref])}">record ${r.ref}</a> (${r.failure.exception ?? '?'})`]);
  let result = '';
  try {
    result = status ? JSON.stringify(status.result) : '';
  } catch {
    result = '(unprintable)';
  }
  const body = html`${status ? html`<dl><dt>status</dt><dd><b class="st ${status.name}">${status.name.toUpperCase()}</b> (${status.code ?? '?'})</dd>
<dt>updated</dt><dd>${when(status.updated)}</dd><dt>started</dt><dd>${when(status.started)}</dd>
${status.retryAt !== null ? html`<dt>retry</dt><dd>attempt ${status.attempt ?? '?'} at ${when(status.retryAt)}</dd>` : ''}
<dt>result</dt><dd><pre>${result}</pre></dd></dl>` : html`<p>No status stored for ${id} (not tracked, or expired 24 h after it ended).</p>`}
<h2>Where it is</h2>${table(['', ''], where, `Not running, not in the first ${QUEUE_LOOK} jobs of any queue, not in the failed list.`)}`;
  return { title: `Job ${id}`, body, status: status || where.length ? 200 : 404 };
}
