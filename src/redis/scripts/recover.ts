import { Script } from '../script';
import { EMBED_LUA, HISTORY_LUA, HISTORY_SPEC, JOB_KEYS_LUA, PRESENT_LUA, SET_STATUS_LUA } from './lua-lib';
import { STATUS_FAILED, STATUS_WAITING } from '../../status-codes';

/**
 * Settle one job a dead worker left in its in-flight list, atomically, so two workers
 * recovering at once can never both handle it: pop it and either push it back to the HEAD
 * of its queue (requeue) or RPUSH a failure record around its exact bytes and count it.
 *
 * KEYS[1] inflight        worker:WID:inflight:Q
 * KEYS[2] queue           queue:Q
 * KEYS[3] failed          the failure list
 * KEYS[4] failedCount     stat:failed
 * KEYS[5] processed       stat:processed
 * KEYS[6] fence           resque-ts:fenced:WID when pruning (what was done is noted there under
 *                         the SHA-1 of the bytes: `q`, or `f` + the record), else Keys.absent()
 * KEYS[7] history         resque-ts:history:MINUTE (add_history in lua-lib.ts), or Keys.absent(): history off
 * KEYS[8] durations       resque-ts:durations
 * KEYS[9] queueProcessed  resque-ts:stat:processed:Q
 * KEYS[10] queueFailed     resque-ts:stat:failed:Q
 * ARGV[1] mode            'requeue' | 'fail'
 * ARGV[2] recordHead      the record up to and including `"payload":`
 * ARGV[3] recordTail      the record from `,"exception":` to the closing brace
 * ARGV[4] namespace       with its ':'
 * ARGV[5] now             unix seconds
 * ARGV[6] statusTtl       seconds
 * ARGV[7] bytes           what the caller read at that end of the list (checked, so a concurrent
 *                         recovery cannot make us settle another item)
 * ARGV[8] verbatim        '1' if the bytes are a strict JSON object
 * ARGV[9] end             'tail': take the item at the tail (parked jobs requeued last-first keep
 *                         their order), else the head
 * ARGV[10] historyJson     add_history's entries ('' = none)
 * ARGV[11] historyTtl      the minute hash's TTL
 * A failed job is counted in the history (processed and failed).
 * Returns the payload handled, false when the list is empty, -1 when that end changed.
 * A tracked job's status becomes FAILED (TTL) or, requeued, WAITING; its job:ID:pid goes.
 */
export const recoverOne = new Script(
  'recover',
  `${PRESENT_LUA}${SET_STATUS_LUA}${EMBED_LUA}${JOB_KEYS_LUA}${HISTORY_LUA}
local side = 'LEFT'
if ARGV[9] == 'tail' then side = 'RIGHT' end
local head = redis.call('LINDEX', KEYS[1], side == 'LEFT' and 0 or -1)
if not head then return false end
if head ~= ARGV[7] then return -1 end
local raw
if ARGV[1] == 'requeue' then
  raw = redis.call('LMOVE', KEYS[1], KEYS[2], side, 'LEFT')
elseif side == 'LEFT' then
  raw = redis.call('LPOP', KEYS[1])
else
  raw = redis.call('RPOP', KEYS[1])
end
if not raw then return false end
local payload, job = embed(raw, ARGV[8] == '1')
if ARGV[1] ~= 'requeue' then
  local record = ARGV[2] .. payload .. ARGV[3]
  redis.call('RPUSH', KEYS[3], record)
  redis.call('INCRBY', KEYS[4], 1)
  redis.call('INCRBY', KEYS[5], 1)
  add_history(6, 9)
  if present(KEYS[6]) then redis.call('HSET', KEYS[6], redis.sha1hex(raw), 'f' .. record) end
elseif present(KEYS[6]) then
  redis.call('HSET', KEYS[6], redis.sha1hex(raw), 'q')
end
if job and type(job.id) == 'string' then
  local skey, pkey = job_keys(ARGV[4], job)
  if ARGV[1] == 'requeue' then
    set_status(skey, '${STATUS_WAITING}', ARGV[5], 'null')
  elseif set_status(skey, '${STATUS_FAILED}', ARGV[5], 'null') then
    redis.call('EXPIRE', skey, ARGV[6])
  end
  redis.call('DEL', pkey)
end
return raw
`,
  {
    keys: ['inflight', 'queue', 'failed', 'failedCount', 'processed', 'fence', ...HISTORY_SPEC.keys],
    args: ['mode', 'recordHead', 'recordTail', 'namespace', 'now', 'statusTtl', 'bytes', 'verbatim', 'end', ...HISTORY_SPEC.args],
  } as const,
);
