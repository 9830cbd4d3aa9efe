/**
 * The metrics over HTTP: a request handler for `GET /metrics` (mountable in any Node http server,
 * Express or Fastify app), and the server `resque metrics` runs. A failed read answers 503 with
 * the reason, so the scrape shows as down instead of as zeros.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { MetricsExporter } from './exporter';

/** Handles `GET|HEAD {path}`; resolves false for other requests (the caller's to answer). */
export function metricsHandler(exporter: MetricsExporter, path = '/metrics'): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== path || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    try {
      const body = await exporter.render();
      res.writeHead(200, { 'content-type': exporter.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`resque metrics: ${(e as Error).message}\n`);
    }
    return true;
  };
}

/** An http server answering /metrics (and 404 elsewhere), listening on host:port; resolves once it listens. */
export async function serveMetrics(exporter: MetricsExporter, host: string, port: number): Promise<Server> {
  const handle = metricsHandler(exporter);
  const server = createServer((req, res) => {
    handle(req, res).then((done) => {
      if (done) return;
      res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.url === '/' ? 'resque-ts metrics: GET /metrics\n' : 'not found\n');
    }, () => { res.destroy(); });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  return server;
}
