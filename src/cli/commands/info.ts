/**
 * `resque info [--queue=Q] [--json]`: per queue what waits, is delayed, is reserved, is done and
 * failed (yii2-queue's `queue/info` labels) and the oldest waiting job's age; then the workers
 * busy and idle and the totals. Exit 0; 1 when Redis cannot be read.
 */
import { catchOptionErrors, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientFlags, clientSettings, connectionOf, withClient, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import { OptionError } from '../../errors';
import { ago, table } from '../table';

export interface InfoOptions {
  readonly client: ClientSettings;
  readonly queue: string | undefined;
  readonly json: boolean;
}

const FLAGS = clientFlags([
  { name: 'queue', kind: 'list', value: 'Q', default: 'every queue', help: 'one queue only' },
  { name: 'json', kind: 'boolean', default: 'off', help: 'JSON output' },
]);

export const infoCommand: Command<InfoOptions> = {
  name: 'info',
  summary: 'queues (waiting, delayed, reserved, done, failed), workers and totals',
  usage: 'resque info [--queue=Q] [--json]',
  flags: FLAGS,
  parse(argv, env, cwd): ParseResult<InfoOptions> {
    return catchOptionErrors<InfoOptions>(() => {
      const { flags, words } = parseFlags(argv, FLAGS, infoCommand);
      if (words.length > 0) throw new OptionError(`Unexpected argument "${words[0] ?? ''}" after "info".`);
      return { ok: true, options: { client: clientSettings(flags, env, cwd), queue: flags.get('queue'), json: flags.get('json') === '1' } };
    });
  },
  run,
};

async function run(o: InfoOptions, io: Io): Promise<number> {
  return withClient(new ResqueAdmin(connectionOf(o.client)), io, async (admin) => {
    const info = await admin.info(o.queue !== undefined ? { queue: o.queue } : {});
    if (o.json) {
      io.stdout.write(`${JSON.stringify(info)}\n`);
      return 0;
    }
    const rows = info.queues.map((q) => [q.name, q.waiting, q.delayed, q.reserved, q.done, q.failed, q.retried, ago(q.oldestAge)]);
    io.stdout.write(`${table(['QUEUE', 'WAITING', 'DELAYED', 'RESERVED', 'DONE', 'FAILED', 'RETRIED', 'OLDEST'], rows)}\n`);
    const s = info.stats;
    io.stdout.write(`\nWorkers: ${info.workers.total} (busy ${info.workers.busy}, idle ${info.workers.idle})${info.pausedAll ? ', all paused (pause-all-workers)' : ''}\n`);
    io.stdout.write(`Delayed: ${info.delayed}${info.delayedExact ? '' : ' (split by queue over the first ones only)'}   Failed records: ${s.failedRecords}   Processed: ${s.processed}   Failed: ${s.failed}\n`);
    if (s.problems.length > 0) io.stdout.write(`Could not read: ${s.problems.join('; ')}\n`);
    return 0;
  });
}
