/**
 * The PIDFILE of `resque start` and `resque scheduler`.
 */
import * as fs from 'node:fs';
import type { Logger } from '../log';
import type { Io } from './command';

/**
 * PIDFILE names one live instance: a file whose pid runs a resque process refuses the start
 * (exit 1, naming it: overwriting it would also delete it at our exit); a stale one (its pid gone,
 * or now another program's) is replaced with a notice.
 */
export function writePidfile(file: string, io: Io, logger: Logger): boolean {
  const holder = livePidIn(file);
  if (holder !== undefined) {
    io.stderr.write(`${file} names a running instance (pid ${holder}); stop it first, or give another --pidfile.\n`);
    return false;
  }
  if (fs.existsSync(file)) logger.notice(`Replacing the stale pidfile ${file} (its process is gone)`);
  try {
    fs.writeFileSync(file, `${process.pid}\n`);
    return true;
  } catch (e) {
    io.stderr.write(`Could not write pidfile ${file}: ${(e as Error).message}\n`);
    return false;
  }
}

/** The pid in `file` when that process is alive and (where /proc tells) a resque process. */
export function livePidIn(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  try {
    // A pid used again by another program does not hold the file.
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /resque/.test(cmdline) ? pid : undefined;
  } catch {
    return pid; // no /proc: alive is all we know
  }
}

export function removePidfile(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
  } catch {
    /* already gone */
  }
}
