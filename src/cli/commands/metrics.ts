/**
 * `resque metrics [--host=127.0.0.1] [--port=9180]`: serve Prometheus metrics at /metrics
 * (src/metrics/exporter.ts), read through the admin API at each scrape. Runs until QUIT, TERM,
 * INT or HUP (exit 0); exit 1 when the port cannot be bound.
 */
import { catchOptionErrors, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientFlags, clientSettings, connectionOf, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import { OptionError } from '../../errors';
import { listenFlags, listenOf, serveUntilStopped } from '../serve';

export interface MetricsCommandOptions {
  readonly client: ClientSettings;
  readonly host: string;
  readonly port: number;
  readonly processMetrics: boolean;
}

/** The default port of `resque metrics`. */
export const METRICS_PORT = 9180;

const FLAGS = clientFlags([
  ...listenFlags(METRICS_PORT),
  { name: 'process-metrics', kind: 'boolean', default: 'on', help: 'also this process\'s own metrics (process_*, nodejs_*)' },
]);

export const metricsCommand: Command<MetricsCommandOptions> = {
  name: 'metrics',
  summary: 'serve Prometheus metrics at /metrics',
  usage: 'resque metrics [--host=127.0.0.1] [--port=9180]',
  flags: FLAGS,
  parse(argv, env, cwd): ParseResult<MetricsCommandOptions> {
    return catchOptionErrors<MetricsCommandOptions>(() => {
      const { flags, words } = parseFlags(argv, FLAGS, metricsCommand);
      if (words.length > 0) throw new OptionError(`Unexpected argument "${words[0] ?? ''}" after "metrics".`);
      return { ok: true, options: { client: clientSettings(flags, env, cwd), ...listenOf(flags, METRICS_PORT), processMetrics: flags.get('process-metrics') !== '0' } };
    });
  },
  run,
};

async function run(o: MetricsCommandOptions, io: Io): Promise<number> {
  const { MetricsExporter } = require('../../metrics/exporter') as typeof import('../../metrics/exporter');
  const { serveMetrics } = require('../../metrics/http') as typeof import('../../metrics/http');
  const admin = new ResqueAdmin(connectionOf(o.client));
  return serveUntilStopped(io, o, () => serveMetrics(new MetricsExporter(admin, { processMetrics: o.processMetrics }), o.host, o.port), (origin) => `Serving metrics on ${origin}/metrics`, () => admin.close());
}
