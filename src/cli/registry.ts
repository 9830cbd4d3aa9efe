/**
 * The `resque` commands and the dispatch over them. Adding a command = one file in
 * src/cli/commands/ plus its line in COMMANDS; main and the help iterate this list.
 *   1. parseCommandLine (pure): the command line is read once with every command's flags
 *      together, to find the command's name (flags may come first: `resque --verbose start`),
 *      flags no command knows and bad boolean values — exactly as when all flags were global;
 *   2. a global flag (--help, --version) runs the command of its name: `resque start --help`
 *      is `resque help start`, `resque start -V` is `resque version`;
 *   3. otherwise the command's own parse gets the command line without its name and checks
 *      the flags against its table (`resque demo --count=4`: exit 2 naming --count);
 *   4. usage errors (exit 2) end with a usage line: the command's (when the first word names
 *      one), else the registry's (every command's);
 *   5. main runs the command with the streams bin/resque passes (src/ never writes to
 *      process.stdout or process.stderr, nor exits) and resolves its exit code.
 */
import { OptionError } from '../errors';
import { GLOBAL_FLAGS, commandIndex, parseFlags } from './args';
import { findCommand, type Command, type Flag, type FlagTable, type Io } from './command';
import { demoCommand } from './commands/demo';
import { helpCommand } from './commands/help';
import { schedulerCommand } from './commands/scheduler';
import { enqueueCommand } from './commands/enqueue';
import { delayedCommand } from './commands/delayed';
import { schedulesCommand } from './commands/schedules';
import { failedCommand } from './commands/failed';
import { infoCommand } from './commands/info';
import { workersCommand } from './commands/workers';
import { statusCommand } from './commands/status';
import { stopCommand } from './commands/stop';
import { pauseCommand } from './commands/pause';
import { resumeCommand } from './commands/resume';
import { restartCommand } from './commands/restart';
import { queuesCommand } from './commands/queues';
import { healthCommand } from './commands/health';
import { metricsCommand } from './commands/metrics';
import { webCommand } from './commands/web';
import { startCommand } from './commands/start';
import { versionCommand } from './commands/version';
import { commandUsageLine, usageLine } from './usage';

export const COMMANDS: readonly Command<unknown>[] = [
  startCommand,
  schedulerCommand,
  enqueueCommand,
  delayedCommand,
  schedulesCommand,
  failedCommand,
  infoCommand,
  workersCommand,
  queuesCommand,
  statusCommand,
  stopCommand,
  pauseCommand,
  resumeCommand,
  restartCommand,
  healthCommand,
  metricsCommand,
  webCommand,
  demoCommand,
  helpCommand(() => COMMANDS),
  versionCommand,
];

/** A parsed command line: the command and the options its parse returned, or the error to print. */
export type CommandLine =
  | { readonly ok: true; readonly command: Command<unknown>; readonly options: unknown }
  | { readonly ok: false; readonly error: string; readonly exitCode: 1 | 2 };

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, io: Io, commands: readonly Command<unknown>[] = COMMANDS): Promise<number> {
  const line = parseCommandLine(argv, env, cwd, commands);
  if (!line.ok) {
    io.stderr.write(`${line.error}\n`);
    return line.exitCode;
  }
  return line.command.run(line.options, io);
}

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, commands: readonly Command<unknown>[] = COMMANDS): CommandLine {
  let call: { command: Command<unknown>; args: readonly string[] };
  try {
    call = locate(argv, commands);
  } catch (err) {
    if (err instanceof OptionError) return { ok: false, exitCode: 2, error: `${err.message}\n${reminder(argv, commands)}` };
    throw err;
  }
  const { command, args } = call;
  const result = command.parse(args, env, cwd);
  if (result.ok) return { ok: true, command, options: result.options };
  if (result.exitCode === 1) return result;
  return { ok: false, exitCode: 2, error: `${result.error}\n${commandUsageLine(command)}` };
}

/** The usage line after an error found before the command is: the first word's, if it names one. */
function reminder(argv: readonly string[], commands: readonly Command<unknown>[]): string {
  const word = argv.find((token) => !token.startsWith('-'));
  const command = word === undefined ? undefined : findCommand(commands, word);
  return command === undefined ? usageLine(commands) : commandUsageLine(command);
}

/** The command to run and its part of the command line. Throws OptionError. */
function locate(argv: readonly string[], commands: readonly Command<unknown>[]): { command: Command<unknown>; args: readonly string[] } {
  const all = everyFlag(commands);
  const { flags, words } = parseFlags(argv, all);
  const global = GLOBAL_FLAGS.find((f) => flags.get(f.name) === '1');
  if (global !== undefined) return { command: named(commands, global.name), args: globalArgs(global.name, words) };
  const name = words[0];
  if (name === undefined) throw new OptionError('No command given.');
  const command = findCommand(commands, name);
  if (command === undefined) throw new OptionError(`Unknown command "${name}".`);
  const at = commandIndex(argv, all);
  if (at === undefined || argv[at] !== name) throw new Error(`resque-ts: command "${name}" not found in the command line`);
  return { command, args: [...argv.slice(0, at), ...argv.slice(at + 1)] };
}

/**
 * The argv of a global flag's command: the command named, as a word (`--` first, so it is not
 * read as a flag). `resque start --help` → `help -- start`; `resque help --help` → `help -- help`;
 * `resque help start --help` → `help -- start`.
 */
function globalArgs(flagCommand: string, words: readonly string[]): readonly string[] {
  const named = words[0] === flagCommand && words.length > 1 ? words.slice(1) : words;
  return ['--', ...named.slice(0, 1)];
}

function named(commands: readonly Command<unknown>[], name: string): Command<unknown> {
  const command = findCommand(commands, name);
  if (command === undefined) throw new Error(`resque-ts: no "${name}" command in the registry`);
  return command;
}

/** Every command's flags, once each; a name must mean the same kind of flag in every command. */
export function everyFlag(commands: readonly Command<unknown>[]): FlagTable {
  const byName = new Map<string, Flag>();
  for (const flag of commands.flatMap((c) => c.flags)) {
    const seen = byName.get(flag.name);
    if (seen !== undefined && seen.kind !== flag.kind) {
      throw new Error(`resque-ts: flag --${flag.name} is a ${seen.kind} in one command and a ${flag.kind} in another`);
    }
    if (seen === undefined) byName.set(flag.name, flag);
  }
  return [...byName.values()];
}
