/**
 * `resque start` running its workers in this process: COUNT default-engine workers (each one
 * hosts a job process, which is the registered worker, so they share this process and still have
 * ids of their own), or the one strict or in-process worker of `--count=1`.
 *   1. the signal table (README "Signals") drives every worker; a parent's IPC channel closing
 *      (the demo, a test) is a QUIT;
 *   2. a worker that ends on an error (a failed start, Redis gone past --redis-timeout): with
 *      COUNT = 1 we exit 1, as a single php-resque worker does; with COUNT > 1 another worker takes
 *      its place ("*** A child worker died", after 1 s if it lived less than 1 s); when Redis is
 *      the cause, after 1 s, 2 s … 30 s, and once it has been out for --redis-timeout every worker
 *      stops and we exit 1 (src/worker/restart-backoff.ts), as the supervisor does;
 *   3. 0 once every worker has stopped (QUIT, TERM, INT, `--once` drained).
 * Strict and in-process workers with COUNT > 1 need a process each (src/worker/supervisor.ts).
 */
import { catchStrayErrors, closerOf, strayMessage } from '../job/late-errors';
import { guardStdio } from '../job/stdio-guard';
import type { WorkerConfig } from '../config';
import type { Logger } from '../log';
import { installSignals, workerSignals, type SignalledWorker } from './signals';
import { INTERNAL, optionsFromConfig, type InternalWorkerOptions } from './options';
import { Worker } from './embedded';
import { procTitle, supervisorTitle } from '../proctitle';
import { VERSION } from '../version';
import { sleep } from '../time';
import { hostsJobProcesses } from './run-where';
import { RestartBackoff, redisDownOf, type RedisDown } from './restart-backoff';

/** How the fleet ended: the exit code, and when its (last) worker ended because Redis was down, since when. */
export interface FleetExit {
  readonly code: number;
  readonly redisDown?: RedisDown;
  /** `resque restart` asked an --in-process worker to start again: the process must (its supervisor, or the service manager). */
  readonly restart?: boolean;
}

export interface FleetHooks {
  /** A worker has started (it reached Redis and registered). */
  onStarted?: () => void;
}

export async function runFleet(config: WorkerConfig, logger: Logger, hooks: FleetHooks = {}): Promise<FleetExit> {
  const count = config.count;
  if (hostsJobProcesses(config)) {
    try {
      process.title = supervisorTitle(VERSION, count, config.queues);
    } catch {
      process.title = procTitle(VERSION, 'Supervising');
    }
  }
  // --in-process: the jobs run in this very process, which is the worker; one that leaves a stray
  // rejection or exception behind is logged with its class, and no job fails for it.
  if (config.inProcess) {
    catchStrayErrors((error, kind, job) => logger.warning(strayMessage(error, kind, job)));
    guardStdio((fd, name) => logger.warning(`${closerOf()} tried to close fd ${fd} (${name}); it stays open, so that nothing else takes its number and our log lines with it`));
  }
  const live = new Set<Worker>();
  let stopping: { graceful: boolean } | undefined;
  let paused = false;
  const quit = new AbortController(); // ends the pause between two starts of a seat
  const group: SignalledWorker = {
    stop: async ({ graceful = true } = {}) => {
      if (!stopping || !graceful) stopping = { graceful };
      quit.abort();
      await Promise.all([...live].map((w) => w.stop({ graceful })));
    },
    pause: () => { paused = true; for (const w of live) w.pause(); },
    resume: () => { paused = false; for (const w of live) w.resume(); },
    killCurrentJob: () => { for (const w of live) w.killCurrentJob(); },
  };
  const disposeSignals = installSignals(workerSignals(group, logger, config.gracefulTerm));
  const onDisconnect = (): void => { group.stop({ graceful: true }).catch(() => undefined); };
  process.on('disconnect', onDisconnect);

  let redisDown: RedisDown | undefined;
  let restart = false;
  /** One seat of the fleet: a worker, and its replacements while it ends on errors (COUNT > 1). */
  const seat = async (): Promise<number> => {
    const backoff = new RestartBackoff(config.redisTimeout);
    for (;;) {
      const started = Date.now();
      const worker = new Worker({ ...optionsFromConfig(config), [INTERNAL]: { logger, folderChecked: true } } as InternalWorkerOptions);
      live.add(worker);
      if (stopping) void worker.stop(stopping);
      else if (paused) worker.pause();
      const ok = await worker.start().then(() => { backoff.started(); hooks.onStarted?.(); return true; }, () => false);
      const report = await worker.waitUntilStopped();
      live.delete(worker);
      if (ok && report.reason === 'restart' && !stopping) {
        // Strict mode: a new worker here runs its jobs in fresh children (the new code). In-process
        // jobs were loaded into this process: it must end for a restart.
        if (!config.inProcess) continue;
        restart = true;
        return 0;
      }
      if (ok && !report.error) return 0;
      if (stopping) return 0;
      const down = redisDownOf(report.error, config.redisTimeout);
      if (count === 1) {
        redisDown = down;
        return 1; // it has logged why
      }
      // Redis down: 1 s, 2 s … 30 s between starts; past --redis-timeout, every worker stops.
      const wait = down ? backoff.failed(down) : Date.now() - started < 1000 ? 1000 : 0;
      if (wait === undefined && down) {
        if (!stopping) logger.error(backoff.giveUp(down));
        redisDown = down;
        void group.stop({ graceful: true });
        return 1;
      }
      const after = down ? ` in ${Math.round((wait ?? 0) / 100) / 10} s` : '';
      logger.notice(`*** A child worker died: ${worker.id || process.pid} (${report.error?.message ?? 'could not start'}); starting another${after}`);
      await sleep(wait ?? 0, quit.signal);
      if (stopping) return 0;
    }
  };
  try {
    if (count > 1) logger.notice(`*** Starting ${count} workers for ${config.queues.join(',')} (supervisor ${process.pid})`);
    const codes = await Promise.all(Array.from({ length: count }, () => seat()));
    return { code: Math.max(...codes), ...(redisDown ? { redisDown } : {}), ...(restart ? { restart } : {}) };
  } finally {
    disposeSignals();
    process.removeListener('disconnect', onDisconnect);
  }
}
