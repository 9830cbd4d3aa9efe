/**
 * The loop's Redis operations (the WorkerOps port of src/loop/ops.ts):
 *   1. every job state change (reserve, settle, finish, give-back, a job's pid) is the jobs
 *      aggregate's (src/store/jobs.ts), one Lua round trip each;
 *   2. wait: blocking mode parks on BLMOVE (one connection per queue, so priority order still
 *      holds on the next reserve and nothing is popped into the void), or sleeps when polling;
 *   3. the queue list for `*`.
 */
import type Redis from 'ioredis';
import type { Connection } from '../redis/connection';
import type { Keys } from '../redis/keys';
import { sleep } from '../time';
import type { FailureBackend } from '../store/failures';
import { WorkerJobs } from '../store/jobs';
import type { Claim, Reserved, Settlement, WorkerOps } from '../loop/ops';

/** Most blocking connections a worker holds (`--blocking` with many queues, `QUEUE=*`). */
export const MAX_BLOCKING = 8;

export class RedisWorkerOps implements WorkerOps {
  private readonly blockers = new Map<number, Promise<Redis>>();

  constructor(
    private readonly connection: Connection,
    private readonly keys: Keys,
    private readonly workerId: string,
    private readonly blocking: boolean,
    failures?: FailureBackend,
    history = true,
  ) {
    this.jobs = new WorkerJobs(() => connection.client(), keys, workerId, failures, history);
  }

  private readonly jobs: WorkerJobs;

  reserve(queues: readonly string[], childPid: number | undefined, max: number): Promise<Claim | null> {
    return this.jobs.reserve(queues, childPid, max);
  }

  settle(done: readonly Reserved[], last: { r: Reserved; s: Settlement } | undefined, queues: readonly string[], childPid: number | undefined, max: number): Promise<Claim | null> {
    return this.jobs.settle(done, last, queues, childPid, max);
  }

  giveBack(jobs: readonly Reserved[], behindRunning = false): Promise<void> {
    return this.jobs.giveBack(jobs, behindRunning);
  }

  finish(r: Reserved, s: Settlement): Promise<void> {
    return this.jobs.finish(r, s);
  }

  amend(r: Reserved, s: Settlement): Promise<boolean> {
    return this.jobs.amend(r, s);
  }

  recordPid(r: Reserved, pid: number): Promise<void> {
    return this.jobs.recordPid(r, pid);
  }

  async wait(all: readonly string[], seconds: number, signal: AbortSignal): Promise<void> {
    // Polling never spins: --interval=0 still waits 10 ms between empty passes.
    if (!this.blocking || all.length === 0) return sleep(Math.max(seconds * 1000, 10), signal);
    // At most MAX_BLOCKING connections whatever the number of queues: the first ones by priority
    // block; when there are more, the wait ends within a second so the pass looks at all of them.
    const queues = all.slice(0, MAX_BLOCKING);
    if (all.length > queues.length) seconds = seconds > 0 ? Math.min(seconds, 1) : 1;
    const clients = await Promise.all(queues.map((_, i) => this.blocker(i)));
    // CLIENT UNBLOCK makes each BLMOVE return nil at once. (Dropping the connection does not:
    // ioredis re-sends the pending command on its new connection, which then waits out INTERVAL.)
    const unblock = (): void => { void this.unblockAll(clients); };
    signal.addEventListener('abort', unblock, { once: true });
    try {
      // The first queue to get a job wins; the others are unblocked. A job a losing
      // connection moved meanwhile stays parked in our in-flight list and is reserved next.
      await Promise.race(queues.map((q, i) => (clients[i] as Redis).blmove(this.keys.queue(q), this.inflight(q), 'LEFT', 'RIGHT', seconds)));
    } catch {
      /* unblocked by abort or a dropped connection: the caller re-checks */
    } finally {
      signal.removeEventListener('abort', unblock);
      if (queues.length > 1) await this.unblockAll(clients);
    }
  }

  private async unblockAll(clients: Redis[]): Promise<void> {
    const main = await this.connection.client();
    await Promise.all(clients.map(async (c) => {
      const id = (c as Redis & { resqueClientId?: number }).resqueClientId;
      if (id !== undefined) await main.client('UNBLOCK', id).catch(() => 0);
    }));
  }

  /** Blocking connection number `slot` (< MAX_BLOCKING), for whichever queue waits on it. */
  private blocker(slot: number): Promise<Redis> {
    let p = this.blockers.get(slot);
    if (!p) {
      p = this.connection.open(`resque-blocking-${slot}`).then(async (c) => {
        (c as Redis & { resqueClientId?: number }).resqueClientId = Number(await c.client('ID'));
        return c;
      });
      this.blockers.set(slot, p);
      p.catch(() => this.blockers.delete(slot));
    }
    return p;
  }

  async knownQueues(): Promise<string[]> {
    return (await this.connection.client()).smembers(this.keys.queues());
  }

  async close(): Promise<void> {
    // What the settles held back of the history (a best effort: Redis may be gone).
    await this.jobs.flushHistory().catch(() => undefined);
    const all = [...this.blockers.values()];
    this.blockers.clear();
    await Promise.all(all.map((p) => p.then((c) => c.disconnect(), () => undefined)));
  }

  explain(e: unknown): string {
    return this.connection.explain(e);
  }

  outage(seconds: number, e: unknown): string {
    return this.connection.outage(seconds, e);
  }

  private inflight(queue: string): string {
    return this.keys.inflight(this.workerId, queue);
  }
}
