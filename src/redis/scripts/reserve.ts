import { Script } from '../script';
import { EMBED_LUA, SET_STATUS_LUA } from './lua-lib';

/**
 * Reserve the next job and record it on the worker in one atomic step.
 * For each queue in priority order: a job already parked in this worker's in-flight list
 * for that queue (left by a blocking BLMOVE) is claimed first, else LMOVE moves the head of
 * the queue into the in-flight list — the job is never only in the client's memory.
 * Then: SET worker:WID (working-on, php-resque's {queue, run_at, payload} with the payload's
 * exact bytes), status → RUNNING when tracked (started kept), and job:ID:pid.
 *
 * KEYS[1]       worker:WID
 * KEYS[2k], KEYS[2k+1]  queue:Qk, worker:WID:inflight:Qk   (k = 1..n, priority order)
 * ARGV[1]       run_at as a JSON string literal
 * ARGV[2]       namespace (with ':') for job:ID:status / job:ID:pid
 * ARGV[3]       pid of the child that will run the job ('' when not known)
 * ARGV[4]       now, unix seconds (status `updated`)
 * ARGV[k+4]     Qk as a JSON string literal
 * Returns {k, raw} or false when every queue is empty.
 */
export const reserve = new Script(
  'reserve',
  `${SET_STATUS_LUA}${EMBED_LUA}
local n = (#KEYS - 1) / 2
local found, k
for i = 1, n do
  local parked = redis.call('LINDEX', KEYS[2 * i + 1], 0)
  if parked then found = parked; k = i; break end
end
if not found then
  for i = 1, n do
    local moved = redis.call('LMOVE', KEYS[2 * i], KEYS[2 * i + 1], 'LEFT', 'RIGHT')
    if moved then found = moved; k = i; break end
  end
end
if not found then return false end
local payload, job = embed(found)
redis.call('SET', KEYS[1], '{"queue":' .. ARGV[k + 4] .. ',"run_at":' .. ARGV[1] .. ',"payload":' .. payload .. '}')
if job and type(job.id) == 'string' then
  local prefix = ''
  if type(job.prefix) == 'string' and job.prefix ~= '' then prefix = job.prefix .. '_' end
  set_status(ARGV[2] .. 'job:' .. prefix .. job.id .. ':status', '2', ARGV[4], 'null')
  if ARGV[3] ~= '' then redis.call('SET', ARGV[2] .. 'job:' .. job.id .. ':pid', ARGV[3]) end
end
return {k, found}
`,
);
