/**
 * `resque demo` (what `npm start` runs): the whole thing working on one machine.
 *   1. Redis: REDIS_URL when it answers, else a private redis-server on a free port
 *      (with install advice when the binary is missing);
 *   2. starts `resque start --queue=default --count=4` over the example jobs in ./jobs;
 *   3. enqueues a few tracked jobs (a php-style namespaced class, a failing one, …),
 *      waits for their final statuses and prints them with the counters;
 *   4. sends QUIT, waits for a clean exit, stops what it started.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { Resque } from '../resque';
import { RedisConnectionError } from '../errors';
import { redact } from '../redis/connection';

const ROOT = path.resolve(__dirname, '..', '..');
const STATUS_NAMES: Record<number, string> = { 1: 'waiting', 2: 'running', 3: 'FAILED', 4: 'complete' };

export async function runDemo(opts: { redis?: string; env: NodeJS.ProcessEnv }): Promise<number> {
  const out = (s: string): boolean => process.stdout.write(`${s}\n`);
  const server = await pickRedis(opts.redis ?? opts.env['REDIS_URL'], out);
  if (!server) return 1;
  const namespace = `resque-demo-${process.pid}`;
  const resque = new Resque({ redis: server.url, namespace });
  const workers = fork(path.join(ROOT, 'bin', 'resque'), ['start', '--queue=default', '--count=4', `--jobs=${path.join(ROOT, 'jobs')}`, `--prefix=${namespace}`, `--redis=${server.url}`, '--interval=0.5'], { stdio: 'inherit', env: { ...opts.env, REDIS_URL: '' } });
  try {
    const jobs: Array<[string, Record<string, unknown>]> = [
      ['App\\Jobs\\SendEmail', { to: 'user@example.com', subject: '你好，世界', big_int: 9007199254740993n, nested: { a: [1, 2] } }],
      ['Noop', { n: 1 }],
      ['Sleep', { seconds: 0.3 }],
      ['Fail', { message: 'this job fails on purpose' }],
      ['NoSuchJob', {}],
    ];
    const ids: Array<[string, string]> = [];
    for (const [cls, args] of jobs) {
      const id = await resque.enqueue('default', cls, args, true);
      if (id) ids.push([cls, id]);
    }
    out(`Enqueued ${ids.length} tracked jobs on ${redact(server.url)} (namespace ${namespace}); waiting for the workers…`);
    const deadline = Date.now() + 30000;
    const final = new Map<string, number | null>();
    while (final.size < ids.length && Date.now() < deadline) {
      for (const [, id] of ids) {
        const s = await resque.status(id).get();
        if (s === 3 || s === 4) final.set(id, s);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const [cls, id] of ids) {
      const packet = await resque.status(id).fetch();
      out(`  ${cls.padEnd(22)} ${id}  ${STATUS_NAMES[packet?.status ?? 0] ?? 'unknown'}  result=${JSON.stringify(packet?.result ?? null)}`);
    }
    const redis = await resque.redis();
    const [processed, failed, failures] = await Promise.all([redis.get(resque.keys.stat('processed')), redis.get(resque.keys.stat('failed')), redis.llen(resque.keys.failed())]);
    out(`stat:processed=${processed ?? 0} stat:failed=${failed ?? 0} records in ${resque.keys.failed()}=${failures}`);
    await stopWorkers(workers);
    const left = await redis.scard(resque.keys.workers());
    out(`Workers stopped cleanly (${left} left registered).`);
    await cleanup(redis, namespace);
    return final.size === ids.length && left === 0 ? 0 : 1;
  } finally {
    if (workers.exitCode === null) workers.kill('SIGKILL');
    await resque.close();
    await server.stop();
  }
}

async function cleanup(redis: Awaited<ReturnType<Resque['redis']>>, namespace: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

function stopWorkers(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGQUIT');
  });
}

interface DemoRedis {
  url: string;
  stop(): Promise<void>;
}

async function pickRedis(url: string | undefined, out: (s: string) => void): Promise<DemoRedis | undefined> {
  if (url) {
    const probe = new Resque({ redis: url });
    try {
      await probe.redis();
      out(`Using the Redis at ${redact(url)}`);
      return { url, stop: async () => undefined };
    } catch (e) {
      out(`${e instanceof RedisConnectionError ? e.message : String(e)}; starting a private redis-server instead`);
    } finally {
      await probe.close();
    }
  }
  return startPrivateRedis(out);
}

async function startPrivateRedis(out: (s: string) => void): Promise<DemoRedis | undefined> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const failed = await new Promise<boolean>((resolve) => {
    proc.once('error', () => resolve(true));
    proc.once('spawn', () => resolve(false));
  });
  if (failed) {
    out('No Redis to use: set REDIS_URL, or install redis-server (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis).');
    return undefined;
  }
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const probe = new Resque({ redis: url });
    try {
      await probe.redis();
      await probe.close();
      out(`Started a private redis-server on 127.0.0.1:${port}`);
      return { url, stop: () => new Promise<void>((r) => { proc.once('exit', () => r()); proc.kill('SIGTERM'); }) };
    } catch {
      await probe.close();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  proc.kill('SIGKILL');
  out('redis-server did not start');
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
