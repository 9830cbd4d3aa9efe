/**
 * The child side of an IPC channel to the parent, for process mains (the job process, a pool's
 * worker process): send() reports whether the message could be serialized, and drain() waits
 * until every message sent so far has left this process — call it before process.exit(), which
 * would drop messages still queued. EventOutbox batches the wanted job events of one turn of
 * the event loop into one message, a job that started and settled in it as one record.
 */
import { isSettled, type JobEventName, type JobEventRecord, type JobEventSink } from '../engine/job-events';

let pending = 0;
let onDrained: (() => void) | undefined;

/** False when `m` could not be serialized (a value structured clone cannot copy, such as a function). */
export function sendToParent(m: unknown): boolean {
  if (!process.connected || !process.send) return true;
  pending++;
  try {
    process.send(m, undefined, undefined, sent);
    return true;
  } catch {
    sent();
    return false;
  }
}

function sent(): void {
  pending--;
  if (pending === 0) onDrained?.();
}

/** Resolves once every message sent so far left this process (or after `ms`). */
export function drainToParent(ms = 2000): Promise<void> {
  if (pending === 0 || !process.connected) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    onDrained = () => { clearTimeout(t); resolve(); };
  });
}

/** The wanted job events, sent as one message per turn of the event loop. */
export class EventOutbox implements JobEventSink {
  private wanted = new Set<JobEventName>();
  private queue: JobEventRecord[] = [];
  /** The last queued record is a job:start (the loop runs one job at a time: the next settled record is that job's). */
  private lastIsStart = false;

  /** `send` sends one batch; false when it could not be serialized. */
  constructor(private readonly send: (list: readonly JobEventRecord[]) => boolean) {}

  want(names: readonly JobEventName[]): void {
    this.wanted = new Set(names);
  }

  wants(name: JobEventName): boolean {
    return this.wanted.has(name);
  }

  emit(record: JobEventRecord): void {
    if (this.queue.length === 0) setImmediate(() => this.flush());
    // A job that started and settled within this batch: one record flagged `started`, not two.
    if (isSettled(record) && this.lastIsStart) {
      this.queue[this.queue.length - 1] = { ...record, started: true };
    } else {
      this.queue.push(record);
    }
    this.lastIsStart = record.name === 'job:start';
  }

  flush(): void {
    this.lastIsStart = false;
    if (this.queue.length === 0) return;
    const list = this.queue;
    this.queue = [];
    if (this.send(list)) return;
    // One record could not be copied: send them one by one, that one without its result.
    for (const r of list) if (!this.send([r])) this.send([withoutResult(r)]);
  }
}

/** A job:done record whose result cannot cross the channel (a function, say): result undefined. */
function withoutResult(r: JobEventRecord): JobEventRecord {
  return r.name === 'job:done' ? { name: 'job:done', event: { ...r.event, result: undefined } } : r;
}
