/**
 * `resque demo` (what `npm start` runs): the whole thing working on one machine.
 *   1. Redis: REDIS_URL when it answers, else a private redis-server on a free port
 *      (with install advice when the binary is missing);
 *   2. starts `resque start --queue=default --count=4` over the example jobs shipped with the
 *      package (`jobs/` beside `dist/`, so it also works from an installed tarball);
 *   3. enqueues five tracked jobs, waits for their final statuses, prints them with the
 *      counters, and checks each against what it should be (exit 1 when one is not);
 *   4. sends QUIT, waits for a clean exit, deletes its keys, stops what it started.
 *
 * The demo owns every process it starts, on every way out:
 *   - redis-server and the supervisor run in process groups of their own, so a Ctrl-C sent to
 *     the terminal's group reaches the demo alone and the demo stops them in order (workers
 *     first, Redis last);
 *   - INT, TERM, a closed stdout (EPIPE, `npm start | head -2`) and an exception all end in
 *     the same stop: QUIT to the supervisor, TERM after 10 s, then SIGKILL to what is left of
 *     its group; then the keys; then redis-server. Exit codes: 0 ok, 1 a job ended wrongly or
 *     an error, 130 INT, 143 TERM, 141 EPIPE (what a shell reports for those signals).
 *   - worker output is piped through the demo, so a closed stdout affects the demo only.
 * It writes to the streams it is given (src/cli/commands/demo.ts passes the CLI's io).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { Resque } from '../resque';
import { RedisConnectionError } from '../errors';
import { redact } from '../redis/connection';
import type { Io } from './command';

const ROOT = path.resolve(__dirname, '..', '..');
const STATUS_NAMES: Readonly<Record<number, string>> = { 1: 'waiting', 2: 'running', 3: 'FAILED', 4: 'complete' };
const QUIT_WAIT_MS = 10_000;
const TERM_WAIT_MS = 5_000;

/** One demo job: what is enqueued and how it must end. */
interface DemoJob {
  readonly className: string;
  readonly args: Record<string, unknown>;
  readonly status: 3 | 4;
  /** The expected result in JSON, when it is checked. */
  readonly result?: string;
}

export const DEMO_JOBS: readonly DemoJob[] = [
  { className: 'App\\Jobs\\SendEmail', args: { to: 'user@example.com', subject: '你好，世界', big_int: 9007199254740993n, nested: { a: [1, 2] } }, status: 4, result: '{"sent":true,"to":"user@example.com"}' },
  { className: 'Noop', args: { n: 1 }, status: 4, result: 'null' },
  { className: 'Sleep', args: { seconds: 0.3 }, status: 4, result: '{"slept":0.3}' },
  { className: 'Fail', args: { message: 'this job fails on purpose' }, status: 3 },
  { className: 'NoSuchJob', args: {}, status: 3 },
];

/** Why the demo stopped early: the exit code it reports. */
class Interrupted extends Error {
  constructor(readonly code: number, reason: string) {
    super(reason);
  }
}

