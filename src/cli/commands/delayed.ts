/**
 * `resque delayed list [--limit=N]`: the seconds that have delayed jobs and the jobs (every
 * peer's items alike); `resque delayed remove QUEUE CLASS [ARGS-JSON]`: remove matching ones;
 * `resque delayed promote QUEUE CLASS [ARGS-JSON]`: make them due now.
 */
import { catchOptionErrors, fromFlag, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { argsFromText, clientFlags, clientOf, clientSettings, withClient, type ClientSettings } from '../client';
import { OptionError } from '../../errors';
import { phpJsonEncode } from '../../json';

export type DelayedOptions =
  | { readonly client: ClientSettings; readonly action: 'list'; readonly limit: number }
  | { readonly client: ClientSettings; readonly action: 'remove' | 'promote'; readonly queue: string; readonly jobClass: string; readonly args: unknown };

const FLAGS = clientFlags([{ name: 'limit', kind: 'number', value: 'N', default: '20', help: 'seconds listed (and jobs per second)' }]);

export const delayedCommand: Command<DelayedOptions> = {
  name: 'delayed',
  summary: 'list, remove or promote delayed jobs',
  usage: 'resque delayed list [--limit=N] | remove QUEUE CLASS [ARGS-JSON] | promote QUEUE CLASS [ARGS-JSON]',
  flags: FLAGS,
  parse,
  run,
};

function parse(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ParseResult<DelayedOptions> {
  return catchOptionErrors<DelayedOptions>(() => {
    const { flags, words } = parseFlags(argv, FLAGS, delayedCommand);
    const [action, queue, jobClass, argsText, ...rest] = words;
    const client = clientSettings(flags, env, cwd);
    if (action === 'list') {
      if (queue !== undefined) throw new OptionError(`Unexpected argument "${queue}" after "delayed list".`);
      const src = fromFlag(flags, 'limit');
      const limit = src ? Number(src.text) : 20;
      if (!Number.isInteger(limit) || limit < 1) throw new OptionError(`Invalid value for --limit: ${JSON.stringify(src?.text)} (expected a whole number ≥ 1).`);
      return { ok: true, options: { client, action, limit } };
    }
    if (action !== 'remove' && action !== 'promote') throw new OptionError('resque delayed: say list, remove or promote.');
    if (!queue || !jobClass) throw new OptionError(`resque delayed ${action} needs QUEUE and CLASS.`);
    if (rest.length > 0) throw new OptionError(`Unexpected argument "${rest[0] ?? ''}" after the args.`);
    return { ok: true, options: { client, action, queue, jobClass, args: argsFromText(argsText) } };
  });
}

async function run(o: DelayedOptions, io: Io): Promise<number> {
  return withClient(clientOf(o.client), io, async (resque) => {
    if (o.action === 'list') {
      const stamps = await resque.delayedTimestamps();
      io.stdout.write(`${await resque.delayedSize()} delayed job(s) at ${stamps.length} second(s)\n`);
      for (const ts of stamps.slice(0, o.limit)) {
        const jobs = await resque.peekDelayed(ts, 0, o.limit);
        io.stdout.write(`${new Date(ts * 1000).toISOString()} (${ts})\n`);
        for (const j of jobs) io.stdout.write(`  ${String(j.fields['queue'] ?? '?')}  ${j.className}  ${phpJsonEncode(j.args)}${j.id ? `  id ${j.id}` : ''}\n`);
      }
      if (stamps.length > o.limit) io.stdout.write(`… ${stamps.length - o.limit} more second(s)\n`);
      return 0;
    }
    const n = o.action === 'remove' ? await resque.removeDelayed(o.queue, o.jobClass, o.args) : await resque.enqueueDelayedNow(o.queue, o.jobClass, o.args);
    io.stdout.write(`${o.action === 'remove' ? 'removed' : 'made due now'}: ${n}\n`);
    return 0;
  });
}
