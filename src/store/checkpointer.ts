/**
 * Checkpoints the WAL on a worker thread, so the server's event loop never copies pages into the
 * database file or waits for its fsync. With SQLite's automatic checkpoint the commit that crosses
 * 1,000 WAL pages does that work itself; it cost about 12 µs per message at full load.
 *
 * The worker opens its own connection and runs `PRAGMA wal_checkpoint(PASSIVE)` every
 * `intervalMs`: a passive checkpoint never blocks the writer, and one with nothing to do costs a
 * few microseconds. The server's connection keeps a large automatic checkpoint as a safety net, so
 * the WAL stays bounded even if this worker stops.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { errorMessage } from '../errors.js';

/** What one checkpoint did, in WAL frames (pages). */
export interface CheckpointResult {
  /** Frames in the WAL. */
  log: number;
  /** Frames copied into the database so far. */
  checkpointed: number;
}

/** Options of {@link startCheckpointer}. */
export interface CheckpointerOptions {
  /** Time between checkpoints. Default 200 ms. */
  intervalMs?: number;
  /** Called after each checkpoint that copied frames. */
  onCheckpoint?: (result: CheckpointResult) => void;
  /** Called when a checkpoint fails or the worker stops unexpectedly. */
  onError?: (message: string) => void;
}

/** A running checkpointer. */
export interface Checkpointer {
  /** Runs a last checkpoint, closes the worker's connection and ends the worker. */
  stop(): Promise<void>;
}

// Runs in the worker (CommonJS, evaluated): better-sqlite3 is passed in resolved, so it loads the
// same copy as the server whatever the working directory.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
} catch (err) {
  parentPort.postMessage({ type: 'error', message: 'cannot open the database: ' + String(err && err.message) });
  process.exit(1);
}
let last = 0;
const checkpoint = () => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (r.checkpointed > 0 && r.checkpointed !== last) parentPort.postMessage({ type: 'done', log: r.log, checkpointed: r.checkpointed });
    last = r.checkpointed;
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: String(err && err.message) });
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

type WorkerMessage = ({ type: 'done' } & CheckpointResult) | { type: 'error'; message: string };

/** Starts checkpointing the WAL of the database file at `path` (it must exist, in WAL mode). */
export function startCheckpointer(path: string, options: CheckpointerOptions = {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs: options.intervalMs ?? 200 } });
  worker.unref();
  let stopping = false;
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'done') options.onCheckpoint?.({ log: m.log, checkpointed: m.checkpointed });
    else options.onError?.(m.message);
  });
  // An error thrown in the worker may arrive as a plain object or value rather than an Error.
  worker.on('error', (err: unknown) => {
    options.onError?.(errorMessage(err));
  });
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      resolve();
    }),
  );
  void exited.then(() => {
    if (!stopping) options.onError?.('checkpoint worker stopped');
  });
  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      // Unreferenced while it runs (it must not keep a finished process alive); referenced while
      // it stops, or the process could end before the last checkpoint and the caller's next step.
      worker.ref();
      worker.postMessage('stop');
      return exited;
    },
  };
}
