/**
 * The server's sealer: binds committed audit rows into the hash chain shortly after they commit,
 * once at start and then every `intervalMs` (default 1 s), so that admissions never wait for the
 * chain. The unsealed window is therefore about one interval (plus a run's own time) while a node
 * runs; rows committed just before a crash are sealed by the next run of any node, or by
 * `admin audit-head`. On several nodes each runs its own timer; the chain's state row, locked by
 * each run, makes them take turns.
 */
import type { Logger } from './logger.js';
import { startPeriodic } from './periodic.js';
import type { Store } from './store/types.js';

/** Options of {@link startSealer}. */
export interface SealerOptions {
  store: Store;
  clock: () => number;
  logger: Logger;
  /** Time between runs. Default 1,000 ms. */
  intervalMs?: number;
}

/** A running sealer. */
export interface Sealer {
  /** One run now (or the one already running): resolves when done; it logs, never rejects. */
  runNow(): Promise<void>;
  /** Stops the timer, then waits for a last run (rows committed until now are sealed). */
  stop(): Promise<void>;
}

/** Starts the sealer, and runs once at once. */
export function startSealer({ store, clock, logger, intervalMs = 1_000 }: SealerOptions): Sealer {
  const job = startPeriodic(
    async () => {
      const { sealed, head } = await store.sealAudit(clock());
      if (sealed > 0) logger.debug({ sealed, seq: head.seq }, 'audit rows sealed');
    },
    { intervalMs, logger, failure: 'sealing the audit log failed' },
  );
  return {
    runNow: job.runNow,
    stop: async () => {
      await job.stop();
      await job.runNow();
    },
  };
}
