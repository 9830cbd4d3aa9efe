/** Public API of resque-ts. No side effects. */
export { Resque, type ResqueOptions, type BulkJob, type EnqueueHooks, type BeforeEnqueueHook, type AfterEnqueueHook } from './resque';
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
  ResqueAdmin, parseWireTime,
  type ResqueAdminOptions, type ResqueClientLike, type ResqueStats, type WorkerCounters, type QueueSummary, type PeekedItem,
  type RegisteredWorker, type WorkerHeartbeat, type WorkingOn, type WorkerUsage, type PeerKind,
  type FailureEntry, type FailureDetails, type EmbeddedPayload, type WireTime, type WireTimeFormat,
} from './api/index';
