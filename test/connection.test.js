'use strict';
// Where Redis is (php-resque's REDIS_BACKEND forms, REDIS_URL) and how connections behave:
// fail fast with a password-free RedisConnectionError, never close a borrowed client.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const Redis = require('ioredis');
const { Resque, parseRedisSpec, resolveRedisSpec, RedisConnectionError, OptionError } = require('../dist');
const { useRedis, startRedis, freePort, uniqueNamespace } = require('./helpers/redis');
const { waitFor } = require('./helpers/wait');

const redis = useRedis();

test('parseRedisSpec: host:port', () => {
  const p = parseRedisSpec('cache.local:6380');
  assert.equal(p.options.host, 'cache.local');
  assert.equal(p.options.port, 6380);
  assert.equal(p.options.db, undefined);
  assert.equal(p.address, 'cache.local:6380');
});

test('parseRedisSpec: bare host gets port 6379', () => {
  const p = parseRedisSpec('cache.local');
  assert.equal(p.options.host, 'cache.local');
  assert.equal(p.options.port, 6379);
  assert.equal(p.address, 'cache.local:6379');
});

test('parseRedisSpec: redis://h:1/3 selects db 3', () => {
  const p = parseRedisSpec('redis://h:1/3');
  assert.equal(p.options.host, 'h');
  assert.equal(p.options.port, 1);
  assert.equal(p.options.db, 3);
  assert.ok(p.address.startsWith('h:1'), p.address);
});

test('parseRedisSpec: a db in the URL wins over the database argument; the argument fills in otherwise', () => {
  assert.equal(parseRedisSpec('redis://h:1/3', 5).options.db, 3);
  assert.equal(parseRedisSpec('redis://h:1', 5).options.db, 5);
  assert.equal(parseRedisSpec('h:1', 5).options.db, 5);
});

test('parseRedisSpec: username and password are URL-decoded, and never in address', () => {
  const p = parseRedisSpec('redis://user:pa%40ss@h:1');
  assert.equal(p.options.username, 'user');
  assert.equal(p.options.password, 'pa@ss');
  assert.equal(p.options.host, 'h');
  assert.equal(p.options.port, 1);
  assert.ok(!p.address.includes('pa@ss') && !p.address.includes('pa%40ss') && !p.address.includes('user'), p.address);
  const q = parseRedisSpec('redis://:s3cr%2Ft@h:2/4');
  assert.equal(q.options.password, 's3cr/t');
  assert.equal(q.options.db, 4);
  assert.ok(!q.address.includes('s3cr'), q.address);
});

test('parseRedisSpec: rediss:// turns TLS on', () => {
  const p = parseRedisSpec('rediss://h:1');
  assert.ok(p.options.tls, 'tls set');
  assert.equal(p.options.host, 'h');
  assert.equal(p.options.port, 1);
  assert.equal(parseRedisSpec('redis://h:1').options.tls, undefined);
});

test('parseRedisSpec: tcp://h:1 (php-resque form)', () => {
  const p = parseRedisSpec('tcp://h:1');
  assert.equal(p.options.host, 'h');
  assert.equal(p.options.port, 1);
  assert.equal(p.options.tls, undefined);
});

test('parseRedisSpec: unix:///tmp/r.sock', () => {
  const p = parseRedisSpec('unix:///tmp/r.sock');
  assert.equal(p.options.path, '/tmp/r.sock');
  assert.equal(p.options.host, undefined);
  assert.ok(p.address.includes('/tmp/r.sock'), p.address);
});

test('parseRedisSpec: [::1]:6380 (IPv6)', () => {
  const p = parseRedisSpec('[::1]:6380');
  assert.equal(p.options.host, '::1');
  assert.equal(p.options.port, 6380);
  assert.equal(parseRedisSpec('redis://[::1]:6381').options.host, '::1');
  assert.equal(parseRedisSpec('redis://[::1]:6381').options.port, 6381);
});

test('parseRedisSpec: empty string is an OptionError', () => {
  assert.throws(() => parseRedisSpec(''), OptionError);
  assert.throws(() => parseRedisSpec('   '), OptionError);
});

test('parseRedisSpec: a non-numeric port is an OptionError, not part of the host name', () => {
  // "h:abc" must not silently become host "h:abc" on port 6379.
  for (const bad of ['h:abc', 'localhost:6379x']) {
    assert.throws(() => parseRedisSpec(bad), OptionError, bad);
  }
});

