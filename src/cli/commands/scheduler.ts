/**
 * `resque scheduler`: moves delayed jobs onto their queues when they are due (php-resque's
 * `bin/resque-scheduler`, with its variables: INTERVAL, PIDFILE, PREFIX, REDIS_BACKEND, VERBOSE …).
 * Several may run: one leads (src/engine/mover.ts). `resque start --scheduler` runs one beside the workers.
 */
import { catchOptionErrors, noExtraWords, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import type { SchedulerConfig } from '../../worker/scheduler';
import { Logger } from '../../log';
import { removePidfile, writePidfile } from '../pidfile';
import { SCHEDULER_FLAGS, scheduleFileOf, settingsOf } from './start';
import type { LogFormat, LogLevel } from '../../config';

export interface SchedulerOptions {
  readonly config: SchedulerConfig & { readonly pidfile: string | undefined; readonly logLevel: LogLevel; readonly logFormat: LogFormat };
}

const NOTES = `Signals
  QUIT, TERM, INT, HUP   stop after the current pass (the leadership is given up)`;

export const schedulerCommand: Command<SchedulerOptions> = {
  name: 'scheduler',
  summary: 'move delayed jobs onto their queues when due',
  usage: 'resque scheduler [flags]',
  flags: SCHEDULER_FLAGS,
  notes: NOTES,
  parse,
  run,
};

function parse(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ParseResult<SchedulerOptions> {
  return catchOptionErrors(() => {
    const { flags, words } = parseFlags(argv, SCHEDULER_FLAGS, schedulerCommand);
    noExtraWords('scheduler', words);
    const s = settingsOf(flags, env, cwd);
    return {
      ok: true,
      options: { config: { redis: s.redis, database: s.database, namespace: s.namespace, interval: s.interval, app: s.app, scheduleFile: scheduleFileOf(flags, cwd), pidfile: s.pidfile, logLevel: s.logLevel, logFormat: s.logFormat } },
    };
  });
}

async function run(options: SchedulerOptions, io: Io): Promise<number> {
  const { config } = options;
  const logger = new Logger({ level: config.logLevel, format: config.logFormat, stream: io.stdout });
  if (config.pidfile !== undefined && !writePidfile(config.pidfile, io, logger)) return 1;
  try {
    const { runScheduler } = require('../../worker/scheduler') as typeof import('../../worker/scheduler');
    return await runScheduler(config, logger);
  } finally {
    if (config.pidfile !== undefined) removePidfile(config.pidfile);
  }
}
