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
import { installSignals } from './signals';
import { procTitle } from '../proctitle';
import { VERSION } from '../version';
import type { AppHooks } from '../job/types';
import { loadApp } from '../job/loader';

export type SchedulerConfig = Pick<WorkerConfig, 'redis' | 'database' | 'namespace' | 'interval' | 'app'>;

export interface RunningScheduler {
  readonly mover: DelayedMover;
  /** Resolves when the mover has stopped (after stop(), or a failure to start). */
  readonly done: Promise<void>;
  /** Stop at once (the wait is cut short) and give the leadership up. */
  stop(): Promise<void>;
}

/** Start a mover over its own connection (with the app module's beforeDelayedEnqueue hook, if it has one). */
export function startScheduler(config: SchedulerConfig, logger: Logger): RunningScheduler {
  const connection = new Connection(config.redis, config.database, WORKER_CONNECTION);
  let hook: AppHooks['beforeDelayedEnqueue'];
  const mover = new DelayedMover({
    connection, keys: new Keys(config.namespace), logger, interval: config.interval,
    beforeDelayedEnqueue: config.app ? (queue, cls, args) => hook?.(queue, cls, args) : undefined,
  });
  const loaded = config.app ? loadApp(config.app).then((app) => { hook = app.hooks?.beforeDelayedEnqueue; }) : Promise.resolve();
  const done = loaded.then(() => mover.run()).finally(() => connection.close());
  return {
    mover,
    done,
    async stop() {
      mover.stop();
      await done;
    },
  };
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
  logger.notice(`*** Scheduler ${running.mover.id} stopped (${running.mover.moved} delayed job(s) moved)`);
  return 0;
}
