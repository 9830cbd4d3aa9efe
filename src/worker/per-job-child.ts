/**
 * The per-job child's main (dist/worker/per-job-child.js), started by ChildRunner with
 * `fork(entry, [], { serialization: 'advanced' })`. Configuration comes from the environment:
 *   RESQUE_JOBS_DIR  absolute folder holding job files (required)
 *   RESQUE_APP       app module (APP_INCLUDE) to load first (optional)
 *   RESQUE_LOOKUP_DEBUG  `1` at log level debug: an unknown class's error lists every candidate
 * What it does:
 *   1. names itself `resque-<version>: …` (php-resque prunes same-host processes whose command
 *      line lacks "resque"; on Linux a long title does not change `ps -o args`, which is fine);
 *   2. exits as soon as the IPC channel closes, so a dead worker never leaves it behind;
 *   3. loads the app module; if that fails, sends {type:'fatal'} and exits 1;
 *   4. sends {type:'ready', pid}, then runs {type:'run'} messages one at a time: decode the
 *      payload (failure → InvalidPayloadError), resolve the class, execute, reply with
 *      done / skipped / failed (errors normalised; a result that cannot be sent is a failure);
 *   5. exits 0 on {type:'shutdown'}, after the current job if one is running.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { serialize } from 'node:v8';
import { normalizeError } from '../errors';
import type { NormalizedError } from '../errors';
import { decodePayload } from '../payload';
import { attemptOf, crashRetryDelay, type RetryDefaults } from '../job/retry';
import { executeJob } from '../job/execute';
import type { ExecResult } from '../job/execute';
import { JobLoader, loadApp } from '../job/loader';
import type { FromChild, ToChild } from '../engine/per-job-child-protocol';
import type { AppModule, JobClass } from '../job/types';

type RunMessage = Extract<ToChild, { type: 'run' }>;

const version = readVersion();
let busy = false;
let stopping = false;

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const v = (pkg as { version?: unknown }).version;
    return typeof v === 'string' ? v : '0';
  } catch {
    return '0';
  }
}

function setTitle(what: string): void {
  process.title = `resque-${version}: ${what}`;
}

/** Resolves once the message is handed to the channel (or the channel is gone). */
function send(msg: FromChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, undefined, () => resolve());
  });
}

function isToChild(m: unknown): m is ToChild {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (o['type'] === 'shutdown') return true;
  return o['type'] === 'run' && typeof o['seq'] === 'number' && typeof o['queue'] === 'string' && typeof o['raw'] === 'string';
}

/** The reply for one finished job. */
function reply(seq: number, r: ExecResult): FromChild {
  switch (r.kind) {
    case 'done':
      return unsendable(seq, r.result) ?? { type: 'done', seq, result: r.result };
    case 'skipped':
      return { type: 'skipped', seq, reason: r.reason };
    case 'failed':
      return { type: 'failed', seq, error: normalizeError(r.error), ...(r.retryIn !== undefined ? { retryIn: r.retryIn } : {}) };
    case 'released':
      return { type: 'released', seq, delay: r.delay };
  }
}

/** undefined when `result` crosses the IPC channel; else the failure to send instead. */
function unsendable(seq: number, result: unknown): FromChild | undefined {
  try {
    serialize(result);
    return undefined;
  } catch (e) {
    const error: NormalizedError = {
      name: 'UnserializableResultError',
      message: `perform() returned a value that cannot be sent to the worker (${normalizeError(e).message}); return plain data`,
      backtrace: [],
    };
    return { type: 'failed', seq, error };
  }
}

/** The worker's --tries / --retry-delay, handed over in RESQUE_RETRY. */
function retryDefaults(): RetryDefaults {
  try {
    const v = JSON.parse(process.env['RESQUE_RETRY'] ?? '') as Partial<RetryDefaults>;
    return { tries: Number(v.tries) >= 1 ? Number(v.tries) : 1, retryDelay: Number(v.retryDelay) >= 0 ? Number(v.retryDelay) : 0 };
  } catch {
    return { tries: 1, retryDelay: 0 };
  }
}

async function runOne(msg: RunMessage, loader: JobLoader, app: AppModule): Promise<FromChild> {
  let job;
  try {
    job = decodePayload(msg.raw);
  } catch (e) {
    return { type: 'failed', seq: msg.seq, error: normalizeError(e) };
  }
  const decoded = job;
  const defaults = retryDefaults();
  const resolve = async (n: string): Promise<JobClass> => {
    const cls = await loader.resolve(n);
    const own = (cls as { timeout?: unknown }).timeout;
    const timeout = typeof own === 'number' && own > 0 ? own : null;
    // Should this child die running it, the worker retries it under the class's policy.
    const retry = crashRetryDelay(cls, defaults, attemptOf(decoded.fields));
    // Only a class with its own limit or a retry policy costs an extra message.
    if (timeout !== null || retry !== undefined) await send({ type: 'meta', seq: msg.seq, timeout, ...(retry !== undefined ? { retry } : {}) });
    return cls;
  };
  const result = await executeJob({ job, queue: msg.queue, resolve, hooks: app.hooks ?? {}, retry: defaults });
  return reply(msg.seq, result);
}

async function handleRun(msg: RunMessage, loader: JobLoader, app: AppModule): Promise<void> {
  busy = true;
  setTitle(`Processing ${msg.queue} since ${new Date().toISOString()}`);
  try {
    await send(await runOne(msg, loader, app));
  } finally {
    busy = false;
    setTitle(`child of ${process.ppid}, waiting`);
    if (stopping) process.exit(0);
  }
}

async function loadAppOrExit(appPath: string | undefined): Promise<AppModule> {
  if (!appPath) return {};
  try {
    return await loadApp(appPath);
  } catch (e) {
    await send({ type: 'fatal', error: normalizeError(e) });
    process.stderr.write(`resque-ts child: could not load app module ${appPath}: ${String(e)}\n`);
    process.exit(1);
  }
}

function main(): void {
  setTitle(`child of ${process.ppid}, starting`);
  if (!process.send) {
    process.stderr.write('resque-ts: dist/worker/per-job-child.js is started by the worker (child_process.fork), not by hand\n');
    process.exit(2);
  }
  process.on('disconnect', () => process.exit(0));
  // Signals aimed at the worker's process group (a terminal's Ctrl-\\, `kill -QUIT -PGID`) must
  // not kill the job: the worker decides. TERM and KILL keep their meaning (timeouts, shutdown).
  for (const sig of ['SIGQUIT', 'SIGINT', 'SIGUSR2', 'SIGCONT', 'SIGHUP'] as const) process.on(sig, () => undefined);
  const jobsDir = path.resolve(process.env['RESQUE_JOBS_DIR'] ?? 'jobs');
  const debug = process.env['RESQUE_LOOKUP_DEBUG'] === '1';
  const started = loadAppOrExit(process.env['RESQUE_APP'] || undefined).then((app) => ({
    app,
    loader: new JobLoader({ jobsDir, jobs: app.jobs ?? {}, debug }),
  }));
  let chain: Promise<unknown> = started;
  process.on('message', (m: unknown) => {
    if (!isToChild(m)) return;
    if (m.type === 'shutdown') {
      stopping = true;
      if (!busy) process.exit(0);
      return;
    }
    chain = chain.then(() => started).then(({ app, loader }) => handleRun(m, loader, app));
  });
  void started.then(() => {
    setTitle(`child of ${process.ppid}, waiting`);
    return send({ type: 'ready', pid: process.pid });
  });
}

main();
