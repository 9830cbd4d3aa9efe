/**
 * `resque stop --pidfile=F [--graceful]`: signal the `resque start` (or `resque scheduler`) whose
 * pid the file holds: TERM (its workers stop now: a running job is killed and fails, or goes back
 * with --requeue-orphans), or QUIT with --graceful (they finish their current job).
 * `resque stop WORKER_ID… | --all`: through Redis, on any host — each worker named (or every one
 * of ours) finishes its current job and stops, and is not started again. Exit codes: 0 done;
 * 1 the pidfile names no running process, or Redis unreadable; 2 nothing named; 3 a named worker
 * is not registered.
 */
import { catchOptionErrors, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientSettings, connectionOf, withClient, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import { OptionError } from '../../errors';
import { livePidIn } from '../pidfile';
import { CONTROL_FLAGS, EXIT_UNKNOWN_WORKER, namedWorkers } from './control';
import path from 'node:path';

export interface StopOptions {
  readonly client: ClientSettings;
  readonly pidfile: string | undefined;
  readonly graceful: boolean;
  readonly all: boolean;
  readonly ids: readonly string[];
  readonly json: boolean;
}

const FLAGS = [
  ...CONTROL_FLAGS,
  { name: 'pidfile', kind: 'string', value: 'FILE', aliases: ['pid'], variables: ['PIDFILE'], default: 'none', help: 'signal the process whose pid this file holds' },
  { name: 'graceful', kind: 'boolean', default: 'off', help: 'with --pidfile: QUIT (finish the current job) instead of TERM' },
] as const;

export const stopCommand: Command<StopOptions> = {
  name: 'stop',
  summary: 'stop workers: by pidfile (TERM, or QUIT with --graceful), or through Redis by id / --all',
  usage: 'resque stop --pidfile=FILE [--graceful] | WORKER_ID… | --all',
  flags: FLAGS,
  parse(argv, env, cwd): ParseResult<StopOptions> {
    return catchOptionErrors<StopOptions>(() => {
      const { flags, words } = parseFlags(argv, FLAGS, stopCommand);
      const all = flags.get('all') === '1';
      const pidfile = flags.get('pidfile');
      const named = [pidfile !== undefined, all, words.length > 0].filter(Boolean).length;
      if (named === 0) throw new OptionError('resque stop: give --pidfile=FILE, worker ids, or --all.');
      if (named > 1) throw new OptionError('resque stop: --pidfile, worker ids and --all do not go together.');
      return {
        ok: true,
        options: {
          client: clientSettings(flags, env, cwd), pidfile: pidfile !== undefined ? path.resolve(cwd, pidfile) : undefined,
          graceful: flags.get('graceful') === '1', all, ids: words, json: flags.get('json') === '1',
        },
      };
    });
  },
  run,
};

async function run(o: StopOptions, io: Io): Promise<number> {
  if (o.pidfile !== undefined) {
    const pid = livePidIn(o.pidfile);
    if (pid === undefined) {
      io.stderr.write(`${o.pidfile} names no running resque process\n`);
      return 1;
    }
    const signal = o.graceful ? 'SIGQUIT' : 'SIGTERM';
    process.kill(pid, signal);
    io.stdout.write(o.json ? `${JSON.stringify({ pid, signal })}\n` : `sent ${signal} to ${pid}\n`);
    return 0;
  }
  return withClient(new ResqueAdmin(connectionOf(o.client)), io, async (admin) => {
    const { found, unknown } = await namedWorkers(admin, o.ids, o.all);
    for (const w of found) await admin.requestWorker(w.id, 'stop');
    if (o.json) io.stdout.write(`${JSON.stringify({ stopping: found.map((w) => w.id), unknown })}\n`);
    else {
      for (const w of found) io.stdout.write(`stopping after its current job: ${w.id}${w.peer !== 'resque-ts' ? ` (a ${w.peer} worker: it does not read our requests; signal it on its host)` : ''}\n`);
      if (o.all && found.length === 0) io.stdout.write('no worker of ours is registered\n');
      for (const id of unknown) io.stderr.write(`not registered: ${id}\n`);
    }
    return unknown.length > 0 ? EXIT_UNKNOWN_WORKER : 0;
  });
}
