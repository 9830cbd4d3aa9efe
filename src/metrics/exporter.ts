/**
 * Prometheus metrics, read through the admin API at each scrape (no state of its own but the
 * process's metrics), in Prometheus' text format by prom-client:
 *   resque_jobs_processed_total{queue}, resque_jobs_failed_total{queue}, resque_jobs_retried_total{queue}
 *     attempts our workers settled per queue (counters; resque-ts:stat:*:Q);
 *   resque_stat_processed_total, resque_stat_failed_total   the namespace's stat:processed / stat:failed
 *     (every peer's workers count there);
 *   resque_queue_jobs{queue} waiting, resque_queue_latency_seconds{queue} age of the oldest waiting
 *     job (payloads with queue_time), resque_jobs_in_flight{queue}, resque_jobs_delayed,
 *     resque_failed_records, resque_workers{state,kind}, resque_worker_memory_bytes{worker}
 *     (gauges);
 *   resque_job_duration_seconds{queue,class}   histogram (our fixed buckets);
 *   and this process's own (process_*, nodejs_*), unless turned off.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ResqueAdmin } from '../api/admin';

export interface MetricsOptions {
  /** Include this process's metrics (process_*, nodejs_*). Default true. */
  processMetrics?: boolean;
}

/** A histogram read from stored buckets, as prom-client's registry renders a metric. */
interface StoredMetric {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: { labels: Record<string, string | number>; value: number; metricName: string }[] }>;
}

export class MetricsExporter {
  private readonly process: Registry | undefined;

  constructor(private readonly admin: ResqueAdmin, o: MetricsOptions = {}) {
    if (o.processMetrics !== false) {
      this.process = new Registry();
      collectDefaultMetrics({ register: this.process });
      // prom-client names three gauges `nodejs_active_*_total`, which Prometheus reserves for
      // counters (promtool check metrics refuses them); `nodejs_active_*{type}` says the same per type.
      for (const m of this.process.getMetricsAsArray()) {
        if (m.name.endsWith('_total') && String(m.type) !== 'counter') this.process.removeSingleMetric(m.name);
      }
    }
  }

  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;

  /** One scrape: the exposition text. */
  async render(): Promise<string> {
    const reg = await this.scrape();
    return (this.process ? Registry.merge([reg, this.process]) : reg).metrics();
  }

  private async scrape(): Promise<Registry> {
    const [info, workers, durations] = await Promise.all([this.admin.info(), this.admin.workers(), this.admin.durations()]);
    const reg = new Registry();
    const counter = (name: string, help: string, labelNames: string[] = []): Counter<string> => new Counter({ name, help, labelNames, registers: [reg] });
    const gauge = (name: string, help: string, labelNames: string[] = []): Gauge<string> => new Gauge({ name, help, labelNames, registers: [reg] });

    const processed = counter('resque_jobs_processed_total', 'Attempts our workers settled, per queue (every attempt of a retried job counts).', ['queue']);
    const failed = counter('resque_jobs_failed_total', 'Attempts our workers settled as failed (a job\'s last), per queue.', ['queue']);
    const retried = counter('resque_jobs_retried_total', 'Attempts our workers retried, per queue.', ['queue']);
    const waiting = gauge('resque_queue_jobs', 'Jobs waiting in the queue.', ['queue']);
    const latency = gauge('resque_queue_latency_seconds', 'Seconds the oldest waiting job has waited (payloads with queue_time).', ['queue']);
    const inFlight = gauge('resque_jobs_in_flight', 'Jobs taken by a worker and not finished.', ['queue']);
    for (const q of info.queues) {
      const labels = { queue: q.name };
      processed.inc(labels, q.done);
      failed.inc(labels, q.failed);
      retried.inc(labels, q.retried);
      waiting.set(labels, q.waiting);
      inFlight.set(labels, q.reserved);
      if (q.oldestAge !== null) latency.set(labels, q.oldestAge);
    }
    counter('resque_stat_processed_total', 'The namespace\'s stat:processed (every Resque worker counts there).').inc(info.stats.processed);
    counter('resque_stat_failed_total', 'The namespace\'s stat:failed.').inc(info.stats.failed);
    gauge('resque_jobs_delayed', 'Jobs in the delayed queue.').set(info.delayed);
    gauge('resque_failed_records', 'Records in the failed list.').set(info.stats.failedRecords);
    const byState = gauge('resque_workers', 'Registered workers, by state and by the implementation that wrote them.', ['state', 'kind']);
    const memory = gauge('resque_worker_memory_bytes', 'RSS of a worker\'s job process at its last sample (ours).', ['worker']);
    const counts = new Map<string, number>();
    for (const w of workers) {
      const key = JSON.stringify([w.job ? 'busy' : 'idle', w.peer]);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (w.usage?.rssMb !== null && w.usage?.rssMb !== undefined) memory.set({ worker: w.id }, Math.round(w.usage.rssMb * 1048576));
    }
    for (const [key, n] of counts) {
      const [state, kind] = JSON.parse(key) as [string, string];
      byState.set({ state, kind }, n);
    }
    reg.registerMetric(durationMetric(durations) as never);
    return reg;
  }
}

function durationMetric(durations: Awaited<ReturnType<ResqueAdmin['durations']>>): StoredMetric {
  const name = 'resque_job_duration_seconds';
  const help = 'How long attempts ran, per queue and job class (our workers).';
  return {
    name, help, type: 'histogram', aggregator: 'sum',
    async get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (const h of durations) {
        const labels = { queue: h.queue, class: h.className };
        for (const [le, n] of h.buckets) values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: le === Infinity ? '+Inf' : le }, value: n });
        values.push({ metricName: `${name}_sum`, labels, value: h.sum });
        values.push({ metricName: `${name}_count`, labels, value: h.count });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
}
