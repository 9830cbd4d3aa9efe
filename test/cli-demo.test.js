'use strict';
// `npm start` = `resque demo`: with no REDIS_URL it starts its own redis-server on a free port,
// runs `resque start --count=4` over the package's jobs/ (jobs/App/Jobs/SendEmail.js among
// them), enqueues tracked jobs, prints their final statuses and stops everything cleanly.
// It owns every process it starts: a closed stdout, Ctrl-C (INT to its process group) and TERM
// stop them all, Redis last, with a shell's exit code for the cause.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnDemo, demoLeftovers } = require('./helpers/demo');

test('resque demo: the whole thing works on a machine with no configured Redis, and leaves nothing', async () => {
  const demo = spawnDemo();
  const { code } = await demo.exited;
  const out = demo.output;
  assert.equal(code, 0, out);
  assert.match(out, /Started a private redis-server on 127\.0\.0\.1:\d+/);
  assert.match(out, /App\\Jobs\\SendEmail\s+[0-9a-f]{32}\s+complete\s+result=\{"sent":true,"to":"user@example.com"\}/);
  assert.match(out, /Sleep\s+[0-9a-f]{32}\s+complete\s+result=\{"slept":0\.3\}/);
  assert.match(out, /Fail\s+[0-9a-f]{32}\s+FAILED/);
  assert.match(out, /NoSuchJob\s+[0-9a-f]{32}\s+FAILED/);
  assert.match(out, /stat:processed=5 stat:failed=2/);
  assert.equal((out.match(/\*\*\* Worker .* stopped/g) ?? []).length, 4, 'four workers, each stopped');
  assert.match(out, /Workers stopped cleanly \(0 left registered\)/);
  assert.deepEqual(await demoLeftovers(demo, 3000), []);
});

test('resque demo | head -2: the closed stdout stops every process it started, exit 141', async () => {
  const demo = spawnDemo();
  await demo.waitForOutput(/Enqueued 5 tracked jobs/);
  demo.proc.stdout.destroy(); // what `head -2` does once it has its lines
  const { code } = await demo.exited;
  assert.equal(code, 141, demo.output);
  assert.match(demo.stderr, /stdout closed \(EPIPE\)/);
  assert.deepEqual(await demoLeftovers(demo, 5000), [], 'no process of the demo is left');
});

test('Ctrl-C (INT to the demo\'s process group) stops every process it started, Redis last, exit 130', async () => {
  const demo = spawnDemo();
  await demo.waitForOutput(/Started a private redis-server/);
  process.kill(-demo.pid, 'SIGINT');
  const { code } = await demo.exited;
  assert.equal(code, 130, demo.output);
  assert.match(demo.stderr, /SIGINT received; stopping what it started/);
  assert.doesNotMatch(demo.output, /Redis unreachable|ECONNREFUSED/, 'the workers never saw Redis go first');
  assert.deepEqual(await demoLeftovers(demo, 5000), [], 'no process of the demo is left');
});

test('TERM while the workers run stops every process it started, exit 143', async () => {
  const demo = spawnDemo();
  await demo.waitForOutput(/Starting worker/);
  demo.proc.kill('SIGTERM');
  const { code } = await demo.exited;
  assert.equal(code, 143, demo.output);
  assert.match(demo.output, /\*\*\* Worker .* stopped/, 'the workers stopped cleanly');
  assert.deepEqual(await demoLeftovers(demo, 5000), [], 'no process of the demo is left');
});

test('a SIGKILLed demo: its supervisor sees the IPC channel close and stops the workers (only redis-server is left)', async () => {
  const demo = spawnDemo();
  await demo.waitForOutput(/Starting worker/);
  demo.proc.kill('SIGKILL');
  await demo.exited;
  const isRedis = (line) => /redis-server/.test(line);
  const deadline = Date.now() + 15000;
  let left = await demoLeftovers(demo);
  while (left.some((l) => !isRedis(l)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = await demoLeftovers(demo);
  }
  assert.deepEqual(left.filter((l) => !isRedis(l)), [], 'supervisor, workers and job processes are gone');
  // redis-server cannot notice a SIGKILLed parent; the helper's after() kills what is marked.
});
