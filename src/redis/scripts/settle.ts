import { Script } from '../script';
import { FINISH_ARGS, FINISH_KEYS, JOB_STEPS_LUA, POP_ARGS, POP_KEYS, RESERVE_ARGS } from './job-steps';

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

