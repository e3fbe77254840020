/**
 * The CSV parsing step of seeding: csv-parse over a file stream, giving the records (arrays of
 * text, the header first) and the records it had to skip, in file order, each with its line. The
 * bytes go through {@link Utf8LineGuard} first: reading stops at the first line that is not UTF-8.
 * csv-parse gathers at most {@link MAX_RECORD_BYTES} for a record: reading stops at a longer one,
 * so a hostile field or header costs a bounded read, whatever the file holds after it.
 *
 * For a compiled build the parsing runs on a worker thread ({@link ./csvWorker.ts}), which hands
 * batches back with flow control, so that parsing (about half the CPU time of a load) overlaps
 * validation and inserts on the main thread. Run from TypeScript sources (tests), it runs in
 * this thread. Both paths run the same {@link parseCsvBatches}.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { Parser, type Options } from 'csv-parse';
import { MAX_FIELD_CHARS, MAX_RECORD_BYTES } from './limits.js';
import { Utf8LineGuard } from './utf8.js';

/** One parsed record and the line it ends on (as csv-parse counts: a quoted CRLF counts two). */
export interface CsvRecord {
  values: string[];
  lines: number;
}
/** A record csv-parse skipped (wrong field count, bad quoting...), with the line it ends on. */
export interface CsvSkip {
  skipped: { message: string; lines: number | undefined };
}
/**
 * Reading stopped here: the rest of the file is not read. `not_utf8`: the exact line of the first
 * bad byte. `too_long`: a record passed {@link MAX_RECORD_BYTES} on csv-parse's `line` (not yet
 * corrected for CRLF in quotes), `column` being the index of its first field over
 * {@link MAX_FIELD_CHARS}, or else of the field being read.
 */
export interface CsvStop {
  stop: { reason: 'not_utf8'; line: number } | { reason: 'too_long'; lines: number; column: number };
}
export type CsvItem = CsvRecord | CsvSkip | CsvStop;
/** Items in file order, and the bytes of the file parsed once they were read (for progress). */
export interface CsvBatch {
  items: CsvItem[];
  bytes: number;
}

/** Items per batch, and batches a worker may have posted that were not taken yet. */
export const CSV_BATCH = 1_000;
const CSV_BATCHES_AHEAD = 4;

const PARSE_OPTIONS: Options = { bom: true, skip_empty_lines: true, skip_records_with_error: true, max_record_size: MAX_RECORD_BYTES };

/**
 * csv-parse's stream parser, emitting each record as a {@link CsvRecord} (the line read from the
 * parser's own counter at the moment the record is pushed) and each skipped record as a
 * {@link CsvSkip} in its place in the stream. Cheaper than the `columns` option (an object built
 * per record with `defineProperty`) with `info` (a copy of all counters per record).
 */
class LineTaggingParser extends Parser {
  /** True once a record passed `max_record_size`: csv-parse then drops the rest of each chunk, so nothing after it is kept. */
  private stopped = false;

  constructor(options: Options) {
    super(options);
    this.on('skip', (err: Error & { lines?: number; code?: unknown; index?: unknown }) => {
      if (this.stopped) return;
      if (err.code === 'CSV_MAX_RECORD_SIZE') {
        this.stopped = true;
        super.push({ stop: { reason: 'too_long', lines: err.lines ?? 0, column: this.longColumn(err.index) } } satisfies CsvStop);
        return;
      }
      super.push({ skipped: { message: err.message, lines: err.lines } } satisfies CsvSkip);
    });
  }

  /**
   * The first field of the record being read that is over the bound, from the fields csv-parse has
   * completed so far (its `state.record`), else the field being read (`index`).
   */
  private longColumn(index: unknown): number {
    const state: unknown = Reflect.get(this, 'state');
    const record: unknown = typeof state === 'object' && state !== null ? Reflect.get(state, 'record') : undefined;
    if (Array.isArray(record)) {
      const long = record.findIndex((field) => typeof field === 'string' && field.length > MAX_FIELD_CHARS);
      if (long !== -1) return long;
    }
    return typeof index === 'number' ? index : 0;
  }

  /** csv-parse pushes each record (an array of text: no `columns` option) and `null` at the end. */
  override push(chunk: string[] | null, encoding?: BufferEncoding): boolean {
    if (!Array.isArray(chunk)) return super.push(chunk, encoding);
    if (this.stopped) return true;
    return super.push({ values: chunk, lines: this.info.lines } satisfies CsvRecord);
  }
}