test('parseRedisSpec: bad URLs are OptionErrors whose message never shows the password', () => {
  for (const bad of ['redis://user:secret@h:99999', 'redis://:secret@h:1/abc', 'redis://u:s%ZZsecret@h:1']) {
    assert.throws(
      () => parseRedisSpec(bad),
      (e) => {
        assert.ok(e instanceof OptionError, `${bad}: ${e.name}: ${e.message}`);
        assert.ok(!e.message.includes('secret'), e.message);
        return true;
      },
    );
  }
});

test('resolveRedisSpec: REDIS_URL wins over REDIS_BACKEND', () => {
  const p = resolveRedisSpec({ REDIS_URL: 'redis://url-host:1111/2', REDIS_BACKEND: 'backend-host:2222', REDIS_BACKEND_DB: '5' });
  assert.equal(p.options.host, 'url-host');
  assert.equal(p.options.port, 1111);
  assert.equal(p.options.db, 2);
});

test('resolveRedisSpec: REDIS_BACKEND with REDIS_BACKEND_DB', () => {
  const p = resolveRedisSpec({ REDIS_BACKEND: 'backend-host:2222', REDIS_BACKEND_DB: '5' });
  assert.equal(p.options.host, 'backend-host');
  assert.equal(p.options.port, 2222);
  assert.equal(p.options.db, 5);
});

test('resolveRedisSpec: REDIS_BACKEND_DB ignored when "0" or empty', () => {
  for (const db of ['0', '']) {
    const p = resolveRedisSpec({ REDIS_BACKEND: 'backend-host:2222', REDIS_BACKEND_DB: db });
    assert.equal(p.options.host, 'backend-host');
    assert.ok(p.options.db === undefined || p.options.db === 0, `db for ${JSON.stringify(db)}: ${p.options.db}`);
  }
});

test('resolveRedisSpec: a db in REDIS_BACKEND\'s URL overrides REDIS_BACKEND_DB', () => {
  assert.equal(resolveRedisSpec({ REDIS_BACKEND: 'redis://h:1/7', REDIS_BACKEND_DB: '5' }).options.db, 7);
});

test('resolveRedisSpec: nothing set → 127.0.0.1:6379', () => {
  const p = resolveRedisSpec({});
  assert.equal(p.options.host, '127.0.0.1');
  assert.equal(p.options.port, 6379);
  assert.equal(p.address, '127.0.0.1:6379');
  // An empty REDIS_URL / REDIS_BACKEND counts as unset.
  assert.equal(resolveRedisSpec({ REDIS_URL: '', REDIS_BACKEND: '' }).address, '127.0.0.1:6379');
});

test('unreachable Redis: enqueue rejects fast with RedisConnectionError naming the address, not the password', async () => {
  const port = await freePort();
  const resque = new Resque({ redis: `redis://user:secret@127.0.0.1:${port}`, namespace: uniqueNamespace() });
  try {
    const started = Date.now();
    let caught;
    await assert.rejects(
      Promise.race([
        resque.enqueue('default', 'NoopJob', { a: 1 }),
        new Promise((_, reject) => setTimeout(() => reject(new Error('enqueue did not settle within 3 s')), 3000).unref()),
      ]),
      (e) => {
        caught = e;
        return true;
      },
    );
    assert.ok(caught instanceof RedisConnectionError, `${caught.name}: ${caught.message}`);
    assert.ok(Date.now() - started < 3000);
    assert.ok(caught.message.includes(`127.0.0.1:${port}`), caught.message);
    assert.ok(!caught.message.includes('secret'), caught.message);
    assert.ok(!String(caught.stack).includes('secret'));
    assert.equal(caught.address, `127.0.0.1:${port}`);
    // A later call tries again (and fails the same way) rather than hanging.
    await assert.rejects(resque.size('default'), RedisConnectionError);
  } finally {
    await resque.close();
  }
});

test('a URL password is actually sent (requirepass server, %-encoded password)', async () => {
  // A server of its own (the helper's readiness check cannot AUTH), password set once it runs.
  const server = await startRedis();
  const admin = server.client();
  await admin.config('SET', 'requirepass', 'pa@ss');
  admin.disconnect();
  const ns = uniqueNamespace();
  const good = new Resque({ redis: `redis://:pa%40ss@127.0.0.1:${server.port}`, namespace: ns });
  const bad = new Resque({ redis: `redis://:s3cr3t-guess@127.0.0.1:${server.port}`, namespace: ns });
  try {
    const id = await good.enqueue('default', 'NoopJob', { a: 1 });
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(await good.size('default'), 1);
    await assert.rejects(
      Promise.race([bad.size('default'), new Promise((_, rej) => setTimeout(() => rej(new Error('hung')), 3000).unref())]),
      (e) => e.message !== 'hung' && !e.message.includes('s3cr3t-guess') && /WRONGPASS/.test(e.message),
    );
  } finally {
    await good.close();
    await bad.close();
    await server.stop();
  }
});

