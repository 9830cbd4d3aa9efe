/**
 * A Lua script run by EVALSHA, falling back to EVAL once when the server does not know
 * it yet (fresh server, SCRIPT FLUSH, failover). Each script lives in its own file
 * under ./scripts with a header listing its KEYS and ARGV.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

export type ScriptArg = string | number | Buffer;

export class Script {
  readonly sha: string;
  constructor(readonly name: string, readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: Redis, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }

  /** Same, with bulk replies as Buffers (payload bytes that may not be UTF-8). */
  async runBuffer(client: Redis, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await client.callBuffer('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return client.callBuffer('EVAL', this.lua, keys.length, ...keys, ...args);
    }
  }
}
