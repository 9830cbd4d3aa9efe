/**
 * The public shapes of user code, php-resque's contract adapted to JavaScript:
 *   1. JobInstance / JobClass: a class instantiated with no arguments, given `args`, `queue`
 *      and `job`, with `perform` and optional `setUp`, `tearDown` and per-class hooks.
 *   2. JobInfo: what app-level hooks receive about a job (php-resque passes its Job object).
 *   3. AppHooks / AppModule: the module named by APP_INCLUDE (`--app`): extra job classes
 *      and hooks. beforeFirstFork and beforeFork run in the worker (parent); the others in
 *      the child that runs the job.
 */

import type { FailureBackend } from '../store/failures';

/** `this.job` inside a job: the queue item as received. */
export interface JobContext {
  /** php-resque job id (`undefined` for Ruby / node-resque payloads). */
  readonly id: string | undefined;
  /** The class name exactly as written in the payload. */
  readonly className: string;
  /** The decoded payload object, unknown fields included. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** The exact queue bytes. */
  readonly raw: string;
  readonly queue: string;
}

/** What a job class instance looks like once the child has prepared it. */
export interface JobInstance {
  /** php-resque's `$this->args`: payload `args[0]`, null when `args` is empty. */
  args?: unknown;
  queue?: string;
  job?: JobContext;
  /** Called with the payload's positional args (`perform(...payload.args)`). */
  perform(...args: unknown[]): unknown;
  setUp?(): unknown;
  tearDown?(): unknown;
  /** Runs after the app-level beforePerform; throw DontPerform to skip the job. */
  beforePerform?(): unknown;
  /** Runs after tearDown and after the app-level afterPerform. */
  afterPerform?(): unknown;
  /** Runs when the job fails (after its last attempt), after the app-level onFailure. */
  onFailure?(error: unknown): unknown;
  /** think-queue's failed(args, error): once, after the last attempt. */
  failed?(args: unknown, error: unknown): unknown;
  /** This run's attempt, 1-based (set before setUp). */
  attempt?: number;
  /** Run again `seconds` from now, counting no failure (think-queue's release); set before setUp. */
  release?(seconds?: number): void;
}

/** A job class: `new Cls()` with no arguments. `resqueNames` adds lookup aliases (registry only). */
export interface JobClass {
  new (): JobInstance;
  readonly name: string;
  readonly resqueNames?: readonly string[];
}

/** What hooks receive about a job. */
export interface JobInfo {
  readonly className: string;
  readonly queue: string;
  readonly id: string | undefined;
  /** Positional args as in the payload. */
  readonly args: readonly unknown[];
  /** php-resque's `$job->args`: `args[0]` or null. */
  readonly arg0: unknown;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly raw: string;
  /** The job object, once created (child-side hooks from beforePerform's successor on). */
  instance?: JobInstance;
}

/** What beforeFirstFork receives about the worker. */
export interface WorkerInfo {
  readonly id: string;
  readonly queues: readonly string[];
  readonly pid: number;
}

/** Hooks an app module may export; every one may be async. */
export interface AppHooks {
  /** Parent, once when the worker starts. */
  beforeFirstFork?(worker: WorkerInfo): unknown;
  /** Parent, before a job is handed to a child. */
  beforeFork?(job: JobInfo): unknown;
  /** Child, once per job before anything else; throwing fails the job. */
  afterFork?(job: JobInfo): unknown;
  /** Child, before the job object is created; throw DontPerform to skip. */
  beforePerform?(job: JobInfo): unknown;
  /** Child, after tearDown. */
  afterPerform?(job: JobInfo): unknown;
  /** Where the failure is detected (child for exceptions); before the failure is recorded. */
  onFailure?(error: unknown, job: JobInfo): unknown;
  /** The scheduler, before it moves a delayed job onto its queue (php-resque's arguments: queue, class, the item's args list). */
  beforeDelayedEnqueue?(queue: string, jobClass: string, args: readonly unknown[]): unknown;
}

export type HookName = keyof AppHooks;

export const HOOK_NAMES: readonly HookName[] = [
  'beforeFirstFork',
  'beforeFork',
  'afterFork',
  'beforePerform',
  'afterPerform',
  'onFailure',
  'beforeDelayedEnqueue',
];

/** The app module (APP_INCLUDE) after loading and validation. */
export interface AppModule {
  readonly jobs?: Readonly<Record<string, JobClass>>;
  readonly hooks?: Readonly<AppHooks>;
  /** Where failures go instead of `resque:failed` (used by the worker, not by children). */
  readonly failureBackend?: FailureBackend;
}
