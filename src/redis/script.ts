/**
 * A Lua script run by EVALSHA, falling back to EVAL once when the server does not know it yet
 * (fresh server, SCRIPT FLUSH, failover). Each script lives in its own file under ./scripts and
 * declares a spec: the names of its KEYS and ARGV in order (plus an optional variable tail of
 * each), which its header comment lists as `KEYS[i] name` / `ARGV[i] name` lines
 * (test/script-specs.test.js pins the two together).
 *   - Callers pass objects: `script.call(client, { keys: {...}, args: {...}, restKeys, restArgs })`;
 *     the arrays are built in the spec's order, so a key count always derives from the spec and a
 *     missing or unknown name is an error before anything is sent.
 *   - A composed script (settle runs pop_done + finish_job + reserve_batch) concatenates the
 *     specs of its parts: `composeSpec()`.
 */
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';

export type ScriptArg = string | number | Buffer;

export interface ScriptSpec<K extends string = string, A extends string = string> {
  /** Names of the fixed KEYS, in order. */
  readonly keys: readonly K[];
  /** Names of the fixed ARGV, in order. */
  readonly args: readonly A[];
  /** What a variable tail of KEYS / ARGV holds, when the script takes one. */
  readonly restKeys?: string;
  readonly restArgs?: string;
}

export interface ScriptCall<K extends string, A extends string> {
  keys: Readonly<Record<K, string>>;
  args: Readonly<Record<A, ScriptArg>>;
  restKeys?: readonly string[];
  restArgs?: readonly ScriptArg[];
}

type KeysOf<S> = S extends ScriptSpec<infer K, string> ? K : never;
type ArgsOf<S> = S extends ScriptSpec<string, infer A> ? A : never;

export class Script<S extends ScriptSpec = ScriptSpec> {
  readonly sha: string;
  constructor(readonly name: string, readonly lua: string, readonly spec: S) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** KEYS and ARGV in the spec's order. */
  build(call: ScriptCall<KeysOf<S>, ArgsOf<S>>): [string[], ScriptArg[]] {
    const keys = this.spec.keys.map((name) => pick(this.name, 'key', call.keys as Readonly<Record<string, string>>, name));
    const args = this.spec.args.map((name) => pick(this.name, 'argument', call.args as Readonly<Record<string, ScriptArg>>, name));
    if (call.restKeys && call.restKeys.length > 0) {
      if (!this.spec.restKeys) throw new TypeError(`script ${this.name} takes no variable KEYS`);
      keys.push(...call.restKeys);
    }
    // A Redis user restricted to `~PREFIX:*` may not name the empty key (NOPERM): Keys.absent() is the placeholder.
    if (keys.includes('')) throw new TypeError(`script ${this.name}: an empty KEY (give Keys.absent() where a key does not apply)`);
    if (call.restArgs && call.restArgs.length > 0) {
      if (!this.spec.restArgs) throw new TypeError(`script ${this.name} takes no variable ARGV`);
      args.push(...call.restArgs);
    }
    return [keys, args];
  }

  /** Run with replies as strings. */
  call(client: Redis, call: ScriptCall<KeysOf<S>, ArgsOf<S>>): Promise<unknown> {
    const [keys, args] = this.build(call);
    return this.run(client, keys, args);
  }

  /** Run with bulk replies as Buffers (payload bytes that may not be UTF-8). */
  callBuffer(client: Redis, call: ScriptCall<KeysOf<S>, ArgsOf<S>>): Promise<unknown> {
    const [keys, args] = this.build(call);
    return this.runBuffer(client, keys, args);
  }

  private async run(client: Redis, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }

  private async runBuffer(client: Redis, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await client.callBuffer('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return client.callBuffer('EVAL', this.lua, keys.length, ...keys, ...args);
    }
  }
}

/** The spec of a script that runs `parts` one after the other on consecutive KEYS and ARGV. */
export function composeSpec<K extends string, A extends string>(
  parts: ReadonlyArray<ScriptSpec<K, A>>, rest: { restKeys?: string; restArgs?: string } = {},
): ScriptSpec<K, A> {
  return { keys: parts.flatMap((p) => p.keys), args: parts.flatMap((p) => p.args), ...rest };
}

function pick<T>(script: string, what: string, from: Readonly<Record<string, T>>, name: string): T {
  if (!Object.prototype.hasOwnProperty.call(from, name)) throw new TypeError(`script ${script}: ${what} "${name}" missing`);
  return from[name] as T;
}
