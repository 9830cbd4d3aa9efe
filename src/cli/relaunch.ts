/**
 * `resque start` started with a command line too short for its process titles (Linux writes a
 * title over the command line: `QUEUE=default node bin/resque start` leaves 21 bytes, and the
 * host's `resque-1.0.0: Supervising 4 workers for default` reads `resque-1.0.0: Supervi`):
 *   1. it starts itself again with room for them (a padded Node `--title` option, src/title-room.ts),
 *      in a process group of its own, with an IPC channel, RESQUE_RELAUNCHED=1 so it happens once;
 *   2. this first process only passes on signals (QUIT, TERM, INT, HUP, USR1, USR2, CONT) and
 *      returns the exit code (128 + n for a death by signal n); should it die, the IPC channel
 *      closing stops the other gracefully (as a QUIT).
 * PIDFILE names the relaunched process, which writes it.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { titleCapacity, titleRoomFlag } from '../title-room';

const PASSED_ON: readonly NodeJS.Signals[] = ['SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGCONT'];
export const RELAUNCHED_ENV = 'RESQUE_RELAUNCHED';

/** Whether titles of `needed` bytes would be cut in this process (and it may start itself again). */
export function titlesCut(needed: number, env: NodeJS.ProcessEnv, launcher: string | undefined): boolean {
  if (!launcher || env[RELAUNCHED_ENV] === '1' || process.send) return false; // once; never under an IPC parent
  const capacity = titleCapacity();
  return capacity !== undefined && capacity < needed;
}

/** Start `launcher argv…` again with room for titles; resolves its exit code. */
export function relaunch(launcher: string, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--title'));
  const child = spawn(process.execPath, [...execArgv, titleRoomFlag(), launcher, ...argv], {
    env: { ...env, [RELAUNCHED_ENV]: '1' },
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true, // a signal to our group (Ctrl-C) reaches it once, through us
  });
  const handlers = PASSED_ON.map((sig) => {
    const h = (): void => { if (child.exitCode === null && child.signalCode === null) child.kill(sig); };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return new Promise<number>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      for (const [sig, h] of handlers) process.removeListener(sig, h);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    };
    child.once('error', () => done(1, null));
    child.once('exit', done);
  });
}
