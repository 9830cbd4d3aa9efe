import { Script } from '../script';

/**
 * Settle one job a dead worker left in its in-flight list, atomically, so two workers
 * recovering at once can never both handle it: pop it and either push it back to the HEAD
 * of its queue (requeue) or RPUSH a failure record around its exact bytes and count it.
 *
 * KEYS[1] worker:WID:inflight:Q   KEYS[2] queue:Q   KEYS[3] failed
 * KEYS[4] stat:failed             KEYS[5] stat:processed
 * ARGV[1] 'requeue' | 'fail'
 * ARGV[2] record head, up to and including `"payload":`
 * ARGV[3] record tail, from `,"exception":` to the closing brace
 * Returns the payload handled, or false when the list is empty.
 */
export const recoverOne = new Script(
  'recover',
  `
if ARGV[1] == 'requeue' then
  return redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
end
local raw = redis.call('LPOP', KEYS[1])
if not raw then return false end
local ok, job = pcall(cjson.decode, raw)
local payload = raw
if not ok or type(job) ~= 'table' then payload = cjson.encode(raw) end
redis.call('RPUSH', KEYS[3], ARGV[2] .. payload .. ARGV[3])
redis.call('INCRBY', KEYS[4], 1)
redis.call('INCRBY', KEYS[5], 1)
return raw
`,
);
