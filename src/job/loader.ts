/**
 * Resolving a Resque class name to a job class (WIRE.md §3.4):
 *   1. The app module's `jobs` registry first: the exact key, then the canonical form of the
 *      name (leading `\` or `::` dropped, `\` and `::` read as `/`), so `\App\Jobs\SendEmail`,
 *      `App::Jobs::SendEmail` and `App/Jobs/SendEmail` all find `App\Jobs\SendEmail`.
 *      A class's `static resqueNames` adds aliases.
 *   2. Else a file `jobsDir/App/Jobs/SendEmail.{js,cjs,mjs,ts,cts,mts}` whose export is the
 *      class (module.exports, default export, or the export named like the last segment).
 *   3. Names that could escape jobsDir are refused before touching the file system
 *      (`..`, NUL, absolute paths, drive letters, empty segments, odd characters), and the
 *      file's realpath must lie inside realpath(jobsDir): nothing outside is ever loaded.
 *   4. Resolved classes are cached per loader (one loader per child).
 *   5. loadApp() loads and validates an app module (APP_INCLUDE), in the child or the parent.
 *   6. An unknown class says where it was looked for: `Looked in /srv/app/jobs for
 *      App/Jobs/X.{js,…}.`; with `debug` (log level debug) also the registry names and every
 *      candidate path tried, so the failure record alone explains the miss.
 */
import type { FailureBackend } from '../store/failures';
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobClassNotFoundError, JobMethodMissingError, OptionError } from '../errors';
import { ensureTypeScriptSupport, isTypeScriptFile } from './ts-register';
import { HOOK_NAMES } from './types';
import type { AppHooks, AppModule, JobClass } from './types';

/** The file kinds a job class is loaded from, in lookup order. */
export const JOB_EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'] as const;
const SEGMENT = /^[A-Za-z0-9_$\-.]+$/;

// tsc (module node16) turns `import()` into `require()` in CommonJS output; this stays a real import.
const dynamicImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

/** `\App\Jobs\X`, `App::Jobs::X`, `App/Jobs/X` → `App/Jobs/X`. Only for comparing names. */
export function canonicalName(name: string): string {
  return name.replace(/^(?:\\|::)/, '').replace(/\\|::/g, '/');
}

/** The path segments for a file lookup; throws JobClassNotFoundError saying why a name is refused. */
export function nameToSegments(name: string): string[] {
  const refuse = (why: string): never => {
    throw new JobClassNotFoundError(name, `Refused: ${why}.`);
  };
  if (name.includes('\0')) refuse('the name contains a NUL byte');
  if (/^[A-Za-z]:(?!:)/.test(name)) refuse('the name starts with a drive letter');
  if (name.startsWith('/') || name.startsWith('\\\\')) refuse('absolute paths are not allowed');
  const segments = canonicalName(name).split('/');
  for (const seg of segments) {
    if (seg === '') refuse('the name has an empty path segment');
    if (seg === '..' || seg === '.') refuse(`'${seg}' segments are not allowed`);
    if (!SEGMENT.test(seg)) refuse(`segment ${JSON.stringify(seg)} has characters outside [A-Za-z0-9_$-.]`);
  }
  return segments;
}

export interface JobLoaderOptions {
  /** Absolute folder holding job files. */
  jobsDir: string;
  /** The app module's `jobs` registry. */
  jobs?: Readonly<Record<string, JobClass>>;
  /** Log level debug: a class not found lists every registry name and file path tried. */
  debug?: boolean;
}

/** Finds job classes by Resque class name; one instance per child process. */
export class JobLoader {
  private readonly jobsDir: string;
  private readonly debug: boolean;
  private readonly exact = new Map<string, JobClass>();
  private readonly canonical = new Map<string, JobClass>();
  private readonly cache = new Map<string, JobClass>();

