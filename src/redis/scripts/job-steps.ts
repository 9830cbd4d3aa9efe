/**
 * The two per-job steps as Lua functions, so each can run alone or both in one round trip
 * (finish the last job + reserve the next). Each reads its KEYS and ARGV at an offset.
 *
 * finish_job(ko, ao) — everything a finished job writes, atomically (php-resque does these one
 * by one): drop it from the in-flight list, clear working-on and job:ID:pid, count it processed
 * (failures included, as php-resque and Ruby do), on failure count it failed and RPUSH the
 * record around the payload's exact bytes, set the final status (only when tracked) with TTL.
 * Idempotent: it acts only while the in-flight head is the job (SHA-1 of its bytes), so a
 * finish sent again after a lost reply changes nothing.
 *   KEYS: +1 worker:WID  +2 worker:WID:inflight:Q  +3 stat:processed  +4 stat:processed:WID
 *         +5 stat:failed  +6 stat:failed:WID  +7 failed  +8 job:[PREFIX_]ID:status or ''
 *         +9 job:ID:pid or ''  +10 queue:Q
 *   ARGV: +1 record head up to `"payload":` ('' = no failure)  +2 final status (3|4)  +3 now
 *         +4 result JSON  +5 status TTL  +6 '1' = a failure: count it in stat:failed (also when
 *         another backend took the record)  +7 'requeue' = put it
 *         back at the head of its queue instead  +8 record tail  +9 '1' = payload is a strict
 *         JSON object (embed verbatim)  +10 SHA-1 of the payload bytes
 *   Returns 1 (finished), 2 (requeued), 0 (not ours any more: nothing done).
 *
 * reserve_next(ko, ao) — take the next job and record it, atomically: for each queue in priority
 * order a job parked in our in-flight list (a blocking BLMOVE's) is claimed first, else LMOVE
 * moves the queue head into the in-flight list (never only in client memory); then SET
 * worker:WID {queue, run_at, payload: exact bytes}, status RUNNING if tracked, job:ID:pid.
 *   KEYS: +1 worker:WID, then pairs (queue:Qk, worker:WID:inflight:Qk), k = 1..n
 *   ARGV: +1 run_at (JSON string)  +2 namespace  +3 child pid or ''  +4 now  +4+k Qk (JSON string)
 *   Returns {k, raw} or false.
 */
import { EMBED_LUA, JOB_KEYS_LUA, SET_STATUS_LUA } from './lua-lib';

export const JOB_STEPS_LUA = `${SET_STATUS_LUA}${EMBED_LUA}${JOB_KEYS_LUA}
local function finish_job(ko, ao)
  local K = function(i) return KEYS[ko + i] end
  local A = function(i) return ARGV[ao + i] end
  local head = redis.call('LINDEX', K(2), 0)
  if not head or redis.sha1hex(head) ~= A(10) then return 0 end
  if K(9) ~= '' then redis.call('DEL', K(9)) end
  redis.call('DEL', K(1))
  if A(7) == 'requeue' then
    redis.call('LMOVE', K(2), K(10), 'LEFT', 'LEFT')
    if K(8) ~= '' then set_status(K(8), '1', A(3), 'null') end
    return 2
  end
  redis.call('LPOP', K(2))
  redis.call('INCRBY', K(3), 1)
  redis.call('INCRBY', K(4), 1)
  if A(1) ~= '' then redis.call('RPUSH', K(7), A(1) .. embed(head, A(9) == '1') .. A(8)) end
  if A(6) == '1' then
    redis.call('INCRBY', K(5), 1)
    redis.call('INCRBY', K(6), 1)
  end
  if K(8) ~= '' and set_status(K(8), A(2), A(3), A(4)) then redis.call('EXPIRE', K(8), A(5)) end
  return 1
end

local function reserve_next(ko, ao)
  local n = (#KEYS - ko - 1) / 2
  local found, k
  for i = 1, n do
    local parked = redis.call('LINDEX', KEYS[ko + 2 * i + 1], 0)
    if parked then found = parked; k = i; break end
  end
  if not found then
    for i = 1, n do
      local moved = redis.call('LMOVE', KEYS[ko + 2 * i], KEYS[ko + 2 * i + 1], 'LEFT', 'RIGHT')
      if moved then found = moved; k = i; break end
    end
  end
  if not found then return false end
  local payload, job = embed(found)
  redis.call('SET', KEYS[ko + 1], '{"queue":' .. ARGV[ao + k + 4] .. ',"run_at":' .. ARGV[ao + 1] .. ',"payload":' .. payload .. '}')
  if job and type(job.id) == 'string' then
    local status_key, pid_key = job_keys(ARGV[ao + 2], job)
    set_status(status_key, '2', ARGV[ao + 4], 'null')
    if ARGV[ao + 3] ~= '' then redis.call('SET', pid_key, ARGV[ao + 3]) end
  end
  return {k, found}
end
`;

/** Number of KEYS and ARGV finish_job reads (the offset of reserve_next in finishReserve). */
export const FINISH_KEYS = 10;
export const FINISH_ARGS = 10;
