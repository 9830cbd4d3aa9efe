import { Script } from '../script';
import { FINISH_SPEC, JOB_STEPS_LUA, POP_SPEC, RESERVE_SPEC } from './job-steps';
import { HISTORY_LUA, HISTORY_SPEC } from './lua-lib';

/**
 * The hot path, ONE round trip per batch: settle the batch's plain successes (pop_done), then
 * the job that ended it when it needs its own bookkeeping (finish_job: failure, skip, tracked
 * status; skipped when its headSha argument is ''), clear working-on, then take the next batch
 * (reserve_batch; skipped when no queue is given).
 *
 * KEYS[1] doneInflight          pop_done's inflight
 * KEYS[2] doneProcessed         pop_done's processed
 * KEYS[3] doneProcessedWorker   pop_done's processedWorker
 * KEYS[4] worker                finish_job's KEYS, as in finish.ts
 * KEYS[5] inflight
 * KEYS[6] processed
 * KEYS[7] processedWorker
 * KEYS[8] failedCount
 * KEYS[9] failedCountWorker
 * KEYS[10] failed
 * KEYS[11] status
 * KEYS[12] pid
 * KEYS[13] queue
 * KEYS[14] history         resque-ts:history:MINUTE (add_history in lua-lib.ts), or Keys.absent(): history off
 * KEYS[15] durations       resque-ts:durations
 * KEYS[16] queueProcessed  resque-ts:stat:processed:Q
 * KEYS[17] queueFailed     resque-ts:stat:failed:Q
 * KEYS[18..] reserveThenPidKeys   reserve_batch's worker, fence and queue pairs (when it reserves), then
 *                                 the popped jobs' job:ID:pid keys
 * ARGV[1] doneCount             pop_done's count
 * ARGV[2] doneHeadSha           pop_done's headSha
 * ARGV[3] recordHead            finish_job's ARGV, as in finish.ts
 * ARGV[4] finalStatus
 * ARGV[5] now
 * ARGV[6] result
 * ARGV[7] statusTtl
 * ARGV[8] countFailed
 * ARGV[9] mode
 * ARGV[10] recordTail
 * ARGV[11] verbatim
 * ARGV[12] headSha
 * ARGV[13] historyJson     add_history's entries ('' = none)
 * ARGV[14] historyTtl      the minute hash's TTL
 * ARGV[15..] reserveArgs        reserve_batch's ARGV and queue names (when it reserves)
 * Returns {popped, finished (0|1|2), batch|false|-1 (fenced)}.
 */
const SETTLE_SPEC = {
  keys: ['doneInflight', 'doneProcessed', 'doneProcessedWorker', ...FINISH_SPEC.keys, ...HISTORY_SPEC.keys],
  args: ['doneCount', 'doneHeadSha', ...FINISH_SPEC.args, ...HISTORY_SPEC.args],
  restKeys: 'reserveThenPidKeys',
  restArgs: 'reserveArgs',
} as const;
const FK = POP_SPEC.keys.length + FINISH_SPEC.keys.length;
const FA = POP_SPEC.args.length + FINISH_SPEC.args.length;
const P = FK + HISTORY_SPEC.keys.length;
const A = FA + HISTORY_SPEC.args.length;
const RESERVE_ARGS = RESERVE_SPEC.args.length;
export const settle = new Script(
  'settle',
  `${JOB_STEPS_LUA}${HISTORY_LUA}
local n = 0
if #ARGV > ${A} then n = #ARGV - ${A + RESERVE_ARGS} end
local pk = ${P}
if n > 0 then pk = ${P} + 2 + 2 * n end
local popped = pop_done(0, 0, pk)
local finished = 0
if ARGV[${FA}] ~= '' then finished = finish_job(${POP_SPEC.keys.length}, ${POP_SPEC.args.length}) end
if popped > 0 or finished == 1 then add_history(${FK}, ${FA}) end
redis.call('DEL', KEYS[${POP_SPEC.keys.length + 1}])
if n == 0 then return {popped, finished, false} end
return {popped, finished, reserve_batch(${P}, ${A}, n)}
`,
  SETTLE_SPEC,
);
