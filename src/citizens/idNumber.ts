/**
 * The 12-digit personal identification number, layout `PPP G YY RRRRRR`
 * (province, century+sex, birth year, random; no check digit).
 */
import { isProvinceCode } from './provinces.js';
import type { Result, Sex } from './types.js';

const TWELVE_DIGITS = /^[0-9]{12}$/;

/** What the 4th and 5th-6th digits are checked against. */
export interface IdHolder {
  /** ISO date of birth `YYYY-MM-DD`. */
  dateOfBirth: string;
  sex: Sex;
}

/** Whether `id` is exactly 12 ASCII digits (no other check). */
export function isWellFormedIdNumber(id: string): boolean {
  return TWELVE_DIGITS.test(id);
}

/**
 * The 4th digit an ID must have for this birth year and sex: 0/1 for 1900-1999, 2/3 for
 * 2000-2099, ... 8/9 for 2300-2399 (even male, odd female); `undefined` outside 1900-2399.
 */
export function centurySexDigit(birthYear: number, sex: Sex): number | undefined {
  const century = Math.floor(birthYear / 100) - 19;
  if (!(century >= 0 && century <= 4)) return undefined;
  return century * 2 + (sex === 'F' ? 1 : 0);
}

/**
 * Checks a 12-digit ID number against its holder: 12 ASCII digits, a listed province code
 * first, the century/sex digit matching `sex` and the birth century, and digits 5-6 equal to
 * the last two digits of the birth year. Returns the ID unchanged when valid. Reasons name no
 * field (callers prefix `id_number: `); the input is not trimmed.
 */
export function checkIdNumber(id: string, holder: IdHolder): Result<string> {
  if (!TWELVE_DIGITS.test(id)) return { ok: false, reason: 'must be exactly 12 digits' };
  const province = id.slice(0, 3);
  if (!isProvinceCode(province)) return { ok: false, reason: `${province} is not a province code` };
  const year = Number(holder.dateOfBirth.slice(0, 4));
  if (!Number.isInteger(year)) return { ok: false, reason: 'cannot check against an unknown birth year' };
  const expected = centurySexDigit(year, holder.sex);
  if (expected === undefined) return { ok: false, reason: `birth year ${year} cannot be encoded (1900-2399 only)` };
  const actual = id.charCodeAt(3) - 48;
  if (actual !== expected) {
    const who = holder.sex === 'F' ? 'female' : 'male';
    return { ok: false, reason: `4th digit must be ${expected} for a ${who} born in ${year} (got ${actual})` };
  }
  const yy = id.slice(4, 6);
  const expectedYy = String(year % 100).padStart(2, '0');
  if (yy !== expectedYy) {
    return { ok: false, reason: `digits 5-6 must be ${expectedYy}, the birth year's last two digits (got ${yy})` };
  }
  return { ok: true, value: id };
}

/**
 * Masks an ID for display and logs: first 3 digits, six `*`, last 3 (`001******345`).
 * Anything that is not 12 characters is fully starred, so nothing leaks.
 */
export function maskIdNumber(id: string): string {
  if (id.length !== 12) return '*'.repeat(Math.max(id.length, 1));
  return id.slice(0, 3) + '******' + id.slice(9);
}
