/**
 * Where `resque start` runs its workers: in its own process (COUNT default-engine workers share
 * it, each hosting the job process that is the registered worker; or the one worker of
 * `--count=1`), or in a process each (strict and in-process workers with COUNT > 1: a worker id
 * carries the pid of the process running its loop). Kept apart so the CLI decides without
 * loading the worker code.
 */
import type { WorkerConfig } from '../config';

/** The default engine: a job process runs the loop and is the registered worker. */
export function hostsJobProcesses(config: Pick<WorkerConfig, 'inProcess' | 'jobsPerChild'>): boolean {
  return !config.inProcess && config.jobsPerChild > 1;
}

export function runsInThisProcess(config: WorkerConfig): boolean {
  return config.count === 1 || hostsJobProcesses(config);
}

/** Whether its loops take jobs in batches, with a batch cursor (strict mode takes one at a time). */
export function batches(config: Pick<WorkerConfig, 'inProcess' | 'jobsPerChild' | 'batch'>): boolean {
  return config.batch > 1 && (config.inProcess || config.jobsPerChild > 1);
}
