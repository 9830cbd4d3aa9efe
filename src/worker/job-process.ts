/**
 * A job process that is itself a worker (the default mode): forked by the worker process, it
 * runs the same loop with its own Redis connection — one round trip per job (finish + reserve)
 * and no hop through the parent — under the parent's worker id, so the registry is unchanged.
 *   1. jobs run here (in-process to this child); the parent never runs job code;
 *   2. after `jobsPerChild` jobs, or on {type:'stop'}, it finishes the current job and exits 0;
 *   3. it reports job start/end only when a time limit applies (the parent enforces it);
 *   4. job events go to the parent only when the parent asked for them ({type:'events'}: someone
 *      listens to the embedded Worker), batched per turn of the event loop, so a drain without
 *      listeners sends nothing per job;
 *   5. its log lines go to its stdout, to the parent (an embedded worker with a log stream of its
 *      own), or nowhere (silent);
 *   6. it stops gracefully if the parent disappears; after --redis-timeout of outage it exits 75.
 *      Before exiting it waits until every message it sent has been handed to the channel.
 * Control signals aimed at the process group are ignored: the worker decides.
 */
import { Writable } from 'node:stream';
import { Connection } from '../redis/connection';
import { Keys } from '../redis/keys';
import { Logger } from '../log';
import { loadApp } from '../job/loader';
import { InProcessExecutor } from '../engine/in-process';
import { assembleLoop } from '../engine/assemble';
import { RedisOutageError } from '../loop/loop';
import { EventOutbox, drainToParent, sendToParent } from './ipc';
import {
  EXIT_RECYCLE, EXIT_REDIS_OUTAGE, WORKER_CHILD_ENV,
  type FromJobProcess, type JobProcessSettings, type ToJobProcess,
} from '../engine/job-process-protocol';

function send(m: FromJobProcess): boolean {
  return sendToParent(m);
}

/** A stream whose text goes to the parent as `log` messages. */
function parentStream(): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      send({ type: 'log', text: String(chunk) });
      done();
    },
  });
}

function nowhere(): Writable {
  return new Writable({ write(_c, _e, done) { done(); } });
}

function makeLogger(s: JobProcessSettings): Logger {
  const stream = s.logTo === 'parent' ? parentStream() : s.logTo === 'nowhere' ? nowhere() : undefined;
  return new Logger({
    level: s.config.logLevel, format: s.config.logFormat,
    ...(stream ? { stream } : {}), ...(s.timestamps !== undefined ? { timestamps: s.timestamps } : {}),
  });
}

async function main(): Promise<number> {
  const settings = JSON.parse(process.env[WORKER_CHILD_ENV] ?? '{}') as JobProcessSettings;
  const { config, workerId } = settings;
  // Listen first: a pause or stop sent while we are still loading must not be lost.
  const early: ToJobProcess[] = [];
  let control: (m: ToJobProcess) => void = (m) => early.push(m);
  process.on('message', (m: ToJobProcess) => control(m));
  send({ type: 'ready' });
  // Our worker died: stop at once. Its recovery settles the job we hold (finishing it here
  // instead would race that recovery).
  process.on('disconnect', () => process.exit(1));
  for (const sig of ['SIGQUIT', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGHUP'] as const) process.on(sig, () => undefined);
  const logger = makeLogger(settings);
  const events = new EventOutbox((list) => send({ type: 'events', list }));
  const app = config.app ? await loadApp(config.app) : {};
  const connection = new Connection(config.redis, config.database, { maxRetriesPerRequest: 1 });
  let timed = false;
  const executor = new InProcessExecutor({
    jobsDir: config.jobsDir, app, afterFork: true, debug: config.logLevel === 'debug',
    onClass: (cls) => {
      const own = (cls as { timeout?: unknown }).timeout;
      const timeout = typeof own === 'number' && own > 0 ? own : config.timeout;
      if (timeout > 0) {
        timed = true;
        send({ type: 'job-start', timeout });
      }
    },
  });
  const { worker, ops, cursor } = assembleLoop({
    config, id: workerId, connection, keys: new Keys(config.namespace), app, executor, logger, firstFork: false,
    maxJobs: config.jobsPerChild, batching: true, events,
  });
  let clean = false;
  let recycled = false;
  const recycle = (): void => {
    recycled = true;
    worker.stop('graceful');
  };
  let busy: boolean | undefined;
  worker.on('job', (r) => {
    if (busy !== true) send({ type: 'state', busy: true, queue: r.queue, className: r.job?.className ?? '?' });
    busy = true;
  });
  worker.on('idle', () => {
    if (busy !== false) send({ type: 'state', busy: false });
    busy = false;
  });
  worker.on('settled', () => {
    if (timed) send({ type: 'job-end' });
    timed = false;
    // Grown past the soft limit: finish here and let a fresh process take over (cheap check).
    if (config.maxChildMemory > 0 && process.memoryUsage.rss() / 1048576 > config.maxChildMemory) recycle();
  });
  control = (m) => {
    if (m.type === 'stop') worker.stop('graceful');
    else if (m.type === 'recycle') recycle();
    else if (m.type === 'pause') worker.pause();
    else if (m.type === 'resume') worker.resume();
    else if (m.type === 'events') events.want(m.names);
  };
  for (const m of early.splice(0)) control(m);
  try {
    await worker.run();
    clean = true;
    // Drained (--once) or told to stop: 0. Did its share or grew too big: the worker starts another.
    return recycled || (worker.processed >= config.jobsPerChild && !worker.drained) ? EXIT_RECYCLE : 0;
  } catch (e) {
    logger.error(`Job process stopped: ${(e as Error).message}`);
    return e instanceof RedisOutageError ? EXIT_REDIS_OUTAGE : 1;
  } finally {
    cursor?.close(clean);
    await ops.close();
    connection.close().catch(() => undefined);
    events.flush();
    logger.flush();
  }
}

main().then(async (code) => {
  await drainToParent();
  process.exit(code);
}, (e: unknown) => {
  process.stderr.write(`resque-ts job process: ${String(e)}\n`);
  process.exit(1);
});
