import { Script } from '../script';

/**
 * Push jobs onto one queue in one command (cheaper than MULTI/SADD/RPUSH/EXEC): status packets
 * first, so a fast worker never runs a tracked job before its status exists, then SADD + RPUSH.
 *
 * KEYS[1] queues      the set of queue names
 * KEYS[2] queue       queue:NAME
 * KEYS[3..] statusKeys  job:[PREFIX_]ID:status of the tracked jobs
 * ARGV[1] name        the queue name
 * ARGV[2] count       number of payloads n
 * ARGV[3..] payloadsThenPackets  the n payloads, then one status packet per status key
 * Returns the queue length.
 */
export const enqueue = new Script(
  'enqueue',
  `
local n = tonumber(ARGV[2])
for i = 3, #KEYS do redis.call('SET', KEYS[i], ARGV[n + i]) end
redis.call('SADD', KEYS[1], ARGV[1])
return redis.call('RPUSH', KEYS[2], unpack(ARGV, 3, 2 + n))
`,
  { keys: ['queues', 'queue'], args: ['name', 'count'], restKeys: 'statusKeys', restArgs: 'payloadsThenPackets' } as const,
);
