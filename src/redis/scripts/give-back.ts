import { Script } from '../script';
import { JOB_STEPS_LUA } from './job-steps';
import { STATUS_WAITING } from '../../status-codes';

/**
 * Put a batch's jobs that never started back at the head of their queue, in order (pause, stop):
 * from the head of the in-flight list (working-on cleared), or — `end` 'tail', while the job
 * before them still runs (a long job no longer holds its batch) — from its tail, working-on kept.
 *
 * KEYS[1] inflight        worker:WID:inflight:Q
 * KEYS[2] queue           queue:Q
 * KEYS[3] worker          worker:WID (working-on)
 * KEYS[4] status          the first job's status key, or Keys.absent()
 * KEYS[5..] pidKeys       their job:ID:pid keys (Keys.absent() when none)
 * ARGV[1] count           n
 * ARGV[2] headSha         SHA-1 of the first job's bytes (the in-flight head)
 * ARGV[3] now             unix seconds
 * ARGV[4] end             'head', or 'tail': the n jobs are the tail of the list, the first of them of headSha
 * Returns how many went back (0 when the head is not that job any more).
 */
export const giveBack = new Script(
  'give-back',
  `${JOB_STEPS_LUA}
local n = tonumber(ARGV[1])
local items
if ARGV[4] == 'tail' then
  items = redis.call('LRANGE', KEYS[1], -n, -1)
  if #items ~= n or redis.sha1hex(items[1]) ~= ARGV[2] then return 0 end
  redis.call('LTRIM', KEYS[1], 0, -n - 1)
else
  local head = redis.call('LINDEX', KEYS[1], 0)
  if not head or redis.sha1hex(head) ~= ARGV[2] then return 0 end
  items = redis.call('LRANGE', KEYS[1], 0, n - 1)
  redis.call('LTRIM', KEYS[1], #items, -1)
  redis.call('DEL', KEYS[3])
end
for i = #items, 1, -1 do redis.call('LPUSH', KEYS[2], items[i]) end
if present(KEYS[4]) then set_status(KEYS[4], '${STATUS_WAITING}', ARGV[3], 'null') end
for i = 5, #KEYS do
  if present(KEYS[i]) then redis.call('DEL', KEYS[i]) end
end
return #items
`,
  { keys: ['inflight', 'queue', 'worker', 'status'], args: ['count', 'headSha', 'now', 'end'], restKeys: 'pidKeys' } as const,
);
