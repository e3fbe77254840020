import { describe, expect, it } from 'vitest';
import { centurySexDigit, checkIdNumber, isWellFormedIdNumber, maskIdNumber } from './idNumber.js';
import type { Sex } from './types.js';

// All numbers below are fictional: valid layout, random part made up.
describe('checkIdNumber accepts', () => {
  it.each<[string, string, Sex, string]>([
    // [id, date of birth, sex, rule exercised]
    ['035199000123', '1999-04-12', 'F', 'layout of Circular 07/2016/TT-BCA Art. 7: Hà Nam 035, 1 = female 1900-1999, 99'],
    ['001090000001', '1990-01-01', 'M', '0 = male 1900-1999'],
    ['079205000042', '2005-08-20', 'M', '2 = male 2000-2099'],
    ['096312654321', '2012-05-01', 'F', '3 = female 2000-2099'],
    ['001400000001', '2100-01-01', 'M', '4 = male 2100-2199'],
    ['001800000001', '2300-06-01', 'M', '8 = male 2300-2399'],
    ['001999000001', '2399-06-01', 'F', '9 = female 2300-2399'],
    ['001100000001', '1900-01-01', 'F', '1 = female, year 00 of 1900'],
  ])('%s born %s %s (%s)', (id, dateOfBirth, sex) => {
    expect(checkIdNumber(id, { dateOfBirth, sex })).toEqual({ ok: true, value: id });
  });
});

describe('checkIdNumber rejects', () => {
  it.each<[string, string, Sex, string, string]>([
    // [id, date of birth, sex, reason fragment, rule exercised]
    ['03519900012', '1999-04-12', 'F', 'exactly 12 digits', 'too short'],
    ['0351990001234', '1999-04-12', 'F', 'exactly 12 digits', 'too long'],
    ['03519900012A', '1999-04-12', 'F', 'exactly 12 digits', 'letter'],
    [' 035199000123', '1999-04-12', 'F', 'exactly 12 digits', 'not trimmed here'],
    ['０３５199000123', '1999-04-12', 'F', 'exactly 12 digits', 'full-width digits are not ASCII'],
    ['063199000123', '1999-04-12', 'F', '063 is not a province code', 'unlisted province code'],
    ['000199000123', '1999-04-12', 'F', '000 is not a province code', 'zero province'],
    ['035099000123', '1999-04-12', 'F', '4th digit must be 1', 'female with the male digit'],
    ['035199000123', '1999-04-12', 'M', '4th digit must be 0', 'male with the female digit'],
    ['035399000123', '1999-04-12', 'F', '4th digit must be 1', 'wrong century (2000s digit for 1999)'],
    ['035199000123', '2099-04-12', 'F', '4th digit must be 3', 'right YY, wrong century'],
    ['035198000123', '1999-04-12', 'F', 'digits 5-6 must be 99', 'year digits differ'],
    ['035189000123', '1899-12-31', 'F', 'cannot be encoded', 'born before 1900'],
    ['035199000123', 'unknown', 'F', 'unknown birth year', 'garbage date of birth never throws'],
  ])('%s born %s %s (%s)', (id, dateOfBirth, sex, fragment) => {
    const r = checkIdNumber(id, { dateOfBirth, sex });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(fragment);
  });
});

describe('helpers', () => {
  it.each([
    // [id, well-formed?, rule exercised]
    ['063199000123', true, 'format only: province not checked'],
    ['12345678901', false, '11 digits'],
    ['1234567890123', false, '13 digits'],
    ['12345678901a', false, 'letter'],
  ])('isWellFormedIdNumber(%s) = %s (%s)', (id, ok) => {
    expect(isWellFormedIdNumber(id)).toBe(ok);
  });

  it.each<[number, Sex, number | undefined]>([
    [1999, 'M', 0],
    [1999, 'F', 1],
    [2000, 'M', 2],
    [2399, 'F', 9],
    [1899, 'M', undefined],
    [2400, 'F', undefined],
  ])('centurySexDigit(%i, %s) = %s', (year, sex, digit) => {
    expect(centurySexDigit(year, sex)).toBe(digit);
  });

  it.each([
    // [id, mask, rule exercised]
    ['001090012345', '001******345', 'first 3 + six stars + last 3'],
    ['12345', '*****', 'malformed input fully starred'],
    ['', '*', 'empty input still masked'],
  ])('maskIdNumber(%s) = %s (%s)', (id, mask) => {
    expect(maskIdNumber(id)).toBe(mask);
  });
});
