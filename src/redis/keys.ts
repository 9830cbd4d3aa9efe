/**
 * The only place Redis key names are built. Every key lives under the namespace
 * (default `resque:`); the names are the ones php-resque, Ruby Resque and node-resque
 * read and write (WIRE.md §2). Keys marked "ours" are additive: peers ignore them.
 */
export class Keys {
  /** Namespace with its trailing `:` (php-resque appends one when missing). */
  readonly ns: string;

  constructor(namespace = 'resque') {
    this.ns = namespace === '' ? '' : namespace.endsWith(':') ? namespace : `${namespace}:`;
  }

  /** Set of every queue name. */
  queues(): string { return `${this.ns}queues`; }
  /** List of job payloads of one queue. */
  queue(name: string): string { return `${this.ns}queue:${name}`; }
  /** Queue name from a key returned by BLPOP (php-resque strips `namespace + "queue:"`). */
  queueName(key: string): string { return key.slice(this.queue('').length); }

  /** Status packet of a tracked job; a payload prefix makes it `job:PREFIX_ID:status` (P2). */
  status(id: string, prefix = ''): string {
    return `${this.ns}job:${prefix ? `${prefix}_` : ''}${id}:status`;
  }
  /** Pid of the child running job ID (P2); not affected by the status prefix. */
  jobPid(id: string): string { return `${this.ns}job:${id}:pid`; }

  /** List of failure records. */
  failed(): string { return `${this.ns}failed`; }

  /** Counter `stat:processed` / `stat:failed`, global or per worker. */
  stat(name: 'processed' | 'failed', workerId?: string): string {
    return `${this.ns}stat:${name}${workerId === undefined ? '' : `:${workerId}`}`;
  }

  /** Set of registered worker ids. */
  workers(): string { return `${this.ns}workers`; }
  /** What worker WID is working on (absent when idle). */
  worker(workerId: string): string { return `${this.ns}worker:${workerId}`; }
  /** When worker WID started. */
  workerStarted(workerId: string): string { return `${this.ns}worker:${workerId}:started`; }
  /** Ruby Resque's heartbeat hash: worker id → ISO-8601 time. */
  heartbeat(): string { return `${this.ns}workers:heartbeat`; }
  /** node-resque's liveness key of worker NAME (`host:pid`): JSON `{time, name, queues}`. */
  workerPing(name: string): string { return `${this.ns}worker:ping:${name}`; }
  /** Ruby Resque's pruning lock. */
  pruneLock(): string { return `${this.ns}pruning_dead_workers_in_progress`; }
  /** Ruby Resque's global pause flag. */
  pauseAll(): string { return `${this.ns}pause-all-workers`; }

  /** Ours: list holding the exact payload a worker reserved from QUEUE and has not finished. */
  inflight(workerId: string, queue: string): string { return `${this.inflightPrefix(workerId)}${queue}`; }
  /** Ours: what every in-flight list of a worker starts with (SCAN it with a `*` appended). */
  inflightPrefix(workerId: string): string { return `${this.ns}worker:${workerId}:inflight:`; }
  /** Ours: held by the one worker recovering dead workers right now (string, with a TTL). */
  recoveryLock(): string { return `${this.ns}resque-ts:recovering`; }
  /**
   * Ours: the KEY a script is given where a key does not apply (a job without an id has no status
   * or pid key; a settle with nothing to pop). It is inside the namespace, so a Redis user
   * restricted to `~PREFIX:*` may name it (an empty key is refused: NOPERM), it is never written,
   * and the scripts' `present(k)` tells it apart: it ends with a NUL byte, which no key we build does.
   */
  absent(): string { return `${this.ns}\0`; }
  /**
   * Ours: the fence of a worker pruned as dead (hash, with a TTL; under `resque-ts:` so a peer's
   * unregister never removes it). While it exists the worker may not reserve or beat: a frozen or
   * partitioned process that comes back stops. Fields: `by` (who pruned it), and per job the
   * pruner settled, the SHA-1 of its bytes → what was done (`f` + the failure record written, or
   * `q` requeued), so a job the worker did finish is corrected instead of counted twice.
   */
  fence(workerId: string): string { return `${this.ns}resque-ts:fenced:${workerId}`; }
  /** Ours: last resource sample of a worker's child (hash). */
  workerUsage(workerId: string): string { return `${this.ns}worker:${workerId}:usage`; }

