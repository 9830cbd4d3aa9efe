/**
 * `resque help [COMMAND]` (also `--help` / `-h`, after a command: that command's help).
 *   - no COMMAND: every command of the registry with its summary, each command's flag table
 *     and notes (src/cli/usage.ts renders them);
 *   - COMMAND: its usage line, summary, flag table and notes; an unknown one is exit 2.
 * The command list is the registry's, passed in as a function (the registry holds this command).
 */
import { OptionError } from '../../errors';
import { catchOptionErrors, noExtraWords, parseFlags } from '../args';
import { findCommand, type Command, type Io } from '../command';
import { commandHelp, usage } from '../usage';

export interface HelpOptions {
  readonly text: string;
}

export function helpCommand(commands: () => readonly Command<unknown>[]): Command<HelpOptions> {
  const command: Command<HelpOptions> = {
    name: 'help',
    summary: 'this text, or one command\'s flags (also --help, -h)',
    usage: 'resque help [COMMAND]',
    flags: [],
    parse: (argv) => catchOptionErrors(() => {
      const { words } = parseFlags(argv, [], command);
      return { ok: true, options: { text: helpText(commands(), words) } };
    }),
    run,
  };
  return command;
}

function helpText(commands: readonly Command<unknown>[], words: readonly string[]): string {
  const [topic, ...rest] = words;
  if (topic === undefined) return usage(commands);
  noExtraWords(`help ${topic}`, rest);
  const command = findCommand(commands, topic);
  if (command === undefined) throw new OptionError(`Unknown command "${topic}".`);
  return commandHelp(command);
}

function run(options: HelpOptions, io: Io): Promise<number> {
  io.stdout.write(`${options.text}\n`);
  return Promise.resolve(0);
}
