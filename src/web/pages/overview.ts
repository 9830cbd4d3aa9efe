/** `/`: totals, the queues with yii2-queue's labels, workers busy and idle, the throughput chart; live refresh. */
import { html, href, ago } from '../html';
import { postForm, table, type PageContext, type PageResult } from '../layout';
import { throughputChart } from '../chart';

export async function overviewPage(ctx: PageContext): Promise<PageResult> {
  const [info, history] = await Promise.all([ctx.admin.info(), ctx.admin.history({ minutes: 60 })]);
  const s = info.stats;
  const tiles: [string, number][] = [['processed', s.processed], ['failed', s.failed], ['waiting', s.pending], ['delayed', info.delayed], ['failed records', s.failedRecords], ['workers', info.workers.total], ['busy', info.workers.busy]];
  const body = html`<div class="tiles">${tiles.map(([k, v]) => html`<div class="tile"><b>${v}</b><span>${k}</span></div>`)}</div>
${info.pausedAll ? html`<p class="warn">Every worker is paused (pause-all-workers). ${postForm(ctx, ['workers', 'resume-all'], {}, 'Resume all')}</p>` : ''}
${throughputChart(history)}
<label class="live"><input type="checkbox" id="live"> live (every 5 s)</label>
<h2>Queues</h2>
${table(['queue', 'waiting', 'delayed', 'reserved', 'done', 'failed', 'retried', 'oldest'], info.queues.map((q) => [
    html`<a href="${href(ctx.base, ['queues', q.name])}">${q.name}</a>`, q.waiting, q.delayed, q.reserved, q.done, q.failed, q.retried, ago(q.oldestAge),
  ]), 'No queue yet.')}`;
  return { title: 'Overview', body, live: true };
}
