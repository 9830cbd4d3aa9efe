/** Public API of resque-ts. No side effects. */
export { Resque, type ResqueOptions, type BulkJob, type EnqueueHooks, type BeforeEnqueueHook, type AfterEnqueueHook, type AfterScheduleHook, type ScheduleOptions, type ScheduleRegistry, type EventRegistry } from './resque';
export type { EventHandler, PublishedJob } from './store/events';
export type { ScheduleConfig, ScheduleInfo, MisfirePolicy, OverlapPolicy } from './store/schedules';
export type { RetryPolicy, ErrorMatcher } from './job/retry';
export { JobStatus, STATUS_WAITING, STATUS_RUNNING, STATUS_FAILED, STATUS_COMPLETE, STATUS_TTL, type StatusCode, type StatusPacket } from './store/status';
export { type DequeueFilter } from './store/queues';
export { decodePayload, encodePayload, newJobId, type DecodedJob, type JobArgs, type PayloadFlavor } from './payload';
export { phpJsonEncode, parseJson } from './json';
export { Keys } from './redis/keys';
export { Connection, parseRedisSpec, resolveRedisSpec, type RedisSpec, type ParsedSpec } from './redis/connection';
export * from './errors';
export { Job } from './job/base';
export type { JobContext, JobInstance, JobClass, JobInfo, WorkerInfo, AppHooks, AppModule, HookName } from './job/types';
export type { Failure, FailureBackend } from './store/failures';

// --- Read and admin API (src/api/): ResqueAdmin and its result types. ---
export {
  ResqueAdmin, parseWireTime, DURATION_BUCKETS,
  type HistoryMinute, type QueueCounters, type DurationHistogram, type ResqueInfo, type QueueInfo, type JobStatusView, type StatusName, type WorkerRequest,
  type ResqueAdminOptions, type ResqueClientLike, type ResqueStats, type WorkerCounters, type QueueSummary, type PeekedItem,
  type RegisteredWorker, type WorkerHeartbeat, type WorkingOn, type WorkerUsage, type PeerKind,
  type FailureEntry, type FailureDetails, type EmbeddedPayload, type WireTime, type WireTimeFormat,
  type FailedAdmin, type FailedFilter, type FailedRecord, type FailedChange,
} from './api/index';

// --- Embedded workers (src/worker/): Worker, WorkerPool, their options and events. ---
// `new Worker({ queues })` is what `resque start` runs; `new WorkerPool({ count, queues })` runs
// `count` of them, each in a worker process of its own. Neither installs signal handlers.
export { Worker, type StopOptions, type WorkerState, type WorkerEventMap } from './worker/embedded';
export { WorkerPool } from './worker/pool';
export type { WorkerOptions, WorkerPoolOptions, WorkerLogLevel } from './worker/options';
export type { WorkerStopReport } from './worker/runtime';
export type { JobEvent, JobStartEvent, JobDoneEvent, JobFailedEvent, JobSkippedEvent } from './engine/job-events';
export type { LogLevel, LogFormat } from './config';
