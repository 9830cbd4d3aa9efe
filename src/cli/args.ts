/**
 * The flag-parsing core every command shares: a command line + a flag table (src/cli/command.ts)
 * → the flags given and the other words. Pure: reads only its arguments.
 *   1. prepare() rewrites boolean and short flags to `--name=1|0`, so `--debug=0`, `--no-blocking`
 *      and "not given" stay distinct and a boolean never swallows the next word; a value flag
 *      followed by a negative number takes it (`--count -1` reports the bad number; for a
 *      command, so does a flag it lacks: `resque help --batch -1` names --batch).
 *   2. minimist collects the values: the last one given, a list's values joined with `,`;
 *      unknown flags are errors naming them (exit 2).
 *   3. commandIndex() finds the command's name the way minimist does: the first word that is
 *      not a value flag's value (flags may come before it: `resque --verbose start`).
 *   4. sources (a flag, or a variable: the flag beats it) and validators for the commands;
 *      errors name the flag or variable and the bad value; catchOptionErrors() makes an
 *      OptionError a parse result (exit 2).
 * Every command also takes GLOBAL_FLAGS (--help, --version); the registry acts on them.
 */
import minimist from 'minimist';
import { OptionError } from '../errors';
import type { FlagTable, ParseResult } from './command';

export const GLOBAL_FLAGS: FlagTable = [
  { name: 'help', kind: 'boolean', short: 'h', default: 'off', help: 'the help (of the command given)' },
  { name: 'version', kind: 'boolean', short: 'V', default: 'off', help: 'the version' },
];

/** The flags given, by name: the last value (a list: every value, joined with `,`); and the words. */
export interface ParsedFlags {
  readonly flags: ReadonlyMap<string, string>;
  readonly words: readonly string[];
}

/** Who the flags are checked for: an unknown flag names the command and what it takes. */
export interface Owner {
  readonly name: string;
  readonly flags: FlagTable;
}

/** A flag table, compiled for prepare() and collect(). */
interface FlagSet {
  readonly booleans: ReadonlySet<string>;
  /** Value flags (string, number, list), aliases included. */
  readonly values: ReadonlySet<string>;
  readonly lists: ReadonlySet<string>;
  /** alias → name. */
  readonly aliases: Readonly<Record<string, string>>;
  /** letter → boolean flag name. */
  readonly shorts: Readonly<Record<string, string>>;
}

const FALSE_WORDS: ReadonlySet<string> = new Set(['', '0', 'false', 'no', 'off']);
const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'yes', 'on']);
/** What minimist does not take as a flag's value: `-x`, `--x` (but `-`, `--` it takes). */
const LOOKS_LIKE_FLAG = /^(-|--)[^-]/;

/** `argv` checked against `table` (+ GLOBAL_FLAGS). Throws OptionError. */
export function parseFlags(argv: readonly string[], table: FlagTable, owner?: Owner): ParsedFlags {
  const set = flagSet([...GLOBAL_FLAGS, ...table]);
  return collect(set, prepare(set, argv, owner !== undefined), owner);
}

function flagSet(table: FlagTable): FlagSet {
  const booleans = new Set<string>();
  const values = new Set<string>();
  const lists = new Set<string>();
  const aliases: Record<string, string> = {};
  const shorts: Record<string, string> = {};
  for (const flag of table) {
    const names = [flag.name, ...(flag.aliases ?? [])];
    for (const name of names) (flag.kind === 'boolean' ? booleans : values).add(name);
    if (flag.kind === 'list') lists.add(flag.name);
    for (const alias of flag.aliases ?? []) aliases[alias] = flag.name;
    if (flag.short !== undefined) shorts[flag.short] = flag.name;
  }
  return { booleans, values, lists, aliases, shorts };
}

// ---- 1. prepare: booleans and short flags ----

/** `foreign`: a flag not in the table takes a negative number too, so the error names the flag. */
function prepare(set: FlagSet, argv: readonly string[], foreign: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] ?? '';
    const next = argv[i + 1];
    if (token === '--') return out.concat(argv.slice(i));
    if (isValueFlagAwaitingNegative(set, token, next) || (foreign && isForeignAwaitingNegative(set, token, next))) {
      out.push(`${token}=${next ?? ''}`); // `--count -1`: report the bad number, not a flag "-1"
      i += 1;
    } else if (token.startsWith('--')) {
      out.push(prepareLong(set, token));
    } else if (token.startsWith('-') && token !== '-') {
      out.push(...prepareShort(set, token));
    } else {
      out.push(token);
    }
  }
  return out;
}

