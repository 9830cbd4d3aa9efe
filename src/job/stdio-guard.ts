/**
 * fd 0, 1 and 2 stay open while jobs run in this process. A job that closes one (a daemon's habit:
 * `fs.closeSync(1)`) would free the number for the next socket or file opened — a Redis
 * connection, say — and our log lines, still written to fd 1, would then go into it. So closing
 * them through `fs` is turned into a no-op, reported once per descriptor with the job that tried
 * (src/job/late-errors.ts traces it). Nothing is paid per job: the check is in `close` itself.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const NAMES = ['stdin', 'stdout', 'stderr'];

/** Keep fd 0–2 open; `report(fd, name)` is called on the first attempt to close each. */
export function guardStdio(report: (fd: number, name: string) => void): void {
  const reported = new Set<number>();
  const refuse = (fd: unknown): boolean => {
    if (fd !== 0 && fd !== 1 && fd !== 2) return false;
    if (!reported.has(fd)) {
      reported.add(fd);
      report(fd, NAMES[fd] as string);
    }
    return true;
  };
  const closeSync = fs.closeSync;
  const close = fs.close;
  const patched = fs as { closeSync: typeof fs.closeSync; close: typeof fs.close };
  patched.closeSync = (fd: number): void => {
    if (!refuse(fd)) closeSync(fd);
  };
  patched.close = ((fd: number, callback?: fs.NoParamCallback): void => {
    if (!refuse(fd)) return close(fd, callback);
    if (callback) process.nextTick(callback, null);
  }) as typeof fs.close;
  syncBuiltinESMExports();
}
