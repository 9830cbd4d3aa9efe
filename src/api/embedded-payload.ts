/**
 * The job payload inside a failure record or a worker's working-on value, decoded with the one
 * payload decoder (decodePayload) while its bytes stay exactly as they sit in the record.
 *   1. An object member is decoded from its own text: `raw` and `job.raw` are those bytes (the
 *      writer's re-encoding for php-resque, Ruby and node-resque; the queue bytes for resque-ts).
 *   2. A string member is a payload that was not a JSON object when it was recorded (Ruby writes
 *      `"payload":"just a string"`; resque-ts keeps undecodable queue bytes as a JSON string):
 *      its text is tried as a payload, else the reason is reported.
 *   3. Anything else is reported, never thrown.
 */
import { decodePayload, type DecodedJob } from '../payload';
import { rawMember } from './raw-json';

/** A payload as recorded, and the job it names when it is one. */
export interface EmbeddedPayload {
  /** The member's JSON text, byte for byte as stored in the record. */
  readonly raw: string;
  /** The decoded job (its `raw` is the payload's own bytes), or null. */
  readonly job: DecodedJob | null;
  /** Why the payload is not a job, or null. */
  readonly error: string | null;
}

/**
 * The payload member of `recordText` (whose decoded form is `record`), or null when the record
 * has none. `recordText` must be the valid JSON object `record` was decoded from.
 */
export function embeddedPayload(recordText: string, record: Readonly<Record<string, unknown>>): EmbeddedPayload | null {
  if (!('payload' in record)) return null;
  const raw = rawMember(recordText, 'payload') ?? '';
  const value = record['payload'];
  if (typeof value === 'string') return fromString(raw, value);
  return decoded(raw, raw, '');
}

function fromString(raw: string, text: string): EmbeddedPayload {
  return decoded(raw, text, 'the payload is a JSON string, not an object; its text is not a job either: ');
}

function decoded(raw: string, text: string, lead: string): EmbeddedPayload {
  try {
    return { raw, job: decodePayload(text), error: null };
  } catch (e) {
    return { raw, job: null, error: `${lead}${(e as Error).message}` };
  }
}

