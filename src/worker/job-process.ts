/**
 * A job process (the default mode): the registered worker itself — its own pid is in the id
 * `host:pid:queues`, its title is the worker's — running the loop with its own Redis connection,
 * one round trip per job (finish + reserve). Its host (the `resque start` process or the app
 * embedding a Worker, src/engine/job-process-host.ts) forks it, registers it, heartbeats for it,
 * enforces its limits and settles what it leaves when it dies.
 *   1. it loads the app, connects and builds its loop while the host registers it, and takes no
 *      job before the host's `go` (a `stop` first: it exits 0 having taken nothing);
 *   2. jobs run here; after `jobsPerChild` jobs, or on {type:'stop'}, it finishes the current job
 *      and exits 0 (its share done: EXIT_RECYCLE, and the host starts another under a new id);
 *   3. it reports job start/end only when a time limit applies (the host enforces it);
 *   4. job events go to the host only when the host asked for them ({type:'events'}: someone
 *      listens to the embedded Worker), batched per turn of the event loop, so a drain without
 *      listeners sends nothing per job;
 *   5. its log lines go to its stdout, to the host (an embedded worker with a log stream of its
 *      own), or nowhere (silent);
 *   6. control signals sent to it (QUIT, TERM, INT, USR1, USR2, CONT: its pid is the worker's)
 *      are handed to the host, which decides for both; TERM also ends it at once, as before;
 *   7. a job starts only while its lease holds: the host hands on each heartbeat it writes for it
 *      (`lease`), else it beats itself first; fenced (pruned as dead while frozen or cut off: a
 *      beat refused, or the host says `fenced`) it starts nothing more and exits EXIT_FENCED;
 *   8. if the host disappears it stops gracefully, puts back what it parked and unregisters
 *      itself; after --redis-timeout of outage it exits 75. Before exiting it waits until every
 *      message it sent has been handed to the channel.
 */
import { Writable } from 'node:stream';
import { Connection, WORKER_CONNECTION } from '../redis/connection';
import { Keys } from '../redis/keys';
import { Logger } from '../log';
import { loadApp } from '../job/loader';
import { InProcessExecutor } from '../engine/in-process';
import { assembleLoop } from '../engine/assemble';
import { RedisOutageError } from '../loop/loop';
import { EventOutbox, drainToParent, sendToParent } from './ipc';
import {
  EXIT_FENCED, EXIT_RECYCLE, EXIT_REDIS_OUTAGE, WORKER_CHILD_ENV,
  type ControlSignal, type FromJobProcess, type JobProcessSettings, type ToJobProcess,
} from '../engine/job-process-protocol';
import { heartbeat, workerId } from '../store/workers';
import { WorkerLease } from '../engine/lease';
import { catchStrayErrors, closerOf, strayMessage } from '../job/late-errors';
import { guardStdio } from '../job/stdio-guard';
import { WorkerFencedError } from '../errors';
import { attemptOf, crashRetryDelay } from '../job/retry';
import { retireWorker } from '../store/recovery';
import { withTimeout } from '../time';

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

