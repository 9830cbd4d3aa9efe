import { Script } from '../script';

/**
 * Update a job status packet, only if the key exists (php-resque: "updates only when the
 * key exists"), keeping its `started`, and set the TTL for final states — one round trip.
 *
 * KEYS[1] status key `job:[PREFIX_]ID:status`
 * ARGV[1] status code (1..4)
 * ARGV[2] updated, unix seconds
 * ARGV[3] result, already JSON-encoded (`null` when none)
 * ARGV[4] TTL in seconds, 0 for none
 * Returns 1 when updated, 0 when the job is not tracked.
 */
export const updateStatus = new Script(
  'update-status',
  `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local started = string.match(cur, '"started":(%-?%d+)') or 'null'
redis.call('SET', KEYS[1], '{"status":' .. ARGV[1] .. ',"updated":' .. ARGV[2] .. ',"started":' .. started .. ',"result":' .. ARGV[3] .. '}')
if tonumber(ARGV[4]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return 1
`,
);
