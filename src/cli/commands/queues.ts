/**
 * `resque queues [--json]`: every queue and its size; `resque queues clear Q` empties one (its
 * name stays known), `resque queues remove Q` deletes it and forgets its name. Exit 0; 1 Redis
 * unreadable; 2 a usage error.
 */
import { catchOptionErrors, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientFlags, clientSettings, connectionOf, withClient, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import { OptionError } from '../../errors';
import { table } from '../table';

export type QueuesOptions =
  | { readonly client: ClientSettings; readonly action: 'list'; readonly json: boolean }
  | { readonly client: ClientSettings; readonly action: 'clear' | 'remove'; readonly queue: string; readonly json: boolean };

const FLAGS = clientFlags([{ name: 'json', kind: 'boolean', default: 'off', help: 'JSON output' }]);

export const queuesCommand: Command<QueuesOptions> = {
  name: 'queues',
  summary: 'list queues with their sizes, clear or remove one',
  usage: 'resque queues [list] | clear QUEUE | remove QUEUE',
  flags: FLAGS,
  parse(argv, env, cwd): ParseResult<QueuesOptions> {
    return catchOptionErrors<QueuesOptions>(() => {
      const { flags, words } = parseFlags(argv, FLAGS, queuesCommand);
      const [action = 'list', queue, ...rest] = words;
      const client = clientSettings(flags, env, cwd);
      const json = flags.get('json') === '1';
      if (action === 'list') {
        if (queue !== undefined) throw new OptionError(`Unexpected argument "${queue}" after "queues list".`);
        return { ok: true, options: { client, action, json } };
      }
      if (action !== 'clear' && action !== 'remove') throw new OptionError('resque queues: say list, clear QUEUE or remove QUEUE.');
      if (queue === undefined || queue === '') throw new OptionError(`resque queues ${action} needs a QUEUE.`);
      if (rest.length > 0) throw new OptionError(`Unexpected argument "${rest[0] ?? ''}" after the queue.`);
      return { ok: true, options: { client, action, queue, json } };
    });
  },
  run,
};

async function run(o: QueuesOptions, io: Io): Promise<number> {
  return withClient(new ResqueAdmin(connectionOf(o.client)), io, async (admin) => {
    if (o.action === 'list') {
      const queues = await admin.queues();
      if (o.json) io.stdout.write(`${JSON.stringify(queues)}\n`);
      else io.stdout.write(`${table(['QUEUE', 'WAITING'], queues.map((q) => [q.name, q.error ? `? (${q.error})` : q.size]))}\n`);
      return 0;
    }
    const n = o.action === 'clear' ? await admin.clearQueue(o.queue) : await admin.removeQueue(o.queue);
    io.stdout.write(o.json ? `${JSON.stringify({ queue: o.queue, [o.action === 'clear' ? 'cleared' : 'removed']: n })}\n` : `${o.action === 'clear' ? 'cleared' : 'removed'} ${o.queue}: ${n} job(s)\n`);
    return 0;
  });
}
