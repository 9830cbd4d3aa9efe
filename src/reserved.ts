/**
 * The shapes of jobs between Redis and the loop, shared by both sides: `Taken` (bytes just moved
 * into an in-flight list), `Claim` (a batch of them), `Reserved` (a taken job with its decoding),
 * and `sha1()`, how every script recognises the in-flight head. Data only: no Redis, no loop.
 */
import { createHash } from 'node:crypto';
import type { DecodedJob } from './payload';
import type { NormalizedError } from './errors';

/** A job just taken: `bytes` are the exact payload bytes (maybe not UTF-8), `raw` their UTF-8 reading. */
export interface Taken {
  queue: string;
  raw: string;
  bytes?: Buffer;
  /** Its status key exists (only a batch's first job can be tracked). */
  tracked?: boolean;
}

/** Jobs just taken from one queue, in order: the contiguous head of its in-flight list. */
export interface Claim {
  queue: string;
  jobs: Taken[];
}

/** A job taken from a queue: its bytes, and its decoded form when it decoded. */
export interface Reserved {
  queue: string;
  raw: string;
  bytes?: Buffer;
  /** The decoded job, or undefined when the payload is not a valid job. */
  job: DecodedJob | undefined;
  /** Why it did not decode. */
  invalid?: NormalizedError;
  /** Whether the payload is a strict JSON object (then embedded verbatim in records). */
  jsonObject: boolean;
  /** For an invalid payload: the id/prefix a lenient reading found (reserve may have marked it RUNNING). */
  looseId?: { id: string; prefix: string };
  /** The pid recorded as job:ID:pid at reserve time, if one was known. */
  pid?: number;
  /** Its status key existed at reserve (it is settled on its own, never in a batch). */
  tracked?: boolean;
  /** SHA-1 of its bytes, once computed (see sha1()). */
  sha1?: string;
  /** Milliseconds it ran, once it ended (for the duration histograms). */
  ranMs?: number;
}

/** SHA-1 of a job's exact bytes: how the scripts recognise the in-flight head (computed once per job). */
export function sha1(r: { raw: string; bytes?: Buffer; sha1?: string }): string {
  r.sha1 ??= createHash('sha1').update(r.bytes ?? r.raw).digest('hex');
  return r.sha1;
}
