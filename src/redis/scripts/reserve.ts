import { Script } from '../script';
import { JOB_STEPS_LUA } from './job-steps';

/** Reserve the next job and record it on the worker (see reserve_next in job-steps.ts). */
export const reserve = new Script('reserve', `${JOB_STEPS_LUA}\nreturn reserve_next(0, 0)\n`);
