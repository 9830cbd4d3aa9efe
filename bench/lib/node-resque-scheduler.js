'use strict';
/**
 * node-resque's Scheduler as a process of its own, for the delayed-jobs benchmark:
 * BENCH_NRS_CONFIG = {port, namespace, timeout}. Sends {type:'leader'} once it leads; on
 * {type:'end'} or when the parent goes away: scheduler.end(), then exit 0.
 */
const { Scheduler } = require('node-resque');

const cfg = JSON.parse(process.env.BENCH_NRS_CONFIG || '{}');
const scheduler = new Scheduler({ connection: { host: '127.0.0.1', port: cfg.port, namespace: cfg.namespace }, timeout: cfg.timeout });
scheduler.on('error', (e) => process.stderr.write(`node-resque scheduler error: ${e && e.message}\n`));
scheduler.on('leader', () => process.send?.({ type: 'leader' }));

let ending;
const end = () => { ending ??= scheduler.end().catch(() => undefined).then(() => process.exit(0)); return ending; };
process.on('message', (m) => { if (m && m.type === 'end') void end(); });
process.on('disconnect', () => void end());
process.on('SIGTERM', () => void end());

scheduler.connect().then(() => scheduler.start()).catch((e) => {
  process.stderr.write(`node-resque scheduler process: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
