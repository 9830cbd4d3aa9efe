/**
 * `resque failed list|show|retry|remove|clear` over the read/admin API (ResqueAdmin#failed):
 *   list [filters] [--offset=N] [--limit=N] [--json]   one line per record, with its REF;
 *   show REF [--json]                                  the whole record;
 *   retry REF…|filters|--all [--keep]                  re-enqueue (bytes and id kept), remove the records
 *                                                      (--keep: stamp retried_at instead);
 *   remove REF…|filters|--all                          remove the records;
 *   clear [--retried]                                  every record (or those retried and kept).
 * Filters: --queue, --class, --exception, --since, --until (unix seconds or an ISO date), --search.
 */
import { catchOptionErrors, fromFlag, parseFlags } from '../args';
import type { Command, FlagTable, Io, ParseResult } from '../command';
import { clientFlags, clientSettings, connectionOf, withClient, type ClientSettings } from '../client';
import { OptionError } from '../../errors';
import { ResqueAdmin } from '../../api/admin';
import type { FailedFilter, FailedRecord } from '../../api/failed-admin';

type Action = 'list' | 'show' | 'retry' | 'remove' | 'clear';

export interface FailedOptions {
  readonly client: ClientSettings;
  readonly action: Action;
  readonly refs: readonly string[];
  readonly filter: FailedFilter;
  readonly all: boolean;
  readonly keep: boolean;
  readonly retried: boolean;
  readonly json: boolean;
  readonly offset: number;
  readonly limit: number;
}

const EXTRA: FlagTable = [
  { name: 'queue', kind: 'list', value: 'A,B', default: 'any', help: 'records of this queue' },
  { name: 'class', kind: 'string', value: 'NAME', default: 'any', help: 'records of this job class' },
  { name: 'exception', kind: 'string', value: 'NAME', default: 'any', help: 'records of this exception' },
  { name: 'since', kind: 'string', value: 'TIME', default: 'any', help: 'failed at or after (unix seconds or ISO date)' },
  { name: 'until', kind: 'string', value: 'TIME', default: 'any', help: 'failed before' },
  { name: 'search', kind: 'string', value: 'TEXT', default: 'none', help: 'records whose bytes contain TEXT' },
  { name: 'offset', kind: 'number', value: 'N', default: '0', help: 'skip N matching records' },
  { name: 'limit', kind: 'number', value: 'N', default: '20', help: 'records listed' },
  { name: 'all', kind: 'boolean', default: 'off', help: 'retry / remove every record (no filter)' },
  { name: 'keep', kind: 'boolean', default: 'off', help: 'retry: keep the record, stamped retried_at' },
  { name: 'retried', kind: 'boolean', default: 'off', help: 'clear: only the records retried and kept' },
  { name: 'json', kind: 'boolean', default: 'off', help: 'JSON output' },
];
const FLAGS = clientFlags(EXTRA);

export const failedCommand: Command<FailedOptions> = {
  name: 'failed',
  summary: 'list, show, retry or remove failed jobs',
  usage: 'resque failed list|show REF|retry REF…|remove REF…|clear [filters] [--json]',
  flags: FLAGS,
  parse,
  run,
};

function time(flags: ReadonlyMap<string, string>, name: 'since' | 'until'): number | undefined {
  const src = fromFlag(flags, name);
  if (!src) return undefined;
  const n = /^\d+(\.\d+)?$/.test(src.text) ? Number(src.text) : Date.parse(src.text) / 1000;
  if (!Number.isFinite(n)) throw new OptionError(`Invalid value for --${name}: ${JSON.stringify(src.text)} (expected unix seconds or an ISO date).`);
  return n;
}

