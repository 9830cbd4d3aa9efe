'use strict';
/**
 * A private copy of the built CLI for one benchmark run: bin/, dist/ and package.json copied to a
 * temporary folder (node_modules linked), so that a rebuild of dist/ by someone else during the
 * run cannot hand the workers a half-written build. The copy is taken while dist/ is quiet (no
 * file changed in the last QUIET_MS) and retaken if dist/ changed while copying. Removed at exit.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const QUIET_MS = 1000;
const GIVE_UP_MS = 180000;

/** The newest mtime (ms) of any file under dir. */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    try {
      newest = Math.max(newest, fs.statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
    } catch { /* removed meanwhile */ }
  }
  return newest;
}

/** Copy root's bin/, dist/, package.json; resolves the copy's root folder. */
async function snapshotBuild(root, log) {
  const dist = path.join(root, 'dist');
  const deadline = Date.now() + GIVE_UP_MS;
  for (;;) {
    const before = newestMtime(dist);
    const age = Date.now() - before;
    if (age >= QUIET_MS) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resque-bench-build-'));
      process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      for (const name of ['bin', 'dist']) fs.cpSync(path.join(root, name), path.join(dir, name), { recursive: true });
      fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
      fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      if (newestMtime(dist) === before) return dir;
      fs.rmSync(dir, { recursive: true, force: true });
      log?.('bench: dist/ changed while copying it; copying again');
    } else {
      log?.('bench: dist/ changed less than a second ago (a build?); waiting for it to settle');
    }
    if (Date.now() > deadline) throw new Error(`dist/ did not stay unchanged for ${QUIET_MS / 1000} s within ${GIVE_UP_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, QUIET_MS));
  }
}

module.exports = { snapshotBuild };
