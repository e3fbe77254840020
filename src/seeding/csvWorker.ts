/**
 * Worker thread of {@link ./csvItems.ts}: parses one CSV file and posts its items in batches,
 * never more than `ahead` batches beyond what the main thread has taken (each `next` message
 * from it frees one), so a slow consumer holds the file stream back instead of queueing it all.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { errorCode, errorMessage } from '../errors.js';
import { parseCsvBatches, type WorkerMessage } from './csvItems.js';

const { file, batchSize, ahead } = z
  .object({ file: z.string(), batchSize: z.number().int().positive(), ahead: z.number().int().positive() })
  .parse(workerData);
const port = parentPort;
if (!port) throw new Error('csvWorker must run as a worker thread');

let credit = ahead;
let resume: (() => void) | undefined;
port.on('message', () => {
  credit++;
  const r = resume;
  resume = undefined;
  r?.();
});

try {
  for await (const batch of parseCsvBatches(file, batchSize)) {
    while (credit <= 0) await new Promise<void>((r) => (resume = r));
    credit--;
    port.postMessage({ kind: 'batch', ...batch } satisfies WorkerMessage);
  }
  port.postMessage({ kind: 'end' } satisfies WorkerMessage);
} catch (err) {
  port.postMessage({
    kind: 'error',
    error: { name: err instanceof Error ? err.name : 'Error', message: errorMessage(err), code: errorCode(err) },
  } satisfies WorkerMessage);
}
// Nothing more to send: let the thread end by itself (messages already posted are delivered first).
port.unref();
