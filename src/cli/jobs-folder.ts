/**
 * The jobs folder check of `resque start` (the rules are src/worker/jobs-folder.ts, shared with
 * the embedded Worker), worded after the command line: run once per started command (in the
 * supervisor, or in a worker started on its own), so a wrong --jobs or systemd WorkingDirectory
 * shows at start. A missing folder is exit 2; the default ./jobs missing while --app is given,
 * or a folder without job files, is a warning.
 */
import * as path from 'node:path';
import type { WorkerConfig } from '../config';
import { checkJobsFolder as checkFolder, type FolderOrigin, type JobsFolderCheck } from '../worker/jobs-folder';

export { holdsJobFile, type JobsFolderCheck } from '../worker/jobs-folder';

const HINT = "Set --jobs=DIR or the service's WorkingDirectory.";

/** The verdict on `config.jobsDir`; `argv` tells a given --jobs from the default. */
export function checkJobsFolder(config: Pick<WorkerConfig, 'jobsDir' | 'app'>, argv: readonly string[], cwd: string): JobsFolderCheck {
  const given = jobsFlag(argv);
  const origin: FolderOrigin = { given: given !== undefined, text: describeOrigin(given, cwd), hint: HINT, appTerm: 'an --app module' };
  return checkFolder({ jobsDir: config.jobsDir, app: config.app }, origin);
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
