import { Script } from '../script';
import { JOB_STEPS_LUA, POP_SPEC } from './job-steps';

/**
 * Pop the plain successes at the head of a dead loop's in-flight list, as its batch cursor
 * counted them (pop_done in job-steps.ts).
 *
 * KEYS[1] inflight          worker:WID:inflight:Q
 * KEYS[2] processed         stat:processed
 * KEYS[3] processedWorker   stat:processed:WID
 * KEYS[4..] pidKeys         their job:ID:pid keys (Keys.absent() when a job has no id)
 * ARGV[1] count             d, the jobs done
 * ARGV[2] headSha           SHA-1 of the head's bytes
 */
export const popDone = new Script(
  'pop-done',
  `${JOB_STEPS_LUA}\nreturn pop_done(0, 0, ${POP_SPEC.keys.length})\n`,
  { ...POP_SPEC, restKeys: 'pidKeys' },
);
