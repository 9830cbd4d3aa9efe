/**
 * --slow-job-log: one warning for a job still running after N seconds, in whichever process runs
 * the loop (the default engine's job process, the worker in strict and --in-process mode).
 *   1. One timer per loop, not one per job: start() notes the job and the time, and arms the timer
 *      only when none is pending; end() forgets the job. A stream of fast jobs costs a clock read
 *      and a few field writes per job, and one timer firing per threshold period.
 *   2. When the timer fires it looks at the job running now: past the threshold, it is reported
 *      (once: the timer is not re-armed until the next job starts); not yet, the timer is re-armed
 *      for the time it still has; no job, the timer stays off.
 *   3. The timer is unref'd: it never keeps a process alive.
 * A job that blocks the event loop (synchronous code in the default engine or --in-process) cannot
 * be reported while it blocks; strict mode's jobs run in another process and always can be.
 */
import { performance } from 'node:perf_hooks';
import type { Reserved } from './ops';

export type SlowJobReport = (job: Reserved, seconds: number) => void;

export class SlowJobWatch {
  private readonly ms: number;
  private job: Reserved | undefined;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly check = (): void => this.onTimer();

  /** `seconds` > 0: the threshold; `report` is told each slow job once. */
  constructor(seconds: number, private readonly report: SlowJobReport) {
    this.ms = seconds * 1000;
  }

  /** A job started (the hot path: no allocation unless the timer is off). */
  start(job: Reserved): void {
    this.job = job;
    this.startedAt = performance.now();
    if (this.timer === undefined) this.arm(this.ms);
  }

  /** The current job finished. */
  end(): void {
    this.job = undefined;
  }

  /** Stop watching (the loop ended). */
  close(): void {
    this.job = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.check, Math.max(1, Math.ceil(ms)));
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    const job = this.job;
    if (job === undefined) return;
    const elapsed = performance.now() - this.startedAt;
    if (elapsed < this.ms) return this.arm(this.ms - elapsed);
    this.job = undefined; // reported: not again for this job
    try {
      this.report(job, elapsed / 1000);
    } catch {
      // a failing report must not break the loop
    }
  }
}
