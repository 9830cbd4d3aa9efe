'use strict';
// A throwaway redis-server per test file: free port, no persistence, killed when the
// file's tests end (and when the process exits). Never touches a Redis we did not start.
const { spawn } = require('node:child_process');
const net = require('node:net');
const { after } = require('node:test');
const Redis = require('ioredis');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set();
process.on('exit', () => { for (const p of live) try { p.kill('SIGKILL'); } catch {} });

/** Start redis-server on `port` (or a free one); resolves once it answers PING. */
async function startRedis(opts = {}) {
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning', ...(opts.args ?? [])];
  const proc = spawn(process.env.REDIS_SERVER_BIN || 'redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(proc);
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.once('exit', () => live.delete(proc));
  const deadline = Date.now() + 10000;
  for (;;) {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      break;
    } catch {
      c.disconnect();
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on ${port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 30));
    }
  }
  const server = {
    port,
    url: `redis://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    /** A fresh ioredis client (closed by the caller). */
    client() { const c = new Redis({ port, host: '127.0.0.1' }); c.on('error', () => {}); return c; },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGKILL'); await exited; }
    },
  };
  return server;
}

/** One server for the whole test file, stopped after its tests. */
function useRedis(opts) {
  let started;
  const get = () => (started ??= startRedis(opts));
  after(async () => { if (started) await (await started).stop(); });
  return get;
}

let seq = 0;
/** A namespace unique to one test. */
function uniqueNamespace(name = 't') {
  return `${name}${process.pid}x${++seq}`;
}

/**
 * A Resque client on the file's private server with a fresh namespace (or `namespace`), plus a
 * plain inspection client; close() releases both.
 */
async function clientSetup(redis, { namespace } = {}) {
  const { Resque } = require('../..');
  const srv = await redis();
  const ns = namespace ?? uniqueNamespace();
  const resque = new Resque({ redis: srv.url, namespace: ns });
  const r = srv.client();
  return {
    srv,
    ns,
    resque,
    r,
    key: (k) => `${ns}:${k}`,
    async close() {
      await resque.close();
      r.disconnect();
    },
  };
}

module.exports = { startRedis, useRedis, freePort, uniqueNamespace, clientSetup };
