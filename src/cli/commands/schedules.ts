/**
 * `resque schedules list`: each recurring schedule with its next run, last run and policies;
 * `resque schedules run NAME`: push its job now; `resque schedules remove NAME`.
 */
import { catchOptionErrors, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientFlags, clientOf, clientSettings, withClient, type ClientSettings } from '../client';
import { OptionError } from '../../errors';

export type SchedulesOptions =
  | { readonly client: ClientSettings; readonly action: 'list' }
  | { readonly client: ClientSettings; readonly action: 'run' | 'remove'; readonly name: string };

const FLAGS = clientFlags();

export const schedulesCommand: Command<SchedulesOptions> = {
  name: 'schedules',
  summary: 'list recurring schedules, run or remove one',
  usage: 'resque schedules list | run NAME | remove NAME',
  flags: FLAGS,
  parse,
  run,
};

function parse(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ParseResult<SchedulesOptions> {
  return catchOptionErrors<SchedulesOptions>(() => {
    const { flags, words } = parseFlags(argv, FLAGS, schedulesCommand);
    const [action, name, ...rest] = words;
    const client = clientSettings(flags, env, cwd);
    if (action === 'list') {
      if (name !== undefined) throw new OptionError(`Unexpected argument "${name}" after "schedules list".`);
      return { ok: true, options: { client, action } };
    }
    if (action !== 'run' && action !== 'remove') throw new OptionError('resque schedules: say list, run NAME or remove NAME.');
    if (!name) throw new OptionError(`resque schedules ${action} needs a NAME.`);
    if (rest.length > 0) throw new OptionError(`Unexpected argument "${rest[0] ?? ''}" after the name.`);
    return { ok: true, options: { client, action, name } };
  });
}

const at = (ms: number | undefined): string => (ms === undefined ? '–' : new Date(ms).toISOString());

async function run(o: SchedulesOptions, io: Io): Promise<number> {
  return withClient(clientOf(o.client), io, async (resque) => {
    if (o.action === 'list') {
      const list = await resque.schedules.list();
      if (list.length === 0) io.stdout.write('no schedules\n');
      for (const s of list) {
        io.stdout.write(`${s.name}: ${s.error ? `NOT RUNNING (${s.error})` : `${s.when}, ${s.config.class} on ${s.config.queue}`}\n`);
        io.stdout.write(`  next ${at(s.nextRunAt)}  last ${at(s.lastRunAt)}${s.lastJob ? ` (job ${s.lastJob})` : ''}  misfire ${s.config.misfire ?? 'once'}  overlap ${s.config.overlap ?? 'allow'}${s.config.description ? `  — ${s.config.description}` : ''}\n`);
      }
      return 0;
    }
    if (o.action === 'run') {
      io.stdout.write(`${await resque.schedules.run(o.name)}\n`);
      return 0;
    }
    if (await resque.schedules.remove(o.name)) {
      io.stdout.write(`removed ${o.name}\n`);
      return 0;
    }
    io.stderr.write(`No schedule named ${o.name}\n`);
    return 1;
  });
}
