/**
 * `resque enqueue QUEUE CLASS [ARGS-JSON] [--in=SECONDS | --at=UNIXTIME] [--track]`: push a job
 * (or schedule it), print its id.
 */
import { catchOptionErrors, fromFlag, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { argsFromText, clientFlags, clientOf, clientSettings, withClient, type ClientSettings } from '../client';
import { OptionError } from '../../errors';
import type { JobArgs } from '../../payload';

export interface EnqueueOptions {
  readonly client: ClientSettings;
  readonly queue: string;
  readonly jobClass: string;
  readonly args: JobArgs;
  readonly when: { readonly in: number } | { readonly at: number } | undefined;
  readonly track: boolean;
}

const FLAGS = clientFlags([
  { name: 'in', kind: 'number', value: 'SECONDS', default: 'now', help: 'schedule it this long from now' },
  { name: 'at', kind: 'number', value: 'UNIXTIME', default: 'now', help: 'schedule it for this unix time' },
  { name: 'track', kind: 'boolean', default: 'off', help: 'track its status' },
]);

export const enqueueCommand: Command<EnqueueOptions> = {
  name: 'enqueue',
  summary: 'push a job (or schedule it), print its id',
  usage: 'resque enqueue QUEUE CLASS [ARGS-JSON] [--in=SECONDS | --at=UNIXTIME] [--track]',
  flags: FLAGS,
  parse,
  run,
};

function seconds(flags: ReadonlyMap<string, string>, name: 'in' | 'at'): number | undefined {
  const src = fromFlag(flags, name);
  if (!src) return undefined;
  const n = Number(src.text);
  if (src.text.trim() === '' || !Number.isFinite(n) || n < 0) throw new OptionError(`Invalid value for --${name}: ${JSON.stringify(src.text)} (expected a number of seconds ≥ 0).`);
  return n;
}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ParseResult<EnqueueOptions> {
  return catchOptionErrors(() => {
    const { flags, words } = parseFlags(argv, FLAGS, enqueueCommand);
    const [queue, jobClass, argsText, ...rest] = words;
    if (!queue || !jobClass) throw new OptionError('resque enqueue needs QUEUE and CLASS.');
    if (rest.length > 0) throw new OptionError(`Unexpected argument "${rest[0] ?? ''}" after the args.`);
    const args = (argsFromText(argsText) ?? {}) as JobArgs;
    const inS = seconds(flags, 'in');
    const atS = seconds(flags, 'at');
    if (inS !== undefined && atS !== undefined) throw new OptionError('Give --in or --at, not both.');
    const when = inS !== undefined ? { in: inS } : atS !== undefined ? { at: atS } : undefined;
    return { ok: true, options: { client: clientSettings(flags, env, cwd), queue, jobClass, args, when, track: flags.get('track') === '1' } };
  });
}

async function run(o: EnqueueOptions, io: Io): Promise<number> {
  return withClient(clientOf(o.client), io, async (resque) => {
    let id: string | false;
    if (!o.when) id = await resque.enqueue(o.queue, o.jobClass, o.args, o.track);
    else if ('in' in o.when) id = await resque.enqueueIn(o.when.in, o.queue, o.jobClass, o.args, { trackStatus: o.track });
    else id = await resque.enqueueAt(o.when.at, o.queue, o.jobClass, o.args, { trackStatus: o.track });
    io.stdout.write(`${id === false ? 'cancelled by a beforeEnqueue hook' : id}\n`);
    return id === false ? 1 : 0;
  });
}
