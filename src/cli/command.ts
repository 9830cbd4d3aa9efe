/**
 * What one `resque` command is, as the registry (src/cli/registry.ts) and the help see it:
 *   1. its name (and aliases), a one-line summary and its usage line;
 *   2. its flag table (Flag): every flag it takes, with the value's kind, the php-resque
 *      variables it falls back to, its default and its help text. The help prints the table and
 *      the shared parser (src/cli/args.ts) checks the command line against it;
 *   3. parse(argv, env, cwd): pure — the words after the command's name, the environment and
 *      the working directory in, the command's options or an error (message and exit code) out;
 *   4. run(options, io): does the work, writes to the streams it is given (never process.stdout
 *      or process.stderr) and resolves the exit code.
 * A command is one file in src/cli/commands/ plus one line in the registry.
 */

/**
 * boolean: `--x`, `--no-x`, `--x=0|1|true|false|yes|no|on|off`; never takes the next word.
 * string, number: one value (`--x=V` or `--x V`), the last one given wins.
 * list: values add up, joined with `,` (`--queue=a --queue=b,c` is `a,b,c`).
 * The kinds number and string parse alike (the command validates the number); the help shows which.
 */
export type FlagKind = 'boolean' | 'string' | 'number' | 'list';

export interface Flag {
  /** The long name without its dashes: `queue` is `--queue`. */
  readonly name: string;
  readonly kind: FlagKind;
  /** What the value is called in the help (`N` in `--count=N`); value kinds only. */
  readonly value?: string;
  /** Other long names of the same flag (`pid` for `pidfile`). */
  readonly aliases?: readonly string[];
  /** A one-letter form (`h` for `--help`); boolean flags only. */
  readonly short?: string;
  /** Environment variables read when the flag is not given (the flag beats them). */
  readonly variables?: readonly string[];
  /** How the variables count when not "set and non-empty", for the help (`(if set)`). */
  readonly variableNote?: string;
  /** The default, as the help shows it. */
  readonly default: string;
  /** What the flag does, in a few words. */
  readonly help: string;
}

export type FlagTable = readonly Flag[];

/** The streams a command writes to: bin/resque passes process.stdout and process.stderr. */
export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /**
   * The launcher script this process runs (bin/resque sets it): `resque start` may start itself
   * again through it when its process titles would be cut (src/cli/relaunch.ts). Unset: never.
   */
  readonly launcher?: string;
}

/** What parse() returns: the options run() takes, or why there are none (2: usage error). */
export type ParseResult<O> =
  | { readonly ok: true; readonly options: O }
  | { readonly ok: false; readonly error: string; readonly exitCode: 1 | 2 };

/**
 * One command. The registry holds them as Command<unknown>: run is a method, so a
 * Command<StartOptions> is one too, and the registry only ever passes a command the options
 * its own parse returned.
 */
export interface Command<O = unknown> {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** One line for the command list of `resque help`. */
  readonly summary: string;
  /** `resque start [--queue=NAMES] [flags]`: the synopsis, in the help and after usage errors. */
  readonly usage: string;
  readonly flags: FlagTable;
  /** More help printed after the flag table (start: the signals), heading included. */
  readonly notes?: string;
  /** Pure: `argv` is the command line without the command's name. */
  parse(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ParseResult<O>;
  run(options: O, io: Io): Promise<number>;
}

/** The command called `name` (or aliased so) in `commands`. */
export function findCommand(commands: readonly Command<unknown>[], name: string): Command<unknown> | undefined {
  return commands.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}
