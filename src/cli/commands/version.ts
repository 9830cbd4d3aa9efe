/**
 * `resque version` (also `--version` / `-V` after any command): prints `resque-ts VERSION`.
 * Words after it are ignored, as they always were.
 */
import { catchOptionErrors, parseFlags } from '../args';
import type { Command, Io, ParseResult } from '../command';
import { version } from '../usage';

export interface VersionOptions {
  readonly text: string;
}

export const versionCommand: Command<VersionOptions> = {
  name: 'version',
  summary: 'the version (also --version, -V)',
  usage: 'resque version',
  flags: [],
  parse,
  run,
};

function parse(argv: readonly string[]): ParseResult<VersionOptions> {
  return catchOptionErrors(() => {
    parseFlags(argv, [], versionCommand);
    return { ok: true, options: { text: version() } };
  });
}

function run(options: VersionOptions, io: Io): Promise<number> {
  io.stdout.write(`${options.text}\n`);
  return Promise.resolve(0);
}
