/**
 * The jobs folder, checked once when `resque start` starts (in the supervisor, or in a worker
 * started on its own), so a wrong --jobs or systemd WorkingDirectory shows at start instead of
 * as every job's `Could not find job class X.`:
 *   1. a folder that does not exist, or is not a directory, is an error (exit 2) naming the
 *      resolved path and where it came from — except the default ./jobs while an --app module
 *      is given (its `jobs` map may hold every class): then it is a warning;
 *   2. a folder without any job file inside (searched at every depth, at most SCAN_BUDGET
 *      entries; a bigger folder counts as not empty) is a warning, and the worker runs.
 * Reads the file system only; `resque start` (src/cli/commands/start.ts) prints the verdict.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import * as path from 'node:path';
import type { WorkerConfig } from '../config';
import { JOB_EXTENSIONS, folderState } from '../job/loader';

/** Directory entries looked at, at most, before a folder counts as holding job files. */
const SCAN_BUDGET = 10000;

const HINT = "Set --jobs=DIR or the service's WorkingDirectory.";

export type JobsFolderCheck = { level: 'ok' } | { level: 'error' | 'warning'; message: string };

/** The verdict on `config.jobsDir`; `argv` tells a given --jobs from the default. */
export function checkJobsFolder(config: Pick<WorkerConfig, 'jobsDir' | 'app'>, argv: readonly string[], cwd: string): JobsFolderCheck {
  const given = jobsFlag(argv);
  const origin = describeOrigin(given, cwd);
  const dir = config.jobsDir;
  const state = folderState(dir);
  if (state !== 'folder') {
    const what = `Jobs folder ${dir} ${state === 'missing' ? 'does not exist' : 'is not a directory'} (${origin})`;
    if (given === undefined && config.app) {
      return { level: 'warning', message: `${what}; only the classes of the app module ${config.app} can run.` };
    }
    return { level: 'error', message: `${what}. ${HINT}` };
  }
  if (!holdsJobFile(dir)) {
    const kinds = JOB_EXTENSIONS.join(', ');
    return { level: 'warning', message: `Jobs folder ${dir} holds no job files (${origin}; looked for ${kinds} at any depth); only classes registered by an --app module can run.` };
  }
  return { level: 'ok' };
}

/**
 * The last `--jobs=DIR` / `--jobs DIR` before a `--`, as typed (src/cli/args.ts keeps the last
 * value too); undefined when the default applies.
 */
export function jobsFlag(argv: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] ?? '';
    if (token === '--') break;
    if (token.startsWith('--jobs=')) value = token.slice('--jobs='.length);
    else if (token === '--jobs' && argv[i + 1] !== undefined) {
      value = argv[i + 1];
      i += 1;
    }
  }
  return value;
}

function describeOrigin(given: string | undefined, cwd: string): string {
  if (given === undefined) return `the default --jobs=jobs, resolved from the working directory ${cwd}`;
  return path.isAbsolute(given) ? `--jobs=${given}` : `--jobs=${given}, resolved from the working directory ${cwd}`;
}

/** Is there a job file anywhere below `root`? Symlinks are followed; the budget bounds loops. */
export function holdsJobFile(root: string, budget: number = SCAN_BUDGET): boolean {
  const pending = [root];
  let left = budget;
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const entry of entries(dir)) {
      left -= 1;
      if (left < 0) return true;
      const full = path.join(dir, entry.name);
      const kind = entryKind(entry, full);
      if (kind === 'file' && JOB_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) return true;
      if (kind === 'dir') pending.push(full);
    }
  }
  return false;
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // unreadable: the loader will not find anything there either
  }
}

function entryKind(entry: Dirent, full: string): 'file' | 'dir' | 'other' {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'dir';
  if (!entry.isSymbolicLink()) return 'other';
  try {
    const st = statSync(full);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'other'; // a dangling link
  }
}
