/**
 * Signals as a table plus a disposer (sidekiq's cli.rb shape). The meanings are Resque's:
 *
 * | signal   | worker                                   | supervisor (COUNT > 1)   |
 * |----------|------------------------------------------|--------------------------|
 * | QUIT     | finish the current job, unregister, exit | forward, wait, exit      |
 * | TERM/INT | kill the child (job fails: DirtyExit), unregister, exit (TERM acts as QUIT with --graceful-term) | forward, wait, exit |
 * | USR1     | kill the current child, keep working     | forward                  |
 * | USR2     | pause: stop reserving                    | forward                  |
 * | CONT     | resume                                   | forward                  |
 */
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
