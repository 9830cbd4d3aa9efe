import { Script } from '../script';
import { JOB_STEPS_LUA } from './job-steps';
import { STATUS_WAITING } from '../../status-codes';

/**
 * Put a batch's jobs that never started back at the head of their queue, in order (pause, stop).
 *
 * KEYS[1] inflight        worker:WID:inflight:Q
 * KEYS[2] queue           queue:Q
 * KEYS[3] worker          worker:WID (working-on)
 * KEYS[4] status          the first job's status key, or Keys.absent()
 * KEYS[5..] pidKeys       their job:ID:pid keys (Keys.absent() when none)
 * ARGV[1] count           n
 * ARGV[2] headSha         SHA-1 of the first job's bytes (the in-flight head)
 * ARGV[3] now             unix seconds
 * Returns how many went back (0 when the head is not that job any more).
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
if present(KEYS[4]) then set_status(KEYS[4], '${STATUS_WAITING}', ARGV[3], 'null') end
for i = 5, #KEYS do
  if present(KEYS[i]) then redis.call('DEL', KEYS[i]) end
end
return #items
`,
  { keys: ['inflight', 'queue', 'worker', 'status'], args: ['count', 'headSha', 'now'], restKeys: 'pidKeys' } as const,
);
