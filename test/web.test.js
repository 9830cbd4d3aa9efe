'use strict';
// Issue 14, the dashboard (`resque web`), against a Redis holding the peers' captures (php-resque,
// Ruby, node-resque workers, queues, failure records, delayed items) and our own state, in a real
// browser (Debian's chromium through playwright-core; .ci/run installs it): every page loads (a
// screenshot of each under test/artifacts/), retry / remove / pause / run-now clicked and Redis
// checked after; hostile values never execute; CSRF, read-only and auth over plain HTTP.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { useRedis, uniqueNamespace } = require('./helpers/redis');
const { spawnResque, startWorker } = require('./helpers/worker');
const { loadLivePeers } = require('./helpers/fixtures');
const { waitFor } = require('./helpers/wait');
const { Resque, ResqueAdmin } = require('..');

const redis = useRedis();
const ARTIFACTS = path.resolve(__dirname, 'artifacts');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const XSS = ['<script>window.__xss=1</script>', '"><img src=x onerror="window.__xss=1">', "javascript:window.__xss=1", "'><svg onload=window.__xss=1>"];

let srv; let ns; let r; let resque; let web; let url; let browser;
const k = (key) => `${ns}:${key}`;

/** `resque web` on the namespace with `extra` flags; resolves { proc, url }. */
async function startWeb(extra = [], namespace = ns) {
  const proc = spawnResque(['web', `--redis=${srv.url}`, `--prefix=${namespace}`, '--port=0', ...extra]);
  const [, at] = await proc.waitForOutput(/Dashboard on (http:\/\/\S+)/);
  return { proc, url: at };
}

