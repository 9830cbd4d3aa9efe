/**
 * What `resque stop`, `pause`, `resume` and `restart` share: the flags, and the worker ids named
 * on the command line checked against the registry (through the admin API).
 */
import type { FlagTable } from '../command';
import { clientFlags } from '../client';
import type { ResqueAdmin } from '../../api/admin';
import type { RegisteredWorker } from '../../api/workers';

export const CONTROL_FLAGS: FlagTable = clientFlags([
  { name: 'all', kind: 'boolean', default: 'off', help: 'every worker of the namespace, on any host' },
  { name: 'json', kind: 'boolean', default: 'off', help: 'JSON output' },
]);

/** The registered workers named by `ids` (unknown ones listed apart), or with `all` every one of ours. */
export async function namedWorkers(admin: ResqueAdmin, ids: readonly string[], all: boolean): Promise<{ found: RegisteredWorker[]; unknown: string[] }> {
  const workers = await admin.workers();
  if (all) return { found: workers.filter((w) => w.peer === 'resque-ts'), unknown: [] };
  const byId = new Map(workers.map((w) => [w.id, w]));
  return { found: ids.flatMap((id) => byId.get(id) ?? []), unknown: ids.filter((id) => !byId.has(id)) };
}

/** Exit code when a worker named is not registered. */
export const EXIT_UNKNOWN_WORKER = 3;
