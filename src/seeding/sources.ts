/**
 * Reads seed files into raw rows: CSV (RFC 4180, streamed) or JSON (an array of objects).
 * Each row carries where it came from (`line N` / `item N`) so that rejections can name it.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { RECORD_FIELDS, REQUIRED_FIELDS } from '../citizens/record.js';
import { errorCode, errorMessage } from '../errors.js';
import { readCsvBatches } from './csvItems.js';

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

/** Rows of a CSV or JSON seed file. `onWarning` hears about ignored columns. */
export function readSeedFile(file: string, onWarning: (message: string) => void = () => {}): AsyncIterable<SourceRow> {
  return seedFileKind(file) === 'csv' ? readCsv(file, onWarning) : readJson(file);
}

function checkHeader(header: string[], onWarning: (message: string) => void): string[] {
  const names = header.map((h) => h.trim().toLowerCase());
  const missing = REQUIRED_FIELDS.filter((f) => !names.includes(f));
  if (missing.length > 0) throw new SeedFileError(`missing required column ${missing.join(', ')}`);
  const duplicated = names.filter((n, i) => names.indexOf(n) !== i);
  if (duplicated.length > 0) throw new SeedFileError(`duplicate column ${[...new Set(duplicated)].join(', ')}`);
  const unknown = names.filter((n) => !KNOWN.has(n));
  if (unknown.length > 0) onWarning(`ignoring unknown column ${unknown.join(', ')}`);
  return names;
}

/** Line feeds in a record's values, and how many of them end a CRLF. */
function countNewlines(values: readonly string[]): { lf: number; crlf: number } {
  let lf = 0;
  let crlf = 0;
  for (const v of values) {
    for (let i = v.indexOf('\n'); i >= 0; i = v.indexOf('\n', i + 1)) {
      lf++;
      if (v[i - 1] === '\r') crlf++;
    }
  }
  return { lf, crlf };
}

async function* readCsv(file: string, onWarning: (message: string) => void): AsyncIterable<SourceRow> {
  // csv-parse counts a CRLF inside a quoted field as two lines; `drift` corrects its line numbers.
  let drift = 0;
  let names: string[] | undefined;
  try {
    for await (const items of readCsvBatches(file)) {
      for (const item of items) {
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
        const fields: Record<string, string> = {};
        names.forEach((name, i) => (fields[name] = values[i] ?? ''));
        const { lf, crlf } = countNewlines(values);
        drift += crlf;
        yield { where: `line ${item.lines - drift - lf}`, fields };
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

async function* readJson(file: string): AsyncIterable<SourceRow> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SeedFileError(`cannot read ${file}: ${errorMessage(err)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new SeedFileError(`${file} is not valid JSON: ${errorMessage(err)}`);
  }
  if (!Array.isArray(data)) throw new SeedFileError(`${file} must hold a JSON array of records`);
  for (let i = 0; i < data.length; i++) {
    const item: unknown = data[i];
    const where = `item ${i + 1}`;
    if (isFields(item)) yield { where, fields: item };
    else yield { where, error: 'not an object' };
  }
}
