'use strict';
// Resque#enqueue / enqueueBulk / hooks / static API against a real Redis: the queue item is
// php-resque 2.x's payload (WIRE.md §3), the queue name is SADDed, tracked jobs get status keys.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Resque, DoNotCreate, decodePayload, parseJson, JobStatus } = require('../dist');
const { useRedis, uniqueNamespace, clientSetup } = require('./helpers/redis');

const redis = useRedis();

/** A Resque on the test server with a fresh namespace, plus a plain inspection client. */
const setup = (opts = {}) => clientSetup(redis, opts);

async function nsKeys(r, ns) {
  const out = [];
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out.sort();
}

test('enqueue returns a 32-lowercase-hex id and pushes a php-resque 2.x payload', async () => {
  const t = await setup();
  try {
    const before = Date.now() / 1000;
    const id = await t.resque.enqueue('default', 'App\\Jobs\\SendEmail', { to: 'a@b.c', n: 1 });
    const after = Date.now() / 1000;
    assert.match(id, /^[0-9a-f]{32}$/);

    const list = await t.r.lrange(t.key('queue:default'), 0, -1);
    assert.equal(list.length, 1);
    const raw = list[0];
    const obj = parseJson(raw);
    assert.deepEqual(Object.keys(obj), ['class', 'args', 'id', 'prefix', 'queue_time']);
    assert.equal(obj.class, 'App\\Jobs\\SendEmail');
    assert.deepEqual(obj.args, [{ to: 'a@b.c', n: 1 }]);
    assert.equal(obj.id, id);
    assert.equal(obj.prefix, '');
    assert.equal(typeof obj.queue_time, 'number');
    assert.ok(obj.queue_time >= before - 1 && obj.queue_time <= after + 1, `queue_time ${obj.queue_time} near ${before}`);
    // float unix seconds with at most microseconds, like microtime(true)
    assert.match(raw, /,"queue_time":\d{10}(\.\d{1,6})?\}$/);
    assert.ok(raw.startsWith('{"class":"App\\\\Jobs\\\\SendEmail","args":[{"to":"a@b.c","n":1}],"id":"'), raw);

    const job = decodePayload(raw);
    assert.equal(job.flavor, 'php2');
    assert.equal(job.id, id);

    assert.equal(await t.r.sismember(t.key('queues'), 'default'), 1);
    assert.equal(await t.r.type(t.key('queues')), 'set');
    assert.equal(await t.r.ttl(t.key('queue:default')), -1);
    // untracked: no status key, nothing else written
    assert.deepEqual(await nsKeys(t.r, t.ns), [t.key('queue:default'), t.key('queues')]);
  } finally {
    await t.close();
  }
});

test('two enqueues get distinct ids and keep order', async () => {
  const t = await setup();
  try {
    const a = await t.resque.enqueue('q', 'A');
    const b = await t.resque.enqueue('q', 'B');
    assert.notEqual(a, b);
    const list = await t.r.lrange(t.key('queue:q'), 0, -1);
    assert.deepEqual(list.map((x) => decodePayload(x).id), [a, b]);
    assert.deepEqual(list.map((x) => decodePayload(x).className), ['A', 'B']);
  } finally {
    await t.close();
  }
});

