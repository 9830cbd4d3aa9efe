/**
 * `--in-process`: jobs run inside the worker process itself (node-resque's and Ruby's
 * FORK_PER_JOB=false model). Fastest, no isolation: a job that crashes, exits or hangs takes
 * the worker with it, and time/memory limits cannot be enforced (documented trade-off).
 * Same job contract as children (the shared executeJob), same outcomes.
 */
import { performance } from 'node:perf_hooks';
import { decodePayload, type DecodedJob } from '../payload';
import { normalizeError } from '../errors';
import type { RetryDefaults } from '../job/retry';
import { executeJob } from '../job/execute';
import { runAsJob } from '../job/late-errors';
import { JobLoader } from '../job/loader';
import type { AppModule, JobClass } from '../job/types';
import type { ExecOutcome, Executor } from '../loop/loop';

export class InProcessExecutor implements Executor {
  private readonly loader: JobLoader;
  private running = false;

  constructor(private readonly opts: {
    jobsDir: string;
    app: AppModule;
    /** Run the app's afterFork per job (true in a job process; false in the worker itself). */
    afterFork?: boolean;
    /** Told each job's class once it is loaded (the job process reports `static timeout`). */
    onClass?: (cls: JobClass, job: DecodedJob) => void;
    /** Log level debug: an unknown class's error lists every candidate tried. */
    debug?: boolean;
    /** The worker's retry defaults (--tries, --retry-delay). */
    retry?: RetryDefaults;
  }) {
    this.loader = new JobLoader({ jobsDir: opts.jobsDir, jobs: opts.app.jobs ?? {}, debug: opts.debug ?? false });
  }

  get currentPid(): number | undefined {
    return this.running ? process.pid : undefined;
  }

  get nextPid(): number | undefined {
    return process.pid;
  }

  async run(queue: string, raw: string, onStart?: (pid: number) => void, decoded?: DecodedJob): Promise<ExecOutcome> {
    const t0 = performance.now();
    const pid = process.pid;
    this.running = true;
    try {
      const job = decoded ?? decodePayload(raw);
      onStart?.(pid);
      const resolve = async (n: string): Promise<JobClass> => {
        const cls = await this.loader.resolve(n);
        this.opts.onClass?.(cls, job);
        return cls;
      };
      const r = await runAsJob({ className: job.className, id: job.id, queue }, () =>
        executeJob({ job, queue, resolve, hooks: this.opts.app.hooks ?? {}, runAfterFork: this.opts.afterFork ?? false, ...(this.opts.retry ? { retry: this.opts.retry } : {}) }));
      const durationMs = performance.now() - t0;
      switch (r.kind) {
        case 'done':
          return { kind: 'done', result: r.result, pid, durationMs };
        case 'skipped':
          return { kind: 'skipped', reason: r.reason, pid, durationMs };
        case 'failed':
          return { kind: 'failed', error: normalizeError(r.error), ...(r.retryIn !== undefined ? { retryIn: r.retryIn } : {}), pid, durationMs };
        case 'released':
          return { kind: 'released', delay: r.delay, pid, durationMs };
      }
    } catch (e) {
      return { kind: 'failed', error: normalizeError(e), pid, durationMs: performance.now() - t0 };
    } finally {
      this.running = false;
    }
  }

  /** Nothing to kill: the job shares our process. */
  kill(): void {}

  async close(): Promise<void> {}
}