  constructor(opts: JobLoaderOptions) {
    this.jobsDir = path.resolve(opts.jobsDir);
    this.debug = opts.debug ?? false;
    for (const [key, cls] of Object.entries(opts.jobs ?? {})) {
      for (const alias of [key, ...(Array.isArray(cls.resqueNames) ? cls.resqueNames : [])]) {
        if (typeof alias !== 'string') continue;
        this.exact.set(alias, cls);
        this.canonical.set(canonicalName(alias), cls);
      }
    }
  }

  /**
   * The class for `name` (a think-queue `Class@method` name: the class, which must have that
   * method); rejects with JobClassNotFoundError or JobMethodMissingError.
   */
  async resolve(name: string): Promise<JobClass> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const { className, method } = splitJobName(name);
    const cls = this.exact.get(className) ?? this.canonical.get(canonicalName(className)) ?? (await this.fromFile(className));
    if (!hasMethod(cls, method)) throw new JobMethodMissingError(className, method);
    this.cache.set(name, cls);
    return cls;
  }

  private async fromFile(name: string): Promise<JobClass> {
    const segments = nameToSegments(name);
    const file = this.findFile(name, segments);
    if (!file) throw new JobClassNotFoundError(name, this.notFoundDetail(name, segments));
    const mod = await importFile(file, [this.jobsDir, process.cwd()], this.displayName(file));
    const cls = pickClass(mod, segments[segments.length - 1] ?? '');
    if (!cls) throw new JobClassNotFoundError(name, `${this.displayName(file)} does not export a class.`);
    return cls;
  }

  private findFile(name: string, segments: readonly string[]): string | undefined {
    const root = realOrUndefined(this.jobsDir);
    if (!root) return undefined;
    for (const ext of JOB_EXTENSIONS) {
      const candidate = path.join(this.jobsDir, ...segments) + ext;
      const real = realOrUndefined(candidate);
      if (!real || !isFile(real)) continue;
      if (!real.startsWith(root + path.sep)) {
        throw new JobClassNotFoundError(name, 'Refused: the file resolves outside the jobs directory.');
      }
      return real;
    }
    return undefined;
  }

  /** `Looked in DIR for App/Jobs/X.{js,…}.`, plus (debug) the registry names and every path tried. */
  private notFoundDetail(name: string, segments: readonly string[]): string {
    const exts = JOB_EXTENSIONS.map((e) => e.slice(1)).join(',');
    const state = folderState(this.jobsDir);
    const where = `${this.jobsDir}${state === 'folder' ? '' : ` (which ${state === 'missing' ? 'does not exist' : 'is not a directory'})`}`;
    const looked = `Looked in ${where} for ${segments.join('/')}.{${exts}}.`;
    if (!this.debug) return looked;
    const canonical = canonicalName(name);
    const names = canonical === name ? `"${name}"` : `"${name}" and "${canonical}"`;
    const registered = this.exact.size === 0 ? 'none registered' : `${this.exact.size} registered name${this.exact.size === 1 ? '' : 's'}`;
    const files = JOB_EXTENSIONS.map((ext) => path.join(this.jobsDir, ...segments) + ext).join(', ');
    return `${looked} Tried the app module's jobs (${registered}) for ${names}, then the files ${files}.`;
  }

  /** `jobs/X.ts` style: relative to the jobs folder's parent. */
  private displayName(file: string): string {
    const root = realOrUndefined(this.jobsDir) ?? this.jobsDir;
    return path.relative(path.dirname(root), file);
  }
}

/** Load a module of any supported kind: CommonJS, ESM, TypeScript. */
export async function importFile(file: string, tsSearchDirs: readonly string[], displayName: string): Promise<unknown> {
  if (file.endsWith('.mjs')) return dynamicImport(pathToFileURL(file).href);
  if (isTypeScriptFile(file)) ensureTypeScriptSupport(displayName, tsSearchDirs);
  try {
    const mod: unknown = require(file);
    return mod;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') return dynamicImport(pathToFileURL(file).href);
    throw e;
  }
}

/** module.exports = class, default export, or the export named like the file. */
function pickClass(mod: unknown, lastSegment: string): JobClass | undefined {
  const dflt = property(mod, 'default');
  for (const candidate of [mod, dflt, property(mod, lastSegment), property(dflt, lastSegment)]) {
    if (typeof candidate === 'function') return candidate as JobClass;
  }
  return undefined;
}

