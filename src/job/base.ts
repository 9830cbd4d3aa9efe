/**
 * `Job`: an optional base class for job authors, so that a TypeScript job compiles under
 * `strict` without declaring the fields the worker sets (`args!`, `job!`).
 *   1. The worker creates a job with `new Cls()` and then sets `args`, `queue` and `job` on the
 *      instance (php-resque's `$this->args`, `$this->queue`, `$this->job`); the fields here are
 *      `declare`d, so they emit no code and nothing overwrites what the worker sets.
 *   2. `TArgs` types `this.args` (php payload `args[0]`). It is `null` when `args` is empty,
 *      hence the default `unknown`; name the shape your producers push.
 *   3. Extending it is not required: any class with a `perform` method is a job.
 */
import type { JobContext } from './types';

export abstract class Job<TArgs = unknown> {
  /** php-resque's `$this->args`: the payload's `args[0]` (null when `args` is empty). */
  declare readonly args: TArgs;
  /** The queue the job was taken from. */
  declare readonly queue: string;
  /** The queue item as received: id, class name, decoded payload, exact bytes. */
  declare readonly job: JobContext;
  /** This run's attempt, 1-based (a retried job carries it in its payload). */
  declare readonly attempt: number;
  /** Run again `seconds` from now without counting a failure (think-queue's release). */
  declare readonly release: (seconds?: number) => void;

  /** Runs the job with the payload's positional args (`perform(...payload.args)`). */
  abstract perform(...args: unknown[]): unknown;
}
