/**
 * The loop's Redis operations (the WorkerOps port of src/loop/ops.ts), over the Lua scripts:
 *   1. reserve: one Lua round trip that moves a job into this worker's in-flight list and
 *      records it (working-on, status RUNNING, job pid) — never only in memory;
 *   2. wait: blocking mode parks on BLMOVE (one connection per queue, so priority order still
 *      holds on the next reserve and nothing is popped into the void), or sleeps when polling;
 *   3. finish: one Lua round trip for status, counters, failure record and clean-up.
 */
import type Redis from 'ioredis';
import type { Connection } from '../redis/connection';
import type { Keys } from '../redis/keys';
import { reserve } from '../redis/scripts/reserve';
import { finish } from '../redis/scripts/finish';
import { settle } from '../redis/scripts/settle';
import { giveBack } from '../redis/scripts/give-back';
import { phpJsonEncode, phpString } from '../json';
import { phpDateC, sleep, unixNow } from '../time';
import { STATUS_COMPLETE, STATUS_FAILED, STATUS_TTL } from '../store/status';
import { failureRecordParts, RedisFailureBackend, type Failure, type FailureBackend } from '../store/failures';
import { sha1, type Claim, type Reserved, type Settlement, type Taken, type WorkerOps } from '../loop/ops';

export class RedisWorkerOps implements WorkerOps {
  private readonly blockers = new Map<string, Promise<Redis>>();

  constructor(
    private readonly connection: Connection,
    private readonly keys: Keys,
    private readonly workerId: string,
    private readonly blocking: boolean,
    failures?: FailureBackend,
  ) {
    this.failures = failures ?? new RedisFailureBackend(() => connection.client(), keys);
  }

  private readonly failures: FailureBackend;

  async reserve(queues: readonly string[], childPid: number | undefined, max: number): Promise<Claim | null> {
    if (queues.length === 0) return null;
    const [keys, args] = this.reserveParams(queues, childPid, max);
    return this.claim(queues, await reserve.runBuffer(await this.connection.client(), keys, args));
  }

  async settle(done: readonly Reserved[], last: { r: Reserved; s: Settlement } | undefined, queues: readonly string[], childPid: number | undefined, max: number): Promise<Claim | null> {
    const k = this.keys;
    const first = done[0];
    const popKeys = first ? [this.inflight(first.queue), k.stat('processed'), k.stat('processed', this.workerId)] : ['', '', ''];
    const popArgs = first ? [done.length, sha1(first)] : [0, ''];
    const [fk, fa] = last ? await this.finishParams(last.r, last.s) : [[k.worker(this.workerId), '', '', '', '', '', '', '', '', ''], ['', '', '', '', '', '', '', '', '', '']];
    const [rk, ra] = queues.length > 0 ? this.reserveParams(queues, childPid, max) : [[], []];
    const pidKeys = done.map((r) => (r.job?.id ? k.jobPid(r.job.id) : ''));
    const reply = (await settle.runBuffer(await this.connection.client(), [...popKeys, ...fk, ...rk, ...pidKeys], [...popArgs, ...fa, ...ra])) as [unknown, unknown, unknown];
    return this.claim(queues, reply[2]);
  }

  async giveBack(jobs: readonly Reserved[]): Promise<void> {
    const first = jobs[0];
    if (!first) return;
    const k = this.keys;
    const id = first.job?.id ?? first.looseId?.id;
    const statusKey = id ? k.status(id, first.job?.prefix ?? first.looseId?.prefix ?? '') : '';
    await giveBack.run(
      await this.connection.client(),
      [this.inflight(first.queue), k.queue(first.queue), k.worker(this.workerId), statusKey, ...jobs.map((r) => (r.job?.id ? k.jobPid(r.job.id) : ''))],
      [jobs.length, sha1(first), unixNow()],
    );
  }

  private reserveParams(queues: readonly string[], childPid: number | undefined, max: number): [string[], Array<string | number>] {
    const k = this.keys;
    const keys = [k.worker(this.workerId)];
    for (const q of queues) keys.push(k.queue(q), this.inflight(q));
    return [keys, [phpString(phpDateC()), k.ns, childPid === undefined ? '' : String(childPid), unixNow(), Math.max(1, max), ...queues.map(phpString)]];
  }

