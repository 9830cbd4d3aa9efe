/**
 * `resque metrics [--host=127.0.0.1] [--port=9180]`: serve Prometheus metrics at /metrics
 * (src/metrics/exporter.ts), read through the admin API at each scrape. Runs until QUIT, TERM,
 * INT or HUP (exit 0); exit 1 when the port cannot be bound.
 */
import { catchOptionErrors, fromFlag, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientFlags, clientSettings, connectionOf, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import { OptionError } from '../../errors';
import { installSignals } from '../../worker/signals';

export interface MetricsCommandOptions {
  readonly client: ClientSettings;
  readonly host: string;
  readonly port: number;
  readonly processMetrics: boolean;
}

/** The default port of `resque metrics`. */
export const METRICS_PORT = 9180;

const FLAGS = clientFlags([
  { name: 'host', kind: 'string', value: 'ADDRESS', default: '127.0.0.1', help: 'address to listen on (0.0.0.0: every interface)' },
  { name: 'port', kind: 'number', value: 'N', default: String(METRICS_PORT), help: 'port to listen on (0: any free one, printed)' },
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
      const src = fromFlag(flags, 'port');
      const port = src ? Number(src.text) : METRICS_PORT;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OptionError(`Invalid value for --port: ${JSON.stringify(src?.text)} (expected 0–65535).`);
      return { ok: true, options: { client: clientSettings(flags, env, cwd), host: flags.get('host') ?? '127.0.0.1', port, processMetrics: flags.get('process-metrics') !== '0' } };
    });
  },
  run,
};

async function run(o: MetricsCommandOptions, io: Io): Promise<number> {
  const { MetricsExporter } = require('../../metrics/exporter') as typeof import('../../metrics/exporter');
  const { serveMetrics } = require('../../metrics/http') as typeof import('../../metrics/http');
  const admin = new ResqueAdmin(connectionOf(o.client));
  let server;
  try {
    server = await serveMetrics(new MetricsExporter(admin, { processMetrics: o.processMetrics }), o.host, o.port);
  } catch (e) {
    io.stderr.write(`Could not listen on ${o.host}:${o.port}: ${(e as Error).message}\n`);
    await admin.close();
    return 1;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  io.stdout.write(`Serving metrics on http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}/metrics\n`);
  await new Promise<void>((resolve) => {
    const dispose = installSignals(Object.fromEntries((['SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((s) => [s, () => { dispose(); resolve(); }])));
  });
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections(); // a scraper's keep-alive connection would hold close() open
  await closed;
  await admin.close();
  return 0;
}
