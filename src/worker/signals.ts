/**
 * Signals as a table plus a disposer (sidekiq's cli.rb shape). The meanings are Resque's:
 *
 * | signal   | worker                                   | supervisor (COUNT > 1)   |
 * |----------|------------------------------------------|--------------------------|
 * | QUIT/HUP | finish the current job, unregister, exit | forward, wait, exit      |
 * | TERM/INT | kill the child (job fails: DirtyExit), unregister, exit (TERM acts as QUIT with --graceful-term) | forward, wait, exit |
 * | USR1     | kill the current child, keep working     | forward                  |
 * | USR2     | pause: stop reserving                    | forward                  |
 * | CONT     | resume                                   | forward                  |
 *
 * workerSignals is the worker's column for one (embedded) Worker: `resque start` installs it;
 * an app embedding a Worker installs nothing unless it wants to.
 */
import type { Logger } from '../log';

/** What the signals drive: a Worker's control methods. */
export interface SignalledWorker {
  stop(options?: { graceful?: boolean }): Promise<void>;
  pause(): void;
  resume(): void;
  killCurrentJob(): void;
}

/** The worker's signal table, with its log lines; `gracefulTerm`: TERM acts like QUIT. */
export function workerSignals(worker: SignalledWorker, logger: Logger, gracefulTerm: boolean): SignalTable {
  const stop = (graceful: boolean): void => { worker.stop({ graceful }).catch(() => undefined); };
  return {
    SIGQUIT: () => { logger.notice('QUIT received; shutting down after the current job'); stop(true); },
    // A hang-up (the terminal or ssh session closed): a graceful stop, as QUIT (Node would exit at once).
    SIGHUP: () => { logger.notice('HUP received; shutting down after the current job'); stop(true); },
    SIGTERM: () => { logger.notice('TERM received; shutting down now'); stop(gracefulTerm); },
    SIGINT: () => { logger.notice('INT received; shutting down now'); stop(false); },
    SIGUSR1: () => { logger.notice('USR1 received; killing the current job'); worker.killCurrentJob(); },
    SIGUSR2: () => { logger.notice('USR2 received; pausing job processing'); worker.pause(); },
    SIGCONT: () => { logger.notice('CONT received; resuming job processing'); worker.resume(); },
  };
}

export type SignalTable = Partial<Record<NodeJS.Signals, () => void>>;

/** Install handlers; the returned function removes exactly these handlers. */
export function installSignals(table: SignalTable, proc: NodeJS.Process = process): () => void {
  const installed: Array<[NodeJS.Signals, () => void]> = [];
  for (const [signal, handler] of Object.entries(table) as Array<[NodeJS.Signals, () => void]>) {
    const safe = (): void => {
      try {
        handler();
      } catch {
        /* a handler must never crash the process */
      }
    };
    proc.on(signal, safe);
    installed.push([signal, safe]);
  }
  return () => {
    for (const [signal, h] of installed) proc.removeListener(signal, h);
  };
}
