'use strict';
// Credentials and transport: an ACL user (user + password), `rediss://` against a real TLS
// redis-server with a private CA, and passwords never echoed in errors or worker output.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { after } = require('node:test');
const Redis = require('ioredis');
const { startRedis, freePort, uniqueNamespace } = require('./helpers/redis');
const { startWorker, tempDir } = require('./helpers/worker');
const { waitFor } = require('./helpers/wait');
const { Resque, RedisConnectionError } = require('..');

const USER = 'alice';
const PASS = 's3cr3t-Pa55';
// The default user may only PING (the test helper's readiness probe); everything else needs alice.
const ACL_ARGS = ['--user', 'default', 'on', 'nopass', '+ping', '--user', USER, 'on', `>${PASS}`, '~*', '&*', '+@all'];

let plain;
async function aclServer() {
  plain ??= startRedis({ args: ACL_ARGS });
  return plain;
}
after(async () => { if (plain) await (await plain).stop(); });

async function enqueueAndRun(t, redisUrl, clientSpec, env = {}) {
  const ns = uniqueNamespace('sec');
  const resque = new Resque({ redis: clientSpec, namespace: ns });
  t.after(() => resque.close());
  const id = await resque.enqueue('default', 'ReturnsValue', {}, true);
  const w = startWorker({ ns, args: [`--redis=${redisUrl}`, '--once'], env });
  t.after(() => w.stop());
  assert.deepEqual(await w.waitExit({ timeoutMs: 20000 }), { code: 0, signal: null }, w.output);
  assert.equal((await resque.status(id).fetch()).status, 4);
  assert.doesNotMatch(w.output, new RegExp(PASS), 'no password in the output');
  return w;
}

test('ACL user + password: redis://alice:PASS@host works for the client and the worker', async (t) => {
  const srv = await aclServer();
  const url = `redis://${USER}:${PASS}@127.0.0.1:${srv.port}`;
  await enqueueAndRun(t, url, url);
});

test('wrong credentials: a clear error that names the address, never the password', async (t) => {
  const srv = await aclServer();
  const bad = 'hunter2-wrong';
  const resque = new Resque({ redis: `redis://${USER}:${bad}@127.0.0.1:${srv.port}` });
  t.after(() => resque.close());
  const err = await resque.enqueue('q', 'X').then(() => null, (e) => e);
  assert.ok(err instanceof RedisConnectionError, String(err));
  assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${srv.port}`));
  assert.doesNotMatch(err.message, /hunter2/);
  const w = startWorker({ ns: uniqueNamespace('sec'), args: [`--redis=redis://${USER}:${bad}@127.0.0.1:${srv.port}`, '--once'] });
  t.after(() => w.stop());
  const exit = await w.waitExit({ timeoutMs: 15000 });
  assert.equal(exit.code, 1);
  assert.match(w.output, /Could not connect to Redis/);
  assert.doesNotMatch(w.output, /hunter2/);
});

/** A private CA and a server certificate for 127.0.0.1 (openssl, into a temp folder). */
function makeCerts(dir) {
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=resque-ts test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'server.crt');
  return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
}

test('rediss:// against a TLS redis-server (private CA via NODE_EXTRA_CA_CERTS), with an ACL user', async (t) => {
  const dir = tempDir();
  const certs = makeCerts(dir);
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--tls-cert-file', certs.cert, '--tls-key-file', certs.key, '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'no', ...ACL_ARGS], { stdio: 'ignore' });
  t.after(() => { proc.kill('SIGKILL'); });
  const ca = fs.readFileSync(certs.ca);
  const options = { host: '127.0.0.1', port, username: USER, password: PASS, tls: { ca, servername: '127.0.0.1' } };
  await waitFor(async () => {
    const c = new Redis({ ...options, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    try { await c.connect(); return (await c.ping()) === 'PONG'; } catch { return false; } finally { c.disconnect(); }
  }, { what: 'TLS redis-server' });
  await enqueueAndRun(t, `rediss://${USER}:${PASS}@127.0.0.1:${port}`, options, { NODE_EXTRA_CA_CERTS: certs.ca });
});
