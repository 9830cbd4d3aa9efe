import { Script } from '../script';
import { JOB_STEPS_LUA } from './job-steps';

/** Take the next batch of jobs and record it on the worker (see reserve_batch in job-steps.ts). */
export const reserve = new Script('reserve', `${JOB_STEPS_LUA}\nreturn reserve_batch(0, 0, (#KEYS - 1) / 2)\n`);
