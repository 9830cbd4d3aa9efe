import { Script } from '../script';
import { JOB_STEPS_LUA } from './job-steps';

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
