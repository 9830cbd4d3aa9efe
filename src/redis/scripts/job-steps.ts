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
 *         +5 stat:failed  +6 stat:failed:WID  +7 failed  +8 job:[PREFIX_]ID:status or Keys.absent()
 *         +9 job:ID:pid or Keys.absent()  +10 queue:Q
 *   ARGV: +1 record head up to `"payload":` ('' = no failure)  +2 final status (3|4)  +3 now
 *         +4 result JSON  +5 status TTL  +6 '1' = a failure: count it in stat:failed (also when
 *         another backend took the record)  +7 'requeue' = put it
 *         back at the head of its queue instead  +8 record tail  +9 '1' = payload is a strict
 *         JSON object (embed verbatim)  +10 SHA-1 of the payload bytes
 *   Returns 1 (finished), 2 (requeued), 0 (not ours any more: nothing done).
 *
 * pop_done(ko, ao) — settle, in one step, the jobs of a batch that ran to a plain success (done,
 * untracked: nothing to write but counters) while still at the head of the in-flight list:
 * checked by the SHA-1 of the head (a retry after a lost reply pops nothing), LTRIM, counters by
 * d, their job:ID:pid keys deleted.
 *   KEYS: +1 worker:WID:inflight:Q  +2 stat:processed  +3 stat:processed:WID
 *   ARGV: +1 d (jobs done)  +2 SHA-1 of the head's bytes
 *   pid keys: KEYS[pk + 1 .. pk + d] (Keys.absent() when a job has no id).
 *
 * reserve_batch(ko, ao, pk) — take up to max jobs and record them, atomically: in priority order
 * the first queue with jobs parked in our in-flight list (a blocking BLMOVE's, or a batch's not yet
 * started) or waiting is used; parked jobs come first, then LMOVE moves more from the queue head
 * into the in-flight list (never only in client memory). Only the first job may be tracked
 * (status key present) or unreadable to cjson: such a job further on ends the batch (moved back or
 * left parked), so it is settled on its own and its status turns RUNNING only when it starts. SET worker:WID {queue, run_at, payload: first job's
 * exact bytes}, its status RUNNING if tracked, job:ID:pid for every job taken.
 *   Refused (returns -1, nothing taken) while the worker is fenced (pruned as dead: src/redis/scripts/fence.ts).
 *   KEYS: +1 worker:WID  +2 resque-ts:fenced:WID, then pairs (queue:Qk, worker:WID:inflight:Qk), k = 1..n (n = count)
 *   ARGV: +1 run_at (JSON string)  +2 namespace  +3 child pid or ''  +4 now  +5 max jobs
 *         +5+k Qk (JSON string)
 *   Returns {k, first must be settled alone (0|1), raw1, raw2, ...}, false, or -1 (fenced).
 */
import { EMBED_LUA, JOB_KEYS_LUA, PRESENT_LUA, SET_STATUS_LUA } from './lua-lib';
import { STATUS_RUNNING, STATUS_WAITING } from '../../status-codes';

