/**
 * Room for process titles. On Linux `process.title` is written over the process's original
 * command line and cannot grow past it: `node bin/resque start` leaves 21 bytes, and
 * `resque-1.0.0: Supervising 4 workers for default` is cut to `resque-1.0.0: Supervi`.
 *   1. titleRoomFlag: a Node option (`--title=…`, padded) for the processes we start ourselves
 *      (job processes, strict children, a supervisor's and a pool's worker processes), so their
 *      command line holds TITLE_ROOM bytes whatever path they were started from;
 *   2. titleCapacity: how many bytes the title of this process may have (undefined off Linux);
 *   3. the CLI relaunches itself with the flag when the titles it will show do not fit
 *      (src/cli/relaunch.ts).
 */
import { readFileSync } from 'node:fs';
import { procTitle, starting } from './proctitle';
import { VERSION } from './version';

/** Bytes of command line kept for titles: `resque-1.0.0: Processing QUEUE since T [Long\Class\Name]`. */
export const TITLE_ROOM = 256;

/** `--title=resque-1.0.0: Starting` padded with spaces: a Node option, so no program sees it among its arguments. */
export function titleRoomFlag(): string {
  return `--title=${procTitle(VERSION, starting())}`.padEnd(TITLE_ROOM, ' ');
}

/** The bytes a title of this process may take (its original command line, NULs included); undefined when unknown. */
export function titleCapacity(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return readFileSync('/proc/self/cmdline').length - 1;
  } catch {
    return undefined;
  }
}
