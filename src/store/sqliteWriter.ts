/**
 * Group commit on one better-sqlite3 connection, without ever waiting for a lock on the event loop.
 *
 * Jobs queue up and one `BEGIN IMMEDIATE … COMMIT` runs them all on the next turn of the event
 * loop, so a burst of messages shares one commit (one WAL append and fsync). Each job's promise
 * settles only after that commit: nothing a job wrote is seen outside before it is durable.
 *
 * When another process holds the write lock (a seed, an admin command), `BEGIN IMMEDIATE` fails at
 * once (the connection's `busy_timeout` is 0) and the batch is tried again after a short, growing
 * pause, while new jobs keep joining it. The event loop stays free meanwhile: health checks and
 * reads go on. A job that has waited longer than the deadline fails with
 * {@link StoreUnavailableError} (the webhook answers 503, and Twilio retries).
 */
import type Database from 'better-sqlite3';
import { StoreUnavailableError } from './types.js';

/**
 * One job's work, run inside the batch's transaction. Throwing fails the whole batch (it is rolled
 * back, and every job in it fails). A job that wants to fail alone, having written nothing, returns
 * {@link JobFailure}.
 */
export type Work<T> = () => T | JobFailure;

/** A job's own failure, with nothing written: the rest of the batch goes on. */
export class JobFailure {
  constructor(readonly error: unknown) {}
}

interface Job {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** `performance.now()` when queued. */
  queuedAt: number;
}

/** Options of {@link SqliteWriter}. */
export interface WriterOptions {
  /** How long a job may wait for the write lock before it fails. Default 10 s (Twilio waits 15 s). */
  deadlineMs?: number;
  /** Called each time the write lock was busy. */
  onBusy?: () => void;
}

const FIRST_PAUSE_MS = 2;
const LONGEST_PAUSE_MS = 50;

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}

/** Runs jobs in group commits on `db`, which must have `busy_timeout = 0`. */
export class SqliteWriter {
  private queue: Job[] = [];
  private scheduled = false;
  private pause = FIRST_PAUSE_MS;
  private timer: NodeJS.Timeout | undefined;
  private readonly deadlineMs: number;

  constructor(
    private readonly db: Database.Database,
    private readonly options: WriterOptions = {},
  ) {
    this.deadlineMs = options.deadlineMs ?? 10_000;
  }

  /** Queues `work` for the next group commit; settles after that commit. */
  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject, queuedAt: performance.now() });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Jobs waiting for a commit. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Runs what is queued now, synchronously, waiting up to `waitMs` for the write lock: for closing
   * the store, when nothing else is left to do on the event loop.
   */
  drain(waitMs = 5_000): void {
    clearTimeout(this.timer);
    this.db.pragma(`busy_timeout = ${waitMs}`);
    try {
      this.flush();
    } finally {
      clearTimeout(this.timer);
      this.scheduled = false;
      this.db.pragma('busy_timeout = 0');
    }
    this.fail(this.takeAll(), new StoreUnavailableError('database write lock busy while closing'));
  }

  private readonly flush = (): void => {
    this.timer = undefined;
    if (this.queue.length === 0) {
      this.scheduled = false;
      return;
    }
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      if (!isBusy(err)) {
        this.scheduled = false;
        this.fail(this.takeAll(), err);
        return;
      }
      this.options.onBusy?.();
      this.expire();
      if (this.queue.length === 0) {
        this.scheduled = false;
        return;
      }
      this.timer = setTimeout(this.flush, this.pause);
      this.pause = Math.min(this.pause * 2, LONGEST_PAUSE_MS);
      return;
    }
    this.pause = FIRST_PAUSE_MS;
    const batch = this.takeAll();
    this.scheduled = false;
    const results: unknown[] = [];
    try {
      for (const job of batch) results.push(job.work());
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.fail(batch, err);
      return;
    }
    batch.forEach((job, i) => {
      const result = results[i];
      if (result instanceof JobFailure) job.reject(result.error);
      else job.resolve(result);
    });
  };

  private takeAll(): Job[] {
    const batch = this.queue;
    this.queue = [];
    return batch;
  }

  /** Fails the jobs that have waited past the deadline. */
  private expire(): void {
    const now = performance.now();
    const late = this.queue.filter((j) => now - j.queuedAt >= this.deadlineMs);
    if (late.length === 0) return;
    this.queue = this.queue.filter((j) => now - j.queuedAt < this.deadlineMs);
    this.fail(late, new StoreUnavailableError(`database write lock busy for ${this.deadlineMs} ms`));
  }

  private fail(jobs: Job[], err: unknown): void {
    for (const job of jobs) job.reject(err);
  }
}
