import { Script } from '../script';
import { JSON_FIELDS_LUA } from './json-fields';

/**
 * Publish an event: every job registered for it is enqueued (or, with a delay, scheduled), all
 * in one atomic step with the read of the registry, each with `params` as its args. The
 * registry's values are `{"class":C,"queue":Q,"delay":S}` in PHP's JSON spelling, so their class
 * and queue bytes are copied into the payloads as our enqueue writes them.
 *
 * KEYS[1] handlers     resque-ts:event:EVENT (ours)
 * KEYS[2] queues       the set of queue names
 * KEYS[3] schedule     delayed_queue_schedule
 * KEYS[4] wake         resque-ts:scheduler:wake
 * ARGV[1] ns           the namespace (queue:Q, delayed:TS, timestamps:<item> are built from it)
 * ARGV[2] params       the args, PHP JSON (written as [params])
 * ARGV[3] queueTime    queue_time of the payloads
 * ARGV[4] now          unix seconds
 * ARGV[5..] ids        job ids, at least one per handler
 * Returns {-1, handlers} when the ids were too few (nothing written), else per job {id, queue, ts or 0}.
 */
export const publish = new Script(
  'publish',
  `${JSON_FIELDS_LUA}
local entries = redis.call('HVALS', KEYS[1])
if #entries > #ARGV - 4 then return {-1, #entries} end
local ns, params, qt, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local out = {}
local woke = false
for i, value in ipairs(entries) do
  local f = top_fields(value)
  local ok, queue = pcall(cjson.decode, f and f['queue'] or '')
  if f and f['class'] and ok and type(queue) == 'string' then
    local id = ARGV[4 + i]
    local delay = tonumber(f['delay'] or '0') or 0
    if delay > 0 then
      local ts = now + math.ceil(delay)
      local item = '{"class":' .. f['class'] .. ',"args":[' .. params .. '],"queue":' .. f['queue'] .. '}'
      redis.call('RPUSH', ns .. 'delayed:' .. ts, item)
      redis.call('SADD', ns .. 'timestamps:' .. item, 'delayed:' .. ts)
      redis.call('ZADD', KEYS[3], ts, ts)
      if not woke then
        redis.call('LPUSH', KEYS[4], '1')
        redis.call('LTRIM', KEYS[4], 0, 0)
        woke = true
      end
      table.insert(out, {id, queue, ts})
    else
      redis.call('SADD', KEYS[2], queue)
      redis.call('RPUSH', ns .. 'queue:' .. queue, '{"class":' .. f['class'] .. ',"args":[' .. params .. '],"id":"' .. id .. '","prefix":"","queue_time":' .. qt .. '}')
      table.insert(out, {id, queue, 0})
    end
  end
end
return out
`,
  { keys: ['handlers', 'queues', 'schedule', 'wake'], args: ['ns', 'params', 'queueTime', 'now'], restArgs: 'ids' } as const,
);