test('args: default {} → "args":[{}], array → [[…]], null → [null], undefined → default', async () => {
  const t = await setup();
  try {
    await t.resque.enqueue('q', 'NoopJob');
    await t.resque.enqueue('q', 'NoopJob', [1, 'two', 3.5]);
    await t.resque.enqueue('q', 'NoopJob', null);
    await t.resque.enqueue('q', 'NoopJob', undefined);
    await t.resque.enqueue('q', 'NoopJob', {});
    const list = await t.r.lrange(t.key('queue:q'), 0, -1);
    assert.match(list[0], /^\{"class":"NoopJob","args":\[\{\}\],"id":/);
    assert.match(list[1], /^\{"class":"NoopJob","args":\[\[1,"two",3\.5\]\],"id":/);
    assert.match(list[2], /^\{"class":"NoopJob","args":\[null\],"id":/);
    assert.match(list[3], /^\{"class":"NoopJob","args":\[\{\}\],"id":/);
    assert.match(list[4], /^\{"class":"NoopJob","args":\[\{\}\],"id":/);
  } finally {
    await t.close();
  }
});

test('args are written in PHP\'s JSON spelling, BigInt exactly', async () => {
  const t = await setup();
  try {
    await t.resque.enqueue('q', 'NoopJob', { s: '中/文 😀', big: 9007199254740993n, neg: -9223372036854775808n, f: 1.0 });
    const [raw] = await t.r.lrange(t.key('queue:q'), 0, -1);
    assert.ok(
      raw.includes('"args":[{"s":"\\u4e2d\\/\\u6587 \\ud83d\\ude00","big":9007199254740993,"neg":-9223372036854775808,"f":1}]'),
      raw,
    );
    assert.equal(decodePayload(raw).arg0.big, 9007199254740993n);
  } finally {
    await t.close();
  }
});

test('bad args are refused with a TypeError naming the problem, and nothing is pushed', async () => {
  const t = await setup();
  class Invoice {
    constructor() {
      this.n = 1;
    }
  }
  const cases = [
    ['a string', 'just a string', /string/],
    ['a number', 42, /number/],
    ['a boolean', true, /boolean/],
    ['a Date', new Date(0), /Date/],
    ['a Map', new Map([['a', 1]]), /Map/],
    ['a Set', new Set([1]), /Set/],
    ['a class instance', new Invoice(), /Invoice/],
    ['a nested Map', { m: new Map() }, /Map/],
    ['a nested cycle', (() => { const o = { a: 1 }; o.o = o; return o; })(), /circular/i],
    ['a nested NaN', { x: NaN }, /NaN/],
  ];
  try {
    for (const [what, args, re] of cases) {
      await assert.rejects(t.resque.enqueue('q', 'NoopJob', args), (e) => {
        assert.ok(e instanceof TypeError, `${what}: ${e.name}: ${e.message}`);
        assert.match(e.message, re, what);
        return true;
      });
    }
    assert.equal(await t.r.exists(t.key('queue:q')), 0, 'nothing pushed');
    assert.equal(await t.r.exists(t.key('queues')), 0, 'queue name not added');
  } finally {
    await t.close();
  }
});

test('empty queue or class name is refused, nothing pushed', async () => {
  const t = await setup();
  try {
    await assert.rejects(t.resque.enqueue('', 'NoopJob'), TypeError);
    await assert.rejects(t.resque.enqueue('q', ''), TypeError);
    await assert.rejects(t.resque.enqueue('q', undefined), TypeError);
    assert.deepEqual(await nsKeys(t.r, t.ns), []);
  } finally {
    await t.close();
  }
});

test('namespace option: keys live under it, ":" appended; an explicit trailing ":" is not doubled', async () => {
  const srv = await redis();
  const base = uniqueNamespace('myns');
  const a = new Resque({ redis: srv.url, namespace: base });
  const b = new Resque({ redis: srv.url, namespace: `${base}b:` });
  const r = srv.client();
  try {
    await a.enqueue('x', 'NoopJob');
    await b.enqueue('x', 'NoopJob');
    assert.equal(await r.llen(`${base}:queue:x`), 1);
    assert.equal(await r.sismember(`${base}:queues`, 'x'), 1);
    assert.equal(await r.llen(`${base}b:queue:x`), 1);
    assert.equal(await r.exists(`${base}b::queue:x`), 0);
    assert.equal(await r.exists('resque:queue:x'), 0);
    assert.equal(a.keys.ns, `${base}:`);
  } finally {
    await a.close();
    await b.close();
    r.disconnect();
  }
});

test('PREFIX env var sets the namespace when no option is given', async () => {
  const srv = await redis();
  const ns = uniqueNamespace('myns');
  const saved = process.env.PREFIX;
  let resque;
  const r = srv.client();
  try {
    process.env.PREFIX = ns;
    resque = new Resque({ redis: srv.url });
    process.env.PREFIX = 'changed-after-construction';
    await resque.enqueue('x', 'NoopJob');
    assert.equal(await r.llen(`${ns}:queue:x`), 1);
    assert.equal(await r.sismember(`${ns}:queues`, 'x'), 1);
    assert.equal(await r.exists('resque:queue:x'), 0);
  } finally {
    if (saved === undefined) delete process.env.PREFIX;
    else process.env.PREFIX = saved;
    if (resque) await resque.close();
    r.disconnect();
  }
});

test('the namespace option wins over PREFIX', async () => {
  const srv = await redis();
  const ns = uniqueNamespace();
  const saved = process.env.PREFIX;
  let resque;
  const r = srv.client();
  try {
    process.env.PREFIX = uniqueNamespace('envns');
    resque = new Resque({ redis: srv.url, namespace: ns });
    await resque.enqueue('x', 'NoopJob');
    assert.equal(await r.llen(`${ns}:queue:x`), 1);
    assert.equal(await r.exists(`${process.env.PREFIX}:queue:x`), 0);
  } finally {
    if (saved === undefined) delete process.env.PREFIX;
    else process.env.PREFIX = saved;
    if (resque) await resque.close();
    r.disconnect();
  }
});

test('trackStatus creates the status key in the same push; prefix changes its name', async () => {
  const t = await setup();
  try {
    const id = await t.resque.enqueue('default', 'NoopJob', { a: 1 }, true);
    const now = Math.floor(Date.now() / 1000);
    const packet = await t.r.get(t.key(`job:${id}:status`));
    assert.ok(packet, 'status key exists');
    const p = JSON.parse(packet);
    assert.equal(p.status, 1);
    assert.ok(Math.abs(p.updated - now) <= 1);
    const id2 = await t.resque.enqueue('default', 'NoopJob', { a: 1 }, true, 'myapp');
    assert.ok(await t.r.get(t.key(`job:myapp_${id2}:status`)));
    assert.equal(await t.r.exists(t.key(`job:${id2}:status`)), 0);
    const [, raw2] = await t.r.lrange(t.key('queue:default'), 0, -1);
    assert.match(raw2, /"prefix":"myapp","queue_time":/);
    // untracked with a prefix: prefix is in the payload, no status key
    const id3 = await t.resque.enqueue('default', 'NoopJob', null, false, 'other');
    assert.equal(await t.r.exists(t.key(`job:other_${id3}:status`)), 0);
  } finally {
    await t.close();
  }
});

test('beforeEnqueue receives (class, args, queue, id); afterEnqueue gets the same id', async () => {
  const t = await setup();
  try {
    const calls = [];
    t.resque.on('beforeEnqueue', (...a) => { calls.push(['before', ...a]); });
    t.resque.on('afterEnqueue', async (...a) => {
      // the job is already in the queue when afterEnqueue runs
      calls.push(['after', ...a, await t.r.llen(t.key('queue:mail'))]);
    });
    const args = { to: 'a@b.c' };
    const id = await t.resque.enqueue('mail', 'SendEmail', args);
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0], ['before', 'SendEmail', args, 'mail', id]);
    assert.deepEqual(calls[1], ['after', 'SendEmail', args, 'mail', id, 1]);
    const def = await t.resque.enqueue('mail', 'NoopJob');
    assert.deepEqual(calls[2], ['before', 'NoopJob', {}, 'mail', def]);
  } finally {
    await t.close();
  }
});

test('beforeEnqueue throwing DoNotCreate cancels: enqueue resolves false, nothing pushed, no afterEnqueue', async () => {
  const t = await setup();
  try {
    let after = 0;
    t.resque.on('beforeEnqueue', (cls) => {
      if (cls === 'Blocked') throw new DoNotCreate('no');
    });
    t.resque.on('afterEnqueue', () => { after++; });
    assert.equal(await t.resque.enqueue('q', 'Blocked', { a: 1 }, true), false);
    assert.deepEqual(await nsKeys(t.r, t.ns), [], 'no queue, no queues set, no status key');
    assert.equal(after, 0);
    const id = await t.resque.enqueue('q', 'Allowed');
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(after, 1);
    assert.equal(await t.r.llen(t.key('queue:q')), 1);
  } finally {
    await t.close();
  }
});

test('beforeEnqueue returning false (also async) cancels', async () => {
  const t = await setup();
  try {
    const off = t.resque.on('beforeEnqueue', async () => false);
    assert.equal(await t.resque.enqueue('q', 'NoopJob'), false);
    assert.equal(await t.r.exists(t.key('queue:q')), 0);
    off(); // removing the hook restores normal behaviour
    assert.match(await t.resque.enqueue('q', 'NoopJob'), /^[0-9a-f]{32}$/);
    assert.equal(await t.r.llen(t.key('queue:q')), 1);
  } finally {
    await t.close();
  }
});

test('a beforeEnqueue hook throwing another error rejects enqueue and pushes nothing', async () => {
  const t = await setup();
  try {
    const boom = new Error('hook exploded');
    t.resque.on('beforeEnqueue', () => { throw boom; });
    await assert.rejects(t.resque.enqueue('q', 'NoopJob'), (e) => e === boom);
    assert.deepEqual(await nsKeys(t.r, t.ns), []);
  } finally {
    await t.close();
  }
});

test('an afterEnqueue hook throwing rejects enqueue (the job is already queued, as in php-resque)', async () => {
  const t = await setup();
  try {
    t.resque.on('afterEnqueue', () => { throw new RangeError('after exploded'); });
    await assert.rejects(t.resque.enqueue('q', 'NoopJob'), RangeError);
    assert.equal(await t.r.llen(t.key('queue:q')), 1);
  } finally {
    await t.close();
  }
});

test('hooks of one instance do not affect another', async () => {
  const t = await setup();
  const other = new Resque({ redis: t.srv.url, namespace: t.ns });
  try {
    t.resque.on('beforeEnqueue', () => false);
    assert.equal(await t.resque.enqueue('q', 'NoopJob'), false);
    assert.match(await other.enqueue('q', 'NoopJob'), /^[0-9a-f]{32}$/);
  } finally {
    await other.close();
    await t.close();
  }
});

test('enqueueBulk writes 1000 jobs in order with distinct ids, in one atomic command (Lua)', async () => {
  const t = await setup();
  const monitorBase = t.srv.client();
  const monitor = await monitorBase.monitor();
  try {
    const client = await t.resque.redis();
    const source = `127.0.0.1:${client.stream.localPort}`;
    const seen = [];
    const inLua = [];
    monitor.on('monitor', (_time, args, src) => {
      if (src === source) seen.push(String(args[0]).toLowerCase());
      else if (src === 'lua') inLua.push(String(args[0]).toLowerCase());
    });
    const jobs = Array.from({ length: 1000 }, (_, i) => ({ class: 'BulkJob', args: { i }, trackStatus: i % 100 === 0 }));
    const ids = await t.resque.enqueueBulk('bulk', jobs);
    assert.equal(ids.length, 1000);
    assert.ok(ids.every((id) => /^[0-9a-f]{32}$/.test(id)));
    assert.equal(new Set(ids).size, 1000, 'distinct ids');

    const list = await t.r.lrange(t.key('queue:bulk'), 0, -1);
    assert.equal(list.length, 1000);
    list.forEach((raw, i) => {
      const job = decodePayload(raw);
      assert.equal(job.id, ids[i]);
      assert.deepEqual(job.arg0, { i });
    });
    assert.equal(await t.r.sismember(t.key('queues'), 'bulk'), 1);

    // tracked ones (every 100th) have a status key, the others do not
    for (let i = 0; i < 1000; i += 50) {
      assert.equal(await t.r.exists(t.key(`job:${ids[i]}:status`)), i % 100 === 0 ? 1 : 0, `job ${i}`);
    }

    // one atomic step: our client sent no plain write, only the script (EVALSHA, or EVAL once
    // when the server did not know it yet), and the script did the status SETs, SADD and RPUSH
    await t.r.ping(); // MONITOR delivers in order; give it a command to flush past
    assert.deepEqual(seen.filter((c) => ['rpush', 'sadd', 'set', 'multi', 'exec'].includes(c)), [], `commands: ${[...new Set(seen)]}`);
    const scripts = seen.filter((c) => c === 'evalsha' || c === 'eval');
    assert.ok(scripts.length >= 1 && scripts.length <= 2, `commands: ${seen}`);
    assert.equal(inLua.filter((c) => c === 'rpush').length, 1, 'one RPUSH of all 1000 payloads');
    assert.equal(inLua.filter((c) => c === 'sadd').length, 1);
    assert.equal(inLua.filter((c) => c === 'set').length, 10, 'the 10 tracked jobs got their status in the same step');
  } finally {
    monitor.disconnect();
    monitorBase.disconnect();
    await t.close();
  }
});

test('enqueueBulk: a cancelled job gets false in its slot, the others are pushed in order', async () => {
  const t = await setup();
  try {
    t.resque.on('beforeEnqueue', (_c, args) => (args && args.skip ? false : undefined));
    const ids = await t.resque.enqueueBulk('q', [{ class: 'A' }, { class: 'B', args: { skip: true } }, { class: 'C', args: null }]);
    assert.equal(ids.length, 3);
    assert.equal(ids[1], false);
    const list = await t.r.lrange(t.key('queue:q'), 0, -1);
    assert.deepEqual(list.map((x) => decodePayload(x).id), [ids[0], ids[2]]);
    assert.deepEqual(list.map((x) => decodePayload(x).className), ['A', 'C']);
  } finally {
    await t.close();
  }
});

test('enqueueBulk with a bad job pushes nothing at all', async () => {
  const t = await setup();
  try {
    await assert.rejects(t.resque.enqueueBulk('q', [{ class: 'A' }, { class: 'B', args: 'bad' }]), TypeError);
    assert.deepEqual(await nsKeys(t.r, t.ns), []);
  } finally {
    await t.close();
  }
});

test('enqueueBulk with no jobs writes nothing', async () => {
  const t = await setup();
  try {
    assert.deepEqual(await t.resque.enqueueBulk('q', []), []);
    assert.deepEqual(await nsKeys(t.r, t.ns), []);
  } finally {
    await t.close();
  }
});

// Runs before the setNamespace test below: the static API's options persist across close().
test('static API: setBackend(url) alone (namespace from PREFIX) works, and close() can be called again', async () => {
  const srv = await redis();
  const ns = uniqueNamespace();
  const saved = process.env.PREFIX;
  const r = srv.client();
  try {
    process.env.PREFIX = ns;
    Resque.setBackend(srv.url);
    const id = await Resque.enqueue('default', 'NoopJob');
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(await r.llen(`${ns}:queue:default`), 1);
    assert.equal(await Resque.status(id).get(), null, 'not tracked');
  } finally {
    if (saved === undefined) delete process.env.PREFIX;
    else process.env.PREFIX = saved;
    await Resque.close();
    await Resque.close();
    r.disconnect();
  }
});

test('static API: setBackend + setNamespace, enqueue, status(id).get(), close', async () => {
  const srv = await redis();
  const ns = uniqueNamespace();
  const r = srv.client();
  try {
    Resque.setBackend(srv.url);
    Resque.setNamespace(ns);
    const id = await Resque.enqueue('default', 'NoopJob', { a: 1 }, true);
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(await r.llen(`${ns}:queue:default`), 1);
    assert.equal(await Resque.status(id).get(), JobStatus.WAITING);
    assert.equal(await Resque.size('default'), 1);
    assert.deepEqual(await Resque.queues(), ['default']);
    const [job] = await Resque.peek('default');
    assert.equal(job.id, id);
  } finally {
    await Resque.close();
    r.disconnect();
  }
});

test('static API: hooks registered with Resque.on survive setBackend/setNamespace and close (php-resque Event::listen is global)', async () => {
  const srv = await redis();
  const ns = uniqueNamespace();
  const r = srv.client();
  const seen = [];
  const off = Resque.on('beforeEnqueue', (cls) => {
    seen.push(cls);
    return cls === 'Blocked' ? false : undefined;
  });
  try {
    Resque.setBackend(srv.url);
    Resque.setNamespace(ns);
    assert.equal(await Resque.enqueue('q', 'Blocked'), false, 'hook registered before setBackend still cancels');
    assert.match(await Resque.enqueue('q', 'First'), /^[0-9a-f]{32}$/);
    await Resque.close();
    assert.match(await Resque.enqueue('q', 'AfterClose'), /^[0-9a-f]{32}$/);
    assert.deepEqual(seen, ['Blocked', 'First', 'AfterClose']);
    assert.deepEqual((await r.lrange(`${ns}:queue:q`, 0, -1)).map((x) => decodePayload(x).className), ['First', 'AfterClose']);
  } finally {
    off();
    await Resque.close();
    r.disconnect();
  }
});

test('static API: a hook registered after setBackend (before the first enqueue) runs once per job, not twice', async () => {
  const srv = await redis();
  const ns = uniqueNamespace();
  Resque.setBackend(srv.url);
  Resque.setNamespace(ns);
  let calls = 0;
  const off = Resque.on('afterEnqueue', () => { calls++; });
  try {
    await Resque.enqueue('q', 'Once');
    assert.equal(calls, 1);
  } finally {
    off();
    await Resque.close();
  }
});
