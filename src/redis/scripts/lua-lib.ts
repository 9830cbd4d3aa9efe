/**
 * Lua for a status update, shared by every script that moves a job's status: only when the
 * key exists (the job is tracked), keeping `started`, writing php-resque 2.x's packet.
 * Defines `set_status(key, code, now, result_json)`; returns whether the key existed.
 */
export const SET_STATUS_LUA = `
local function set_status(key, code, now, result)
  local cur = redis.call('GET', key)
  if not cur then return false end
  local started = string.match(cur, '"started":(%-?%d+)') or 'null'
  redis.call('SET', key, '{"status":' .. code .. ',"updated":' .. now .. ',"started":' .. started .. ',"result":' .. result .. '}')
  return true
end
`;

/**
 * Defines `embed(raw, strict)`: the payload bytes as they go into a JSON record — verbatim when
 * they are a JSON object (never re-encoded), else as a JSON string of the bytes. `strict` is
 * true/false when the caller (JavaScript, with a strict parser) already knows; nil makes a lenient
 * guess (starts with `{`, no control bytes, cjson reads it), used only for the short-lived
 * working-on record. Second result: the cjson-decoded table, when decoding was done and worked.
 */
export const EMBED_LUA = `
local function embed(raw, strict)
  raw = raw or ''
  local ok, v = pcall(cjson.decode, raw)
  if not ok or type(v) ~= 'table' then v = nil end
  if strict == nil then
    strict = v ~= nil and string.find(raw, '^%s*{') ~= nil and string.find(raw, '[%z\\1-\\8\\11\\12\\14-\\31]') == nil
  end
  if strict then return raw, v end
  return cjson.encode(raw), v
end
`;

/**
 * Defines `job_keys(ns, job)` → status key, pid key, for a job id read from a payload inside Lua.
 * The Lua twin of Keys.status() / Keys.jobPid() in src/redis/keys.ts (test/keys.test.js pins them).
 */
export const JOB_KEYS_LUA = `
local function job_keys(ns, job)
  local prefix = ''
  if type(job.prefix) == 'string' and job.prefix ~= '' then prefix = job.prefix .. '_' end
  return ns .. 'job:' .. prefix .. job.id .. ':status', ns .. 'job:' .. job.id .. ':pid'
end
`;

/**
 * Defines `present(key)`: false for Keys.absent() (the namespace followed by a NUL byte: the KEY
 * given where a key does not apply, so a user restricted to `~PREFIX:*` may name it) and for ''.
 */
export const PRESENT_LUA = `
local function present(key)
  return key ~= '' and string.byte(key, -1) ~= 0
end
`;

/**
 * Defines `add_history(ko, ao)`: our history of settled attempts (src/store/history.ts), written
 * by the same script that settles them. KEYS: +1 the minute's hash (Keys.absent(): history off)
 * +2 the duration histograms +3 the queue's processed counter +4 its failed counter; ARGV: +1
 * JSON `{"q":QUEUE,"e":[[class, processed, failed, sumSeconds|null, [[field, n]…]|null, sumField]…]}`
 * ('' = nothing) +2 the minute hash's TTL. Per-queue counters count every entry; per-class fields
 * skip the class ''; the histogram fields are built by the caller.
 */
export const HISTORY_LUA = `
local function add_history(ko, ao)
  local json = ARGV[ao + 1]
  if json == '' or not present(KEYS[ko + 1]) then return end
  local h = cjson.decode(json)
  local hk, dk = KEYS[ko + 1], KEYS[ko + 2]
  local p, f = 0, 0
  for _, e in ipairs(h.e) do
    local c, ep, ef = e[1], e[2], e[3]
    p = p + ep
    f = f + ef
    if c ~= '' then
      if ep > 0 then redis.call('HINCRBY', hk, 'cp:' .. c, ep) end
      if ef > 0 then redis.call('HINCRBY', hk, 'cf:' .. c, ef) end
    end
    if type(e[5]) == 'table' then
      for _, b in ipairs(e[5]) do redis.call('HINCRBY', dk, b[1], b[2]) end
      redis.call('HINCRBYFLOAT', dk, e[6], e[4])
    end
  end
  if p > 0 then
    redis.call('HINCRBY', hk, 'qp:' .. h.q, p)
    redis.call('INCRBY', KEYS[ko + 3], p)
  end
  if f > 0 then
    redis.call('HINCRBY', hk, 'qf:' .. h.q, f)
    redis.call('INCRBY', KEYS[ko + 4], f)
  end
  redis.call('EXPIRE', hk, ARGV[ao + 2])
end
`;

/** KEYS and ARGV of add_history. */
export const HISTORY_SPEC = { keys: ['history', 'durations', 'queueProcessed', 'queueFailed'], args: ['historyJson', 'historyTtl'] } as const;
