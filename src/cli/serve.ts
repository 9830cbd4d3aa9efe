/**
 * What the commands that serve HTTP share (`resque metrics`, `resque web`): the `--host` and
 * `--port` flags, and the life of the server — listen (exit 1 when the port cannot be bound),
 * print where, wait for QUIT / TERM / INT / HUP, close (keep-alive connections too), exit 0.
 */
import type { Server } from 'node:http';
import { fromFlag } from './args';
import type { Flag, Io } from './command';
import { OptionError } from '../errors';
import { installSignals } from '../worker/signals';

export function listenFlags(defaultPort: number): Flag[] {
  return [
    { name: 'host', kind: 'string', value: 'ADDRESS', default: '127.0.0.1', help: 'address to listen on (0.0.0.0: every interface)' },
    { name: 'port', kind: 'number', value: 'N', default: String(defaultPort), help: 'port to listen on (0: any free one, printed)' },
  ];
}

export function listenOf(flags: ReadonlyMap<string, string>, defaultPort: number): { host: string; port: number } {
  const src = fromFlag(flags, 'port');
  const port = src ? Number(src.text) : defaultPort;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OptionError(`Invalid value for --port: ${JSON.stringify(src?.text)} (expected 0–65535).`);
  return { host: flags.get('host') ?? '127.0.0.1', port };
}

/** Serve until a stop signal: `listen()` resolves the server, `banner(url)` is printed; `close()` runs last. */
export async function serveUntilStopped(io: Io, at: { host: string; port: number }, listen: () => Promise<Server>, banner: (origin: string) => string, close: () => Promise<void>): Promise<number> {
  let server: Server;
  try {
    server = await listen();
  } catch (e) {
    io.stderr.write(`Could not listen on ${at.host}:${at.port}: ${(e as Error).message}\n`);
    await close();
    return 1;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : at.port;
  io.stdout.write(`${banner(`http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${port}`)}\n`);
  await new Promise<void>((resolve) => {
    const dispose = installSignals(Object.fromEntries((['SIGQUIT', 'SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((s) => [s, () => { dispose(); resolve(); }])));
  });
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections(); // a scraper's or browser's keep-alive connection would hold close() open
  await closed;
  await close();
  return 0;
}
