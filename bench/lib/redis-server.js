'use strict';
/**
 * A private redis-server for one benchmark run: a free port (never 6379), no persistence
 * (`--save '' --appendonly no`), its own process group, stopped by stop() or by the cleanup hooks.
 */
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const Redis = require('ioredis');
const { spawnTracked, reap, waitExit, installCleanup } = require('./procs');

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

function redisServerVersion(bin) {
  try {
    const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
    return /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    return 'unknown';
  }
}

async function startRedis({ bin = process.env.BENCH_REDIS_SERVER || 'redis-server' } = {}) {
  let port;
  do port = await freePort(); while (port === 6379);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resque-bench-redis-'));
  const proc = spawnTracked(bin, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  installCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));

  const deadline = Date.now() + 10000;
  let client;
  for (;;) {
    if (proc.exitInfo) throw new Error(`redis-server exited at start (${JSON.stringify(proc.exitInfo)})`);
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
      client = c;
      break;
    } catch {
      c.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const info = await client.info('server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? redisServerVersion(bin);
  await client.quit();

  return {
    port,
    version,
    pid: proc.pid,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      try {
        process.kill(proc.pid, 'SIGTERM');
      } catch { /* gone */ }
      const r = await waitExit(proc, 5000);
      reap(proc);
      fs.rmSync(dir, { recursive: true, force: true });
      return r;
    },
  };
}

module.exports = { startRedis };
