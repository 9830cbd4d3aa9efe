/**
 * What the commands that only talk to Redis share (`resque enqueue`, `delayed`, `schedules`):
 * start's Redis and namespace flags, read the same way (flag → variable → default), and a client.
 */
import { Resque } from '../resque';
import { CLIENT_FLAGS, settingsOf } from './commands/start';
import type { FlagTable } from './command';
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

export function clientOf(s: ClientSettings): Resque {
  return new Resque({ ...(s.redis !== undefined ? { redis: s.redis } : {}), ...(s.database !== undefined ? { database: s.database } : {}), namespace: s.namespace });
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