  /** Delayed jobs (resque-scheduler): sorted set of due timestamps. */
  delayedSchedule(): string { return `${this.ns}delayed_queue_schedule`; }
  /** Delayed jobs due at unix second `ts`. */
  delayed(ts: number): string { return `${this.ns}delayed:${ts}`; }
  /** resque-scheduler's index of where one exact item is scheduled (members `delayed:TS`, without the namespace). */
  timestamps(item: string): string { return `${this.ns}timestamps:${item}`; }
  /** Ours: the list the scheduler blocks on between due seconds; a producer scheduling an earlier item pushes a token. */
  schedulerWake(): string { return `${this.ns}resque-ts:scheduler:wake`; }
  /** Ours: delayed items that are not job objects, kept byte for byte instead of dropped. */
  delayedInvalid(): string { return `${this.ns}resque-ts:delayed:invalid`; }
  /** Ours: held (value `host:pid`, with a TTL) by the one scheduler of ours that moves items. */
  schedulerLeader(): string { return `${this.ns}resque-ts:scheduler:leader`; }
  /** Ours: the value our leading scheduler wrote into the peers' locks (so its successor may take them over). */
  schedulerPeerLocks(): string { return `${this.ns}resque-ts:scheduler:peer-locks`; }
  /** resque-scheduler's master lock (`host:pid`, EX 180). */
  rubySchedulerLock(): string { return `${this.ns}resque:resque_scheduler_master_lock`; }
  /** node-resque's scheduler leader lock (`host:pid`, EX 180). */
  nodeSchedulerLock(): string { return `${this.ns}resque_scheduler_leader_lock`; }
  /** resque-scheduler's recurring schedules: hash name → JSON config. */
  persistentSchedules(): string { return `${this.ns}persistent_schedules`; }
  /** resque-scheduler's set of schedule names changed since its last reload. */
  schedulesChanged(): string { return `${this.ns}schedules_changed`; }
  /** Ours: who handles event EVENT (hash `queue` + newline + `class` → `{"class","queue","delay"}`). */
  eventHandlers(event: string): string { return `${this.ns}resque-ts:event:${event}`; }
  /** Ours: retried attempts, in all or of queue Q (counters). */
  retried(queue?: string): string { return `${this.ns}resque-ts:stat:retried${queue === undefined ? '' : `:${queue}`}`; }
  /** Ours: attempts of queue Q our workers settled (processed) or failed (counters; stat:processed / stat:failed are the peers' totals). */
  queueStat(name: 'processed' | 'failed', queue: string): string { return `${this.ns}resque-ts:stat:${name}:${queue}`; }
  /**
   * Ours: what was settled in unix minute M (hash, with a TTL): `qp:Q` / `qf:Q` processed and
   * failed of queue Q, `cp:C` / `cf:C` of job class C (src/store/history.ts).
   */
  history(minute: number): string { return `${this.ns}resque-ts:history:${minute}`; }
  /** Ours: job-duration histograms (hash: `["Q","C",i]` → attempts in bucket i, `["Q","C","sum"]` → seconds). */
  durations(): string { return `${this.ns}resque-ts:durations`; }
  /** Ours: a request to one worker, `stop` or `pause` (string, with a TTL), written by `resque stop|pause WID`. */
  control(workerId: string): string { return `${this.ns}resque-ts:control:${workerId}`; }
  /** Ours: when `resque restart` last asked every worker to finish its job and start again (unix ms). */
  restart(): string { return `${this.ns}resque-ts:restart`; }
  /** Ours: a recurring schedule's state (hash: `last` tick fired or passed, `lastRunAt`, `lastJob`, `lastSkipped`). */
  scheduleState(name: string): string { return `${this.ns}resque-ts:schedule:${name}`; }
}
