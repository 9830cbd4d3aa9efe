import { Script } from '../script';
import { JSON_FIELDS_LUA } from './json-fields';

/**
 * Move due delayed items onto their queues, at most `max` per call, all in one atomic step (so no
 * crash and no second mover can lose or double one; a retry after a lost reply finds them gone).
 * For the oldest due TS first (`ZRANGEBYSCORE delayed_queue_schedule -inf NOW`): each item of
 * `delayed:TS` of any flavour (php `{"class","args":[{…}],"queue"}`, Ruby and node-resque with
 * positional args) becomes a payload as our enqueue writes it — its `class` and `args` bytes as
 * they are (never re-encoded), an id (the item's own `id` when it carries one, a tracked job of
 * ours; else a fresh one of ARGV), its `prefix` or "", and `queue_time` (its own, for a retried
 * job of ours, which also keeps its `attempt`) — pushed onto its queue;
 * `timestamps:<item>` loses `delayed:TS`; an emptied `delayed:TS` is deleted and leaves the
 * schedule. An item that is not such an object (no class, queue or args list) is kept, byte for
 * byte, in `resque-ts:delayed:invalid` rather than dropped. `delayed:last_enqueued_at`
 * (resque-scheduler's hash) is never a member of the schedule, so it is never read.
 *
 * KEYS[1] schedule     delayed_queue_schedule
 * KEYS[2] queues       the set of queue names
 * KEYS[3] invalid      resque-ts:delayed:invalid (ours)
 * ARGV[1] ns           the namespace (queue:Q, delayed:TS and timestamps:<item> are built from it)
 * ARGV[2] now          unix seconds: a TS at or before it is due
 * ARGV[3] queueTime    queue_time of the new payloads (text of a float)
 * ARGV[4] max          most items to take
 * ARGV[5..] ids        fresh job ids, one per item that may need one
 * Returns {moved, invalid, the next scheduled TS or false}.
 */
export const moveDue = new Script(
  'move-due',
  `${JSON_FIELDS_LUA}
local ns, now, qt, max = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local moved, invalid, used = 0, 0, 0
local function text(raw)
  if not raw or string.byte(raw, 1) ~= 34 then return nil end
  local ok, v = pcall(cjson.decode, raw)
  if ok and type(v) == 'string' and v ~= '' then return v end
  return nil
end
while moved + invalid < max do
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
  if #due == 0 then break end
  local ts = due[1]
  local dkey = ns .. 'delayed:' .. ts
  local items = redis.call('LRANGE', dkey, 0, max - moved - invalid - 1)
  for _, raw in ipairs(items) do
    local f = top_fields(raw)
    local queue = f and text(f['queue'])
    local args = f and f['args']
    if f and queue and text(f['class']) and args and string.byte(args, 1) == 91 then
      local id = text(f['id'])
      if not id or not string.find(id, '^[%w_-]+$') then
        used = used + 1
        id = ARGV[4 + used]
      end
      local prefix = f['prefix']
      if not text(prefix) then prefix = '""' end
      -- A retried job of ours keeps its enqueue time and carries its attempt.
      local t = f['queue_time']
      if not t or not string.find(t, '^[%d.eE+-]+$') then t = qt end
      local attempt = f['attempt']
      if attempt and string.find(attempt, '^%d+$') then attempt = ',"attempt":' .. attempt else attempt = '' end
      redis.call('SADD', KEYS[2], queue)
      redis.call('RPUSH', ns .. 'queue:' .. queue,
        '{"class":' .. f['class'] .. ',"args":' .. args .. ',"id":"' .. id .. '","prefix":' .. prefix .. ',"queue_time":' .. t .. attempt .. '}')
      moved = moved + 1
    else
      redis.call('RPUSH', KEYS[3], raw)
      invalid = invalid + 1
    end
    redis.call('SREM', ns .. 'timestamps:' .. raw, 'delayed:' .. ts)
  end
  if #items > 0 then redis.call('LTRIM', dkey, #items, -1) end
  if redis.call('LLEN', dkey) == 0 then
    redis.call('DEL', dkey)
    redis.call('ZREM', KEYS[1], ts)
  end
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {moved, invalid, nxt[2] or false}
`,
  { keys: ['schedule', 'queues', 'invalid'], args: ['ns', 'now', 'queueTime', 'max'], restArgs: 'ids' } as const,
);
