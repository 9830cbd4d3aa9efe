import { Script } from '../script';
import { JOB_STEPS_LUA, RESERVE_SPEC } from './job-steps';

/**
 * Take the next batch of jobs and record it on the worker (reserve_batch in job-steps.ts).
 *
 * KEYS[1] worker          worker:WID (working-on)
 * KEYS[2] fence           resque-ts:fenced:WID (while it exists nothing is taken: -1)
 * KEYS[3..] queuePairs    queue:Qk, worker:WID:inflight:Qk for k = 1..n, in priority order
 * ARGV[1] runAt           run_at, as a JSON string
 * ARGV[2] namespace       with its ':'
 * ARGV[3] childPid        the pid recorded as job:ID:pid, or ''
 * ARGV[4] now             unix seconds
 * ARGV[5] max             most jobs to take
 * ARGV[6..] queueNames    Qk as JSON strings
 * Returns {k, first must be settled alone (0|1), raw1, raw2, ...}, false, or -1 (fenced).
 */
export const reserve = new Script(
  'reserve',
  `${JOB_STEPS_LUA}\nreturn reserve_batch(0, 0, (#KEYS - 2) / 2)\n`,
  { ...RESERVE_SPEC, restKeys: 'queuePairs', restArgs: 'queueNames' },
);
