/**
 * `resque pause --all` / `resque pause WORKER_ID…`: stop taking jobs after the current one, on any
 * host. `--all` sets Ruby Resque's `pause-all-workers` key, which Ruby workers honour too (and
 * which Ruby's tools set to pause ours); a worker id gets a request of its own. `resume` (its own
 * file) undoes either. Exit 0; 2 nothing named; 3 a named worker is not registered.
 */
import { catchOptionErrors, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientSettings, connectionOf, withClient, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import { OptionError } from '../../errors';
import { CONTROL_FLAGS, EXIT_UNKNOWN_WORKER, namedWorkers } from './control';

export interface PauseOptions {
  readonly client: ClientSettings;
  readonly pause: boolean;
  readonly all: boolean;
  readonly ids: readonly string[];
  readonly json: boolean;
}

export function pauseParse(command: Command<PauseOptions>, pause: boolean) {
  return (argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ParseResult<PauseOptions> => catchOptionErrors<PauseOptions>(() => {
    const { flags, words } = parseFlags(argv, CONTROL_FLAGS, command);
    const all = flags.get('all') === '1';
    if (!all && words.length === 0) throw new OptionError(`resque ${command.name}: name workers (WORKER_ID…) or say --all.`);
    if (all && words.length > 0) throw new OptionError(`resque ${command.name}: --all or worker ids, not both.`);
    return { ok: true, options: { client: clientSettings(flags, env, cwd), pause, all, ids: words, json: flags.get('json') === '1' } };
  });
}

export async function pauseRun(o: PauseOptions, io: Io): Promise<number> {
  return withClient(new ResqueAdmin(connectionOf(o.client)), io, async (admin) => {
    const verb = o.pause ? 'paused' : 'resumed';
    if (o.all) {
      await admin.pauseAll(o.pause);
      // A worker paused on its own stays paused by its own request: --all resumes those too.
      const own = o.pause ? [] : (await admin.workers()).map((w) => w.id);
      for (const id of own) await admin.requestWorker(id, undefined);
      io.stdout.write(o.json ? `${JSON.stringify({ all: true, [verb]: true })}\n` : `pause-all-workers ${o.pause ? 'set' : 'cleared'}: every worker ${o.pause ? 'stops taking jobs after its current one' : 'takes jobs again'} (within a second)\n`);
      return 0;
    }
    const { found, unknown } = await namedWorkers(admin, o.ids, false);
    for (const w of found) await admin.requestWorker(w.id, o.pause ? 'pause' : undefined);
    if (o.json) io.stdout.write(`${JSON.stringify({ [verb]: found.map((w) => w.id), unknown })}\n`);
    else {
      for (const w of found) io.stdout.write(`${verb}: ${w.id}${w.peer !== 'resque-ts' ? ` (a ${w.peer} worker: it does not read our requests)` : ''}\n`);
      for (const id of unknown) io.stderr.write(`not registered: ${id}\n`);
    }
    return unknown.length > 0 ? EXIT_UNKNOWN_WORKER : 0;
  });
}

export const pauseCommand: Command<PauseOptions> = {
  name: 'pause',
  summary: 'stop taking jobs (--all: Ruby\'s pause-all-workers) until resumed',
  usage: 'resque pause --all | WORKER_ID…',
  flags: CONTROL_FLAGS,
  parse: (a, e, c) => pauseParse(pauseCommand, true)(a, e, c),
  run: pauseRun,
};
