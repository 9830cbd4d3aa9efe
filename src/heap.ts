import { titleRoomFlag } from './title-room';

/**
 * V8 flags for the processes we fork to run job loops (job processes, and the worker processes
 * of a supervisor). Node's default young generation (16 MB semi-spaces) is sized for
 * allocation-heavy servers; a job loop allocates little per job, and with 1 MB semi-spaces a job
 * process holds ≈ 67–73 MB instead of ≈ 92–100 MB after a 100,000-job drain, at the same drain
 * rate within noise (README "Performance"). A --max-semi-space-size in NODE_OPTIONS wins.
 */
export function loopProcessFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const room = titleRoomFlag(); // its titles read in full (src/title-room.ts)
  return /--max-semi-space-size/.test(env['NODE_OPTIONS'] ?? '') ? [room] : ['--max-semi-space-size=1', room];
}
