/** `/workers`: every registered worker, ours and the peers' (kind), busy or idle, its job, RSS / CPU, heartbeat age; pause / resume all. */
import { html, href, ago } from '../html';
import { postForm, table, type PageContext, type PageResult } from '../layout';

export async function workersPage(ctx: PageContext): Promise<PageResult> {
  const [workers, paused] = await Promise.all([ctx.admin.workers(), ctx.admin.pausedAll()]);
  const rows = workers.map((w) => {
    const job = w.job?.payload?.job;
    const runAt = w.job?.runAt?.at?.getTime();
    const beat = w.heartbeat?.at?.at?.getTime();
    return [
      w.id, html`<span class="kind ${w.peer}">${w.peer}</span>`, w.job ? html`<b class="busy">busy</b>` : 'idle',
      job ? html`${job.className}${job.id ? html` <a href="${href(ctx.base, ['jobs', job.id])}">${job.id}</a>` : ''}` : '–',
      runAt !== undefined ? ago((ctx.now - runAt) / 1000) : '–',
      w.usage?.rssMb !== null && w.usage?.rssMb !== undefined ? `${w.usage.rssMb.toFixed(0)} MB` : '–',
      w.usage?.cpu !== null && w.usage?.cpu !== undefined ? `${w.usage.cpu.toFixed(0)} %` : '–',
      beat !== undefined ? `${ago((ctx.now - beat) / 1000)} ago` : '–',
      w.processed, w.failed,
    ];
  });
  const body = html`<p>${workers.length} worker(s), ${workers.filter((w) => w.job).length} busy.
${paused ? html`<b class="warn">All paused (pause-all-workers).</b> ${postForm(ctx, ['workers', 'resume-all'], {}, 'Resume all')}` : postForm(ctx, ['workers', 'pause-all'], {}, 'Pause all', 'Pause every worker (Ruby\'s pause-all-workers)?')}</p>
${table(['worker', 'kind', 'state', 'job', 'for', 'RSS', 'CPU', 'heartbeat', 'processed', 'failed'], rows, 'No worker is registered.')}`;
  return { title: 'Workers', body };
}
