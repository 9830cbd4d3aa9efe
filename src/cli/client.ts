/**
 * What the commands that only talk to Redis share (`resque enqueue`, `delayed`, `schedules`):
 * start's Redis and namespace flags, read the same way (flag → variable → default), and a client.
 */
import { Resque } from '../resque';
import { CLIENT_FLAGS, settingsOf } from './commands/start';
import type { FlagTable, Io } from './command';
import { OptionError } from '../errors';
import { parseJson } from '../json';

export interface ClientSettings {
  readonly redis: string | undefined;
  readonly database: number | undefined;
  readonly namespace: string;
}

export function clientFlags(extra: FlagTable = []): FlagTable {
  return [...CLIENT_FLAGS, ...extra];
}

export function clientSettings(flags: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, cwd: string): ClientSettings {
  const s = settingsOf(flags, env, cwd);
  return { redis: s.redis, database: s.database, namespace: s.namespace };
}

/** The connection options of these settings (for a Resque or a ResqueAdmin). */
export function connectionOf(s: ClientSettings): { redis?: string; database?: number; namespace: string } {
  return { ...(s.redis !== undefined ? { redis: s.redis } : {}), ...(s.database !== undefined ? { database: s.database } : {}), namespace: s.namespace };
}

export function clientOf(s: ClientSettings): Resque {
  return new Resque(connectionOf(s));
}

/** Run `work` with `client`: an error is printed to stderr (exit 1); the client is closed after, whatever happened. */
export async function withClient<C extends { close(): Promise<void> }>(client: C, io: Io, work: (c: C) => Promise<number>): Promise<number> {
  try {
    return await work(client);
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

/** A job's args from the command line: JSON (an object, an array or null). */
export function argsFromText(text: string | undefined, what = 'ARGS'): unknown {
  if (text === undefined) return undefined;
  try {
    return parseJson(text);
  } catch (e) {
    throw new OptionError(`${what} must be JSON (an object, an array or null): ${(e as Error).message}`);
  }
}
