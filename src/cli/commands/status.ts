/**
 * `resque status ID [--watch] [--interval=S] [--json]`: a job's php-resque status (`ID` as its
 * key spells it: the id, or `PREFIX_ID`) and its result; `--watch` follows it, printing each
 * change, until it ends. Exit codes: 0 found (with --watch: COMPLETE), 1 FAILED (with --watch) or
 * Redis unreadable, 3 no status stored (never tracked, or expired 24 h after it ended).
 */
import { catchOptionErrors, fromFlag, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientFlags, clientSettings, connectionOf, withClient, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import type { JobStatusView } from '../../api/job-status';
import { OptionError } from '../../errors';
import { phpJsonEncode } from '../../json';
import { sleep } from '../../time';

export interface StatusOptions {
  readonly client: ClientSettings;
  readonly id: string;
  readonly watch: boolean;
  readonly interval: number;
  readonly json: boolean;
}

/** Exit code when no status is stored. */
export const EXIT_NO_STATUS = 3;

const FLAGS = clientFlags([
  { name: 'watch', kind: 'boolean', default: 'off', help: 'follow the job until it ends' },
  { name: 'interval', kind: 'number', value: 'SECONDS', default: '0.5', help: 'with --watch: how often to look' },
  { name: 'json', kind: 'boolean', default: 'off', help: 'JSON output (one line per change)' },
]);

export const statusCommand: Command<StatusOptions> = {
  name: 'status',
  summary: 'a job\'s status and result (php-resque\'s), --watch until it ends',
  usage: 'resque status ID [--watch] [--json]',
  flags: FLAGS,
  parse(argv, env, cwd): ParseResult<StatusOptions> {
    return catchOptionErrors<StatusOptions>(() => {
      const { flags, words } = parseFlags(argv, FLAGS, statusCommand);
      const [id, ...rest] = words;
      if (!id) throw new OptionError('resque status needs a job ID.');
      if (rest.length > 0) throw new OptionError(`Unexpected argument "${rest[0] ?? ''}" after the job ID.`);
      const src = fromFlag(flags, 'interval');
      const interval = src ? Number(src.text) : 0.5;
      if (!Number.isFinite(interval) || interval <= 0) throw new OptionError(`Invalid value for --interval: ${JSON.stringify(src?.text)} (expected seconds > 0).`);
      return { ok: true, options: { client: clientSettings(flags, env, cwd), id, watch: flags.get('watch') === '1', interval, json: flags.get('json') === '1' } };
    });
  },
  run,
};

function describe(s: JobStatusView): string {
  const when = (t: number | null): string => (t === null ? '-' : new Date(t * 1000).toISOString());
  const retry = s.retryAt !== null ? `  retry at ${when(s.retryAt)} as attempt ${s.attempt ?? '?'}` : '';
  let result = '';
  try {
    result = s.result === null ? '' : `  result ${phpJsonEncode(s.result)}`;
  } catch {
    result = '  result (unprintable)';
  }
  return `${s.name.toUpperCase()} (${s.code ?? '?'})  updated ${when(s.updated)}  started ${when(s.started)}${retry}${result}`;
}

async function run(o: StatusOptions, io: Io): Promise<number> {
  return withClient(new ResqueAdmin(connectionOf(o.client)), io, async (admin) => {
    const show = (s: JobStatusView): void => {
      io.stdout.write(o.json ? `${JSON.stringify({ id: o.id, ...s })}\n` : `${o.id}  ${describe(s)}\n`);
    };
    let last: string | undefined;
    for (;;) {
      const s = await admin.jobStatus(o.id);
      if (!s) {
        io.stderr.write(`No status for job ${o.id} (not tracked, or expired 24 h after it ended)\n`);
        return EXIT_NO_STATUS;
      }
      if (s.raw !== last) show(s);
      last = s.raw;
      if (!o.watch) return 0;
      if (s.final) return s.code === 4 ? 0 : 1;
      await sleep(o.interval * 1000);
    }
  });
}