function isValueFlagAwaitingNegative(set: FlagSet, token: string, next: string | undefined): boolean {
  return next !== undefined && /^-[\d.]/.test(next) && set.values.has(token.slice(2)) && token.startsWith('--');
}

function isForeignAwaitingNegative(set: FlagSet, token: string, next: string | undefined): boolean {
  const name = token.slice(2);
  const known = set.values.has(name) || set.booleans.has(name) || set.booleans.has(name.replace(/^no-/, ''));
  return next !== undefined && /^-[\d.]/.test(next) && token.startsWith('--') && !token.includes('=') && !known;
}

function prepareLong(set: FlagSet, token: string): string {
  const eq = token.indexOf('=');
  const name = eq < 0 ? token.slice(2) : token.slice(2, eq);
  const value = eq < 0 ? undefined : token.slice(eq + 1);
  if (set.booleans.has(name)) return `--${name}=${value === undefined ? '1' : booleanText(name, value)}`;
  const base = name.startsWith('no-') ? name.slice(3) : undefined;
  if (base !== undefined && set.booleans.has(base)) {
    if (value !== undefined) throw new OptionError(`Invalid value for --${name}: "${value}" (--${name} takes no value).`);
    return `--${base}=0`;
  }
  if (base !== undefined && set.values.has(base)) {
    throw new OptionError(`Unknown flag --${name} (--${base} takes a value, it has no --no- form).`);
  }
  return token;
}

function booleanText(name: string, value: string): '1' | '0' {
  const v = value.trim().toLowerCase();
  if (FALSE_WORDS.has(v) || (/^[+-]?\d+$/.test(v) && Number(v) === 0)) return '0';
  if (TRUE_WORDS.has(v) || /^[+-]?\d+$/.test(v)) return '1';
  throw new OptionError(`Invalid value for --${name}: ${JSON.stringify(value)} (expected 1/0, true/false, yes/no or on/off).`);
}

function prepareShort(set: FlagSet, token: string): string[] {
  return [...token.slice(1)].map((letter) => {
    const long = set.shorts[letter];
    if (long === undefined) throw new OptionError(`Unknown flag -${letter}.`);
    return `--${long}=1`;
  });
}

// ---- 2. collect: minimist ----

function collect(set: FlagSet, args: readonly string[], owner: Owner | undefined): ParsedFlags {
  const unknown: string[] = [];
  const parsed: Record<string, unknown> = minimist([...args], {
    string: [...set.booleans, ...set.values, '_'],
    alias: set.aliases,
    unknown: (arg: string) => {
      const isFlag = arg.startsWith('-') && arg !== '-';
      if (isFlag) unknown.push(arg.split('=')[0] ?? arg);
      return !isFlag;
    },
  });
  if (unknown.length > 0) throw unknownFlags(unknown, owner);
  const flags = new Map<string, string>();
  for (const [key, raw] of Object.entries(parsed)) {
    if (key === '_' || set.aliases[key] !== undefined) continue;
    const list = (Array.isArray(raw) ? raw : [raw]).map(String);
    flags.set(key, set.lists.has(key) ? list.join(',') : list[list.length - 1] ?? '');
  }
  const words = Array.isArray(parsed['_']) ? parsed['_'].map(String) : [];
  return { flags, words };
}

function unknownFlags(names: readonly string[], owner: Owner | undefined): OptionError {
  if (owner === undefined) return new OptionError(`Unknown flag ${names.join(', ')}.`);
  return new OptionError(`Unknown flag ${names.join(', ')} for "${owner.name}" (${whatItTakes(owner)}).`);
}

/** "it takes no flags" | "it takes only --redis" | "see resque help start" (a long table). */
function whatItTakes(owner: Owner): string {
  const names = owner.flags.map((f) => `--${f.name}`);
  if (names.length === 0) return 'it takes no flags';
  if (names.length > 3) return `see resque help ${owner.name}`;
  const last = names.pop() ?? '';
  return `it takes only ${names.length > 0 ? `${names.join(', ')} and ${last}` : last}`;
}

