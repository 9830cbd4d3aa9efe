/** `resque resume --all` / `resque resume WORKER_ID…`: undo `resque pause` (src/cli/commands/pause.ts). */
import type { Command } from '../command';
import { CONTROL_FLAGS } from './control';
import { pauseParse, pauseRun, type PauseOptions } from './pause';

export const resumeCommand: Command<PauseOptions> = {
  name: 'resume',
  summary: 'take jobs again after resque pause',
  usage: 'resque resume --all | WORKER_ID…',
  flags: CONTROL_FLAGS,
  parse: (a, e, c) => pauseParse(resumeCommand, false)(a, e, c),
  run: pauseRun,
};
