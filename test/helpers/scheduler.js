'use strict';
// What the delayed-job and recurring-schedule tests share: a namespace with a client of ours,
// and `resque scheduler` processes on it (stopped after the test).
const { testSetup, spawnResque } = require('./worker');

/** testSetup plus a Resque client on the namespace (closed after the test). */
async function schedulerSetup(t, redis, name) {
  const { Resque } = require('../..');
  const ctx = await testSetup(t, redis, name);
  const resque = new Resque({ redis: ctx.srv.url, namespace: ctx.ns });
  t.after(() => resque.close());
  return { ...ctx, resque };
}

/** `resque scheduler` on the test server and namespace, one pass a second at most. */
function scheduler(t, srv, ns, args = []) {
  const s = spawnResque(['scheduler', `--redis=${srv.url}`, `--prefix=${ns}`, '--interval=1', ...args]);
  t.after(() => s.stop({ graceMs: 2000 }));
  return s;
}

module.exports = { schedulerSetup, scheduler };