export async function runDemo(opts: { redis?: string; env: NodeJS.ProcessEnv; io: Io }): Promise<number> {
  const demo = new Demo(opts.env, opts.io);
  const stopSignals: Array<[NodeJS.Signals, number]> = [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]];
  const onSignal = new Map<NodeJS.Signals, () => void>();
  for (const [sig, code] of stopSignals) {
    const fn = (): void => demo.interrupt(new Interrupted(code, `${sig} received`));
    onSignal.set(sig, fn);
    process.on(sig, fn);
  }
  try {
    return await demo.run(opts.redis ?? opts.env['REDIS_URL']);
  } catch (e) {
    if (e instanceof Interrupted) {
      demo.err(`Demo stopped: ${e.message}; stopping what it started`);
      return e.code;
    }
    demo.err(`Demo failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    return 1;
  } finally {
    await demo.stopAll();
    for (const [sig, fn] of onSignal) process.removeListener(sig, fn);
  }
}

class Demo {
  private redisProc: ChildProcess | undefined;
  private workers: ChildProcess | undefined;
  private resque: Resque | undefined;
  private namespace = `resque-demo-${process.pid}`;
  private stdoutOpen = true;
  private interruption: Interrupted | undefined;
  private stopped = false;
  private readonly waiters = new Set<(e: Interrupted) => void>();

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly io: Io) {
    io.stdout.on('error', this.onStdoutError);
  }

  private readonly onStdoutError = (e: NodeJS.ErrnoException): void => {
    this.stdoutOpen = false;
    this.interrupt(new Interrupted(141, `stdout closed (${e.code ?? e.message})`));
  };

  out(s: string): void {
    if (this.stdoutOpen) this.io.stdout.write(`${s}\n`);
  }

  err(s: string): void {
    this.io.stderr.write(`${s}\n`);
  }

  /** Ends the run at its next await (the first interruption wins). */
  interrupt(e: Interrupted): void {
    if (this.interruption) return;
    this.interruption = e;
    for (const w of this.waiters) w(e);
  }

  /** `p`, or a rejection as soon as the demo is interrupted. */
  private guard<T>(p: Promise<T>): Promise<T> {
    if (this.interruption) return Promise.reject(this.interruption);
    return new Promise<T>((resolve, reject) => {
      const onInterrupt = (e: Interrupted): void => reject(e);
      this.waiters.add(onInterrupt);
      p.then(resolve, reject).finally(() => this.waiters.delete(onInterrupt));
    });
  }

  private sleep(ms: number): Promise<void> {
    return this.guard(new Promise<void>((r) => setTimeout(r, ms)));
  }

  async run(url: string | undefined): Promise<number> {
    const redisUrl = await this.guard(this.pickRedis(url));
    if (!redisUrl) return 1;
    const namespace = this.namespace;
    const resque = (this.resque = new Resque({ redis: redisUrl, namespace }));
    this.workers = this.startWorkers(redisUrl);
    const ids: Array<[DemoJob, string]> = [];
    for (const job of DEMO_JOBS) {
      const id = await this.guard(resque.enqueue('default', job.className, job.args, true));
      if (id) ids.push([job, id]);
    }
    this.out(`Enqueued ${ids.length} tracked jobs on ${redact(redisUrl)} (namespace ${namespace}); waiting for the workers…`);
    const deadline = Date.now() + 30_000;
    let done = 0;
    while (done < ids.length && Date.now() < deadline) {
      const statuses = await this.guard(Promise.all(ids.map(([, id]) => resque.status(id).get())));
      done = statuses.filter((s) => s === 3 || s === 4).length;
      if (done < ids.length) await this.sleep(100);
    }
    const wrong: string[] = [];
    for (const [job, id] of ids) {
      const packet = await this.guard(resque.status(id).fetch());
      const result = JSON.stringify(packet?.result ?? null);
      this.out(`  ${job.className.padEnd(22)} ${id}  ${STATUS_NAMES[packet?.status ?? 0] ?? 'unknown'}  result=${result}`);
      if (packet?.status !== job.status || (job.result !== undefined && result !== job.result)) {
        wrong.push(`${job.className} ended ${STATUS_NAMES[packet?.status ?? 0] ?? 'without a final status'} result=${result}, expected ${STATUS_NAMES[job.status]}${job.result !== undefined ? ` result=${job.result}` : ''}`);
      }
    }
    const redis = await this.guard(resque.redis());
    const [processed, failed, failures] = await this.guard(Promise.all([redis.get(resque.keys.stat('processed')), redis.get(resque.keys.stat('failed')), redis.llen(resque.keys.failed())]));
    this.out(`stat:processed=${processed ?? 0} stat:failed=${failed ?? 0} records in ${resque.keys.failed()}=${failures}`);
    await this.guard(this.stopWorkers());
    const left = await this.guard(redis.scard(resque.keys.workers()));
    this.out(`Workers stopped cleanly (${left} left registered).`);
    if (left !== 0) wrong.push(`${left} workers still registered`);
    for (const w of wrong) this.err(`Unexpected: ${w}`);
    return wrong.length === 0 ? 0 : 1;
  }

  /** `resque start --count=4` in its own process group; its output is forwarded line by line. */
  private startWorkers(redisUrl: string): ChildProcess {
    const args = ['start', '--queue=default', '--count=4', `--jobs=${path.join(ROOT, 'jobs')}`, `--prefix=${this.namespace}`, `--redis=${redisUrl}`, '--interval=0.5'];
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'resque'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
      env: { ...this.env, REDIS_URL: '' },
    });
    child.stdout?.on('data', (d: Buffer) => { if (this.stdoutOpen) this.io.stdout.write(d); });
    child.stderr?.on('data', (d: Buffer) => this.io.stderr.write(d));
    child.on('error', (e) => this.interrupt(new Interrupted(1, `could not start the workers: ${e.message}`)));
    return child;
  }

  /** QUIT, then TERM, then SIGKILL to the whole group; resolves when nothing of it is left. */
  private async stopWorkers(): Promise<void> {
    const child = this.workers;
    if (!child || child.pid === undefined) return;
    const pgid = child.pid;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      if (!(await exited(child, QUIT_WAIT_MS))) {
        child.kill('SIGTERM');
        await exited(child, TERM_WAIT_MS);
      }
    }
    // Workers and job processes may outlive the supervisor by a moment; nothing outlives this.
    for (let i = 0; i < 40 && groupAlive(pgid); i++) await new Promise((r) => setTimeout(r, 50));
    if (groupAlive(pgid)) killGroup(pgid);
  }

  /** Every way out ends here: workers, then the keys, then Redis. Never throws. */
  async stopAll(): Promise<void> {
    this.stopped = true;
    this.io.stdout.removeListener('error', this.onStdoutError);
    await this.stopWorkers().catch(() => undefined);
    if (this.resque) {
      const resque = this.resque;
      await withTimeout(cleanup(resque, this.namespace), 3000).catch(() => undefined);
      await resque.close().catch(() => undefined);
    }
    const proc = this.redisProc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      if (!(await exited(proc, TERM_WAIT_MS))) proc.kill('SIGKILL');
    }
  }

  private async pickRedis(url: string | undefined): Promise<string | undefined> {
    if (url) {
      const probe = new Resque({ redis: url });
      try {
        await probe.redis();
        this.out(`Using the Redis at ${redact(url)}`);
        return url;
      } catch (e) {
        this.out(`${e instanceof RedisConnectionError ? e.message : String(e)}; starting a private redis-server instead`);
      } finally {
        await probe.close();
      }
    }
    return this.startPrivateRedis();
  }

  private async startPrivateRedis(): Promise<string | undefined> {
    const port = await freePort();
    if (this.stopped) return undefined;
    const bin = this.env['REDIS_SERVER_BIN'] || 'redis-server';
    const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', detached: true });
    const failed = await new Promise<boolean>((resolve) => {
      proc.once('error', () => resolve(true));
      proc.once('spawn', () => resolve(false));
    });
    if (failed) {
      this.err('No Redis to use: set REDIS_URL, or install redis-server (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis).');
      return undefined;
    }
    this.redisProc = proc;
    if (this.stopped) proc.kill('SIGKILL'); // the demo was stopped meanwhile: stopAll has run
    const url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const probe = new Resque({ redis: url });
      try {
        await probe.redis();
        this.out(`Started a private redis-server on 127.0.0.1:${port}`);
        return url;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      } finally {
        await probe.close();
      }
    }
    this.err('redis-server did not start');
    return undefined;
  }
}

async function cleanup(resque: Resque, namespace: string): Promise<void> {
  const redis = await resque.redis();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** Whether `child` has exited within `ms`. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.removeListener('exit', onExit); resolve(false); }, ms);
    const onExit = (): void => { clearTimeout(timer); resolve(true); };
    child.once('exit', onExit);
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
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
