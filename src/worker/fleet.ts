/**
 * `resque start` running its workers in this process: COUNT default-engine workers (each one
 * hosts a job process, which is the registered worker, so they share this process and still have
 * ids of their own), or the one strict or in-process worker of `--count=1`.
 *   1. the signal table (README "Signals") drives every worker; a parent's IPC channel closing
 *      (the demo, a test) is a QUIT;
 *   2. a worker that ends on an error (Redis gone past --redis-timeout, a failed start): with
 *      COUNT = 1 we exit 1, as a single php-resque worker does; with COUNT > 1 another worker takes
 *      its place ("*** A child worker died", after 1 s if it lived less than 1 s), as the
 *      supervisor did for worker processes;
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

export async function runFleet(config: WorkerConfig, logger: Logger): Promise<number> {
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
  const group: SignalledWorker = {
    stop: async ({ graceful = true } = {}) => {
      if (!stopping || !graceful) stopping = { graceful };
      await Promise.all([...live].map((w) => w.stop({ graceful })));
    },
    pause: () => { paused = true; for (const w of live) w.pause(); },
    resume: () => { paused = false; for (const w of live) w.resume(); },
    killCurrentJob: () => { for (const w of live) w.killCurrentJob(); },
  };
  const disposeSignals = installSignals(workerSignals(group, logger, config.gracefulTerm));
  const onDisconnect = (): void => { group.stop({ graceful: true }).catch(() => undefined); };
  process.on('disconnect', onDisconnect);

  /** One seat of the fleet: a worker, and its replacements while it ends on errors (COUNT > 1). */
  const seat = async (): Promise<number> => {
    for (;;) {
      const started = Date.now();
      const worker = new Worker({ ...optionsFromConfig(config), [INTERNAL]: { logger, folderChecked: true } } as InternalWorkerOptions);
      live.add(worker);
      if (stopping) void worker.stop(stopping);
      else if (paused) worker.pause();
      const ok = await worker.start().then(() => true, () => false);
      const report = await worker.waitUntilStopped();
      live.delete(worker);
      if (ok && !report.error) return 0;
      if (stopping) return 0;
      if (count === 1) return 1; // it has logged why
      logger.notice(`*** A child worker died: ${worker.id || process.pid} (${report.error?.message ?? 'could not start'}); starting another`);
      await sleep(Date.now() - started < 1000 ? 1000 : 0);
      if (stopping) return 0;
    }
  };
  try {
    if (count > 1) logger.notice(`*** Starting ${count} workers for ${config.queues.join(',')} (supervisor ${process.pid})`);
    const codes = await Promise.all(Array.from({ length: count }, () => seat()));
    return Math.max(...codes);
  } finally {
    disposeSignals();
    process.removeListener('disconnect', onDisconnect);
  }
}