  /** A reserve_batch reply: {k, first tracked, raw...} or null. */
  private claim(queues: readonly string[], reply: unknown): Claim | null {
    if (!Array.isArray(reply)) return null;
    const [index, tracked, ...items] = reply as [number, number, ...Buffer[]];
    const queue = queues[index - 1] as string;
    return { queue, jobs: items.map((bytes, i) => ({ queue, raw: bytes.toString('utf8'), bytes, tracked: i === 0 && tracked === 1 })) };
  }

  async wait(queues: readonly string[], seconds: number, signal: AbortSignal): Promise<void> {
    // Polling never spins: --interval=0 still waits 10 ms between empty passes.
    if (!this.blocking || queues.length === 0) return sleep(Math.max(seconds * 1000, 10), signal);
    const clients = await Promise.all(queues.map((q) => this.blocker(q)));
    const unblock = (): void => { for (const c of clients) c.disconnect(true); };
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

  private blocker(queue: string): Promise<Redis> {
    let p = this.blockers.get(queue);
    if (!p) {
      p = this.connection.open(`resque-blocking-${queue}`).then(async (c) => {
        (c as Redis & { resqueClientId?: number }).resqueClientId = Number(await c.client('ID'));
        return c;
      });
      this.blockers.set(queue, p);
      p.catch(() => this.blockers.delete(queue));
    }
    return p;
  }

  async finish(r: Reserved, s: Settlement): Promise<void> {
    const [keys, args] = await this.finishParams(r, s);
    await finish.runBuffer(await this.connection.client(), keys, args);
  }

  private async finishParams(r: Reserved, s: Settlement): Promise<[string[], Array<string | number | Buffer>]> {
    let result = 'null';
    if (s.kind === 'done') {
      try {
        result = phpJsonEncode(s.result ?? null);
      } catch (e) {
        // A result JSON cannot hold (NaN, a cycle, a Map): the job fails, it is not retried forever.
        const message = `perform() returned a value that cannot be stored as JSON: ${(e as Error).message}`;
        return this.finishParams(r, { kind: 'failed', error: { name: 'UnserializableResultError', message, backtrace: [] } });
      }
    } else if (s.kind === 'skipped') result = 'false';
    const k = this.keys;
    let record: [string, string] = ['', ''];
    if (s.kind === 'failed') {
      const failure: Failure = { raw: r.raw, rawIsObject: r.jsonObject, error: s.error, workerId: this.workerId, queue: r.queue, failedAt: new Date() };
      if (this.failures instanceof RedisFailureBackend) record = failureRecordParts(failure);
      else await this.failures.save(failure);
    }
    // An invalid payload may still carry an id whose status reserve set to RUNNING: settle that too.
    const id = r.job?.id ?? r.looseId?.id;
    const prefix = r.job?.prefix ?? r.looseId?.prefix ?? '';
    const code = s.kind === 'failed' ? STATUS_FAILED : STATUS_COMPLETE;
    const countFailed = s.kind === 'failed' && s.countFailed !== false;
    const sha = sha1(r);
    return [
      [k.worker(this.workerId), this.inflight(r.queue), k.stat('processed'), k.stat('processed', this.workerId),
        k.stat('failed'), k.stat('failed', this.workerId), k.failed(), id ? k.status(id, prefix) : '', id ? k.jobPid(id) : '', k.queue(r.queue)],
      [record[0], code, unixNow(), result, STATUS_TTL, countFailed ? '1' : '0', s.kind === 'requeue' ? 'requeue' : '', record[1], r.jsonObject ? '1' : '0', sha],
    ];
  }

  async recordPid(r: Reserved, pid: number): Promise<void> {
    if (r.job?.id) await (await this.connection.client()).set(this.keys.jobPid(r.job.id), String(pid));
  }

  async knownQueues(): Promise<string[]> {
    return (await this.connection.client()).smembers(this.keys.queues());
  }

  async close(): Promise<void> {
    const all = [...this.blockers.values()];
    this.blockers.clear();
    await Promise.all(all.map((p) => p.then((c) => c.disconnect(), () => undefined)));
  }

  private inflight(queue: string): string {
    return this.keys.inflight(this.workerId, queue);
  }
}