const CONTROL: readonly ControlSignal[] = ['SIGQUIT', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGCONT'];

async function main(): Promise<number> {
  const settings = JSON.parse(process.env[WORKER_CHILD_ENV] ?? '{}') as JobProcessSettings;
  const { config } = settings;
  // The id the host registers us under (same function, same host name, our pid).
  const id = workerId(config.queues);
  // Listen first: a pause or stop sent while we are still loading must not be lost.
  const early: ToJobProcess[] = [];
  let control: (m: ToJobProcess) => void = (m) => early.push(m);
  let go!: (start: boolean) => void;
  const registered = new Promise<boolean>((resolve) => { go = resolve; });
  let registeredAt = 0;
  process.on('message', (m: ToJobProcess) => {
    if (m.type === 'go') {
      registeredAt = m.at;
      go(m.id === id);
    } else control(m);
  });
  send({ type: 'ready' });
  // Our host died: finish the current job, then tidy up after ourselves (nobody else will).
  let orphaned = false;
  process.on('disconnect', () => {
    orphaned = true;
    go(false);
    control({ type: 'stop' });
  });
  for (const sig of CONTROL) process.on(sig, () => send({ type: 'signal', name: sig }));
  process.on('SIGHUP', () => undefined);
  const onTerm = (): void => {
    send({ type: 'signal', name: 'SIGTERM' }); // the host decides whether another one comes
    // A job that handles TERM itself (to finish cleanly, or to ignore it) keeps it, as it always
    // did; otherwise TERM ends us at once, once the host has been told.
    if (process.listenerCount('SIGTERM') > 1) return;
    void drainToParent().then(() => { process.removeListener('SIGTERM', onTerm); process.kill(process.pid, 'SIGTERM'); });
  };
  process.on('SIGTERM', onTerm);
  const logger = makeLogger(settings);
  const events = new EventOutbox((list) => send({ type: 'events', list }));
  const app = config.app ? await loadApp(config.app) : {};
  const connection = new Connection(config.redis, config.database, WORKER_CONNECTION);
  // Connect while the host registers us (the loop's first call would otherwise wait for it).
  connection.client().catch(() => undefined);
  const keys = new Keys(config.namespace);
  let timed = false;
  const executor = new InProcessExecutor({
    jobsDir: config.jobsDir, app, afterFork: true, debug: config.logLevel === 'debug', retry: { tries: config.tries, retryDelay: config.retryDelay },
    onClass: (cls, job) => {
      const own = (cls as { timeout?: unknown }).timeout;
      const timeout = typeof own === 'number' && own > 0 ? own : config.timeout;
      // Should this process die running the job (a crash, a time or memory limit), the host
      // retries it under the class's policy: it is told the delay now (the error is a dirty exit).
      const retry = crashRetryDelay(cls, { tries: config.tries, retryDelay: config.retryDelay }, attemptOf(job.fields));
      if (timeout > 0 || retry !== undefined) {
        timed = true;
        send({ type: 'job-start', timeout, ...(retry !== undefined ? { retry } : {}) });
      }
    },
  });
  // Its host beats for it and hands each beat on; should the host freeze, it beats itself.
  const lease = new WorkerLease(config.pruneAfter, async () => heartbeat(await connection.client(), keys, id));
  const { worker, ops, cursor } = assembleLoop({
    config, id, connection, keys, app, executor, logger, firstFork: false,
    // --max-jobs: the host hands each job process what is left of the worker's limit.
    maxJobs: config.maxJobs > 0 ? Math.min(config.jobsPerChild, config.maxJobs) : config.jobsPerChild, batching: true, events, lease,
  });
  let clean = false;
  let recycled = false;
  const recycle = (): void => {
    recycled = true;
    worker.stop('graceful');
  };
  // A rejection or exception a job left behind (it fired after the job ended, or was never
  // handled) fails no job: it is logged with the job that started it, and this process, whose
  // state is in doubt, finishes its current job and is replaced.
  guardStdio((fd, name) => logger.warning(`${closerOf()} tried to close fd ${fd} (${name}); it stays open, so that nothing else takes its number and our log lines with it`));
  catchStrayErrors((error, kind, job) => {
    logger.warning(`${strayMessage(error, kind, job)}; this job process is replaced after its current job`);
    recycle();
  });
  worker.on('settled', () => {
    if (config.maxJobs > 0) send({ type: 'taken' });
    if (timed) send({ type: 'job-end' });
    timed = false;
    // Grown past the soft limit: finish here and let a fresh process take over (cheap check).
    if (config.maxChildMemory > 0 && process.memoryUsage.rss() / 1048576 > config.maxChildMemory) recycle();
  });
  let stopped = false;
  control = (m) => {
    if (m.type === 'stop') { stopped = true; worker.stop('graceful'); go(false); }
    else if (m.type === 'recycle') recycle();
    else if (m.type === 'pause') worker.pause();
    else if (m.type === 'resume') worker.resume();
    else if (m.type === 'events') events.want(m.names);
    else if (m.type === 'lease') lease.note(m.at);
    else if (m.type === 'fenced') worker.fence();
  };
  for (const m of early.splice(0)) control(m);
  try {
    // No job before the host has registered us; stopped (or orphaned) first: nothing was taken.
    lease.note(registeredAt);
    if (!(await registered) || stopped) {
      clean = true;
      if (!orphaned && !stopped) logger.error(`Job process ${process.pid}: the host registered another id than ${id}`);
      return orphaned || stopped ? 0 : 1;
    }
    await worker.run();
    clean = true;
    // Drained (--once) or told to stop: 0. Did its share or grew too big: the host starts another.
    return recycled || (worker.processed >= config.jobsPerChild && !worker.drained) ? EXIT_RECYCLE : 0;
  } catch (e) {
    logger.error(`Job process stopped: ${(e as Error).message}`);
    if (e instanceof WorkerFencedError) return EXIT_FENCED;
    if (!(e instanceof RedisOutageError)) return 1;
    send({ type: 'outage', message: (e as Error).message });
    return EXIT_REDIS_OUTAGE;
  } finally {
    cursor?.close(clean);
    await ops.close();
    if (orphaned) {
      // What we parked goes back, and our id leaves the registry (bounded: Redis may be gone too).
      await withTimeout(connection.client().then((r) => retireWorker(r, keys, id)), 5000)
        .catch((e: unknown) => logger.error(`Could not unregister ${id} (${connection.explain(e)}); recovery settles it once Redis is back`));
    }
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
