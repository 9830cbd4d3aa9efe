import { Script } from '../script';
import { JOB_STEPS_LUA } from './job-steps';

/** Settle a finished job (see finish_job in job-steps.ts). */
export const finish = new Script('finish', `${JOB_STEPS_LUA}\nreturn finish_job(0, 0)\n`);
