/**
 * Seed files must be UTF-8: an export in Windows-1258 or Latin-1 (a likely Excel export) would
 * otherwise load with U+FFFD in place of every Vietnamese letter. These find the line of the first
 * byte that is not UTF-8, so that the seed can say `line N: not valid UTF-8 (save the file as UTF-8)`.
 *
 * UTF-8 validity splits over lines: a line feed (0x0A) is never part of a multi-byte sequence, so a
 * file is valid exactly when each of its lines is, and the first invalid line holds the first bad
 * byte. Each check is Node's native `isUtf8`, over whole runs of lines at a time.
 */
import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';

/** The reason given for a line that is not UTF-8. */
export const NOT_UTF8 = 'not valid UTF-8 (save the file as UTF-8)';

const LF = 0x0a;
/**
 * A partial line longer than this is passed on before its end is seen. Larger than the CSV reader's
 * record bound, so such a line is refused as too long before its end would matter.
 */
const LONGEST_HELD_LINE = 128 * 1024;

/** Line feeds in `buf`. */
export function countLines(buf: Uint8Array): number {
  let n = 0;
  for (let i = buf.indexOf(LF); i !== -1; i = buf.indexOf(LF, i + 1)) n++;
  return n;
}

/** Whether `buf` starts with the UTF-16 little-endian byte order mark, which csv-parse reads as UTF-16. */
export function isUtf16LeBom(buf: Uint8Array): boolean {
  return buf[0] === 0xff && buf[1] === 0xfe;
}

/**
 * The 0-based index of the first line of `buf` that is not UTF-8, and the offset where that line
 * starts; undefined when all of `buf` is UTF-8.
 */
export function firstInvalidLine(buf: Uint8Array): { index: number; start: number } | undefined {
  if (isUtf8(buf)) return undefined;
  for (let index = 0, start = 0; ; index++) {
    const lf = buf.indexOf(LF, start);
    if (!isUtf8(buf.subarray(start, lf === -1 ? buf.length : lf))) return { index, start };
    if (lf === -1) return undefined;
    start = lf + 1;
  }
}

/** Bytes at the end of `buf` that begin a multi-byte sequence not finished within it (0 to 3). */
export function incompleteTail(buf: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/**
 * Passes a byte stream on while it is UTF-8, whole lines at a time. At the first line that is not,
 * it passes on everything before that line, ends its output, records the line in {@link badLine}
 * and emits `invalid`. A stream that starts with the UTF-16 LE byte order mark is passed on as it
 * is (csv-parse decodes it).
 */
export class Utf8LineGuard extends Transform {
  /** The 1-based line of the first byte that is not UTF-8, once one was found. */
  badLine: number | undefined;
  /** Line feeds passed on so far. */
  private lines = 0;
  /** The line being read: bytes after the last line feed passed on. */
  private held: Buffer = Buffer.alloc(0);
  private first = true;
  private passThrough = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.badLine !== undefined) {
      callback();
      return;
    }
    if (this.first) {
      this.first = false;
      this.passThrough = isUtf16LeBom(chunk);
    }
    if (this.passThrough) {
      callback(null, chunk);
      return;
    }
    const buf = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const end = buf.lastIndexOf(LF) + 1;
    if (end > 0) {
      if (!this.pass(buf.subarray(0, end))) {
        callback();
        return;
      }
    }
    let rest = buf.subarray(end);
    if (rest.length > LONGEST_HELD_LINE) {
      const cut = rest.length - incompleteTail(rest);
      if (!this.pass(rest.subarray(0, cut))) {
        callback();
        return;
      }
      rest = rest.subarray(cut);
    }
    this.held = Buffer.from(rest);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.badLine === undefined && this.held.length > 0) {
      if (isUtf8(this.held)) this.push(this.held);
      else this.fail(this.lines);
    }
    callback();
  }

  /** Passes `buf` on when it is UTF-8; otherwise passes on the lines before the bad one, fails and returns false. */
  private pass(buf: Buffer): boolean {
    const bad = firstInvalidLine(buf);
    if (bad === undefined) {
      this.lines += countLines(buf);
      this.push(buf);
      return true;
    }
    if (bad.start > 0) this.push(buf.subarray(0, bad.start));
    this.fail(this.lines + bad.index);
    return false;
  }

  private fail(linesBefore: number): void {
    this.badLine = linesBefore + 1;
    this.held = Buffer.alloc(0);
    this.push(null);
    this.emit('invalid', this.badLine);
  }
}

/** The 1-based line of the first byte of `buf` that is not UTF-8, or undefined when it is all UTF-8. */
export function firstBadUtf8Line(buf: Uint8Array): number | undefined {
  const bad = firstInvalidLine(buf);
  return bad === undefined ? undefined : bad.index + 1;
}
