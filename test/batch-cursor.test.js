'use strict';
// The batch cursor file (src/store/batch-cursor.ts): fixed-width marks written in place, read back
// by recovery; a clean close removes it, a close after a failed run keeps it for recovery.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { BatchCursor, cursorPath, readCursor, writeCursor, removeCursor } = require('../dist/store/batch-cursor');

const SHA = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);

function tempFile(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cursor-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'sub', 'w.cursor');
}

test('marks overwrite each other in place; the last one is what recovery reads', (t) => {
  const file = tempFile(t);
  const c = new BatchCursor(file).open();
  c.mark(SHA, 12345, 'run');
  c.mark(SHA2, 7, 'idle');
  assert.deepEqual(readCursor(file), { sha: SHA2, done: 7, state: 'idle' });
  assert.equal(fs.statSync(file).size, 57);
  c.mark(SHA, 0, 'run');
  assert.deepEqual(readCursor(file), { sha: SHA, done: 0, state: 'run' });
  c.close(true);
  assert.equal(fs.existsSync(file), false);
});

test('close(false) keeps the file for recovery; open() takes over a previous owner\'s file', (t) => {
  const file = tempFile(t);
  const c = new BatchCursor(file).open();
  c.mark(SHA, 3, 'run');
  c.close(false);
  assert.deepEqual(readCursor(file), { sha: SHA, done: 3, state: 'run' });
  const next = new BatchCursor(file).open();
  // replaced by a blank line as long as a mark (later marks overwrite allocated bytes): no cursor yet
  assert.equal(readCursor(file), undefined);
  assert.equal(fs.statSync(file).size, 57);
  next.close(true);
});

test('a missing, empty or garbled file reads as no cursor', (t) => {
  const file = tempFile(t);
  assert.equal(readCursor(file), undefined);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (const text of ['', 'x'.repeat(57), `${SHA} 0000000001 walk\n`, `${SHA.slice(1)} 0000000001 run \n`]) {
    fs.writeFileSync(file, text);
    assert.equal(readCursor(file), undefined, JSON.stringify(text));
  }
  writeCursor(file, { sha: SHA2, done: 42, state: 'idle' });
  assert.deepEqual(readCursor(file), { sha: SHA2, done: 42, state: 'idle' });
  removeCursor(file);
  removeCursor(file); // twice is fine
  assert.equal(fs.existsSync(file), false);
});

test('the path is per namespace and worker id, and names neither', () => {
  const a = cursorPath('resque:', 'host:1:default');
  assert.notEqual(a, cursorPath('other:', 'host:1:default'));
  assert.notEqual(a, cursorPath('resque:', 'host:2:default'));
  assert.equal(a, cursorPath('resque:', 'host:1:default'));
  assert.match(path.basename(a), /^[0-9a-f]{40}\.cursor$/);
});
