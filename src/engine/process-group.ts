/**
 * Processes a job started and left behind. A job process (and a strict-mode child) runs in a
 * process group of its own (`detached`), so everything its jobs spawn shares that group unless
 * it detaches itself on purpose (a new session or group: a daemon). When the process has exited,
 * its group is stopped: TERM, then KILL for what is still there after the grace period.
 */

/** Whether any process of group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stop what is left in process group `pgid` (its leader has exited). Resolves whether anything was
 * left; waits at most `graceMs` (+100 ms) before the KILL.
 */
export async function stopGroup(pgid: number, graceMs: number): Promise<boolean> {
  if (!(pgid > 1) || !groupAlive(pgid)) return false;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return false;
  }
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(pgid)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  return true;
}
