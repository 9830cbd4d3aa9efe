/**
 * Process titles (what `ps` shows), in Ruby Resque's shape `resque-VERSION: STATUS` (WIRE.md §5.4).
 *   1. procTitle joins the version and a status; the status helpers build the usual statuses.
 *   2. supervisorTitle names the COUNT parent.
 * Why this shape: starting workers prune same-host workers whose pid they cannot see in `ps`.
 * Ruby keeps pids whose line matches `resque-<digit>`, `resque:work` or `resque: Starting`;
 * php-resque keeps lines matching `[r]esque`. A title starting `resque-1.0.0:` satisfies both,
 * so our live workers are not unregistered by peers.
 * On Linux `process.title` cannot grow past the original command line's length (it is written
 * over argv); the CLI starts the worker with a command line long enough. Not handled here.
 */

/** `resque-1.0.0: Waiting for default`. */
export function procTitle(version: string, status: string): string {
  return `resque-${version}: ${status}`;
}

/** `Waiting for a,b` (the configured list, `*` included, as Ruby prints it). */
export function waitingFor(queues: readonly string[]): string {
  return `Waiting for ${queues.join(',')}`;
}

/** `Processing default since 1795252071 [App\Jobs\SendEmail]` (unix seconds). */
export function processing(queue: string, since: Date, className: string): string {
  return `Processing ${queue} since ${unixSeconds(since)} [${className}]`;
}

/** `Paused`. */
export function paused(): string {
  return 'Paused';
}

/** `Forked 4242 at 1795252071` (Ruby's parent status while a child runs the job). */
export function forked(pid: number, at: Date = new Date()): string {
  return `Forked ${pid} at ${unixSeconds(at)}`;
}

/** `Starting`. */
export function starting(): string {
  return 'Starting';
}

/** `Shutting down`. */
export function shuttingDown(): string {
  return 'Shutting down';
}

/** `resque-1.0.0: Supervising 4 workers for default`. */
export function supervisorTitle(version: string, count: number, queues: readonly string[]): string {
  return procTitle(version, `Supervising ${count} worker${count === 1 ? '' : 's'} for ${queues.join(',')}`);
}

function unixSeconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}