test('the db in the URL is the one written to', async () => {
  const srv = await redis();
  const ns = uniqueNamespace();
  const resque = new Resque({ redis: `redis://127.0.0.1:${srv.port}/3`, namespace: ns });
  const db3 = new Redis({ host: '127.0.0.1', port: srv.port, db: 3 });
  const db0 = srv.client();
  try {
    await resque.enqueue('default', 'NoopJob');
    assert.equal(await db3.llen(`${ns}:queue:default`), 1);
    assert.equal(await db0.llen(`${ns}:queue:default`), 0);
  } finally {
    await resque.close();
    db3.disconnect();
    db0.disconnect();
  }
});

test('REDIS_URL is used when no redis option is given', async () => {
  const srv = await redis();
  const ns = uniqueNamespace();
  const saved = { REDIS_URL: process.env.REDIS_URL, REDIS_BACKEND: process.env.REDIS_BACKEND };
  process.env.REDIS_URL = `redis://127.0.0.1:${srv.port}/2`;
  process.env.REDIS_BACKEND = '127.0.0.1:1'; // must lose against REDIS_URL
  let resque;
  const db2 = new Redis({ host: '127.0.0.1', port: srv.port, db: 2 });
  try {
    resque = new Resque({ namespace: ns });
    await resque.enqueue('default', 'NoopJob');
    assert.equal(await db2.llen(`${ns}:queue:default`), 1);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    if (resque) await resque.close();
    db2.disconnect();
  }
});

test('a client passed in is used and NOT closed by resque.close()', async () => {
  const srv = await redis();
  const ns = uniqueNamespace();
  const client = new Redis({ host: '127.0.0.1', port: srv.port });
  try {
    const resque = new Resque({ redis: client, namespace: ns });
    const id = await resque.enqueue('default', 'NoopJob', { a: 1 });
    assert.match(id, /^[0-9a-f]{32}$/);
    // The job went through that very client's server/db.
    assert.equal(await client.llen(`${ns}:queue:default`), 1);
    assert.equal(await resque.redis(), client, 'redis() returns the borrowed client');
    await resque.close();
    assert.equal(client.status, 'ready');
    assert.equal(await client.ping(), 'PONG');
  } finally {
    client.disconnect();
  }
});

test('a lazy (not yet connected) client passed in gets connected, and still not closed', async () => {
  const srv = await redis();
  const ns = uniqueNamespace();
  const client = new Redis({ host: '127.0.0.1', port: srv.port, lazyConnect: true });
  try {
    const resque = new Resque({ redis: client, namespace: ns });
    await resque.enqueue('default', 'NoopJob');
    assert.equal(await resque.size('default'), 1);
    await resque.close();
    assert.equal(await client.ping(), 'PONG');
  } finally {
    client.disconnect();
  }
});

test('close() ends our own connection, and is idempotent', async () => {
  const srv = await redis();
  const resque = new Resque({ redis: srv.url, namespace: uniqueNamespace() });
  await resque.enqueue('default', 'NoopJob');
  const own = await resque.redis();
  await resque.close();
  await waitFor(() => own.status === 'end', { timeoutMs: 3000, what: `own client to end (status ${own.status})` });
  await resque.close();
});

test('a database given alongside an environment-resolved backend is used (REDIS_URL without a db)', () => {
  const saved = process.env.REDIS_URL;
  process.env.REDIS_URL = 'redis://127.0.0.1:6390';
  try {
    const { Connection } = require('..');
    assert.equal(new Connection(undefined, 3).address, '127.0.0.1:6390/3');
    process.env.REDIS_URL = 'redis://127.0.0.1:6390/5';
    assert.equal(new Connection(undefined, 3).address, '127.0.0.1:6390/5', 'a db in the URL wins');
  } finally {
    if (saved === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = saved;
  }
});

test('parseRedisSpec: another scheme is an OptionError naming it and the accepted ones (never read as an IPv6 host)', () => {
  for (const spec of ['http://127.0.0.1:6379', 'HTTPS://cache:6379/0', 'mysql://h', 'redis+sentinel://h:26379']) {
    assert.throws(() => parseRedisSpec(spec), (e) => e instanceof OptionError && /scheme/.test(e.message) && /redis:\/\//.test(e.message), spec);
  }
  assert.equal(parseRedisSpec('::1').options.host, '::1');
  assert.equal(parseRedisSpec('[::1]:6380').options.port, 6380);
});