before(async () => {
  srv = await redis();
  ns = uniqueNamespace('web');
  r = srv.client();
  resque = new Resque({ redis: srv.url, namespace: ns });
  // Our own state: failures from our worker (one with hostile texts), a tracked job, a hostile queue, a schedule.
  for (const bad of XSS) await resque.enqueue('hostile', 'Throws', { message: bad });
  await resque.enqueue(XSS[0], 'Echo', { note: XSS[1] });
  await r.rpush(k(`queue:${XSS[0]}`), JSON.stringify({ class: XSS[1], args: [{ x: XSS[3] }] }));
  const w = startWorker({ srv, ns, queue: 'hostile', args: ['--once'] });
  await w.waitExit({ timeoutMs: 20000 });
  await loadLivePeers(r, ns, ['php-worker-working', 'ruby-worker-working', 'node-resque-worker-working', 'php-worker-failure', 'ruby-worker-failure', 'node-resque-worker-failure', 'php-enqueue', 'ruby-enqueue', 'node-resque-enqueue', 'php-delayed', 'ruby-delayed']);
  await resque.schedules.set('nightly', { cron: '0 3 * * *', class: 'Echo', queue: 'default', args: { n: 1 } });
  web = await startWeb();
  url = web.url;
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const { chromium } = require('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await web?.proc.stop({ graceMs: 2000 });
  await resque?.close();
  r?.disconnect();
});

/** A fresh page that records console errors, dialogs and page errors, failing on an XSS marker. */
async function page(t) {
  const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const seen = { errors: [], dialogs: [] };
  p.on('pageerror', (e) => seen.errors.push(e.message));
  p.on('console', (m) => { if (m.type() === 'error') seen.errors.push(m.text()); });
  p.on('dialog', (d) => { seen.dialogs.push(`${d.type()}: ${d.message()}`); d.accept(); });
  t.after(async () => {
    assert.equal(await p.evaluate(() => window.__xss), undefined, 'no injected script ran');
    await p.close();
  });
  return { p, seen };
}

test('every page loads in the browser, shows the peers\' state and ours, and is screenshotted', async (t) => {
  const { p, seen } = await page(t);
  const admin = new ResqueAdmin({ redis: srv.url, namespace: ns });
  t.after(() => admin.close());
  const [failedRef] = (await admin.failed.list({ limit: 1 })).map((x) => x.ref);
  const pages = [
    ['overview', '/', /Overview/], ['queues', '/queues', /Queues/], ['queue', '/queues/default', /Queue default/],
    ['workers', '/workers', /Workers/], ['failed', '/failed', /Failed jobs/], ['failed-record', `/failed/${encodeURIComponent(failedRef)}`, /Failed: /],
    ['delayed', '/delayed', /Delayed jobs/], ['schedules', '/schedules', /Recurring schedules/],
  ];
  for (const [name, at, title] of pages) {
    const res = await p.goto(url.replace(/\/$/, '') + at);
    assert.equal(res.status(), 200, `${name}: HTTP ${res.status()}`);
    assert.match(await p.locator('h1').innerText(), title, name);
    await p.screenshot({ path: path.join(ARTIFACTS, `web-${name}.png`), fullPage: true });
  }
  // the workers page names every kind
  await p.goto(`${url}workers`);
  const kinds = await p.locator('.kind').allInnerTexts();
  for (const kind of ['php-resque', 'ruby-resque', 'node-resque']) assert.ok(kinds.includes(kind), `${kind} in ${kinds}`);
  // the overview's chart and the queues table
  await p.goto(url);
  assert.equal(await p.locator('figure.chart svg polyline').count(), 2);
  assert.ok((await p.locator('table tbody tr').count()) >= 3);
  // a job page by id, found through the lookup form
  const id = await resque.enqueue('lookup', 'Echo', {}, true);
  await p.fill('input[name=id]', id);
  await p.click('form.lookup button');
  assert.match(await p.locator('h1').innerText(), new RegExp(`Job ${id}`));
  assert.match(await p.locator('main').innerText(), /WAITING/);
  assert.match(await p.locator('main').innerText(), /lookup at position 0/);
  await p.screenshot({ path: path.join(ARTIFACTS, 'web-job.png'), fullPage: true });
  assert.deepEqual(seen.errors, [], 'no script or CSP error');
  assert.deepEqual(seen.dialogs, []);
});

test('hostile class names, args, error texts and queue names are shown as text, never run', async (t) => {
  const { p, seen } = await page(t);
  for (const at of ['', 'queues', `queues/${encodeURIComponent(XSS[0])}`, 'failed', 'failed?queue=hostile', 'workers']) {
    await p.goto(url + at);
    assert.equal(await p.evaluate(() => window.__xss), undefined, at);
  }
  await p.goto(`${url}failed?queue=hostile`);
  const text = await p.locator('main').innerText();
  for (const bad of XSS) assert.ok(text.includes(bad), `shown as text: ${bad}`);
  assert.equal(await p.locator('main img').count(), 0, 'no injected element');
  assert.equal(await p.locator('main a[href^="javascript:"]').count(), 0, 'no javascript: link');
  await p.goto(`${url}queues/${encodeURIComponent(XSS[0])}`);
  assert.ok((await p.locator('main').innerText()).includes(XSS[1]));
  assert.deepEqual(seen.dialogs, [], 'no alert, no confirm');
  assert.deepEqual(seen.errors.filter((e) => !/Content Security Policy/.test(e)), []);
});

test('clicks change Redis: retry and remove a failed record, pause and resume all, run a delayed job now, delete a queued job', async (t) => {
  const { p, seen } = await page(t);
  const admin = new ResqueAdmin({ redis: srv.url, namespace: ns });
  t.after(() => admin.close());
  // retry the first hostile record: its payload goes back to its queue byte for byte, the record goes
  const [rec] = await admin.failed.list({ queue: 'hostile', limit: 1 });
  const before = await r.llen(k('failed'));
  await p.goto(`${url}failed/${encodeURIComponent(rec.ref)}`);
  await p.click('form[action$="/retry"] button');
  await p.waitForURL(/msg=/, { timeout: 5000 }).catch(async (e) => { e.message += `\n${p.url()}\n${await p.content()}`; throw e; });
  assert.match(await p.locator('.flash').innerText(), /retried 1/);
  assert.equal(await r.llen(k('failed')), before - 1);
  assert.ok((await r.lrange(k('queue:hostile'), 0, -1)).includes(rec.failure.payload.raw), 'the payload, byte for byte');
  // remove one from the list page (a confirm dialog, accepted)
  await p.goto(`${url}failed?queue=hostile`);
  await p.click('table form[action$="/remove"] button >> nth=0');
  await p.waitForURL(/msg=/);
  assert.equal(await r.llen(k('failed')), before - 2);
  assert.ok(seen.dialogs.some((d) => /confirm: Remove this record/.test(d)));
  // pause all (Ruby's key), then resume
  await p.goto(`${url}workers`);
  await p.click('form[action$="/workers/pause-all"] button');
  await p.waitForURL(/msg=/);
  assert.equal(await r.get(k('pause-all-workers')), 'true');
  await p.click('form[action$="/workers/resume-all"] button');
  await p.waitForURL(/msg=workers/);
  assert.equal(await r.exists(k('pause-all-workers')), 0);
  // run a delayed item now: it leaves its second for the current one
  const [ts] = await admin.delayed.timestamps(0, 1);
  const [item] = await admin.delayed.items(ts);
  await p.goto(`${url}delayed`);
  await p.click('form[action$="/delayed/promote"] button >> nth=0');
  await p.waitForURL(/msg=/);
  const now = Math.ceil(Date.now() / 1000);
  assert.ok(!(await r.lrange(k(`delayed:${ts}`), 0, -1)).includes(item), 'gone from its second');
  const due = (await r.zrange(k('delayed_queue_schedule'), 0, -1)).map(Number).filter((x) => x >= now - 5 && x <= now);
  const there = await Promise.all(due.map((x) => r.lrange(k(`delayed:${x}`), 0, -1)));
  assert.ok(there.some((l) => l.includes(item)), `scheduled again at the current second (${due})`);
  // delete a queued job by its bytes
  const q = (await r.lrange(k('queue:default'), 0, -1));
  await p.goto(`${url}queues/default`);
  await p.click('table form[action$="/delete"] button >> nth=0');
  await p.waitForURL(/msg=/);
  assert.equal(await r.llen(k('queue:default')), q.length - 1);
  assert.deepEqual(await r.lrange(k('queue:default'), 0, -1), q.slice(1));
  assert.deepEqual(seen.errors, []);
});

/** A raw HTTP request to the dashboard. */
function request(at, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(at);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('CSRF: a change needs the form token matching its cookie; a cross-site or foreign-origin request is refused', async () => {
  const page0 = await request(url);
  const cookie = page0.headers['set-cookie'].find((c) => c.startsWith('resque_csrf=')).split(';')[0];
  const token = cookie.split('=')[1];
  assert.match(page0.headers['content-security-policy'], /script-src 'self'/);
  assert.equal(page0.headers['x-frame-options'], 'DENY');
  const form = (t) => `_csrf=${t}&return=/workers`;
  const post = (headers, body) => request(`${url}workers/pause-all`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  assert.equal((await post({}, form(token))).status, 403, 'no cookie');
  assert.equal((await post({ cookie }, form('0'.repeat(48)))).status, 403, 'wrong token');
  assert.equal((await post({ cookie, 'sec-fetch-site': 'cross-site' }, form(token))).status, 403, 'cross-site');
  assert.equal((await post({ cookie, origin: 'http://evil.example' }, form(token))).status, 403, 'another origin');
  assert.equal(await r.exists(k('pause-all-workers')), 0, 'nothing changed');
  const ok = await post({ cookie, 'sec-fetch-site': 'same-origin' }, form(token));
  assert.equal(ok.status, 303);
  assert.match(ok.headers.location, /^\/workers\?msg=/);
  assert.equal(await r.get(k('pause-all-workers')), 'true');
  await r.del(k('pause-all-workers'));
  const evil = await post({ cookie }, `_csrf=${token}&return=//evil.example/x`);
  assert.equal(evil.headers.location.startsWith('/?msg='), true, 'never redirected off the dashboard');
  await r.del(k('pause-all-workers'));
  assert.equal((await request(url, { method: 'DELETE' })).status, 405);
});

test('read-only refuses every change and shows no form; auth by token (bearer, ?token= once) and by basic auth', async (t) => {
  const ro = await startWeb(['--read-only']);
  t.after(() => ro.proc.stop({ graceMs: 1000 }));
  const page0 = await request(`${ro.url}failed`);
  assert.equal(page0.status, 200);
  assert.doesNotMatch(page0.text, /<form method="post"/);
  const cookie = page0.headers['set-cookie'][0].split(';')[0];
  const tokenValue = cookie.split('=')[1];
  const refused = await request(`${ro.url}workers/pause-all`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${tokenValue}` });
  assert.equal(refused.status, 403);
  assert.match(refused.text, /read-only/);

  const tok = await startWeb(['--token=s3cret-token-123']);
  t.after(() => tok.proc.stop({ graceMs: 1000 }));
  assert.equal((await request(tok.url)).status, 401);
  assert.equal((await request(tok.url, { headers: { authorization: 'Bearer wrong-token-000' } })).status, 401);
  assert.equal((await request(tok.url, { headers: { authorization: 'Bearer s3cret-token-123' } })).status, 200);
  const once = await request(`${tok.url}workers?token=s3cret-token-123`);
  assert.equal(once.status, 303);
  assert.equal(once.headers.location, '/workers', 'the token leaves the address');
  const tc = once.headers['set-cookie'][0];
  assert.match(tc, /resque_token=.*HttpOnly; SameSite=Strict/);
  assert.equal((await request(`${tok.url}workers`, { headers: { cookie: tc.split(';')[0] } })).status, 200);

  const basic = await startWeb(['--basic-auth=admin:pa:ss']);
  t.after(() => basic.proc.stop({ graceMs: 1000 }));
  const none = await request(basic.url);
  assert.equal(none.status, 401);
  assert.match(none.headers['www-authenticate'], /^Basic realm="resque"/);
  const b64 = (s) => Buffer.from(s).toString('base64');
  assert.equal((await request(basic.url, { headers: { authorization: `Basic ${b64('admin:wrong')}` } })).status, 401);
  assert.equal((await request(basic.url, { headers: { authorization: `Basic ${b64('admin:pa:ss')}` } })).status, 200);
  // a public address without auth is refused at start
  const open = spawnResque(['web', `--redis=${srv.url}`, '--host=0.0.0.0', '--port=0']);
  assert.equal((await open.waitExit()).code, 2);
  assert.match(open.output, /add --token, --basic-auth or --read-only/);
});

test('mounted in an app\'s own http server under a base path; /metrics beside it', async (t) => {
  const { createDashboard } = require('../dist/web/app');
  const { MetricsExporter, metricsHandler } = require('resque-ts/metrics');
  const admin = new ResqueAdmin({ redis: srv.url, namespace: ns });
  const dash = createDashboard({ admin, basePath: '/admin/resque', metrics: metricsHandler(new MetricsExporter(admin, { processMetrics: false })) });
  const server = http.createServer(async (req, res) => {
    if (await dash(req, res)) return;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('the app');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }).then(() => admin.close()));
  const base = `http://127.0.0.1:${server.address().port}`;
  assert.equal((await request(`${base}/other`)).text, 'the app');
  const page0 = await request(`${base}/admin/resque/queues`);
  assert.equal(page0.status, 200);
  assert.match(page0.text, /href="\/admin\/resque\/queues\/default"/);
  const m = await request(`${base}/admin/resque/metrics`);
  assert.equal(m.status, 200);
  assert.match(m.text, /^# HELP resque_/m);
});
