import { Script } from '../script';
import { HISTORY_LUA, HISTORY_SPEC, PRESENT_LUA } from './lua-lib';
import { STATUS_WAITING } from '../../status-codes';

/**
 * A job whose attempt failed with attempts left (or that released itself) runs again: the same
 * job, its payload's bytes but `attempt`. Atomically, while the in-flight head is still it
 * (SHA-1; a retry after a lost reply changes nothing): it leaves the in-flight list, working-on
 * and job:ID:pid go, the attempt is counted processed (never failed: only a last attempt is), and
 * it is pushed onto its queue (no delay) or scheduled at TS through the delayed queue (with its
 * index, the scheduler woken); a tracked status turns WAITING again with `attempt` and `retry_at`
 * (additive fields PHP readers ignore); our retry counters, global and per queue, count it.
 *
 * KEYS[1] worker           worker:WID
 * KEYS[2] inflight         worker:WID:inflight:Q
 * KEYS[3] processed        stat:processed
 * KEYS[4] processedWorker  stat:processed:WID
 * KEYS[5] status           job:[PREFIX_]ID:status (Keys.absent() when untracked)
 * KEYS[6] pid              job:ID:pid (Keys.absent() without an id)
 * KEYS[7] target           queue:Q, or delayed:TS
 * KEYS[8] queues           the set of queue names
 * KEYS[9] schedule         delayed_queue_schedule
 * KEYS[10] timestamps      timestamps:<item> (Keys.absent() with no delay)
 * KEYS[11] wake            resque-ts:scheduler:wake
 * KEYS[12] retried         resque-ts:stat:retried
 * KEYS[13] retriedQueue    resque-ts:stat:retried:Q
 * KEYS[14] history         resque-ts:history:MINUTE (add_history in lua-lib.ts), or Keys.absent(): history off
 * KEYS[15] durations       resque-ts:durations
 * KEYS[16] queueProcessed  resque-ts:stat:processed:Q
 * KEYS[17] queueFailed     resque-ts:stat:failed:Q
 * ARGV[1] headSha          SHA-1 of the job's bytes
 * ARGV[2] bytes            the payload (no delay) or the delayed item
 * ARGV[3] queue            the queue name
 * ARGV[4] ts               the second it is due ('' with no delay)
 * ARGV[5] now              unix seconds
 * ARGV[6] attempt          the attempt it runs as next
 * ARGV[7] retryAt          unix seconds (JSON number)
 * ARGV[8] historyJson     add_history's entries ('' = none)
 * ARGV[9] historyTtl      the minute hash's TTL
 * The attempt is counted processed in the history.
 * Returns 1, or 0 when the job was not the in-flight head (nothing done).
 */
export const retryJob = new Script(
  'retry-job',
  `${PRESENT_LUA}${HISTORY_LUA}
local head = redis.call('LINDEX', KEYS[2], 0)
if not head or redis.sha1hex(head) ~= ARGV[1] then return 0 end
redis.call('LPOP', KEYS[2])
redis.call('DEL', KEYS[1])
if present(KEYS[6]) then redis.call('DEL', KEYS[6]) end
redis.call('INCRBY', KEYS[3], 1)
redis.call('INCRBY', KEYS[4], 1)
if ARGV[4] == '' then
  redis.call('SADD', KEYS[8], ARGV[3])
  redis.call('RPUSH', KEYS[7], ARGV[2])
else
  redis.call('RPUSH', KEYS[7], ARGV[2])
  redis.call('SADD', KEYS[10], 'delayed:' .. ARGV[4])
  redis.call('ZADD', KEYS[9], ARGV[4], ARGV[4])
  redis.call('LPUSH', KEYS[11], '1')
  redis.call('LTRIM', KEYS[11], 0, 0)
end
if present(KEYS[5]) then
  local cur = redis.call('GET', KEYS[5])
  if cur then
    local started = string.match(cur, '"started":(%-?%d+)') or 'null'
    redis.call('SET', KEYS[5], '{"status":${STATUS_WAITING},"updated":' .. ARGV[5] .. ',"started":' .. started .. ',"result":null,"attempt":' .. ARGV[6] .. ',"retry_at":' .. ARGV[7] .. '}')
  end
end
redis.call('INCR', KEYS[12])
redis.call('INCR', KEYS[13])
add_history(13, 7)
return 1
`,
  {
    keys: ['worker', 'inflight', 'processed', 'processedWorker', 'status', 'pid', 'target', 'queues', 'schedule', 'timestamps', 'wake', 'retried', 'retriedQueue', ...HISTORY_SPEC.keys],
    args: ['headSha', 'bytes', 'queue', 'ts', 'now', 'attempt', 'retryAt', ...HISTORY_SPEC.args],
  } as const,
);
