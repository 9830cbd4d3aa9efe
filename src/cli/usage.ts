/**
 * Help text, usage lines and version of the `resque` command, rendered from the commands
 * (src/cli/command.ts) they are given — the registry's, nothing hard-wired here:
 *   1. VERSION comes from src/version.ts (package.json), re-exported for the help text's users.
 *   2. usage() is `resque help`: every command with its summary, then each command's flag table
 *      and notes; commandHelp() is `resque help COMMAND`: that command's alone.
 *   3. A flag table's columns are as wide as their longest text, so every row lines up.
 *   4. usageLine() / commandUsageLine() are the one-line reminders appended to usage errors.
 */
import type { Command, Flag, FlagTable } from './command';
import { GLOBAL_FLAGS } from './args';
import { VERSION } from '../version';

export { VERSION };

type Commands = readonly Command<unknown>[];

/** What `resque --version` prints. */
export function version(): string {
  return `resque-ts ${VERSION}`;
}

/** Appended to a usage error found before the command is known (no command, an unknown one). */
export function usageLine(commands: Commands): string {
  return `Usage: ${commands.map((c) => c.usage).join(' | ')}`;
}

/** Appended to a usage error of one command (with where its flags are listed, if it has any). */
export function commandUsageLine(command: Command<unknown>): string {
  return `Usage: ${command.usage}${command.flags.length > 0 ? ` | resque help ${command.name}` : ''}`;
}

/** What `resque help` / `resque --help` prints. */
export function usage(commands: Commands): string {
  const list = columns(commands.map((c) => [c.usage, c.summary]));
  const sections = commands.filter((c) => c.flags.length > 0 || c.notes !== undefined).map((c) => details(c, `Flags for ${c.name}`));
  return [`resque-ts ${VERSION}: a php-resque compatible background job worker`, `Commands\n${list}`, ...sections, globalNote()].join('\n\n') + '\n';
}

/** What `resque help COMMAND` / `resque COMMAND --help` prints. */
export function commandHelp(command: Command<unknown>): string {
  return [`${command.usage}: ${command.summary}`, details(command, 'Flags'), globalNote()].join('\n\n') + '\n';
}

/** The flag table (or "no flags") and the notes of one command. */
function details(command: Command<unknown>, heading: string): string {
  const flags = command.flags.length > 0 ? `${heading}${flagRules(command.flags)}\n${flagTable(command.flags)}` : `"${command.name}" takes no flags.`;
  return command.notes === undefined ? flags : `${flags}\n\n${command.notes}`;
}

/** The rules the table's reader needs: ` (a flag beats its variable; booleans also take …)`. */
function flagRules(flags: FlagTable): string {
  const rules = [
    flags.some((f) => (f.variables ?? []).length > 0) ? 'a flag beats its variable' : undefined,
    flags.some((f) => f.kind === 'boolean') ? 'booleans also take --no-FLAG and --FLAG=0|1' : undefined,
  ].filter((r) => r !== undefined);
  return rules.length > 0 ? ` (${rules.join('; ')})` : '';
}

function globalNote(): string {
  const forms = GLOBAL_FLAGS.map((f) => `--${f.name}${f.short === undefined ? '' : ` (-${f.short})`}`);
  return `Every command also takes ${forms.join(' and ')}.`;
}

const HEAD = ['flag', 'what', 'variable', 'default'] as const;

/** [flag, what it does, environment variable, default] for each flag, under HEAD. */
export function flagTable(flags: FlagTable): string {
  return columns([HEAD, ...flags.map((f) => [flagCell(f), f.help, variableCell(f), f.default])]);
}

/** `--pidfile=FILE, --pid=FILE`; `--blocking`. */
function flagCell(flag: Flag): string {
  const suffix = flag.kind === 'boolean' ? '' : `=${flag.value ?? 'VALUE'}`;
  return [flag.name, ...(flag.aliases ?? [])].map((name) => `--${name}${suffix}`).join(', ');
}

/** `VERBOSE, LOGGING`; `BLOCKING (if set)`; `-` when none. */
function variableCell(flag: Flag): string {
  const names = (flag.variables ?? []).join(', ');
  if (names === '') return '-';
  return flag.variableNote === undefined ? names : `${names} ${flag.variableNote}`;
}

/** Spaces between two columns. */
const GAP = 2;

/** Rows indented by two, each column as wide as its longest cell plus GAP, so every row lines up. */
function columns(rows: ReadonlyArray<readonly string[]>): string {
  const count = Math.max(...rows.map((row) => row.length));
  const widths = Array.from({ length: count }, (_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)) + GAP);
  const line = (row: readonly string[]): string =>
    `  ${row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('')}`;
  return rows.map(line).join('\n');
}