export const JOB_STEPS_LUA = `${PRESENT_LUA}${SET_STATUS_LUA}${EMBED_LUA}${JOB_KEYS_LUA}
local function finish_job(ko, ao)
  local K = function(i) return KEYS[ko + i] end
  local A = function(i) return ARGV[ao + i] end
  local head = redis.call('LINDEX', K(2), 0)
  if not head or redis.sha1hex(head) ~= A(10) then return 0 end
  if present(K(9)) then redis.call('DEL', K(9)) end
  redis.call('DEL', K(1))
  if A(7) == 'requeue' then
    redis.call('LMOVE', K(2), K(10), 'LEFT', 'LEFT')
    if present(K(8)) then set_status(K(8), '${STATUS_WAITING}', A(3), 'null') end
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
  if present(K(8)) and set_status(K(8), A(2), A(3), A(4)) then redis.call('EXPIRE', K(8), A(5)) end
  return 1
end

local function pop_done(ko, ao, pk)
  local d = tonumber(ARGV[ao + 1])
  if d < 1 then return 0 end
  local head = redis.call('LINDEX', KEYS[ko + 1], 0)
  if not head or redis.sha1hex(head) ~= ARGV[ao + 2] then return 0 end
  redis.call('LTRIM', KEYS[ko + 1], d, -1)
  redis.call('INCRBY', KEYS[ko + 2], d)
  redis.call('INCRBY', KEYS[ko + 3], d)
  for i = pk + 1, pk + d do
    if present(KEYS[i]) then redis.call('DEL', KEYS[i]) end
  end
  return d
end

-- The payload as cjson reads it, or false. A job must run alone (first of its batch, settled on
-- its own) when it is tracked or when cjson cannot read it (JavaScript may still find it tracked).
local function decoded(raw)
  local ok, v = pcall(cjson.decode, raw)
  if ok and type(v) == 'table' then return v end
  return false
end

local function has_id(job)
  return job and type(job.id) == 'string'
end

local function solo(ns, job)
  if not job then return true end
  return has_id(job) and redis.call('EXISTS', (job_keys(ns, job))) == 1
end

local function reserve_batch(ko, ao, n)
  -- (returns tracked = 1 for a first job that must be settled on its own)
  local max = tonumber(ARGV[ao + 5])
  if redis.call('EXISTS', KEYS[ko + 2]) == 1 then return -1 end
  local found, k = {}, nil
  for i = 1, n do
    local parked = redis.call('LRANGE', KEYS[ko + 2 * i + 2], 0, max - 1)
    if #parked > 0 then found = parked; k = i; break end
  end
  if not k then
    for i = 1, n do
      local moved = redis.call('LMOVE', KEYS[ko + 2 * i + 1], KEYS[ko + 2 * i + 2], 'LEFT', 'RIGHT')
      if moved then found = {moved}; k = i; break end
    end
  end
  if not k then return false end
  local ns, pid = ARGV[ao + 2], ARGV[ao + 3]
  local jobs = {}
  for j = 1, #found do jobs[j] = decoded(found[j]) end
  local tracked = 0
  if not jobs[1] then tracked = 1
  elseif has_id(jobs[1]) and set_status((job_keys(ns, jobs[1])), '${STATUS_RUNNING}', ARGV[ao + 4], 'null') then tracked = 1 end
  -- The batch is the contiguous head of the in-flight list and holds no tracked job but its first:
  -- a parked tracked job ends it (it stays parked and is taken next, as a first).
  local full = tracked == 1
  for j = 2, #found do
    if solo(ns, jobs[j]) then
      for x = #found, j, -1 do found[x] = nil; jobs[x] = nil end
      full = true
      break
    end
  end
  while not full and #found < max do
    local moved = redis.call('LMOVE', KEYS[ko + 2 * k + 1], KEYS[ko + 2 * k + 2], 'LEFT', 'RIGHT')
    if not moved then break end
    local job = decoded(moved)
    if solo(ns, job) then
      -- back to the head of its queue, untouched
      redis.call('LMOVE', KEYS[ko + 2 * k + 2], KEYS[ko + 2 * k + 1], 'RIGHT', 'LEFT')
      break
    end
    found[#found + 1] = moved
    jobs[#found] = job
  end
  if tracked == 1 then
    for x = #found, 2, -1 do found[x] = nil end
  end
  local payload = embed(found[1])
  redis.call('SET', KEYS[ko + 1], '{"queue":' .. ARGV[ao + k + 5] .. ',"run_at":' .. ARGV[ao + 1] .. ',"payload":' .. payload .. '}')
  if pid ~= '' then
    for j = 1, #found do
      if has_id(jobs[j]) then
        local _, pkey = job_keys(ns, jobs[j])
        redis.call('SET', pkey, pid)
      end
    end
  end
  local reply = {k, tracked}
  for j = 1, #found do reply[j + 2] = found[j] end
  return reply
end
`;

/** KEYS and ARGV of finish_job, in order (the finish script's, and part of settle's). */
export const FINISH_SPEC = {
  keys: ['worker', 'inflight', 'processed', 'processedWorker', 'failedCount', 'failedCountWorker', 'failed', 'status', 'pid', 'queue'],
  args: ['recordHead', 'finalStatus', 'now', 'result', 'statusTtl', 'countFailed', 'mode', 'recordTail', 'verbatim', 'headSha'],
} as const;
/** KEYS and ARGV of pop_done before its pid keys. */
export const POP_SPEC = { keys: ['inflight', 'processed', 'processedWorker'], args: ['count', 'headSha'] } as const;
/** KEYS and ARGV of reserve_batch before its queue pairs and queue names. */
export const RESERVE_SPEC = { keys: ['worker', 'fence'], args: ['runAt', 'namespace', 'childPid', 'now', 'max'] } as const;

export type FinishKey = (typeof FINISH_SPEC.keys)[number];
export type FinishArg = (typeof FINISH_SPEC.args)[number];
