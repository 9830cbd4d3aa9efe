import { Script } from '../script';
import { FINISH_ARGS, FINISH_KEYS, JOB_STEPS_LUA } from './job-steps';

/** Settle a finished job (see finish_job in job-steps.ts). */
export const finish = new Script('finish', `${JOB_STEPS_LUA}\nreturn finish_job(0, 0)\n`);

/**
 * The hot path: settle the finished job and reserve the next in ONE round trip.
 * KEYS/ARGV: finish_job's 10 + 10 first, then reserve_next's. Returns {finished, next|false}.
 */
export const finishReserve = new Script(
  'finish-reserve',
  `${JOB_STEPS_LUA}\nlocal f = finish_job(0, 0)\nreturn {f, reserve_next(${FINISH_KEYS}, ${FINISH_ARGS})}\n`,
);
