/**
 * The package version, read once from package.json (one level above dist/version.js).
 * A broken install must not stop a worker from starting: the version is only informative.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

function readVersion(): string {
  try {
    const text = fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8');
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && 'version' in parsed && typeof parsed.version === 'string') {
      return parsed.version;
    }
  } catch {
    // fall through
  }
  return '0.0.0-unknown';
}

/** The package version, e.g. `1.0.0`. */
export const VERSION: string = readVersion();
