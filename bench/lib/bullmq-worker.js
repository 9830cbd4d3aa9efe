'use strict';
/**
 * BullMQ side of the benchmark, run as its own process (like node-resque-worker.js):
 * BENCH_BULLMQ_CONFIG = {port, prefix, queue, concurrency, sandboxed, jobs}.
 * Creates one BullMQ Worker: the processor is an in-process no-op function, or with `sandboxed`
 * the file bench/bullmq/noop-processor.js (BullMQ's child-process mode, a pool of up to
 * `concurrency` job processes). Times are epoch ms (performance.timeOrigin + now(), comparable
 * across processes): `created` just before `new Worker()`, then the first, the 10 %, the 90 % and
 * the last `completed` (or `failed`) event. Sends {type:'progress', done} every 250 ms and
 * {type:'done', created, first, t10, c10, t90, c90, last, done, failed, failedMessage} once
 * `jobs` jobs have finished. On {type:'end'}, SIGTERM or the parent going away: worker.close(),
 * then exit 0.
 */
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { Worker } = require('bullmq');

const cfg = JSON.parse(process.env.BENCH_BULLMQ_CONFIG || '{}');
const epoch = () => performance.timeOrigin + performance.now();
const SANDBOX_FILE = path.join(__dirname, '..', 'bullmq', 'noop-processor.js');

let worker;
let ending;
const t = { created: undefined, first: undefined, t10: undefined, c10: 0, t90: undefined, c90: 0, last: undefined };
let done = 0;
let failed = 0;
let failedMessage;

function end(code) {
  ending ??= Promise.resolve(worker?.close()).catch(() => undefined).then(() => process.exit(code));
  return ending;
}

function onFinished() {
  done += 1;
  const at = epoch();
  t.first ??= at;
  if (t.t10 === undefined && done >= cfg.jobs * 0.1) { t.t10 = at; t.c10 = done; }
  if (t.t90 === undefined && done >= cfg.jobs * 0.9) { t.t90 = at; t.c90 = done; }
  if (done === cfg.jobs) {
    t.last = at;
    process.send?.({ type: 'done', ...t, done, failed, failedMessage });
  }
}

function main() {
  const processor = cfg.sandboxed ? SANDBOX_FILE : async () => null;
  t.created = epoch();
  worker = new Worker(cfg.queue, processor, {
    connection: { host: '127.0.0.1', port: cfg.port },
    prefix: cfg.prefix,
    concurrency: cfg.concurrency,
  });
  worker.on('completed', onFinished);
  worker.on('failed', (job, err) => {
    failed += 1;
    failedMessage ??= err && err.message;
    onFinished();
  });
  worker.on('error', (e) => process.stderr.write(`bullmq worker error: ${e && e.message}\n`));
  setInterval(() => process.send?.({ type: 'progress', done }), 250).unref();
}

process.on('message', (m) => {
  if (m && m.type === 'end') void end(0);
});
process.on('disconnect', () => void end(0));
process.on('SIGTERM', () => void end(0));

try {
  main();
} catch (e) {
  process.stderr.write(`bullmq worker process: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
}