/** Parses `file` in this thread, in batches of up to `batchSize` items. */
export async function* parseCsvBatches(file: string, batchSize = CSV_BATCH): AsyncGenerator<CsvBatch> {
  const input = createReadStream(file, { highWaterMark: 256 * 1024 });
  const guard = new Utf8LineGuard();
  const parser = input.pipe(guard).pipe(new LineTaggingParser(PARSE_OPTIONS));
  const batchOf = (items: CsvItem[]): CsvBatch => ({ items, bytes: parser.info.bytes });
  input.on('error', (err) => parser.destroy(err));
  guard.once('invalid', () => input.destroy());
  let batch: CsvItem[] = [];
  try {
    reading: for await (const items of readAll<CsvItem>(parser)) {
      for (const item of items) {
        // The guard ended the input before the bad line: an open quote there is not a second problem.
        if (guard.badLine !== undefined && 'skipped' in item && item.skipped.message.startsWith('Quote Not Closed')) continue;
        batch.push(item);
        if ('stop' in item) break reading;
        if (batch.length >= batchSize) {
          yield batchOf(batch);
          batch = [];
        }
      }
    }
    if (guard.badLine !== undefined) batch.push({ stop: { reason: 'not_utf8', line: guard.badLine } });
    if (batch.length > 0) yield batchOf(batch);
  } finally {
    input.destroy();
  }
}

/**
 * A loop's wait for the next event: `wait()` resolves at the next `notify()` (a notify with no
 * waiter is dropped: the loop checks its state before it waits again).
 */
function wakeUp(): { wait: () => Promise<void>; notify: () => void } {
  let wake: (() => void) | undefined;
  return {
    wait: () => new Promise<void>((resolve) => (wake = resolve)),
    notify: () => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    },
  };
}

/**
 * The objects of an object-mode stream, in arrays of all that could be read at once: one promise
 * per array instead of one per object, as `for await` over the stream itself would take (a million
 * records, a million promises). Ends with the stream; throws its error, or a premature close.
 * Destroys the stream when the loop over it stops early.
 */
async function* readAll<T>(stream: Readable): AsyncGenerator<T[]> {
  const state: { ended: boolean; failure: Error | undefined } = { ended: false, failure: undefined };
  const { wait, notify } = wakeUp();
  const onEnd = () => {
    state.ended = true;
    notify();
  };
  const onError = (err: Error) => {
    state.failure ??= err;
    notify();
  };
  const onClose = () => {
    if (!state.ended) state.failure ??= Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    notify();
  };
  stream.on('readable', notify);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('close', onClose);
  try {
    for (;;) {
      const items: T[] = [];
      for (let item = stream.read() as T | null; item !== null; item = stream.read() as T | null) items.push(item);
      if (items.length > 0) {
        yield items;
        continue;
      }
      if (state.failure !== undefined) throw state.failure;
      if (state.ended) return;
      await wait();
    }
  } finally {
    stream.off('readable', notify);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('close', onClose);
    stream.destroy();
  }
}

/** Messages from the worker. */
export type WorkerMessage =
  ({ kind: 'batch' } & CsvBatch) | { kind: 'end' } | { kind: 'error'; error: { name: string; message: string; code: unknown } };

/** The worker script next to this module, when this is the compiled build. */
function workerScript(): URL | undefined {
  return import.meta.url.endsWith('.js') ? new URL('./csvWorker.js', import.meta.url) : undefined;
}

/**
 * Batches of parsed items of `file`, parsed on a worker thread when possible; the worker starts
 * now, not when the batches are first read.
 */
export function readCsvBatches(file: string): AsyncIterable<CsvBatch> {
  const script = workerScript();
  return script ? workerBatches(file, script) : parseCsvBatches(file);
}

/** An error as the worker reported it, with its message and code. */
function revive({ name, message, code }: { name: string; message: string; code: unknown }): Error {
  const err: Error & { code?: unknown } = new Error(message);
  if (name !== 'Error') err.name = name;
  if (code !== undefined) err.code = code;
  return err;
}

/**
 * Starts the worker at once, so that its start (about a quarter of a second: its modules load)
 * overlaps the caller's own (opening the store). Until the batches are read it does not keep the
 * process alive, so a caller that stops before reading (a store that cannot be opened) exits
 * without waiting for it.
 */
function workerBatches(file: string, script: URL): AsyncGenerator<CsvBatch> {
  const worker = new Worker(script, { workerData: { file, batchSize: CSV_BATCH, ahead: CSV_BATCHES_AHEAD } });
  const queue: CsvBatch[] = [];
  // Set by the worker's events: an object, since the type checker takes a `let` set only in callbacks to stay false.
  const state: { done: boolean; failure: Error | undefined } = { done: false, failure: undefined };
  const { wait, notify } = wakeUp();
  worker.on('message', (message: WorkerMessage) => {
    if (message.kind === 'batch') queue.push({ items: message.items, bytes: message.bytes });
    else {
      if (message.kind === 'error') state.failure = revive(message.error);
      state.done = true;
    }
    notify();
  });
  worker.on('error', (err) => {
    state.failure ??= err;
    state.done = true;
    notify();
  });
  worker.on('exit', (code) => {
    if (!state.done) state.failure ??= new Error(`CSV parser thread stopped with exit code ${code}`);
    state.done = true;
    notify();
  });
  // After the listeners: adding a 'message' listener refs the worker's port again.
  worker.unref();
  async function* read(): AsyncGenerator<CsvBatch> {
    worker.ref();
    try {
      for (;;) {
        const batch = queue.shift();
        if (batch !== undefined) {
          worker.postMessage('next');
          yield batch;
        } else if (state.done) break;
        else await wait();
      }
      if (state.failure) throw state.failure;
    } finally {
      await worker.terminate();
    }
  }
  return read();
}