// ---- 3. the command's name ----

/**
 * Where in `argv` the first word is (undefined: none), once parseFlags(argv, table) succeeded:
 * minimist's rule — a value flag without `=` takes the next token unless it looks like a flag
 * or is `--` (a negative number it takes, see prepare); after `--` every token is a word.
 */
export function commandIndex(argv: readonly string[], table: FlagTable): number | undefined {
  const set = flagSet([...GLOBAL_FLAGS, ...table]);
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i] ?? '';
    const next = argv[i + 1];
    if (token === '--') return next === undefined ? undefined : i + 1;
    if (takesNext(set, token, next)) i += 1;
    else if (!token.startsWith('-') || token === '-') return i;
  }
  return undefined;
}

function takesNext(set: FlagSet, token: string, next: string | undefined): boolean {
  if (next === undefined || next === '--' || !token.startsWith('--') || token.includes('=')) return false;
  if (!set.values.has(token.slice(2))) return false;
  return isValueFlagAwaitingNegative(set, token, next) || !LOOKS_LIKE_FLAG.test(next);
}

// ---- 4. sources and validators ----

/** Where a value came from (`--count` or `COUNT`) and its text. */
export interface Source {
  readonly name: string;
  readonly text: string;
}

export function fromFlag(flags: ReadonlyMap<string, string>, flag: string): Source | undefined {
  const text = flags.get(flag);
  return text === undefined ? undefined : { name: `--${flag}`, text };
}

/** A variable counts when set and not "empty" (default: not the empty string). */
export function fromEnv(env: NodeJS.ProcessEnv, variable: string, empty: (v: string) => boolean = (v) => v === ''): Source | undefined {
  const text = env[variable];
  return text === undefined || empty(text) ? undefined : { name: variable, text };
}

/** php's empty() on a string: `` and `0`. */
export function phpEmpty(v: string): boolean {
  return v === '' || v === '0';
}

/** A boolean flag: true, false, or undefined when not given. */
export function flagBoolean(flags: ReadonlyMap<string, string>, flag: string): boolean | undefined {
  const text = flags.get(flag);
  return text === undefined ? undefined : text === '1';
}

export function noExtraWords(command: string, rest: readonly string[]): void {
  if (rest.length > 0) throw new OptionError(`Unexpected argument "${rest[0] ?? ''}" after "${command}".`);
}

export function positiveInteger(src: Source): number {
  const n = /^\s*\d+\s*$/.test(src.text) ? Number(src.text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(src, 'a positive integer');
  return n;
}

export function nonNegativeInteger(src: Source): number {
  const n = /^\s*\d+\s*$/.test(src.text) ? Number(src.text) : NaN;
  if (!Number.isSafeInteger(n)) throw invalid(src, 'a whole number, 0 or more');
  return n;
}

/** Seconds or megabytes: 0 or more, fractions allowed (`0.5`, `.5`, `2.`). */
export function nonNegative(src: Source): number {
  const n = /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(src.text) ? Number(src.text) : NaN;
  if (!Number.isFinite(n)) throw invalid(src, 'a number, 0 or more');
  return n;
}

/** Seconds above 0, fractions allowed. */
export function positive(src: Source): number {
  const n = /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(src.text) ? Number(src.text) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw invalid(src, 'a number above 0');
  return n;
}

export function nonEmpty(src: Source, expected: string): string {
  if (src.text === '') throw invalid(src, expected);
  return src.text;
}

export function invalid(src: Source, expected: string): OptionError {
  return new OptionError(`Invalid value for ${src.name}: ${JSON.stringify(src.text)} (expected ${expected}).`);
}

/** Runs a parse step: an OptionError becomes a usage error (exit 2); anything else is a bug. */
export function catchOptionErrors<O>(step: () => ParseResult<O>): ParseResult<O> {
  try {
    return step();
  } catch (err) {
    if (err instanceof OptionError) return { ok: false, error: err.message, exitCode: 2 };
    throw err;
  }
}
