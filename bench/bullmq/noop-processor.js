'use strict';
/**
 * BullMQ sandboxed processor for the benchmark: does nothing (the same as our bench/jobs/Noop.js
 * and node-resque's `{ perform: async () => null }`). bench/lib/bullmq-worker.js passes this
 * file's path to `new Worker(...)`, so BullMQ runs it in its pool of child processes.
 */
module.exports = async () => null;
