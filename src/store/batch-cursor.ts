/**
 * A loop's batch cursor: how far it got in the batch it holds, kept in a small local file so it
 * costs no Redis round trip per job, and read back only when the loop's process died.
 *   - a batch is the contiguous head of the worker's in-flight list; the loop runs its jobs one
 *     by one and writes their plain successes to Redis together, one round trip per batch;
 *   - before each job: `SHA d run` (SHA-1 of the batch's first payload, d jobs done before it);
 *     before the round trip that writes d plain successes: `SHA d idle`. Fixed width, written
 *     in place (one pwrite). Between a job's end and the next mark only synchronous code runs:
 *     a process killed from outside in that instant has its last finished job failed as
 *     DirtyExit (as before batches, when it died before the job's own round trip).
 *   - a recovery on this host reads it: when SHA still names the in-flight head, the first d jobs
 *     are done (counted, popped) and the next one was running (`run`) or never started (`idle`);
 *     any other head was never started (the batch's round trip landed). No file (another host,
 *     or a loop that does not batch): the head is taken as running, as before batches.
 * File: $RESQUE_CURSOR_DIR, else /dev/shm/resque-ts (or <tmpdir>/resque-ts), then
 * <SHA-1 of namespace + worker id>.cursor
 *   - the folder is checked at start (checkCursorFolder: `resque start` exits 2 when it cannot
 *     write there); the file is written in full when opened, so later marks overwrite bytes
 *     already allocated and a folder that fills up afterwards (a full tmpfs) cannot fail them;
 *   - a file that cannot be created, or a mark that fails all the same, degrades safely: the file
 *     is removed (a recovery then takes the head as running, as without batches) and onFail tells
 *     the loop's owner, which takes one job at a time from then on. No job fails for it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type CursorState = 'run' | 'idle';

export interface CursorReading {
  sha: string;
  done: number;
  state: CursorState;
}

/** tmpfs when the host has one (a pwrite there touches no disk journal), else the temp folder. */
const DEFAULT_DIR = path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'resque-ts');

/** RESQUE_CURSOR_DIR overrides the folder (every worker of a host must agree on it). */
export function cursorPath(namespace: string, workerId: string): string {
  const name = createHash('sha1').update(`${namespace}\0${workerId}`).digest('hex');
  return path.join(process.env['RESQUE_CURSOR_DIR'] || DEFAULT_DIR, `${name}.cursor`);
}

/** The writer side, owned by the process that runs the jobs. */
export class BatchCursor {
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(LINE_BYTES);
  /** Why the cursor stopped working (then it marks nothing). */
  failure: Error | undefined;

  constructor(readonly file: string, private readonly onFail: (e: Error) => void = () => undefined) {}

  /** Create (or take over) the file, written in full (blank); a previous owner's content is replaced. */
  open(): this {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      this.fd = fs.openSync(this.file, 'w', 0o600);
      // Blank, as long as a mark: it reads as no cursor (the head taken as running, as before the first mark).
      fs.writeSync(this.fd, `${' '.repeat(LINE_BYTES - 1)}\n`, 0, 'latin1');
    } catch (e) {
      this.fail(e);
    }
    return this;
  }

  /** Whether marks are recorded (false once the file could not be written). */
  get working(): boolean {
    return this.fd !== undefined;
  }

  mark(sha: string, done: number, state: CursorState): void {
    if (this.fd === undefined) return;
    // One pwrite of a preallocated buffer per mark: this runs once per job.
    this.buf.write(format({ sha, done, state }), 0, 'latin1');
    try {
      fs.writeSync(this.fd, this.buf, 0, LINE_BYTES, 0);
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    this.failure = e instanceof Error ? e : new Error(String(e));
    if (this.fd !== undefined) {
      try { fs.closeSync(this.fd); } catch { /* gone */ }
      this.fd = undefined;
    }
    removeCursor(this.file); // a stale cursor would mislead recovery; none means "head running"
    this.onFail(this.failure);
  }

  /** `remove`: a clean exit, nothing is held any more; else the file stays for recovery. */
  close(remove: boolean): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
    if (remove) removeCursor(this.file);
  }
}

/**
 * Whether cursors can be written in `dir` (default: the folder cursorPath uses): resolves an
 * error naming the folder and the cause, or undefined.
 */
export function checkCursorFolder(dir: string = path.dirname(cursorPath('', ''))): Error | undefined {
  const probe = path.join(dir, `.probe-${process.pid}`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(probe, format({ sha: '0'.repeat(40), done: 0, state: 'idle' }), { mode: 0o600 });
    fs.unlinkSync(probe);
    return undefined;
  } catch (e) {
    removeCursor(probe);
    const err = e as NodeJS.ErrnoException;
    return new Error(`The batch cursor folder ${dir} cannot be written (${err.code ?? err.message}): set RESQUE_CURSOR_DIR to a writable folder (a tmpfs is best), or take one job at a time (--batch=1)`);
  }
}

/** `SHA(40) DONE(10) STATE(4)\n` */
const LINE_BYTES = 40 + 1 + 10 + 1 + 4 + 1;

function format(r: CursorReading): string {
  return `${r.sha} ${String(r.done).padStart(10, '0')} ${r.state === 'run' ? 'run ' : 'idle'}\n`;
}

/** Replace a dead loop's cursor (recovery, after settling part of its batch). */
export function writeCursor(file: string, r: CursorReading): void {
  fs.writeFileSync(file, format(r), { mode: 0o600 });
}

export function readCursor(file: string): CursorReading | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
  const m = /^([0-9a-f]{40}) (\d{10}) (run |idle)\n$/.exec(text);
  if (!m) return undefined;
  return { sha: m[1] as string, done: Number(m[2]), state: m[3] === 'run ' ? 'run' : 'idle' };
}

export function removeCursor(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    /* already gone */
  }
}
