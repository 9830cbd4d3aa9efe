/**
 * `resque restart`: think-queue's `queue:restart` — every worker of ours, on any host, finishes
 * its current job and starts again on the new code (delivered through Redis: `resque-ts:restart`
 * holds the time of the request; a worker started before it restarts, within a second). In the
 * default engine the job process is replaced; a strict worker starts again in its process; an
 * --in-process worker's process ends so that its supervisor (or the service manager) starts it.
 * Exit 0; 1 Redis unreadable.
 */
import { catchOptionErrors, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientFlags, clientSettings, connectionOf, withClient, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import { OptionError } from '../../errors';

export interface RestartOptions {
  readonly client: ClientSettings;
  readonly json: boolean;
}

const FLAGS = clientFlags([{ name: 'json', kind: 'boolean', default: 'off', help: 'JSON output' }]);

export const restartCommand: Command<RestartOptions> = {
  name: 'restart',
  summary: 'every worker finishes its job and starts again on the new code (think-queue\'s queue:restart)',
  usage: 'resque restart',
  flags: FLAGS,
  parse(argv, env, cwd): ParseResult<RestartOptions> {
    return catchOptionErrors<RestartOptions>(() => {
      const { flags, words } = parseFlags(argv, FLAGS, restartCommand);
      if (words.length > 0) throw new OptionError(`Unexpected argument "${words[0] ?? ''}" after "restart".`);
      return { ok: true, options: { client: clientSettings(flags, env, cwd), json: flags.get('json') === '1' } };
    });
  },
  async run(o: RestartOptions, io: Io): Promise<number> {
    return withClient(new ResqueAdmin(connectionOf(o.client)), io, async (admin) => {
      const at = await admin.restartWorkers();
      const ours = (await admin.workers()).filter((w) => w.peer === 'resque-ts').length;
      io.stdout.write(o.json ? `${JSON.stringify({ requestedAt: at, workers: ours })}\n` : `restart requested at ${new Date(at).toISOString()}: ${ours} worker(s) of ours restart after their current job\n`);
      return 0;
    });
  },
};
