import { Script } from '../script';
import { EMBED_LUA, SET_STATUS_LUA } from './lua-lib';

/**
 * Everything a finished job writes, in one atomic step (php-resque does these one by one):
 * drop it from the in-flight list, clear working-on and job:ID:pid, count it processed
 * (failures included, as php-resque and Ruby do), and on failure count it failed and RPUSH
 * the failure record; set the final status (only when tracked) with the 24 h TTL.
 *
 * KEYS[1] worker:WID            KEYS[2] worker:WID:inflight:Q
 * KEYS[3] stat:processed        KEYS[4] stat:processed:WID
 * KEYS[5] stat:failed           KEYS[6] stat:failed:WID
 * KEYS[7] failed                KEYS[8] job:[PREFIX_]ID:status (or '' when untracked-by-payload)
 * KEYS[9] job:ID:pid (or '')      KEYS[10] queue:Q
 * Idempotent: worker:WID exists from reserve until finish, so a finish that is sent again
 * (its reply lost in a Redis outage) changes nothing.
 * ARGV[1] failure record head, up to `"payload":` ('' when the job did not fail)
 * ARGV[8] failure record tail, from `,"exception":`
 * The payload is taken from the in-flight list itself — the exact bytes, never resent or
 * re-encoded; a payload that is not a JSON object is embedded as a JSON string.
 * ARGV[2] final status code (3 or 4)
 * ARGV[3] now, unix seconds
 * ARGV[4] result JSON
 * ARGV[5] status TTL seconds
 * ARGV[6] '1' to count the failure in stat:failed (a record is always pushed when ARGV[1] ~= '')
 * ARGV[9] '1' when the payload is a strict JSON object (JSON.parse said so), else '0'
 * ARGV[7] 'requeue' to put the job back at the head of its queue instead (nothing counted)
 */
export const finish = new Script(
  'finish',
  `${SET_STATUS_LUA}${EMBED_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[7] == 'requeue' then
  redis.call('LMOVE', KEYS[2], KEYS[10], 'LEFT', 'LEFT')
  redis.call('DEL', KEYS[1])
  if KEYS[9] ~= '' then redis.call('DEL', KEYS[9]) end
  return 2
end
local raw = redis.call('LPOP', KEYS[2])
redis.call('DEL', KEYS[1])
if KEYS[9] ~= '' then redis.call('DEL', KEYS[9]) end
redis.call('INCRBY', KEYS[3], 1)
redis.call('INCRBY', KEYS[4], 1)
if ARGV[1] ~= '' then
  local payload = embed(raw, ARGV[9] == '1')
  redis.call('RPUSH', KEYS[7], ARGV[1] .. payload .. ARGV[8])
  if ARGV[6] == '1' then
    redis.call('INCRBY', KEYS[5], 1)
    redis.call('INCRBY', KEYS[6], 1)
  end
end
if KEYS[8] ~= '' and set_status(KEYS[8], ARGV[2], ARGV[3], ARGV[4]) then
  redis.call('EXPIRE', KEYS[8], ARGV[5])
end
return 1
`,
);
