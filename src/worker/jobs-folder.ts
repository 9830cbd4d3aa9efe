/**
 * The jobs folder, checked once when a worker starts, so a wrong folder shows at start instead
 * of as every job's `Could not find job class X.` Shared by `resque start` (src/cli/jobs-folder.ts
 * words the origin after its flags) and the embedded Worker (after its options):
 *   1. a folder that does not exist, or is not a directory, is an error naming the resolved path
 *      and where it came from — except the default folder while the classes may come from
 *      elsewhere (an app module, or the embedded Worker's `jobs` map): then a warning (app) or
 *      nothing (map);
 *   2. a folder without any job file inside (searched at every depth, at most SCAN_BUDGET
 *      entries; a bigger folder counts as not empty) is a warning, and the worker runs; not when
 *      a `jobs` map supplies the classes.
 * Reads the file system only; the caller prints the verdict or throws it.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { JOB_EXTENSIONS, folderState } from '../job/loader';

/** Directory entries looked at, at most, before a folder counts as holding job files. */
const SCAN_BUDGET = 10000;

export type JobsFolderCheck = { level: 'ok' } | { level: 'error' | 'warning'; message: string };

/** Where the folder came from, in the words of the caller's options. */
export interface FolderOrigin {
  /** The folder was named (a flag, an option); false: the default `./jobs`. */
  readonly given: boolean;
  /** `--jobs=x, resolved from the working directory /srv/app`, say. */
  readonly text: string;
  /** The fix, a sentence: `Set --jobs=DIR or the service's WorkingDirectory.` */
  readonly hint: string;
  /** How an app module is named in the warnings: `an --app module`. */
  readonly appTerm: string;
}

export interface FolderSubject {
  readonly jobsDir: string;
  /** The app module (absolute), when one is given. */
  readonly app: string | undefined;
  /** Classes come from a map given in code (the embedded Worker's `jobs`). */
  readonly registry?: boolean;
}

/** The verdict on `subject.jobsDir`. */
export function checkJobsFolder(subject: FolderSubject, origin: FolderOrigin): JobsFolderCheck {
  const dir = subject.jobsDir;
  const state = folderState(dir);
  if (state !== 'folder') {
    if (!origin.given && subject.registry) return { level: 'ok' };
    const what = `Jobs folder ${dir} ${state === 'missing' ? 'does not exist' : 'is not a directory'} (${origin.text})`;
    if (!origin.given && subject.app) {
      return { level: 'warning', message: `${what}; only the classes of the app module ${subject.app} can run.` };
    }
    return { level: 'error', message: `${what}. ${origin.hint}` };
  }
  if (!subject.registry && !holdsJobFile(dir)) {
    const kinds = JOB_EXTENSIONS.join(', ');
    return { level: 'warning', message: `Jobs folder ${dir} holds no job files (${origin.text}; looked for ${kinds} at any depth); only classes registered by ${origin.appTerm} can run.` };
  }
  return { level: 'ok' };
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
