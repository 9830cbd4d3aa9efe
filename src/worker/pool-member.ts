/**
 * A WorkerPool's worker process: one embedded Worker under its own pid, so its id
 * (`host:pid:queues`) is its own and php-resque's, Ruby's and our same-host pruning see a live
 * process. It reports to the pool over IPC and stops gracefully when the pool goes away.
 *   1. reads its settings (POOL_MEMBER_ENV), starts the Worker (the pool checked the jobs folder),
 *      says `started` or `start-failed`;
 *   2. listens to exactly the events the pool's listeners want, and sends them batched per turn;
 *   3. on `stopped`, reports it, waits until every message left, and exits 0 (1 after an error).
 */
import { Writable } from 'node:stream';
import { Worker } from './embedded';
import { JOB_EVENT_NAMES, type JobEventName, type JobEventRecord } from '../engine/job-events';
import { INTERNAL, type InternalWorkerOptions } from './options';
import { EventOutbox, drainToParent, sendToParent } from './ipc';
import { POOL_MEMBER_ENV, type FromMember, type MemberSettings, type ToMember, type WireError } from './pool-protocol';
import type { WorkerEventMap } from './events';

function send(m: FromMember): boolean {
  return sendToParent(m);
}

function wire(e: unknown): WireError {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'Error', message: String(e) };
}

function parentStream(): Writable {
  return new Writable({ write(chunk: Buffer | string, _enc, done) { send({ type: 'log', text: String(chunk) }); done(); } });
}

/** The listeners forwarding the wanted events to the outbox, as one disposer per name. */
class Forwarder {
  private readonly attached = new Map<JobEventName, () => void>();

  constructor(private readonly worker: Worker, private readonly outbox: EventOutbox) {}

  want(names: readonly JobEventName[]): void {
    this.outbox.want(names);
    for (const name of JOB_EVENT_NAMES) {
      const on = names.includes(name);
      if (on && !this.attached.has(name)) this.attached.set(name, this.attach(name));
      if (!on) { this.attached.get(name)?.(); this.attached.delete(name); }
    }
  }

  private attach(name: JobEventName): () => void {
    const w = this.worker;
    const push = (r: JobEventRecord): void => this.outbox.emit(r);
    switch (name) {
      case 'job:start': return listen(w, 'job:start', (event) => push({ name, event }));
      case 'job:done': return listen(w, 'job:done', (event) => push({ name, event }));
      case 'job:failed': return listen(w, 'job:failed', (event) => push({ name, event }));
      case 'job:skipped': return listen(w, 'job:skipped', (event) => push({ name, event }));
      case 'idle': return listen(w, 'idle', () => push({ name }));
      case 'error': return listen(w, 'error', (e) => push({ name, error: wire(e) }));
    }
  }
}

function listen<K extends keyof WorkerEventMap>(w: Worker, name: K, fn: (...a: WorkerEventMap[K]) => void): () => void {
  const on = w.on as (n: K, f: (...a: WorkerEventMap[K]) => void) => Worker;
  on.call(w, name, fn);
  return () => { (w.off as (n: K, f: (...a: WorkerEventMap[K]) => void) => Worker).call(w, name, fn); };
}

async function main(): Promise<number> {
  const settings = JSON.parse(process.env[POOL_MEMBER_ENV] ?? '{}') as MemberSettings;
  const options: InternalWorkerOptions = {
    ...settings.options, processTitle: true,
    ...(settings.logToParent ? { logStream: parentStream() } : {}),
    [INTERNAL]: { folderChecked: true },
  };
  const worker = new Worker(options);
  const outbox = new EventOutbox((list) => send({ type: 'events', list }));
  const forwarder = new Forwarder(worker, outbox);
  forwarder.want(settings.events);
  process.on('message', (m: ToMember) => {
    if (m.type === 'stop') void worker.stop({ graceful: m.graceful });
    else if (m.type === 'pause') worker.pause();
    else if (m.type === 'resume') worker.resume();
    else if (m.type === 'events') forwarder.want(m.names);
  });
  // The pool's process went away: finish the current job and unregister.
  process.on('disconnect', () => { void worker.stop({ graceful: true }); });
  // Signals to the process group are the pool's app's business; its stop() tells us.
  for (const sig of ['SIGINT', 'SIGQUIT', 'SIGUSR2', 'SIGCONT', 'SIGHUP'] as const) process.on(sig, () => undefined);
  try {
    await worker.start();
  } catch (e) {
    send({ type: 'start-failed', error: wire(e) });
    return 1;
  }
  send({ type: 'started', workerId: worker.id });
  const report = await worker.waitUntilStopped();
  outbox.flush();
  send({ type: 'stopped', reason: report.reason, ...(report.error ? { error: wire(report.error) } : {}) });
  return report.error ? 1 : 0;
}

main().then(async (code) => {
  await drainToParent();
  process.exit(code);
}, async (e: unknown) => {
  process.stderr.write(`resque-ts pool worker: ${String(e)}\n`);
  await drainToParent();
  process.exit(1);
});
