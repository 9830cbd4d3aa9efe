import { Script } from '../script';
import { FINISH_ARGS, FINISH_KEYS, JOB_STEPS_LUA, POP_ARGS, POP_KEYS, RESERVE_ARGS } from './job-steps';

/** Settle a finished job (see finish_job in job-steps.ts). */
export const finish = new Script('finish', `${JOB_STEPS_LUA}\nreturn finish_job(0, 0)\n`);

/**
 * Pop the plain successes at the head of a dead loop's in-flight list, as its batch cursor
 * counted them (see pop_done). KEYS: pop_done's 3, then the pid keys; ARGV: pop_done's 2.
 */
export const popDone = new Script('pop-done', `${JOB_STEPS_LUA}\nreturn pop_done(0, 0, ${POP_KEYS})\n`);

/**
 * The hot path, ONE round trip per batch: settle the batch's plain successes (pop_done), then
 * the job that ended it when it needs its own bookkeeping (finish_job: failure, skip, tracked
 * status; skipped when its SHA-1 argument is ''), clear working-on, then take the next batch
 * (reserve_batch; skipped when no queue is given).
 *   KEYS: pop_done's 3, finish_job's 10, [reserve_batch's 1 + 2n], then pop_done's d pid keys
 *   ARGV: pop_done's 2, finish_job's 10, [reserve_batch's 5 + n]
 *   Returns {popped, finished (0|1|2), batch|false}.
 */
const P = POP_KEYS + FINISH_KEYS;
const A = POP_ARGS + FINISH_ARGS;
export const settle = new Script(
  'settle',
  `${JOB_STEPS_LUA}
local n = 0
if #ARGV > ${A} then n = #ARGV - ${A + RESERVE_ARGS} end
local pk = ${P}
if n > 0 then pk = ${P} + 1 + 2 * n end
local popped = pop_done(0, 0, pk)
local finished = 0
if ARGV[${A}] ~= '' then finished = finish_job(${POP_KEYS}, ${POP_ARGS}) end
redis.call('DEL', KEYS[${POP_KEYS + 1}])
if n == 0 then return {popped, finished, false} end
return {popped, finished, reserve_batch(${P}, ${A}, n)}
`,
);

/**
 * Put a batch's jobs that never started back at the head of their queue, in order (pause, stop).
 *   KEYS[1] worker:WID:inflight:Q  KEYS[2] queue:Q  KEYS[3] worker:WID  KEYS[4] first job's status
 *   key or ''  KEYS[5..] their job:ID:pid keys ('' when none)
 *   ARGV[1] n  ARGV[2] SHA-1 of the first job's bytes (the in-flight head)  ARGV[3] now
 *   Returns how many went back (0 when the head is not that job any more).
 */
export const giveBack = new Script(
  'give-back',
  `${JOB_STEPS_LUA}
local head = redis.call('LINDEX', KEYS[1], 0)
if not head or redis.sha1hex(head) ~= ARGV[2] then return 0 end
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
redis.call('LTRIM', KEYS[1], #items, -1)
for i = #items, 1, -1 do redis.call('LPUSH', KEYS[2], items[i]) end
redis.call('DEL', KEYS[3])
if KEYS[4] ~= '' then set_status(KEYS[4], '1', ARGV[3], 'null') end
for i = 5, #KEYS do
  if KEYS[i] ~= '' then redis.call('DEL', KEYS[i]) end
end
return #items
`,
);
