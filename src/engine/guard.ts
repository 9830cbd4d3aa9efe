/**
 * Limits on one running job, watched from the parent (a hung or runaway child cannot
 * police itself):
 *   1. time: after `timeoutSec` (the worker default, or the job class's `static timeout`
 *      reported by the child) the child gets TERM, then KILL after the grace period;
 *   2. memory: the child's RSS is sampled with pidusage every `sampleMs`; over the hard cap
 *      it is killed at once; the last sample is kept (and reported) so the runner can recycle
 *      a child that grew past the soft limit once its job is done.
 * The guard only decides and records why; the runner turns that into JobTimeoutError /
 * JobMemoryError instead of a plain DirtyExit.
 */
import pidusage from 'pidusage';

export interface UsageSample {
  pid: number;
  /** Resident set size in MB. */
  rssMb: number;
  /** CPU percent since the previous sample. */
  cpu: number;
  at: number;
}

export interface GuardLimits {
  /** Seconds; 0 = no limit. */
  timeoutSec: number;
  /** MB; 0 = no hard cap. */
  hardMemoryMb: number;
  /** Milliseconds between memory samples; 0 = no sampling. */
  sampleMs: number;
}

export type GuardVerdict = { kind: 'timeout'; seconds: number } | { kind: 'memory'; rssMb: number; limitMb: number };

export class JobGuard {
  verdict: GuardVerdict | undefined;
  lastSample: UsageSample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sampler: NodeJS.Timeout | undefined;
  private readonly t0 = Date.now();

  constructor(
    private readonly pid: number,
    private readonly limits: GuardLimits,
    /** Called once when a limit is crossed: stop the child (TERM→KILL for time, KILL for memory). */
    private readonly kill: (signal: NodeJS.Signals) => void,
    private readonly onSample?: (s: UsageSample) => void,
  ) {
    this.setTimeout(limits.timeoutSec);
    if (limits.sampleMs > 0) this.sampler = setInterval(() => void this.sample(), limits.sampleMs);
    this.sampler?.unref();
  }

  /** The job class declared its own limit: it replaces the default, counted from the start. */
  setTimeout(seconds: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!(seconds > 0)) return;
    const left = Math.max(0, seconds * 1000 - (Date.now() - this.t0));
    this.timer = setTimeout(() => this.trip({ kind: 'timeout', seconds }, 'SIGTERM'), left);
  }

  /** Take one sample now (also used once after the job, for the recycle decision). */
  async sample(): Promise<UsageSample | undefined> {
    try {
      const stat = await pidusage(this.pid);
      const s: UsageSample = { pid: this.pid, rssMb: stat.memory / (1024 * 1024), cpu: stat.cpu, at: Date.now() };
      this.lastSample = s;
      this.onSample?.(s);
      if (this.limits.hardMemoryMb > 0 && s.rssMb > this.limits.hardMemoryMb) {
        this.trip({ kind: 'memory', rssMb: s.rssMb, limitMb: this.limits.hardMemoryMb }, 'SIGKILL');
      }
      return s;
    } catch {
      return undefined; // the child is gone; its exit tells the story
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.sampler) clearInterval(this.sampler);
    this.timer = this.sampler = undefined;
  }

  private trip(verdict: GuardVerdict, signal: NodeJS.Signals): void {
    if (this.verdict) return;
    this.verdict = verdict;
    this.stop();
    this.kill(signal);
  }
}

/** Drop pidusage's history and its timer (call when the runner closes). */
export function forgetUsage(): void {
  pidusage.clear();
}
