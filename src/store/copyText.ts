/**
 * Citizen records as the text format of PostgreSQL's COPY, UTF-8: one line per record, fields
 * separated by tabs, `\N` for NULL, and backslash, tab, newline and carriage return escaped.
 *
 * Each value's characters are written into the batch's buffer by one loop that escapes and encodes
 * UTF-8 as it goes, as `Buffer.write` encodes (a lone surrogate becomes U+FFFD). A regular
 * expression test and a `Buffer.write` call per value cost about three times the CPU: some 20
 * million calls into the runtime for a million records, and building the text as strings first
 * costs more again, most of it in the garbage collector.
 */
import type { Citizen } from '../citizens/types.js';
import { citizenValues } from './citizenRows.js';

const TAB = 0x09;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BACKSLASH = 0x5c;
/** The letter after a backslash for each character COPY escapes. */
const ESCAPE_LETTER: Readonly<Record<number, number>> = { [BACKSLASH]: BACKSLASH, [TAB]: 0x74, [NEWLINE]: 0x6e, [CARRIAGE_RETURN]: 0x72 };
/** Bytes a batch's buffer starts with, per record (a fake record takes about 200). */
const BYTES_PER_RECORD = 256;

/**
 * A batch as COPY text. Each call returns a buffer of its own, since the last may still be on its
 * way to the server.
 */
export function copyText(batch: readonly Citizen[]): Buffer {
  let buf: Buffer = Buffer.allocUnsafe(Math.max(batch.length, 1) * BYTES_PER_RECORD);
  let at = 0;
  for (const c of batch) {
    const values = citizenValues(c);
    for (let i = 0; i < values.length; i++) {
      const value = values[i] ?? null;
      // At most 3 bytes per UTF-16 unit (an escape takes 2, a surrogate pair 4), and the tab or newline after it.
      const room = value === null ? 3 : value.length * 3 + 1;
      if (buf.length - at < room + 1) buf = grow(buf, at, room + 1);
      if (i > 0) buf[at++] = TAB;
      if (value === null) {
        buf[at++] = BACKSLASH;
        buf[at++] = 0x4e; // N
      } else at = writeValue(buf, at, value);
    }
    buf[at++] = NEWLINE;
  }
  return buf.subarray(0, at);
}

/** Writes `value` escaped and UTF-8 encoded at `at` (the room is there); the offset after it. */
function writeValue(buf: Buffer, at: number, value: string): number {
  for (let j = 0; j < value.length; j++) {
    const unit = value.charCodeAt(j);
    if (unit < 0x80) {
      const letter = unit === BACKSLASH || unit === TAB || unit === NEWLINE || unit === CARRIAGE_RETURN ? ESCAPE_LETTER[unit] : undefined;
      if (letter === undefined) buf[at++] = unit;
      else {
        buf[at++] = BACKSLASH;
        buf[at++] = letter;
      }
    } else if (unit < 0x800) {
      buf[at++] = 0xc0 | (unit >> 6);
      buf[at++] = 0x80 | (unit & 0x3f);
    } else if (unit < 0xd800 || unit > 0xdfff) {
      buf[at++] = 0xe0 | (unit >> 12);
      buf[at++] = 0x80 | ((unit >> 6) & 0x3f);
      buf[at++] = 0x80 | (unit & 0x3f);
    } else {
      const low = value.charCodeAt(j + 1);
      if (unit < 0xdc00 && low >= 0xdc00 && low <= 0xdfff) {
        const point = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
        j++;
        buf[at++] = 0xf0 | (point >> 18);
        buf[at++] = 0x80 | ((point >> 12) & 0x3f);
        buf[at++] = 0x80 | ((point >> 6) & 0x3f);
        buf[at++] = 0x80 | (point & 0x3f);
      } else {
        // A lone surrogate: U+FFFD, as Buffer.write and TextEncoder encode it.
        buf[at++] = 0xef;
        buf[at++] = 0xbf;
        buf[at++] = 0xbd;
      }
    }
  }
  return at;
}

/** A buffer twice as large (or more, for `room` bytes after `used`) holding the first `used` bytes of `buf`. */
function grow(buf: Buffer, used: number, room: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, used + room));
  buf.copy(bigger, 0, 0, used);
  return bigger;
}
