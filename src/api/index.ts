/**
 * The read and admin API (ResqueAdmin) and every type its results use. No side effects.
 * The CLI, the dashboard and the metrics read Redis only through this.
 */
export { ResqueAdmin, type ResqueAdminOptions, type ResqueClientLike, type FailedAdmin } from './admin';
export type { FailedFilter, FailedRecord, FailedChange } from './failed-admin';
export type { ResqueStats, WorkerCounters } from './stats';
export type { QueueSummary, PeekedItem } from './queues';
export type { RegisteredWorker, WorkerHeartbeat, WorkingOn, WorkerUsage, PeerKind } from './workers';
export type { FailureEntry, FailureDetails } from './failures';
export type { EmbeddedPayload } from './embedded-payload';
export type { ResqueInfo, QueueInfo } from './info';
export type { JobStatusView, StatusName } from './job-status';
export type { WorkerRequest } from '../store/control';
export type { HistoryMinute, QueueCounters, DurationHistogram } from './history';
export { DURATION_BUCKETS } from '../store/history';
export { parseWireTime, type WireTime, type WireTimeFormat } from './wire-time';
