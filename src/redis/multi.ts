/**
 * The one helper for multi-key writes: queue the commands on a MULTI, EXEC, and check
 * every reply, so a failed command inside a transaction is never silently ignored.
 */
import type Redis from 'ioredis';
import type { ChainableCommander } from 'ioredis';

export async function transaction(client: Redis, build: (m: ChainableCommander) => void): Promise<unknown[]> {
  const multi = client.multi();
  build(multi);
  const replies = await multi.exec();
  if (replies === null) throw new Error('Redis transaction was aborted (EXEC returned null)');
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
