/**
 * A job the server runs on a timer and once at start (the retention timer, the sealer): one run
 * at a time, a run asked for while one is going joins it, and a failure is logged, never thrown.
 */
import type { Logger } from './logger.js';

/** A running periodic job. */
export interface Periodic {
  /** One run now (or the one already running): resolves when done; it logs, never rejects. */
  readonly runNow: () => Promise<void>;
  /** Stops the timer; resolves when the run in progress, if any, is done. */
  readonly stop: () => Promise<void>;
}

/** Starts `work` every `intervalMs` and once at once; a failure is logged as `failure`. */
export function startPeriodic(
  work: () => Promise<void>,
  { intervalMs, logger, failure }: { intervalMs: number; logger: Logger; failure: string },
): Periodic {
  let running: Promise<void> | undefined;
  const run = (): Promise<void> => {
    running ??= (async () => {
      try {
        await work();
      } catch (err) {
        logger.error({ err: { message: (err as Error).message } }, failure);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  void run();
  return {
    runNow: run,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
