/**
 * `resque health [--pidfile=F] [--max-age=SECONDS] [--json]`: a liveness / readiness probe for
 * this host (Kubernetes `exec` probe, a load balancer's check). Exit 0 when Redis answers PING,
 * at least one worker of ours on this host is registered, and every one of them is alive (its
 * pid runs) and heartbeating (its last beat is at most --max-age old, default 150 s: Ruby's and
 * our 60 s beat, twice, plus slack); with --pidfile, also the process it names runs. Exit 1
 * otherwise, each reason on stderr.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { catchOptionErrors, fromFlag, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { clientFlags, clientSettings, connectionOf, withClient, type ClientSettings } from '../client';
import { ResqueAdmin } from '../../api/admin';
import { OptionError } from '../../errors';
import { livePidIn } from '../pidfile';
import { pidAlive } from '../../store/workers';

export interface HealthOptions {
  readonly client: ClientSettings;
  readonly pidfile: string | undefined;
  readonly maxAge: number;
  readonly json: boolean;
}

const FLAGS = clientFlags([
  { name: 'pidfile', kind: 'string', value: 'FILE', aliases: ['pid'], variables: ['PIDFILE'], default: 'none', help: 'the resque start to check' },
  { name: 'max-age', kind: 'number', value: 'SECONDS', default: '150', help: 'oldest heartbeat still healthy' },
  { name: 'json', kind: 'boolean', default: 'off', help: 'JSON output' },
]);

export const healthCommand: Command<HealthOptions> = {
  name: 'health',
  summary: 'exit 0 when Redis answers and this host\'s workers are alive and heartbeating (a probe)',
  usage: 'resque health [--pidfile=FILE] [--max-age=SECONDS]',
  flags: FLAGS,
  parse(argv, env, cwd): ParseResult<HealthOptions> {
    return catchOptionErrors<HealthOptions>(() => {
      const { flags, words } = parseFlags(argv, FLAGS, healthCommand);
      if (words.length > 0) throw new OptionError(`Unexpected argument "${words[0] ?? ''}" after "health".`);
      const src = fromFlag(flags, 'max-age');
      const maxAge = src ? Number(src.text) : 150;
      if (!Number.isFinite(maxAge) || maxAge <= 0) throw new OptionError(`Invalid value for --max-age: ${JSON.stringify(src?.text)} (expected seconds > 0).`);
      const pidfile = flags.get('pidfile');
      return { ok: true, options: { client: clientSettings(flags, env, cwd), pidfile: pidfile !== undefined ? path.resolve(cwd, pidfile) : undefined, maxAge, json: flags.get('json') === '1' } };
    });
  },
  run,
};

async function run(o: HealthOptions, io: Io): Promise<number> {
  const problems: string[] = [];
  if (o.pidfile !== undefined && livePidIn(o.pidfile) === undefined) problems.push(`${o.pidfile} names no running resque process`);
  return withClient(new ResqueAdmin(connectionOf(o.client)), io, async (a) => {
    const t0 = Date.now();
    await (await a.redis()).ping();
    const pingMs = Date.now() - t0;
    const host = hostname();
    const mine = (await a.workers()).filter((w) => w.host === host && w.peer === 'resque-ts');
    if (mine.length === 0) problems.push(`no worker of ours is registered on ${host}`);
    const now = Date.now();
    for (const w of mine) {
      if (w.pid === null || !pidAlive(w.pid)) problems.push(`${w.id}: its process is gone`);
      const at = w.heartbeat?.at?.at?.getTime();
      if (at === undefined) problems.push(`${w.id}: no heartbeat`);
      else if ((now - at) / 1000 > o.maxAge) problems.push(`${w.id}: last heartbeat ${Math.round((now - at) / 1000)} s ago (more than ${o.maxAge} s)`);
    }
    const ok = problems.length === 0;
    if (o.json) io.stdout.write(`${JSON.stringify({ ok, host, workers: mine.map((w) => w.id), redisMs: pingMs, problems })}\n`);
    else if (ok) io.stdout.write(`ok: Redis answered in ${pingMs} ms; ${mine.length} worker(s) on ${host} alive and heartbeating\n`);
    for (const p of problems) io.stderr.write(`unhealthy: ${p}\n`);
    return ok ? 0 : 1;
  });
}
