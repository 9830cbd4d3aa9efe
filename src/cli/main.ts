/**
 * The CLI: parse → options (pure, src/cli/args.ts) → call the library → exit code.
 * Only this file and bin/resque touch process-wide things (stdout, pidfile). The worker and
 * demo modules are imported on demand, so a COUNT supervisor does not load Redis code.
 * `start` checks the jobs folder first (src/cli/jobs-folder.ts), once per started command: in
 * the supervisor before it forks, or in a worker started on its own — not in supervised workers.
 */
import * as fs from 'node:fs';
import { parseArgs } from './args';
import { Logger } from '../log';
import { runSupervisor } from '../worker/supervisor';
import { checkJobsFolder } from './jobs-folder';
import type { WorkerConfig } from '../config';

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Promise<number> {
  const parsed = parseArgs(argv, env, cwd);
  switch (parsed.command) {
    case 'help':
    case 'version':
      process.stdout.write(`${parsed.text}\n`);
      return 0;
    case 'error':
      process.stderr.write(`${parsed.message}\n`);
      return parsed.exitCode;
    case 'demo':
      return (require('./demo') as typeof import('./demo')).runDemo({ redis: parsed.redis, env });
    case 'start':
      return start(parsed.config, argv, env, cwd);
  }
}

async function start(config: WorkerConfig, argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const logger = new Logger({ level: config.logLevel, format: config.logFormat });
  const supervised = env['RESQUE_SUPERVISED'] === '1';
  if (!supervised) {
    const folder = checkJobsFolder(config, argv, cwd);
    if (folder.level === 'error') {
      process.stderr.write(`${folder.message}\n`);
      return 2; // a usage error, like a bad flag value
    }
    if (folder.level === 'warning') logger.warning(folder.message);
  }
  if (config.pidfile && !supervised) {
    try {
      fs.writeFileSync(config.pidfile, `${process.pid}\n`);
    } catch (e) {
      process.stderr.write(`Could not write pidfile ${config.pidfile}: ${(e as Error).message}\n`);
      return 1;
    }
  }
  try {
    if (config.count > 1 && !supervised) return await runSupervisor({ config, logger, argv, env });
    // Loaded here, not at the top: a COUNT supervisor never needs Redis code (keeps it small).
    return await (require('../worker/worker-process') as typeof import('../worker/worker-process')).runWorkerProcess({ config, logger });
  } catch (e) {
    logger.error((e as Error).message);
    return 1;
  } finally {
    if (config.pidfile && !supervised) removePidfile(config.pidfile);
  }
}

function removePidfile(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
  } catch {
    /* already gone */
  }
}
