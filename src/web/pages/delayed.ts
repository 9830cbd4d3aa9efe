/**
 * `/delayed?offset=`: due seconds with their jobs (every peer's items alike), each promotable
 * (due now) or cancellable by its exact bytes. `/schedules`: the recurring schedules, their next
 * run and last job; run one now, or remove it.
 */
import { html, href } from '../html';
import { intParam, pager, postForm, table, when, type PageContext, type PageResult } from '../layout';
import { parseObject } from '../../api/raw-json';

const PAGE = 20;

export async function delayedPage(ctx: PageContext): Promise<PageResult> {
  const offset = intParam(ctx.url, 'offset', 0);
  const [size, stamps] = await Promise.all([ctx.admin.delayed.size(), ctx.admin.delayed.timestamps(offset, PAGE + 1)]);
  const shown = stamps.slice(0, PAGE);
  const lists = await Promise.all(shown.map((ts) => ctx.admin.delayed.items(ts, 0, 50)));
  const rows = shown.flatMap((ts, i) => (lists[i] ?? []).map((raw) => {
    const o = parseObject(raw).value;
    const cls = typeof o?.['class'] === 'string' ? o['class'] : '?';
    const queue = typeof o?.['queue'] === 'string' ? o['queue'] : '?';
    return [when(ts), queue, cls, html`<code>${raw.length > 200 ? `${raw.slice(0, 200)}…` : raw}</code>`,
      html`${postForm(ctx, ['delayed', 'promote'], { ts: String(ts), raw }, 'Run now')} ${postForm(ctx, ['delayed', 'remove'], { ts: String(ts), raw }, 'Cancel', 'Cancel this delayed job?')}`];
  }));
  const body = html`<p>${size} delayed job(s).</p>${table(['due', 'queue', 'class', 'item', ''], rows, 'No delayed job.')}${pager(ctx, offset, PAGE, stamps.length > PAGE)}`;
  return { title: 'Delayed jobs', body };
}

export async function schedulesPage(ctx: PageContext): Promise<PageResult> {
  const list = await ctx.admin.schedules.list();
  const rows = list.map((s) => [
    s.name, s.when ?? html`<em>${s.error ?? '?'}</em>`, s.config.queue ?? '?', s.config.class ?? '?',
    s.nextRunAt !== undefined ? when(s.nextRunAt / 1000) : '–', s.lastRunAt !== undefined ? when(s.lastRunAt / 1000) : '–',
    s.lastJob ? html`<a href="${href(ctx.base, ['jobs', s.lastJob])}">${s.lastJob}</a>` : '–',
    html`${postForm(ctx, ['schedules', s.name, 'run'], {}, 'Run now')} ${postForm(ctx, ['schedules', s.name, 'remove'], {}, 'Remove', `Remove the schedule ${s.name}?`)}`,
  ]);
  return { title: 'Recurring schedules', body: table(['name', 'when', 'queue', 'class', 'next run', 'last run', 'last job', ''], rows, 'No recurring schedule.') };
}
