/**
 * The dashboard: `createDashboard({ admin, … })` is a request handler (`(req, res) => Promise<boolean>`,
 * false for a request outside its base path) that an existing Node http, Express or Fastify app
 * can mount; `serveDashboard()` runs it alone (`resque web`). Every read and change goes through
 * the admin API. GET renders a page on the server; every change is a POST checked by the gate
 * (src/web/security.ts) and answered with a redirect (303) back to the page it came from.
 * Headers: a strict Content-Security-Policy (no inline script, nothing from elsewhere), no framing,
 * no referrer to other sites (same-origin: a form POST keeps its real Origin, which the gate checks), no caching.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ResqueAdmin } from '../api/admin';
import { html } from './html';
import { layout, type PageContext, type PageResult } from './layout';
import { authorized, cookies, csrfRefusal, newCsrfToken, type DashboardAuth } from './security';
import { APP_CSS, APP_JS } from './assets';
import { overviewPage } from './pages/overview';
import { queuePage, queuesPage } from './pages/queues';
import { workersPage } from './pages/workers';
import { failedPage, failedRecordPage, filterOf } from './pages/failed';
import { delayedPage, schedulesPage } from './pages/delayed';
import { jobPage } from './pages/job';

export interface DashboardOptions {
  readonly admin: ResqueAdmin;
  /** Mount path (`/resque`); default '' (the root). */
  readonly basePath?: string;
  /** Refuse every change. */
  readonly readOnly?: boolean;
  readonly auth?: DashboardAuth;
  /** Also answer GET {base}/metrics (Prometheus), with this handler (src/metrics/http.ts). */
  readonly metrics?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

const BODY_LIMIT = 1 << 20;
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export function createDashboard(o: DashboardOptions): DashboardHandler {
  const base = (o.basePath ?? '').replace(/\/+$/, '');
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (base !== '' && url.pathname !== base && !url.pathname.startsWith(`${base}/`)) return false;
    const rest = url.pathname.slice(base.length) || '/';
    try {
      if (!authorized(req, o.auth, url)) {
        const basic = o.auth && 'basic' in o.auth;
        send(res, 401, 'text/plain; charset=utf-8', 'authentication required\n', basic ? { 'www-authenticate': 'Basic realm="resque", charset="UTF-8"' } : {});
        return true;
      }
      if (o.auth && 'token' in o.auth && url.searchParams.has('token')) {
        // The token once in a link: kept in a cookie, and the address cleaned of it.
        url.searchParams.delete('token');
        res.setHeader('set-cookie', cookie('resque_token', o.auth.token, base));
        redirect(res, url.pathname + url.search);
        return true;
      }
      if (rest === '/assets/app.css') return send(res, 200, 'text/css; charset=utf-8', APP_CSS, { 'cache-control': 'max-age=3600' }), true;
      if (rest === '/assets/app.js') return send(res, 200, 'text/javascript; charset=utf-8', APP_JS, { 'cache-control': 'max-age=3600' }), true;
      if (rest === '/metrics' && o.metrics) return await o.metrics(Object.assign(req, { url: '/metrics' }), res);
      let csrf = cookies(req).get('resque_csrf');
      if (!csrf || !/^[0-9a-f]{48}$/.test(csrf)) {
        csrf = newCsrfToken();
        res.setHeader('set-cookie', cookie('resque_csrf', csrf, base));
      }
      const ctx: PageContext = { admin: o.admin, base, url, csrf, readOnly: o.readOnly === true, now: Date.now() };
      if (req.method === 'POST') {
        await post(ctx, req, res, rest);
        return true;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD, POST' });
        return true;
      }
      const page = await route(ctx, rest);
      send(res, page.status ?? 200, 'text/html; charset=utf-8', layout(ctx, page));
    } catch (e) {
      if (!res.headersSent) send(res, 500, 'text/html; charset=utf-8', `<!doctype html>${html`<p>The dashboard could not read Redis: ${(e as Error).message}</p>`.text}`);
      else res.destroy();
    }
    return true;
  };
}

async function route(ctx: PageContext, rest: string): Promise<PageResult> {
  const parts = rest.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  const [a, b] = parts;
  if (parts.length === 0) return overviewPage(ctx);
  if (a === 'queues' && parts.length === 1) return queuesPage(ctx);
  if (a === 'queues' && parts.length === 2 && b !== undefined) return queuePage(ctx, b);
  if (a === 'workers' && parts.length === 1) return workersPage(ctx);
  if (a === 'failed' && parts.length === 1) return failedPage(ctx);
  if (a === 'failed' && parts.length === 2 && b !== undefined) return failedRecordPage(ctx, b);
  if (a === 'delayed' && parts.length === 1) return delayedPage(ctx);
  if (a === 'schedules' && parts.length === 1) return schedulesPage(ctx);
  if (a === 'jobs' && parts.length <= 2) return jobPage(ctx, (b ?? ctx.url.searchParams.get('id') ?? '').trim());
  return { title: 'Not found', status: 404, body: html`<p>No such page.</p>` };
}