function whole(flags: ReadonlyMap<string, string>, name: string, fallback: number): number {
  const src = fromFlag(flags, name);
  if (!src) return fallback;
  const n = Number(src.text);
  if (!Number.isInteger(n) || n < 0) throw new OptionError(`Invalid value for --${name}: ${JSON.stringify(src.text)} (expected a whole number ≥ 0).`);
  return n;
}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ParseResult<FailedOptions> {
  return catchOptionErrors<FailedOptions>(() => {
    const { flags, words } = parseFlags(argv, FLAGS, failedCommand);
    const [action, ...refs] = words;
    if (!['list', 'show', 'retry', 'remove', 'clear'].includes(action ?? '')) throw new OptionError('resque failed: say list, show, retry, remove or clear.');
    const since = time(flags, 'since');
    const until = time(flags, 'until');
    const filter: FailedFilter = {
      ...(flags.get('queue') !== undefined ? { queue: flags.get('queue') as string } : {}),
      ...(flags.get('class') !== undefined ? { class: flags.get('class') as string } : {}),
      ...(flags.get('exception') !== undefined ? { exception: flags.get('exception') as string } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(flags.get('search') !== undefined ? { search: flags.get('search') as string } : {}),
    };
    const all = flags.get('all') === '1';
    if (action === 'show' && refs.length !== 1) throw new OptionError('resque failed show needs one REF.');
    if ((action === 'retry' || action === 'remove') && refs.length === 0 && Object.keys(filter).length === 0 && !all) {
      throw new OptionError(`resque failed ${action}: name records (REF…), a filter, or --all.`);
    }
    if ((action === 'list' || action === 'clear') && refs.length > 0) throw new OptionError(`Unexpected argument "${refs[0] ?? ''}" after "failed ${action}".`);
    return {
      ok: true,
      options: {
        client: clientSettings(flags, env, cwd), action: action as Action, refs, filter, all,
        keep: flags.get('keep') === '1', retried: flags.get('retried') === '1', json: flags.get('json') === '1',
        offset: whole(flags, 'offset', 0), limit: whole(flags, 'limit', 20),
      },
    };
  });
}

function line(r: FailedRecord): string {
  const d = r.failure;
  if (!d) return `${r.ref}  (not a record: ${r.error})`;
  return `${r.ref}  ${d.failedAt?.raw ?? '?'}  ${d.queue ?? '?'}  ${d.payload?.job?.className ?? '?'}  ${d.exception ?? '?'}: ${(d.error ?? '').split('\n')[0]}${d.retriedAt ? `  (retried ${d.retriedAt.raw})` : ''}`;
}

async function run(o: FailedOptions, io: Io): Promise<number> {
  const out = (v: unknown, text: string): void => { io.stdout.write(o.json ? `${JSON.stringify(v)}\n` : `${text}\n`); };
  return withClient(new ResqueAdmin(connectionOf(o.client)), io, async (admin) => {
    const f = admin.failed;
    switch (o.action) {
      case 'list': {
        const list = await f.list({ ...o.filter, offset: o.offset, limit: o.limit });
        const total = await f.count(o.filter);
        if (o.json) out({ total, records: list.map((r) => ({ ref: r.ref, record: r.failure?.fields ?? null, raw: r.raw })) }, '');
        else io.stdout.write(`${total} failed job(s)${Object.keys(o.filter).length ? ' matching' : ''}\n${list.map(line).join('\n')}${list.length ? '\n' : ''}`);
        return 0;
      }
      case 'show': {
        const r = await f.get(o.refs[0] as string);
        if (!r) {
          io.stderr.write(`No failure record ${o.refs[0] ?? ''} (removed or retried since)\n`);
          return 1;
        }
        out({ ref: r.ref, record: r.failure?.fields ?? null, raw: r.raw }, `${line(r)}\n${r.raw}`);
        return 0;
      }
      case 'retry':
      case 'remove': {
        const target = o.refs.length > 0 ? o.refs : o.filter;
        const change = o.action === 'retry' ? await f.retry(target, { keep: o.keep }) : await f.remove(target);
        out(change, `${o.action === 'retry' ? 'retried' : 'removed'}: ${change.done}${change.missing ? `, already gone: ${change.missing}` : ''}${change.refused.map((x) => `\nrefused ${x.ref}: ${x.reason}`).join('')}`);
        return change.refused.length > 0 ? 1 : 0;
      }
      case 'clear': {
        const n = o.retried ? await f.clearRetried() : await f.clear();
        out({ removed: n }, `removed: ${n}`);
        return 0;
      }
    }
  });
}
