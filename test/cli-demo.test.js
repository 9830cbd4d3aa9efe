'use strict';
// `npm start` = `resque demo`: with no REDIS_URL it starts its own redis-server on a free port,
// runs `resque start --count=4` over the repository's jobs/ (jobs/App/Jobs/SendEmail.js among
// them), enqueues tracked jobs, prints their final statuses and stops everything cleanly.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');

test('resque demo: the whole thing works on a machine with no configured Redis', async () => {
  const env = { ...process.env };
  for (const k of ['REDIS_URL', 'REDIS_BACKEND', 'QUEUE', 'COUNT', 'PREFIX', 'NODE_TEST_CONTEXT']) delete env[k];
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin', 'resque'), 'demo'], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60000);
    proc.once('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.equal(code, 0, out);
  assert.match(out, /Started a private redis-server on 127\.0\.0\.1:\d+/);
  assert.match(out, /App\\Jobs\\SendEmail\s+[0-9a-f]{32}\s+complete\s+result=\{"sent":true,"to":"user@example.com"\}/);
  assert.match(out, /Fail\s+[0-9a-f]{32}\s+FAILED/);
  assert.match(out, /NoSuchJob\s+[0-9a-f]{32}\s+FAILED/);
  assert.match(out, /stat:processed=5 stat:failed=2/);
  assert.equal((out.match(/\*\*\* Worker .* stopped/g) ?? []).length, 4, 'four workers, each stopped');
  assert.match(out, /Workers stopped cleanly \(0 left registered\)/);
});