/** One change: checked, done through the admin API, answered with a redirect back. */
async function post(ctx: PageContext, req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
  const form = await readForm(req);
  if (form === undefined) return send(res, 413, 'text/plain; charset=utf-8', 'request too large\n');
  if (ctx.readOnly) return send(res, 403, 'text/plain; charset=utf-8', 'read-only dashboard: changes are refused\n');
  const refusal = csrfRefusal(req, form);
  if (refusal) return send(res, 403, 'text/plain; charset=utf-8', `refused: ${refusal}\n`);
  const parts = rest.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  const a = ctx.admin;
  const f = (k: string): string => form.get(k) ?? '';
  let msg: string | undefined;
  const [p0, p1, p2] = parts;
  if (p0 === 'queues' && p1 !== undefined && p2 === 'clear') msg = `cleared ${p1}: ${await a.clearQueue(p1)} job(s)`;
  else if (p0 === 'queues' && p1 !== undefined && p2 === 'delete') msg = (await a.removeQueued(p1, f('raw'))) ? 'deleted 1 job' : 'that job was gone already';
  else if (p0 === 'workers' && p1 === 'pause-all' && !p2) { await a.pauseAll(true); msg = 'every worker pauses after its current job'; }
  else if (p0 === 'workers' && p1 === 'resume-all' && !p2) { await a.pauseAll(false); msg = 'workers resume'; }
  else if (p0 === 'failed' && (p1 === 'retry-all' || p1 === 'remove-all') && !p2) {
    const filter = filterOf(form);
    const c = p1 === 'retry-all' ? await a.failed.retry(filter) : await a.failed.remove(filter);
    msg = `${p1 === 'retry-all' ? 'retried' : 'removed'} ${c.done}${c.refused.length ? `, refused ${c.refused.length}` : ''}`;
  } else if (p0 === 'failed' && p1 !== undefined && (p2 === 'retry' || p2 === 'remove')) {
    const c = p2 === 'retry' ? await a.failed.retry(p1) : await a.failed.remove(p1);
    msg = c.done > 0 ? `${p2 === 'retry' ? 'retried' : 'removed'} 1` : c.refused[0] ? `refused: ${c.refused[0].reason}` : 'that record was gone already';
    // From the record's own page, which is gone now: back to the list.
    if (c.done > 0 && f('return').split('?')[0] === `${ctx.base}/failed/${encodeURIComponent(p1)}`) form.set('return', `${ctx.base}/failed`);
  } else if (p0 === 'delayed' && (p1 === 'promote' || p1 === 'remove') && !p2) {
    const ts = Number(f('ts'));
    const n = Number.isSafeInteger(ts) ? (p1 === 'promote' ? await a.delayed.promote(ts, f('raw')) : await a.delayed.remove(ts, f('raw'))) : 0;
    msg = n > 0 ? (p1 === 'promote' ? 'due now' : 'cancelled') : 'that job was gone already';
  } else if (p0 === 'schedules' && p1 !== undefined && (p2 === 'run' || p2 === 'remove')) {
    msg = p2 === 'run' ? `enqueued ${(await a.schedules.run(p1)) ?? 'nothing (no such schedule)'}` : (await a.schedules.remove(p1)) ? `removed ${p1}` : 'no such schedule';
  } else return send(res, 404, 'text/plain; charset=utf-8', 'no such action\n');
  redirect(res, backTo(ctx, f('return'), msg));
}

/** Where to go after a change: the page it came from (only a path under our base), with the message. */
function backTo(ctx: PageContext, ret: string, msg: string): string {
  const safe = ret.startsWith(`${ctx.base}/`) && !ret.startsWith('//') && !/[\\\r\n]/.test(ret) ? ret : `${ctx.base}/`;
  const u = new URL(safe, 'http://dashboard');
  u.searchParams.set('msg', msg);
  return u.pathname + u.search;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > BODY_LIMIT) return undefined;
    chunks.push(c as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function cookie(name: string, value: string, base: string): string {
  return `${name}=${encodeURIComponent(value)}; Path=${base || '/'}; HttpOnly; SameSite=Strict`;
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY',
    'referrer-policy': 'same-origin', 'cache-control': 'no-store', ...extra,
  });
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store' });
  res.end();
}

/** Run the dashboard alone on host:port; resolves once it listens. */
export async function serveDashboard(o: DashboardOptions, host: string, port: number): Promise<Server> {
  const handle = createDashboard(o);
  const base = (o.basePath ?? '').replace(/\/+$/, '');
  const server = createServer((req, res) => {
    handle(req, res).then((done) => {
      if (done) return;
      res.writeHead(base && (req.url === '/' || req.url === '') ? 302 : 404, base ? { location: `${base}/` } : {});
      res.end();
    }, () => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  return server;
}
