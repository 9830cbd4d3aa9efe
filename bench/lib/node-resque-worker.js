'use strict';
/**
 * node-resque side of the benchmark, run as its own process (so the measuring process stays
 * neutral): BENCH_NR_CONFIG = {port, namespace, queue, workers, timeout}. Starts `workers`
 * node-resque Worker instances in this one process (node-resque's in-process model; each gets
 * a distinct name, as MultiWorker does), then sends {type:'started'}. On {type:'end'} or when the
 * parent goes away: worker.end() for all, then exit 0.
 * Jobs: Noop (`perform: async () => null`) and Stamp (the latency probe, bench/lib/stamp.js).
 */
const os = require('node:os');
const { Worker } = require('node-resque');
const { stamp } = require('./stamp');

const cfg = JSON.parse(process.env.BENCH_NR_CONFIG || '{}');
const connection = { host: '127.0.0.1', port: cfg.port, namespace: cfg.namespace };
const jobs = {
  Noop: { perform: async () => null },
  Stamp: { perform: async (args) => stamp(args) },
};

const workers = [];
let ending;

function end(code) {
  ending ??= Promise.allSettled(workers.map((w) => w.end())).then(() => process.exit(code));
  return ending;
}

async function main() {
  for (let i = 0; i < cfg.workers; i++) {
    const w = new Worker({
      connection,
      queues: [cfg.queue],
      timeout: cfg.timeout,
      name: `${os.hostname()}:${process.pid}+${i + 1}`,
    }, jobs);
    w.on('error', (e) => process.stderr.write(`node-resque worker ${i + 1} error: ${e && e.message}\n`));
    w.on('failure', (q, job, err) => process.stderr.write(`node-resque job failed: ${err && err.message}\n`));
    workers.push(w);
  }
  await Promise.all(workers.map((w) => w.connect()));
  await Promise.all(workers.map((w) => w.start()));
  process.send?.({ type: 'started' });
}

process.on('message', (m) => {
  if (m && m.type === 'end') void end(0);
});
process.on('disconnect', () => void end(0));
process.on('SIGTERM', () => void end(0));

main().catch((e) => {
  process.stderr.write(`node-resque worker process: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
