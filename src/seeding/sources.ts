/**
 * Reads seed files into raw rows: CSV (RFC 4180, streamed) or JSON (an array of objects).
 * Each row carries where it came from (`line N` / `item N`) so that rejections can name it.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { RECORD_FIELDS, REQUIRED_FIELDS } from '../citizens/record.js';
import { errorCode, errorMessage } from '../errors.js';
import { readCsvBatches, type CsvBatch, type CsvStop } from './csvItems.js';
import { MAX_COLUMNS, MAX_FIELD_CHARS, MAX_RECORD_BYTES, tooLong } from './limits.js';
import { firstBadUtf8Line, NOT_UTF8 } from './utf8.js';

/** One row of a seed file: its fields, or why it could not even be read. */
export type SourceRow = { where: string; fields: Record<string, unknown> } | { where: string; error: string };

/** A problem with the file as a whole (usage error, exit code 2). */
export class SeedFileError extends Error {
  override name = 'SeedFileError';
}

const KNOWN = new Set<string>(RECORD_FIELDS);

/** The kind of seed file by its extension, or a {@link SeedFileError}. */
export function seedFileKind(file: string): 'csv' | 'json' {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json') return 'json';
  throw new SeedFileError(`unknown file extension "${ext || '(none)'}": expected .csv or .json`);
}

/** What a reader of a seed file tells as it goes. */
export interface ReadListeners {
  /** Hears about ignored columns and where reading stopped. */
  onWarning?: (message: string) => void;
  /** Hears how many bytes of the file were read, as they are (for progress against the file's size). */
  onBytes?: (bytesRead: number) => void;
}

/** Rows of a CSV or JSON seed file. */
export function readSeedFile(file: string, { onWarning = () => {}, onBytes = () => {} }: ReadListeners = {}): AsyncIterable<SourceRow> {
  // The CSV parse starts now (on its thread), while the caller opens the store.
  return seedFileKind(file) === 'csv' ? readCsv(file, readCsvBatches(file), onWarning, onBytes) : readJson(file, onBytes);
}

/**
 * The column names of a header, or a {@link SeedFileError}. Linear in the header's length, which
 * is bounded first ({@link MAX_COLUMNS}, {@link MAX_FIELD_CHARS} a name).
 */
function checkHeader(header: string[], onWarning: (message: string) => void): string[] {
  if (header.length > MAX_COLUMNS) throw new SeedFileError(`too many columns: ${header.length} (at most ${MAX_COLUMNS})`);
  const long = header.findIndex((h) => h.length > MAX_FIELD_CHARS);
  if (long !== -1) throw new SeedFileError(`the name of column ${long + 1} is longer than ${MAX_FIELD_CHARS} characters`);
  const names = header.map((h) => h.trim().toLowerCase());
  const seen = new Set<string>();
  const duplicated = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) duplicated.add(name);
    else seen.add(name);
  }
  const missing = REQUIRED_FIELDS.filter((f) => !seen.has(f));
  if (missing.length > 0) throw new SeedFileError(`missing required column ${missing.join(', ')}`);
  if (duplicated.size > 0) throw new SeedFileError(`duplicate column ${[...duplicated].join(', ')}`);
  const unknown = names.filter((n) => !KNOWN.has(n));
  if (unknown.length > 0) onWarning(`ignoring unknown column ${unknown.join(', ')}`);
  return names;
}

/**
 * What one pass over a record's values finds: its line feeds, how many of them end a CRLF, and the
 * first value over {@link MAX_FIELD_CHARS} (-1 when none). One plain loop: this runs for every row.
 */
function scanValues(values: readonly string[]): { lf: number; crlf: number; long: number } {
  let lf = 0;
  let crlf = 0;
  let long = -1;
  for (let j = 0; j < values.length; j++) {
    const v = values[j] ?? '';
    if (long === -1 && v.length > MAX_FIELD_CHARS) long = j;
    for (let i = v.indexOf('\n'); i >= 0; i = v.indexOf('\n', i + 1)) {
      lf++;
      if (v[i - 1] === '\r') crlf++;
    }
  }
  return { lf, crlf, long };
}

