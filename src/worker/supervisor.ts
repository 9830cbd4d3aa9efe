/**
 * COUNT > 1 with strict or in-process workers (each needs a process: its loop's pid is in its id;
 * default-engine workers share the started process instead, src/worker/fleet.ts): the started
 * process supervises N worker processes and runs no jobs itself.
 *   1. forks N `resque start … --count=1` processes (their command line says "resque", so
 *      php-resque's and Ruby's same-host pruning leave them alone) with RESQUE_SUPERVISED=1;
 *   2. restarts one that dies abnormally ("*** A child worker died: PID"), with a short pause
 *      if it died right after starting, so a broken setup does not spin; one that says Redis was
 *      out after 1 s, 2 s … 30 s, and past --redis-timeout of outage stops them all and exits 1;
 *   3. forwards QUIT/TERM/INT/HUP/USR1/USR2/CONT; after QUIT/TERM/INT/HUP waits for all, then exits 0;
 *   4. a worker that exits 0 having said so over IPC (stopped, `--once` drained) is not restarted;
 *      any other exit is a crash (an --in-process job calling process.exit(0)); when none is left, we exit.
 * Workers notice a dead supervisor through the IPC channel and stop gracefully; a supervisor
 * started with an IPC channel (by the demo) treats its parent's disappearance as QUIT.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { WorkerConfig } from '../config';
import type { Logger } from '../log';
import { installSignals } from './signals';
import { procTitle, supervisorTitle } from '../proctitle';
import { VERSION } from '../version';
import { loopProcessFlags } from '../heap';
import { afterChannelClosed } from '../engine/channel';
import { drainToParent, sendToParent } from './ipc';
import { RestartBackoff, type RedisDown } from './restart-backoff';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGCONT'];
const STOPPING: ReadonlySet<NodeJS.Signals> = new Set(['SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGHUP']);

export interface SupervisorOptions {
  config: WorkerConfig;
  logger: Logger;
  /** The command line the supervisor was started with (without node and script). */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** The launcher to fork (default: our bin/resque). */
  bin?: string;
}

/** The message a supervised worker sends before leaving on purpose (stopped, --once drained, Redis down). */
const EXIT_ANNOUNCEMENT = 'resque-exit';
/** The message a supervised worker sends once it has started (reached Redis, registered). */
const STARTED = 'resque-started';

interface Announcement {
  type: typeof EXIT_ANNOUNCEMENT;
  code: number;
  redisDown?: RedisDown;
  /** `resque restart`: start it again at once, on the new code. */
  restart?: boolean;
}

/**
 * In a supervised worker: tell the supervisor this exit is deliberate (or, `redisDown`, that Redis
 * was out); resolves once it was handed over (≤ 1 s).
 */
export function announceExit(code: number, redisDown?: RedisDown, restart = false): Promise<void> {
  const m: Announcement = { type: EXIT_ANNOUNCEMENT, code, ...(redisDown ? { redisDown } : {}), ...(restart ? { restart } : {}) };
  sendToParent(m);
  return drainToParent(1000);
}

/** In a supervised worker: tell the supervisor it started (an outage it backed off for is over). */
export function announceStarted(): void {
  sendToParent({ type: STARTED });
}

export function runSupervisor(opts: SupervisorOptions): Promise<number> {
  const { config, logger } = opts;
  const bin = opts.bin ?? path.resolve(__dirname, '..', '..', 'bin', 'resque');
  const children = new Set<ChildProcess>();
  let stopping = false;
  try {
    process.title = supervisorTitle(VERSION, config.count, config.queues);
  } catch {
    process.title = procTitle(VERSION, 'Supervising');
  }

  return new Promise<number>((resolve) => {
    const pending = new Set<NodeJS.Timeout>();
    let exitCode = 0;
    const spawnOne = (backoff: RestartBackoff): void => {
      if (stopping) return;
      const started = Date.now();
      const child = fork(bin, [...opts.argv, '--count=1'], {
        env: { ...opts.env, RESQUE_SUPERVISED: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: [...process.execArgv.filter((a) => !a.startsWith('--title')), ...loopProcessFlags()],
      });
      children.add(child);
      // A worker leaving on purpose (stopped, --once drained) says so first; any other exit —
      // a job calling process.exit(0) in an --in-process worker, say — is a crash.
      let announced: Announcement | undefined;
      child.on('message', (m: unknown) => {
        const type = (m as { type?: unknown } | null)?.type;
        if (type === EXIT_ANNOUNCEMENT) announced = m as Announcement;
        if (type === STARTED) backoff.started();
      });
      child.once('exit', (code, signal) => afterChannelClosed(child, () => {
        children.delete(child);
        if (!stopping && announced?.restart && code === 0) {
          logger.notice(`*** Worker process ${child.pid ?? '?'} ended for a restart (resque restart); starting another`);
          spawnOne(backoff);
          return;
        }
        const abnormal = code !== 0 || signal !== null || !announced;
        if (!stopping && abnormal) {
          // Redis down: 1 s, 2 s … 30 s between starts; past --redis-timeout, every worker stops.
          const down = announced?.redisDown;
          const wait = down ? backoff.failed(down) : Date.now() - started < 1000 ? 1000 : 0;
          if (down && wait === undefined) {
            logger.error(backoff.giveUp(down));
            exitCode = 1;
            stopAll('SIGQUIT');
            if (children.size === 0) finish();
            return;
          }
          logger.notice(`*** A child worker died: ${child.pid ?? '?'} (${signal ?? `exit code ${code}`}${down ? `: ${down.message}); starting another in ${Math.round((wait ?? 0) / 100) / 10} s` : ')'}`);
          // Not unref'd: with every worker dead this timer is what keeps the supervisor alive.
          const t = setTimeout(() => { pending.delete(t); spawnOne(backoff); }, wait ?? 0);
          pending.add(t);
          return;
        }
        if (children.size === 0 && (stopping || !abnormal)) finish();
      }));
    };
    /** QUIT, TERM or INT: no more starts, and `sig` to every worker. */
    const stopAll = (sig: NodeJS.Signals): void => {
      stopping = true;
      for (const t of pending) clearTimeout(t);
      pending.clear();
      for (const c of children) c.kill(sig);
    };
    const dispose = installSignals(
      Object.fromEntries(
        FORWARDED.map((sig) => [sig, () => {
          if (STOPPING.has(sig)) stopAll(sig);
          else for (const c of children) c.kill(sig);
          if (stopping && children.size === 0) finish();
        }]),
      ),
    );
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      dispose();
      process.removeListener('disconnect', onOrphaned);
      resolve(exitCode);
    };
    // Started by a parent with an IPC channel (the demo, a test): its disappearance is a QUIT.
    const onOrphaned = (): void => { if (!stopping) { stopAll('SIGQUIT'); if (children.size === 0) finish(); } };
    if (process.send) process.once('disconnect', onOrphaned);
    logger.notice(`*** Starting ${config.count} workers for ${config.queues.join(',')} (supervisor ${process.pid})`);
    for (let i = 0; i < config.count; i++) spawnOne(new RestartBackoff(config.redisTimeout));
  });
}

