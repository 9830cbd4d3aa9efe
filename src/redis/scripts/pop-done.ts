import { Script } from '../script';
import { JOB_STEPS_LUA, POP_KEYS } from './job-steps';

/**
 * Pop the plain successes at the head of a dead loop's in-flight list, as its batch cursor
 * counted them (see pop_done). KEYS: pop_done's 3, then the pid keys; ARGV: pop_done's 2.
 */
export const popDone = new Script('pop-done', `${JOB_STEPS_LUA}\nreturn pop_done(0, 0, ${POP_KEYS})\n`);

