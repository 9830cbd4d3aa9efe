/**
 * `resque workers [--json]`: every registered worker — ours and the peers' (php-resque, Ruby,
 * node-resque, told apart by what they write) — with its host, pid, queues, state, current job
 * (class and id) and for how long, its job process's RSS and CPU (our `worker:WID:usage`), and
 * the age of its last heartbeat. Exit 0; 1 when Redis cannot be read.
 */
import { catchOptionErrors, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientFlags, clientSettings, connectionOf, withClient, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import type { RegisteredWorker } from '../../api/workers';
import { OptionError } from '../../errors';
import { ago, table } from '../table';

export interface WorkersOptions {
  readonly client: ClientSettings;
  readonly json: boolean;
}

const FLAGS = clientFlags([{ name: 'json', kind: 'boolean', default: 'off', help: 'JSON output' }]);

export const workersCommand: Command<WorkersOptions> = {
  name: 'workers',
  summary: 'registered workers (ours and the peers\'): state, current job, memory, heartbeat',
  usage: 'resque workers [--json]',
  flags: FLAGS,
  parse(argv, env, cwd): ParseResult<WorkersOptions> {
    return catchOptionErrors<WorkersOptions>(() => {
      const { flags, words } = parseFlags(argv, FLAGS, workersCommand);
      if (words.length > 0) throw new OptionError(`Unexpected argument "${words[0] ?? ''}" after "workers".`);
      return { ok: true, options: { client: clientSettings(flags, env, cwd), json: flags.get('json') === '1' } };
    });
  },
  run,
};

/** What a worker row says, as `resque workers --json` prints it. */
export function workerRow(w: RegisteredWorker, now = Date.now()) {
  const runAt = w.job?.runAt?.at?.getTime();
  const beat = w.heartbeat?.at?.at?.getTime();
  return {
    id: w.id, host: w.host, pid: w.pid, queues: w.queues, kind: w.peer,
    state: w.job ? 'busy' : 'idle',
    job: w.job ? { class: w.job.payload?.job?.className ?? null, id: w.job.payload?.job?.id ?? null, queue: w.job.queue } : null,
    runningFor: runAt !== undefined ? Math.max(0, (now - runAt) / 1000) : null,
    rssMb: w.usage?.rssMb ?? null, cpu: w.usage?.cpu ?? null,
    heartbeatAge: beat !== undefined ? Math.max(0, (now - beat) / 1000) : null,
    processed: w.processed, failed: w.failed, problems: w.problems,
  };
}

async function run(o: WorkersOptions, io: Io): Promise<number> {
  return withClient(new ResqueAdmin(connectionOf(o.client)), io, async (admin) => {
    const rows = (await admin.workers()).map((w) => workerRow(w));
    if (o.json) {
      io.stdout.write(`${JSON.stringify(rows)}\n`);
      return 0;
    }
    io.stdout.write(`${table(
      ['WORKER', 'KIND', 'STATE', 'JOB', 'FOR', 'RSS MB', 'CPU %', 'HEARTBEAT', 'PROCESSED', 'FAILED'],
      rows.map((w) => [
        w.id, w.kind, w.state, w.job ? `${w.job.class ?? '?'}${w.job.id ? ` ${w.job.id}` : ''}` : null, ago(w.runningFor),
        w.rssMb, w.cpu, w.heartbeatAge === null ? null : `${ago(w.heartbeatAge) ?? '?'} ago`, w.processed, w.failed,
      ]),
    )}\n${rows.length} worker(s)\n`);
    return 0;
  });
}
