/**
 * A worker's lease on its registration (the loop's Lease): other workers prune a worker whose
 * heartbeat is older than the prune age, so while the last heartbeat written for it was sent less
 * than half the prune age ago, nobody can have pruned it and a job may start without asking
 * Redis. Past that (the process was frozen, or its host — which beats for it — was, or Redis was
 * out of reach), the next job waits for a beat of its own, which a fenced worker is refused.
 * Wall-clock times, so a host process can hand its beats to the job process (both read one clock).
 */
import type { Lease } from '../loop/loop';

export class WorkerLease implements Lease {
  private until = 0;

  /** `beat` writes a heartbeat for this worker: false when it is fenced. */
  constructor(private readonly pruneAfterSeconds: number, private readonly beat: () => Promise<boolean>) {}

  /** A heartbeat sent at `sentAt` (ms since the epoch) was written. */
  note(sentAt: number): void {
    this.until = Math.max(this.until, sentAt + (this.pruneAfterSeconds * 1000) / 2);
  }

  valid(): boolean {
    return Date.now() < this.until;
  }

  async renew(): Promise<boolean> {
    const sentAt = Date.now();
    const ok = await this.beat();
    if (ok) this.note(sentAt);
    return ok;
  }
}
