/**
 * Bounds on what a seed file may hold, applied while it is read so that a hostile or broken file
 * costs little: no more columns than a record could need, no field longer than any real value.
 */

/** Columns a CSV header may have (and fields a JSON record may have): 15 known, room for exports' extras. */
export const MAX_COLUMNS = 64;

/**
 * Characters (UTF-16 code units) a field may have. The longest real values, addresses, are a few
 * hundred characters at most; replies shorten long fields anyway.
 */
export const MAX_FIELD_CHARS = 500;

/**
 * Bytes csv-parse may gather for one record before it stops (`max_record_size`): a full record of
 * {@link MAX_COLUMNS} fields of {@link MAX_FIELD_CHARS} characters of 3 UTF-8 bytes each fits, so
 * only a record with a field over its bound (or a file that is not CSV) reaches it, and a 10 MB
 * field is never held whole.
 */
export const MAX_RECORD_BYTES = MAX_COLUMNS * MAX_FIELD_CHARS * 3;

/** The reason given for a field over {@link MAX_FIELD_CHARS}. */
export function tooLong(column: string): string {
  return `${column} longer than ${MAX_FIELD_CHARS} characters`;
}
