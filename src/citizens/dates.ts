/**
 * Calendar-date helpers over ISO `YYYY-MM-DD` strings (proleptic Gregorian, no time zone).
 * Parsing never throws: it returns a `Result` with a short reason.
 */
import type { Result } from './types.js';

const SLASH_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const DATE_FORMAT_REASON = 'must be a date YYYY-MM-DD or DD/MM/YYYY';
/** Vietnam's fixed offset from UTC (Indochina Time, UTC+7, no daylight saving), in milliseconds. */
export const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Whether `year` is a Gregorian leap year. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Number of days in `month` (1-12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad4(n: number): string {
  return String(n).padStart(4, '0');
}

/** Digit value of the char at `i`, or -1 when it is not an ASCII digit. */
function digitAt(text: string, i: number): number {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function checkReal(year: number, month: number, day: number, text: string): Result<string> {
  if (year < 1) return { ok: false, reason: `year must be 0001 or later (got ${text})` };
  if (month < 1 || month > 12) return { ok: false, reason: `${text} has no month ${month}` };
  if (day < 1 || day > daysInMonth(year, month)) return { ok: false, reason: `${text} is not a real calendar date` };
  return { ok: true, value: pad4(year) + '-' + pad2(month) + '-' + pad2(day) };
}

/**
 * Parses `YYYY-MM-DD` or `DD/MM/YYYY` (day and month may be one digit: `5/3/1990`), trimming
 * surrounding spaces, into ISO `YYYY-MM-DD`. Rejects dates that do not exist (`31/02/2000`,
 * `29/02/2001`). Reasons name no field; callers prefix their own.
 */
export function parseDate(text: string): Result<string> {
  const t = text.trim();
  if (t.length === 10 && t.charCodeAt(4) === 45 && t.charCodeAt(7) === 45) {
    // Fast path for ISO: no regex, no match array.
    const y0 = digitAt(t, 0),
      y1 = digitAt(t, 1),
      y2 = digitAt(t, 2),
      y3 = digitAt(t, 3);
    const m0 = digitAt(t, 5),
      m1 = digitAt(t, 6),
      d0 = digitAt(t, 8),
      d1 = digitAt(t, 9);
    if ((y0 | y1 | y2 | y3 | m0 | m1 | d0 | d1) < 0) return { ok: false, reason: DATE_FORMAT_REASON };
    const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
    const month = m0 * 10 + m1;
    const day = d0 * 10 + d1;
    const real = checkReal(year, month, day, t);
    return real.ok ? { ok: true, value: t } : real;
  }
  const m = SLASH_DATE.exec(t);
  if (m === null) return { ok: false, reason: DATE_FORMAT_REASON };
  return checkReal(Number(m[3]), Number(m[2]), Number(m[1]), t);
}

/** Today's date in Vietnam (UTC+7, no daylight saving) at the instant `now`, as ISO. */
export function isoToday(now: Date): string {
  return new Date(now.getTime() + VIETNAM_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * The same month and day `n` years after (or before, when negative) the ISO date `iso`.
 * 29 February rule: when the target year is not a leap year, 29 February becomes
 * **28 February** (the person born on 29 February reaches an age on 28 February in common
 * years). Expects a valid ISO date.
 */
export function addYears(iso: string, n: number): string {
  const year = Number(iso.slice(0, 4)) + n;
  const monthDay = iso.slice(4);
  if (monthDay === '-02-29' && !isLeapYear(year)) return pad4(year) + '-02-28';
  return pad4(year) + monthDay;
}

/** Orders two ISO dates: negative when `a` is earlier, 0 when equal, positive when later. */
export function compareIso(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Formats an ISO date as `DD/MM/YYYY` (the Vietnamese written form). */
export function formatDmy(iso: string): string {
  return iso.slice(8, 10) + '/' + iso.slice(5, 7) + '/' + iso.slice(0, 4);
}
