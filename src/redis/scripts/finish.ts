import { Script } from '../script';
import { FINISH_SPEC, JOB_STEPS_LUA } from './job-steps';
import { HISTORY_LUA, HISTORY_SPEC } from './lua-lib';

/**
 * Settle a finished job (finish_job in job-steps.ts): counters, failure record, final status,
 * or its requeue; only while the in-flight head is the job.
 *
 * KEYS[1] worker              worker:WID (working-on)
 * KEYS[2] inflight            worker:WID:inflight:Q
 * KEYS[3] processed           stat:processed
 * KEYS[4] processedWorker     stat:processed:WID
 * KEYS[5] failedCount         stat:failed
 * KEYS[6] failedCountWorker   stat:failed:WID
 * KEYS[7] failed              the failure list
 * KEYS[8] status              job:[PREFIX_]ID:status, or Keys.absent()
 * KEYS[9] pid                 job:ID:pid, or Keys.absent()
 * KEYS[10] queue              queue:Q (for a requeue)
 * KEYS[11] history         resque-ts:history:MINUTE (add_history in lua-lib.ts), or Keys.absent(): history off
 * KEYS[12] durations       resque-ts:durations
 * KEYS[13] queueProcessed  resque-ts:stat:processed:Q
 * KEYS[14] queueFailed     resque-ts:stat:failed:Q
 * ARGV[1] recordHead          the record up to `"payload":` ('' = no record here)
 * ARGV[2] finalStatus         3 or 4
 * ARGV[3] now                 unix seconds
 * ARGV[4] result              JSON
 * ARGV[5] statusTtl           seconds
 * ARGV[6] countFailed         '1' = count it in stat:failed (also when another backend took the record)
 * ARGV[7] mode                'requeue' = back to the head of its queue instead
 * ARGV[8] recordTail          the record from `,"exception":`
 * ARGV[9] verbatim            '1' = the payload is a strict JSON object (embedded as is)
 * ARGV[10] headSha            SHA-1 of the payload bytes
 * ARGV[11] historyJson     add_history's entries ('' = none)
 * ARGV[12] historyTtl      the minute hash's TTL
 * The history is written when it finished (not when requeued).
 * Returns 1 (finished), 2 (requeued), 0 (not ours any more: nothing done).
 */
export const finish = new Script(
  'finish',
  `${JOB_STEPS_LUA}${HISTORY_LUA}
local r = finish_job(0, 0)
if r == 1 then add_history(${FINISH_SPEC.keys.length}, ${FINISH_SPEC.args.length}) end
return r
`,
  { keys: [...FINISH_SPEC.keys, ...HISTORY_SPEC.keys], args: [...FINISH_SPEC.args, ...HISTORY_SPEC.args] } as const,
);