/** Whether instances of `cls` have `method` of their own class chain (never Object.prototype's). */
function hasMethod(cls: JobClass, method: string): boolean {
  const proto: unknown = (cls as { prototype?: unknown }).prototype;
  if (typeof proto !== 'object' || proto === null || method === 'constructor') return false;
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const d = Object.getOwnPropertyDescriptor(p, method);
    if (d) return typeof d.value === 'function';
  }
  return false;
}

/**
 * think-queue's `Class@method` job names: run that method instead of perform. A name without
 * `@` (or whose tail is no identifier) is a class name; the method is then perform.
 */
export function splitJobName(name: string): { className: string; method: string } {
  const m = /^(.+)@([A-Za-z_$][\w$]*)$/.exec(name);
  return m ? { className: m[1] ?? name, method: m[2] ?? 'perform' } : { className: name, method: 'perform' };
}

function property(v: unknown, key: string): unknown {
  if ((typeof v !== 'object' && typeof v !== 'function') || v === null) return undefined;
  return Object.prototype.hasOwnProperty.call(v, key) ? (v as Record<string, unknown>)[key] : undefined;
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** What a jobs folder path holds (symlinks followed). */
export function folderState(p: string): 'folder' | 'missing' | 'not-a-directory' {
  try {
    return statSync(p).isDirectory() ? 'folder' : 'not-a-directory';
  } catch {
    return 'missing';
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Load the app module (APP_INCLUDE): `{ jobs?, hooks? }` as module.exports, a default export
 * or ESM named exports. Throws OptionError naming the file and the bad entry.
 */
export async function loadApp(file: string): Promise<AppModule> {
  const abs = path.resolve(file);
  const mod = await importFile(abs, [path.dirname(abs), process.cwd()], abs);
  const dflt = property(mod, 'default');
  const named = ['jobs', 'hooks', 'failureBackend'].some((k) => property(mod, k) !== undefined);
  const root = named ? mod : dflt;
  const jobs = validateJobs(abs, property(root, 'jobs'));
  const hooks = validateHooks(abs, property(root, 'hooks'));
  const failureBackend = validateBackend(abs, property(root, 'failureBackend'));
  return { ...(jobs ? { jobs } : {}), ...(hooks ? { hooks } : {}), ...(failureBackend ? { failureBackend } : {}) };
}

function validateJobs(file: string, jobs: unknown): Record<string, JobClass> | undefined {
  if (jobs === undefined || jobs === null) return undefined;
  if (typeof jobs !== 'object') throw new OptionError(`App module ${file}: "jobs" must be an object of classes`);
  const out: Record<string, JobClass> = {};
  for (const [key, cls] of Object.entries(jobs)) {
    if (typeof cls !== 'function') throw new OptionError(`App module ${file}: jobs[${JSON.stringify(key)}] is not a class`);
    out[key] = cls as JobClass;
  }
  return out;
}

function validateHooks(file: string, hooks: unknown): AppHooks | undefined {
  if (hooks === undefined || hooks === null) return undefined;
  if (typeof hooks !== 'object') throw new OptionError(`App module ${file}: "hooks" must be an object of functions`);
  const known: readonly string[] = HOOK_NAMES;
  for (const [key, fn] of Object.entries(hooks)) {
    if (!known.includes(key)) {
      throw new OptionError(`App module ${file}: hooks.${key} is not a hook (known: ${HOOK_NAMES.join(', ')})`);
    }
    if (typeof fn !== 'function') throw new OptionError(`App module ${file}: hooks.${key} is not a function`);
  }
  return hooks as AppHooks;
}

function validateBackend(file: string, backend: unknown): FailureBackend | undefined {
  if (backend === undefined) return undefined;
  const save = property(backend, 'save');
  if (typeof save !== 'function') throw new OptionError(`App module ${file}: failureBackend must be an object with a save(failure) method`);
  return backend as FailureBackend;
}