/** The row that says why reading stopped; a header too long to read is a {@link SeedFileError}. */
function stopRow(stop: CsvStop['stop'], names: string[] | undefined, drift: number): SourceRow & { error: string } {
  // A bad byte's line is counted exactly by the guard: no csv-parse drift to correct.
  if (stop.reason === 'not_utf8') return { where: `line ${stop.line}`, error: NOT_UTF8 };
  if (names === undefined) {
    throw new SeedFileError(
      `the header is longer than ${MAX_RECORD_BYTES} bytes (at most ${MAX_COLUMNS} columns of ${MAX_FIELD_CHARS} characters)`,
    );
  }
  return { where: `line ${stop.lines - drift}`, error: tooLong(names[stop.column] ?? `column ${stop.column + 1}`) };
}

async function* readCsv(
  file: string,
  batches: AsyncIterable<CsvBatch>,
  onWarning: (message: string) => void,
  onBytes: (bytesRead: number) => void,
): AsyncIterable<SourceRow> {
  // csv-parse counts a CRLF inside a quoted field as two lines; `drift` corrects its line numbers.
  let drift = 0;
  let names: string[] | undefined;
  try {
    for await (const { items, bytes } of batches) {
      onBytes(bytes);
      for (const item of items) {
        if ('stop' in item) {
          const row = stopRow(item.stop, names, drift);
          yield row;
          onWarning(`stopped reading at ${row.where}: the rest of the file was not read`);
          return;
        }
        if ('skipped' in item) {
          const { message, lines } = item.skipped;
          yield { where: `line ${(lines ?? 0) - drift}`, error: message.replace(/ on line \d+$| at line \d+.*$/, '') };
          continue;
        }
        const { values } = item;
        if (names === undefined) {
          names = checkHeader(values, onWarning);
          continue;
        }
        const { lf, crlf, long } = scanValues(values);
        drift += crlf;
        const where = `line ${item.lines - drift - lf}`;
        if (long !== -1) {
          yield { where, error: tooLong(names[long] ?? `column ${long + 1}`) };
          continue;
        }
        const fields: Record<string, string> = {};
        for (let i = 0; i < names.length; i++) fields[names[i] ?? ''] = values[i] ?? '';
        yield { where, fields };
      }
    }
  } catch (err) {
    if (err instanceof SeedFileError) throw err;
    const code = errorCode(err);
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) throw new SeedFileError(`cannot read ${file}: ${errorMessage(err)}`);
    throw err;
  }
}

/** A JSON object (not an array or null): a record's fields by name. */
function isFields(item: unknown): item is Record<string, unknown> {
  return item !== null && typeof item === 'object' && !Array.isArray(item);
}

/** Why a JSON record is over the bounds of a CSV row (fields, characters in a known field), if it is. */
function jsonBoundsProblem(item: Record<string, unknown>): string | undefined {
  let fields = 0;
  for (const _ in item) if (++fields > MAX_COLUMNS) return `more than ${MAX_COLUMNS} fields`;
  for (const name of KNOWN) {
    const value = item[name];
    if (typeof value === 'string' && value.length > MAX_FIELD_CHARS) return tooLong(name);
  }
  return undefined;
}

async function* readJson(file: string, onBytes: (bytesRead: number) => void): AsyncIterable<SourceRow> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new SeedFileError(`cannot read ${file}: ${errorMessage(err)}`);
  }
  const badLine = firstBadUtf8Line(bytes);
  if (badLine !== undefined) {
    yield { where: `line ${badLine}`, error: NOT_UTF8 };
    return;
  }
  const text = bytes.toString('utf8');
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new SeedFileError(`${file} is not valid JSON: ${errorMessage(err)}`);
  }
  if (!Array.isArray(data)) throw new SeedFileError(`${file} must hold a JSON array of records`);
  // The file is parsed whole: the bytes "read" advance with the items taken.
  const bytesPerItem = bytes.length / Math.max(data.length, 1);
  for (let i = 0; i < data.length; i++) {
    if (i % 1000 === 0) onBytes(Math.round(i * bytesPerItem));
    const item: unknown = data[i];
    const where = `item ${i + 1}`;
    if (!isFields(item)) yield { where, error: 'not an object' };
    else {
      const problem = jsonBoundsProblem(item);
      yield problem === undefined ? { where, fields: item } : { where, error: problem };
    }
  }
}
