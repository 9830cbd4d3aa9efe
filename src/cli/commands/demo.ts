/**
 * `resque demo` (what `npm start` runs): the whole thing on one machine, see src/cli/demo.ts.
 * It takes one flag, --redis (else REDIS_URL, else a private redis-server); any other flag is
 * a usage error naming it. The demo's code (and Redis's) is loaded only when it runs.
 */
import { catchOptionErrors, fromFlag, noExtraWords, nonEmpty, parseFlags } from '../args';
import type { Command, FlagTable, Io, ParseResult } from '../command';

export interface DemoOptions {
  /** The Redis to use; undefined: REDIS_URL when it answers, else a private redis-server. */
  readonly redis?: string;
  readonly env: NodeJS.ProcessEnv;
}

const FLAGS: FlagTable = [
  { name: 'redis', kind: 'string', value: 'URL', variables: ['REDIS_URL'], default: 'a private redis-server', help: 'the Redis to run the demo on' },
];

export const demoCommand: Command<DemoOptions> = {
  name: 'demo',
  summary: 'enqueue and run a few demo jobs',
  usage: 'resque demo [--redis=URL]',
  flags: FLAGS,
  parse,
  run,
};

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): ParseResult<DemoOptions> {
  return catchOptionErrors(() => {
    const { flags, words } = parseFlags(argv, FLAGS, demoCommand);
    noExtraWords('demo', words);
    const src = fromFlag(flags, 'redis');
    return { ok: true, options: src ? { redis: nonEmpty(src, 'a Redis address'), env } : { env } };
  });
}

function run(options: DemoOptions, io: Io): Promise<number> {
  return (require('../demo') as typeof import('../demo')).runDemo({ ...options, io });
}
