/**
 * The scheduler as a process (`resque scheduler`) or beside the workers (`resque start
 * --scheduler`): a connection, the mover (src/engine/mover.ts), its title, and for a process of
 * its own the signals — QUIT, TERM, INT and HUP stop it after the current pass (php-resque's
 * SchedulerWorker), giving the leadership up; USR2/CONT are not needed (it holds no job).
 */
import type { WorkerConfig } from '../config';
import type { Logger } from '../log';
import { Connection, WORKER_CONNECTION } from '../redis/connection';
import { Keys } from '../redis/keys';
import { DelayedMover } from '../engine/mover';
import { RecurringFirer } from '../engine/recurring';
import { installSignals } from './signals';
import { procTitle } from '../proctitle';
import { VERSION } from '../version';
import type { AppHooks } from '../job/types';
import { loadApp } from '../job/loader';
import { readFileSync } from 'node:fs';
import { parseScheduleFile, syncScheduleFile } from '../store/schedules';
import { sleep } from '../time';

export type SchedulerConfig = Pick<WorkerConfig, 'redis' | 'database' | 'namespace' | 'interval' | 'app'> & {
  /** Recurring schedules stored at start (JSON or YAML; src/store/schedules.ts syncScheduleFile). */
  readonly scheduleFile?: string | undefined;
};

export interface RunningScheduler {
  readonly mover: DelayedMover;
  readonly recurring: RecurringFirer;
  /** Resolves when the mover has stopped (after stop(), or a failure to start). */
  readonly done: Promise<void>;
  /** Stop at once (the wait is cut short) and give the leadership up. */
  stop(): Promise<void>;
}

/** Start a mover over its own connection (with the app module's beforeDelayedEnqueue hook, if it has one). */
export function startScheduler(config: SchedulerConfig, logger: Logger): RunningScheduler {
  const connection = new Connection(config.redis, config.database, WORKER_CONNECTION);
  const keys = new Keys(config.namespace);
  let hook: AppHooks['beforeDelayedEnqueue'];
  const mover = new DelayedMover({
    connection, keys, logger, interval: config.interval,
    beforeDelayedEnqueue: config.app ? (queue, cls, args) => hook?.(queue, cls, args) : undefined,
  });
  const recurring = new RecurringFirer({ connection, keys, logger });
  const loaded = Promise.all([
    config.app ? loadApp(config.app).then((app) => { hook = app.hooks?.beforeDelayedEnqueue; }) : undefined,
    config.scheduleFile ? storeScheduleFile(connection, keys, config.scheduleFile, logger) : undefined,
  ]);
  const done = loaded.then(() => Promise.all([mover.run(), recurring.run()])).then(() => undefined).finally(() => connection.close());
  return {
    mover,
    recurring,
    done,
    async stop() {
      mover.stop();
      recurring.stop();
      await done;
    },
  };
}

/** The schedules of `file`, stored (retried while Redis is not there yet). */
async function storeScheduleFile(connection: Connection, keys: Keys, file: string, logger: Logger): Promise<void> {
  const schedules = parseScheduleFile(file, readFileSync(file, 'utf8'));
  for (let attempt = 0; ; attempt++) {
    try {
      const names = await syncScheduleFile(await connection.client(), keys, file, schedules);
      logger.notice(`*** Schedules from ${file}: ${names.join(', ') || 'none'}`);
      return;
    } catch (e) {
      if (attempt >= 50) throw e;
      await sleep(200);
    }
  }
}

/** `resque scheduler`: run until QUIT, TERM, INT or HUP; resolves the exit code. */
export async function runScheduler(config: SchedulerConfig, logger: Logger): Promise<number> {
  process.title = procTitle(VERSION, `Scheduler for ${config.namespace}`);
  const running = startScheduler(config, logger);
  logger.notice(`*** Starting scheduler ${running.mover.id} (delayed jobs of ${config.namespace}, at most ${config.interval} s between passes)`);
  const stop = (sig: string) => (): void => {
    logger.notice(`${sig} received; stopping the scheduler`);
    void running.stop();
  };
  const dispose = installSignals({ SIGQUIT: stop('QUIT'), SIGTERM: stop('TERM'), SIGINT: stop('INT'), SIGHUP: stop('HUP') });
  const onDisconnect = (): void => { void running.stop(); };
  process.on('disconnect', onDisconnect);
  try {
    await running.done;
  } finally {
    dispose();
    process.removeListener('disconnect', onDisconnect);
  }
  logger.notice(`*** Scheduler ${running.mover.id} stopped (${running.mover.moved} delayed job(s) moved, ${running.recurring.fired} recurring job(s) fired)`);
  return 0;
}
