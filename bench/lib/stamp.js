'use strict';
/**
 * The latency probe shared by our Stamp job (bench/jobs/Stamp.js) and the node-resque worker:
 * records "now" first, then RPUSHes (now − args.t) in ms to `${args.ns}bench:lat` over one
 * ioredis connection per process, created lazily (port from BENCH_REDIS_PORT).
 * args: { t: enqueue time (performance.timeOrigin + performance.now()), ns: 'NS:', warm?: true }.
 * Warm-up jobs (warm: true) are counted by stat:processed but not recorded.
 */
const Redis = require('ioredis');

let client;

function redis() {
  if (!client) {
    const port = Number(process.env.BENCH_REDIS_PORT);
    if (!port) throw new Error('BENCH_REDIS_PORT is not set');
    client = new Redis({ host: '127.0.0.1', port });
    client.on('error', () => undefined);
  }
  return client;
}

async function stamp(args) {
  const now = performance.timeOrigin + performance.now();
  if (!args || typeof args.t !== 'number') throw new Error('Stamp: args.t missing');
  if (args.warm) {
    redis(); // open the connection during warm-up, not on the first measured job
    return null;
  }
  await redis().rpush(`${args.ns}bench:lat`, (now - args.t).toFixed(3));
  return null;
}

module.exports = { stamp };
