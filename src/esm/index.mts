// ESM entry: the CommonJS build re-exported under the same names.
import cjs from '../index.js';
export const {
  Resque, JobStatus, STATUS_WAITING, STATUS_RUNNING, STATUS_FAILED, STATUS_COMPLETE, STATUS_TTL,
  decodePayload, encodePayload, newJobId, phpJsonEncode, parseJson, Keys, Connection, parseRedisSpec, resolveRedisSpec,
  ResqueError, InvalidPayloadError, RedisConnectionError, DoNotCreate, DontPerform, JobClassNotFoundError,
  JobMethodMissingError, DirtyExitError, JobTimeoutError, JobMemoryError, PruneDeadWorkerDirtyExit, WorkerFencedError, BulkEnqueueError, RetryError, FatalError, OptionError, normalizeError,
  Job,
  // Read and admin API (src/api/)
  ResqueAdmin, parseWireTime, DURATION_BUCKETS,
  // Embedded workers (src/worker/)
  Worker, WorkerPool,
} = cjs;
