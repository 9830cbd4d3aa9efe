import { Script } from '../script';
import { JSON_FIELDS_LUA } from './json-fields';
import { JOB_KEYS_LUA, SET_STATUS_LUA } from './lua-lib';
import { STATUS_WAITING } from '../../status-codes';

/**
 * Act on failure records named by reference: each one only while the record at its index is still
 * the one referred to (the first 16 hex digits of the SHA-1 of its bytes), so a concurrent removal
 * or retry elsewhere (resque-web's LSET + LREM by index) never makes us act on another record, and
 * acting twice on one reference is a no-op. Pairs come highest index first (a removal shifts only
 * what lies after it).
 *   remove: LSET the index to a sentinel, LREM it (Ruby's way, by position).
 *   retry: the record's payload, byte for byte, onto its queue (the record's `queue`); a tracked
 *     status (the payload's id and prefix) turns WAITING again, without TTL; the record is removed.
 *   keep: retry, and stamp `retried_at` on the record instead of removing it (resque-web shows it retried).
 * Per pair: 1 done, 0 not at that index (moved or gone), -2 the payload is no job object (a JSON
 * string: a malformed payload's record), -3 the record names no queue.
 *
 * KEYS[1] failed       the failed list
 * KEYS[2] queues       the set of queue names
 * ARGV[1] ns           the namespace (queue:Q and status keys are built from it)
 * ARGV[2] action       remove | retry | keep
 * ARGV[3] retriedAt    the retried_at value (a JSON string), for keep
 * ARGV[4] sentinel     a value no record holds
 * ARGV[5] now          unix seconds
 * ARGV[6..] pairs      index, SHA-1 prefix; index, SHA-1 prefix; …
 */
export const failedAct = new Script(
  'failed-act',
  `${JSON_FIELDS_LUA}${SET_STATUS_LUA}${JOB_KEYS_LUA}
local ns, action = ARGV[1], ARGV[2]
local out = {}
for p = 6, #ARGV, 2 do
  local idx, sha = tonumber(ARGV[p]), ARGV[p + 1]
  local cur = redis.call('LINDEX', KEYS[1], idx)
  local r = 0
  if cur and string.sub(redis.sha1hex(cur), 1, 16) == sha then
    r = 1
    local f = nil
    if action ~= 'remove' then
      f = top_fields(cur)
      local payload = f and f['payload']
      local okq, queue = pcall(cjson.decode, f and f['queue'] or '')
      if not payload or string.byte(payload, 1) ~= 123 then r = -2
      elseif not okq or type(queue) ~= 'string' or queue == '' then r = -3
      else
        redis.call('SADD', KEYS[2], queue)
        redis.call('RPUSH', ns .. 'queue:' .. queue, payload)
        local okj, job = pcall(cjson.decode, payload)
        if okj and type(job) == 'table' and type(job.id) == 'string' then
          local skey = job_keys(ns, job)
          if set_status(skey, '${STATUS_WAITING}', ARGV[5], 'null') then redis.call('PERSIST', skey) end
        end
      end
    end
    if r == 1 then
      if action == 'keep' then
        if not f['retried_at'] then
          redis.call('LSET', KEYS[1], idx, string.sub(cur, 1, -2) .. ',"retried_at":' .. ARGV[3] .. '}')
        end
      else
        redis.call('LSET', KEYS[1], idx, ARGV[4])
        redis.call('LREM', KEYS[1], -1, ARGV[4]) -- from the tail: we go highest index first
      end
    end
  end
  out[#out + 1] = r
end
return out
`,
  { keys: ['failed', 'queues'], args: ['ns', 'action', 'retriedAt', 'sentinel', 'now'], restArgs: 'pairs' } as const,
);
