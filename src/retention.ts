/**
 * Deletes, on a timer and once at start, what the service keeps only for a while: reply bodies
 * (the names, dates and addresses sent) once no redelivery of their message can arrive, and
 * sender states once no limit needs them. By age, never by a count of messages, so a quiet or
 * often restarted server keeps nothing longer than a busy one.
 */
import type { Logger } from './logger.js';
import { startPeriodic } from './periodic.js';
import type { Store } from './store/types.js';

/** Options of {@link startRetention}. */
export interface RetentionOptions {
  store: Store;
  clock: () => number;
  logger: Logger;
  /** How long a reply body is kept after its message. */
  replyRetentionMs: number;
  /** Time between runs. Default: a tenth of the retention, between 1 s and 1 min. */
  intervalMs?: number;
}

/** A running retention timer. */
export interface Retention {
  /** One run now: resolves when it is done (it logs, never rejects). */
  runNow(): Promise<void>;
  stop(): void;
}

/** Starts the timer, and runs once at once. A reply body is therefore gone at most one interval after its time. */
export function startRetention(options: RetentionOptions): Retention {
  const { store, clock, logger, replyRetentionMs } = options;
  const intervalMs = options.intervalMs ?? Math.min(60_000, Math.max(1_000, Math.floor(replyRetentionMs / 10)));
  const job = startPeriodic(
    async () => {
      const now = clock();
      const removed = await store.pruneExpired({ now, repliesBefore: now - replyRetentionMs });
      if (removed.replies > 0 || removed.senders > 0) logger.debug(removed, 'retention: expired data deleted');
    },
    { intervalMs, logger, failure: 'retention: deleting expired data failed' },
  );
  return {
    runNow: job.runNow,
    stop: () => {
      void job.stop();
    },
  };
}
