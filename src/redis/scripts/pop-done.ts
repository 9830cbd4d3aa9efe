import { Script } from '../script';
import { JOB_STEPS_LUA, POP_SPEC } from './job-steps';
import { HISTORY_LUA, HISTORY_SPEC } from './lua-lib';

/**
 * Pop the plain successes at the head of a dead loop's in-flight list, as its batch cursor
 * counted them (pop_done in job-steps.ts).
 *
 * KEYS[1] inflight          worker:WID:inflight:Q
 * KEYS[2] processed         stat:processed
 * KEYS[3] processedWorker   stat:processed:WID
 * KEYS[4] history         resque-ts:history:MINUTE (add_history in lua-lib.ts), or Keys.absent(): history off
 * KEYS[5] durations       resque-ts:durations
 * KEYS[6] queueProcessed  resque-ts:stat:processed:Q
 * KEYS[7] queueFailed     resque-ts:stat:failed:Q
 * KEYS[8..] pidKeys         their job:ID:pid keys (Keys.absent() when a job has no id)
 * ARGV[1] count             d, the jobs done
 * ARGV[2] headSha           SHA-1 of the head's bytes
 * ARGV[3] historyJson     add_history's entries ('' = none)
 * ARGV[4] historyTtl      the minute hash's TTL
 */
export const popDone = new Script(
  'pop-done',
  `${JOB_STEPS_LUA}${HISTORY_LUA}
local popped = pop_done(0, 0, ${POP_SPEC.keys.length + HISTORY_SPEC.keys.length})
if popped > 0 then add_history(${POP_SPEC.keys.length}, ${POP_SPEC.args.length}) end
return popped
`,
  { keys: [...POP_SPEC.keys, ...HISTORY_SPEC.keys], args: [...POP_SPEC.args, ...HISTORY_SPEC.args], restKeys: 'pidKeys' } as const,
);
