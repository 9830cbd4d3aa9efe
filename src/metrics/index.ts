/** `resque-ts/metrics`: the Prometheus exporter and its HTTP handler (loads prom-client). */
export { MetricsExporter, type MetricsOptions } from './exporter';
export { metricsHandler, serveMetrics } from './http';
