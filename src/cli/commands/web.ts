/**
 * `resque web [--host=127.0.0.1] [--port=5678] [--read-only] [--token=T | --basic-auth=USER:PASS]
 * [--base-path=/resque]`: the dashboard (src/web/app.ts), with Prometheus metrics at
 * BASE/metrics. Bound to 127.0.0.1 unless told otherwise; a non-loopback address without auth is
 * refused (exit 2) unless --read-only. Runs until QUIT, TERM, INT or HUP (exit 0); exit 1 when
 * the port cannot be bound.
 */
import { catchOptionErrors, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientFlags, clientSettings, connectionOf, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import { OptionError } from '../../errors';
import { listenFlags, listenOf, serveUntilStopped } from '../serve';
import type { DashboardAuth } from '../../web/security';

export interface WebOptions {
  readonly client: ClientSettings;
  readonly host: string;
  readonly port: number;
  readonly readOnly: boolean;
  readonly auth: DashboardAuth;
  readonly basePath: string;
}

/** resque-web's port. */
export const WEB_PORT = 5678;

const FLAGS = clientFlags([
  ...listenFlags(WEB_PORT),
  { name: 'read-only', kind: 'boolean', default: 'off', help: 'show everything, change nothing' },
  { name: 'token', kind: 'string', value: 'T', variables: ['RESQUE_WEB_TOKEN'], default: 'none', help: 'require this bearer token (or ?token=T once)' },
  { name: 'basic-auth', kind: 'string', value: 'USER:PASS', variables: ['RESQUE_WEB_BASIC_AUTH'], default: 'none', help: 'require HTTP basic auth' },
  { name: 'base-path', kind: 'string', value: 'PATH', default: '/', help: 'serve under this path (behind a proxy: /resque)' },
]);

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export const webCommand: Command<WebOptions> = {
  name: 'web',
  summary: 'the dashboard (queues, workers, failed, delayed, schedules, jobs) and /metrics',
  usage: 'resque web [--host=127.0.0.1] [--port=5678] [--read-only] [--token=T | --basic-auth=USER:PASS] [--base-path=/resque]',
  flags: FLAGS,
  parse(argv, env, cwd): ParseResult<WebOptions> {
    return catchOptionErrors<WebOptions>(() => {
      const { flags, words } = parseFlags(argv, FLAGS, webCommand);
      if (words.length > 0) throw new OptionError(`Unexpected argument "${words[0] ?? ''}" after "web".`);
      const { host, port } = listenOf(flags, WEB_PORT);
      const token = flags.get('token') ?? (env['RESQUE_WEB_TOKEN'] || undefined);
      const basic = flags.get('basic-auth') ?? (env['RESQUE_WEB_BASIC_AUTH'] || undefined);
      if (token !== undefined && basic !== undefined) throw new OptionError('resque web: --token or --basic-auth, not both.');
      let auth: DashboardAuth;
      if (token !== undefined) {
        if (token.length < 8) throw new OptionError('resque web: a --token of at least 8 characters.');
        auth = { token };
      } else if (basic !== undefined) {
        const i = basic.indexOf(':');
        if (i <= 0 || i === basic.length - 1) throw new OptionError('resque web: --basic-auth=USER:PASS.');
        auth = { basic: { user: basic.slice(0, i), password: basic.slice(i + 1) } };
      }
      const readOnly = flags.get('read-only') === '1';
      if (!LOOPBACK.test(host) && !auth && !readOnly) throw new OptionError(`resque web: listening on ${host} lets anyone on the network change your queues: add --token, --basic-auth or --read-only.`);
      const basePath = (flags.get('base-path') ?? '/').replace(/\/+$/, '');
      if (basePath !== '' && !/^\/[A-Za-z0-9._~\-/]*$/.test(basePath)) throw new OptionError(`Invalid value for --base-path: ${JSON.stringify(basePath)} (a path such as /resque).`);
      return { ok: true, options: { client: clientSettings(flags, env, cwd), host, port, readOnly, auth, basePath } };
    });
  },
  run,
};

async function run(o: WebOptions, io: Io): Promise<number> {
  const { serveDashboard } = require('../../web/app') as typeof import('../../web/app');
  const { MetricsExporter } = require('../../metrics/exporter') as typeof import('../../metrics/exporter');
  const { metricsHandler } = require('../../metrics/http') as typeof import('../../metrics/http');
  const admin = new ResqueAdmin(connectionOf(o.client));
  const listen = (): ReturnType<typeof serveDashboard> => serveDashboard({ admin, basePath: o.basePath, readOnly: o.readOnly, auth: o.auth, metrics: metricsHandler(new MetricsExporter(admin)) }, o.host, o.port);
  return serveUntilStopped(io, o, listen, (origin) => `Dashboard on ${origin}${o.basePath}/${o.readOnly ? ' (read-only)' : ''}`, () => admin.close());
}
