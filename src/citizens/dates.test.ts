import { describe, expect, it } from 'vitest';
import { addYears, compareIso, daysInMonth, formatDmy, isLeapYear, isoToday, parseDate } from './dates.js';

describe('parseDate accepts', () => {
  it.each([
    // [input, ISO, rule exercised]
    ['1990-03-05', '1990-03-05', 'ISO form'],
    ['05/03/1990', '1990-03-05', 'DD/MM/YYYY form'],
    ['5/3/1990', '1990-03-05', 'single-digit day and month'],
    ['  20/08/2005 ', '2005-08-20', 'surrounding spaces trimmed'],
    ['29/02/2000', '2000-02-29', 'leap day, year divisible by 400'],
    ['2024-02-29', '2024-02-29', 'leap day, year divisible by 4'],
    ['31/12/1999', '1999-12-31', 'last day of the year'],
  ])('%s -> %s (%s)', (input, iso) => {
    expect(parseDate(input)).toEqual({ ok: true, value: iso });
  });
});

describe('parseDate rejects', () => {
  it.each([
    // [input, reason fragment, rule exercised]
    ['31/02/2000', 'not a real calendar date', '31 February never exists'],
    ['29/02/2001', 'not a real calendar date', '29 February in a common year'],
    ['1900-02-29', 'not a real calendar date', '1900 is not a leap year (divisible by 100)'],
    ['2023-04-31', 'not a real calendar date', 'April has 30 days'],
    ['2023-13-01', 'no month 13', 'month out of range'],
    ['00/01/2000', 'not a real calendar date', 'day zero'],
    ['0000-01-01', 'year must be', 'year zero'],
    ['1990/03/05', 'must be a date', 'year-first with slashes'],
    ['05-03-1990', 'must be a date', 'day-first with dashes'],
    ['5/3/90', 'must be a date', 'two-digit year'],
    ['1990-3-5', 'must be a date', 'ISO needs two-digit month and day'],
    ['１９９０-03-05', 'must be a date', 'non-ASCII digits'],
    ['', 'must be a date', 'empty'],
    ['yesterday', 'must be a date', 'words'],
  ])('%s (%s)', (input, fragment) => {
    const r = parseDate(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(fragment);
  });
});

describe('calendar helpers', () => {
  it.each([
    // [year, leap?, rule exercised]
    [2000, true, 'divisible by 400'],
    [1900, false, 'divisible by 100 only'],
    [2024, true, 'divisible by 4'],
    [2023, false, 'not divisible by 4'],
  ])('isLeapYear(%i) = %s', (year, leap) => {
    expect(isLeapYear(year)).toBe(leap);
  });

  it('daysInMonth knows February', () => {
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2023, 2)).toBe(28);
    expect(daysInMonth(2023, 12)).toBe(31);
    expect(daysInMonth(2023, 13)).toBe(0);
  });
});

describe('isoToday uses Vietnam time (UTC+7)', () => {
  it.each([
    // [instant, Vietnam date, rule exercised]
    ['2026-01-01T16:59:59Z', '2026-01-01', 'one second before midnight in Hanoi'],
    ['2026-01-01T17:00:00Z', '2026-01-02', 'midnight in Hanoi is 17:00 UTC'],
    ['2025-12-31T20:00:00-05:00', '2026-01-01', 'other offsets convert through UTC'],
  ])('%s -> %s (%s)', (instant, iso) => {
    expect(isoToday(new Date(instant))).toBe(iso);
  });
});

describe('addYears', () => {
  it.each([
    // [iso, n, result, rule exercised]
    ['2005-08-20', 25, '2030-08-20', 'plain anniversary'],
    ['2030-08-20', -2, '2028-08-20', 'negative years'],
    ['2004-02-29', 4, '2008-02-29', '29 February kept in a leap year'],
    ['2004-02-29', 1, '2005-02-28', '29 February becomes 28 February in a common year'],
    ['2004-02-29', 96, '2100-02-28', '2100 is a common year'],
    ['0999-01-01', 1, '1000-01-01', 'years keep four digits'],
  ])('addYears(%s, %i) = %s (%s)', (iso, n, result) => {
    expect(addYears(iso, n)).toBe(result);
  });
});

describe('compareIso and formatDmy', () => {
  it.each([
    // [a, b, sign, rule exercised]
    ['2024-06-30', '2024-07-01', -1, 'earlier'],
    ['2024-07-01', '2024-07-01', 0, 'same day'],
    ['2025-01-01', '2024-12-31', 1, 'later across a year'],
  ])('compareIso(%s, %s) has sign %i', (a, b, sign) => {
    expect(Math.sign(compareIso(a, b))).toBe(sign);
  });

  it('formats DD/MM/YYYY', () => {
    expect(formatDmy('2030-08-20')).toBe('20/08/2030');
    expect(formatDmy('1990-03-05')).toBe('05/03/1990');
  });
});
