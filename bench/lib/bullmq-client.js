'use strict';
/**
 * BullMQ helpers for the measuring process: a Queue on the private redis-server under the
 * benchmark's own BullMQ key prefix (jobs removed on completion, as our workers and node-resque
 * keep nothing of a done job), filling it with addBulk, and deleting every key of the prefix
 * (SCAN + UNLINK) between rounds.
 */
const { Queue } = require('bullmq');

const JOB_OPTIONS = Object.freeze({ removeOnComplete: true });

/** A ready BullMQ Queue `name` under `prefix`. */
async function openBullQueue(port, prefix, name) {
  const queue = new Queue(name, { connection: { host: '127.0.0.1', port }, prefix, defaultJobOptions: JOB_OPTIONS });
  queue.on('error', (e) => process.stderr.write(`bullmq queue error: ${e && e.message}\n`));
  await queue.waitUntilReady();
  return queue;
}

/** addBulk `n` no-op jobs in chunks of `chunk`, `parallel` chunks in flight (filling is not timed). */
async function fillBull(queue, n, chunk, parallel = 4) {
  let next = 0;
  const loop = async () => {
    while (next < n) {
      const size = Math.min(chunk, n - next);
      next += size;
      await queue.addBulk(Array.from({ length: size }, () => ({ name: 'Noop', data: {} })));
    }
  };
  await Promise.all(Array.from({ length: parallel }, loop));
}

/** Delete every key under `prefix:`; resolves how many there were. */
async function cleanPrefix(redis, prefix) {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

module.exports = { openBullQueue, fillBull, cleanPrefix, JOB_OPTIONS };
