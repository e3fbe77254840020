// Table-driven tests for Vietnam-time formatting (UTC+7, no DST, independent of the machine TZ).
import { afterEach, describe, expect, it } from 'vitest';
import { ceilToMinute, formatDmHm, formatHm, formatHmDm } from './vietnamTime.js';

const rows: [comment: string, ms: number, hm: string, dmHm: string, hmDm: string][] = [
  ['07:05 UTC is 14:05 in Vietnam', Date.UTC(2025, 2, 12, 7, 5), '14:05', '12/03 14:05', '14:05 12/03'],
  ['16:59 UTC is 23:59 the same day', Date.UTC(2025, 2, 12, 16, 59), '23:59', '12/03 23:59', '23:59 12/03'],
  ['17:00 UTC is midnight of the next day', Date.UTC(2025, 2, 12, 17, 0), '00:00', '13/03 00:00', '00:00 13/03'],
  ['the last evening of the year rolls into the new year', Date.UTC(2024, 11, 31, 17, 30), '00:30', '01/01 00:30', '00:30 01/01'],
  ['29 February of a leap year', Date.UTC(2024, 1, 29, 3, 0), '10:00', '29/02 10:00', '10:00 29/02'],
  ['seconds are dropped, not rounded', Date.UTC(2025, 2, 12, 7, 5, 59, 999), '14:05', '12/03 14:05', '14:05 12/03'],
  ['no DST: a US/EU summer date is still +7', Date.UTC(2025, 6, 1, 0, 0), '07:00', '01/07 07:00', '07:00 01/07'],
  ['the epoch', 0, '07:00', '01/01 07:00', '07:00 01/01'],
  ['fails: NaN formats as dashes', Number.NaN, '--:--', '--/-- --:--', '--:-- --/--'],
  ['fails: Infinity formats as dashes', Number.POSITIVE_INFINITY, '--:--', '--/-- --:--', '--:-- --/--'],
  ['fails: beyond the Date range formats as dashes', 9e15, '--:--', '--/-- --:--', '--:-- --/--'],
];

describe('Vietnam time formatting', () => {
  it.each(rows)('%s', (_comment, ms, hm, dmHm, hmDm) => {
    expect(formatHm(ms)).toBe(hm);
    expect(formatDmHm(ms)).toBe(dmHm);
    expect(formatHmDm(ms)).toBe(hmDm);
  });

  describe('does not depend on the machine time zone', () => {
    const saved = process.env.TZ;
    afterEach(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });
    it.each(['America/New_York', 'Asia/Ho_Chi_Minh', 'Pacific/Kiritimati', 'UTC'])('TZ=%s', (tz) => {
      process.env.TZ = tz;
      expect(formatDmHm(Date.UTC(2025, 2, 12, 17, 0))).toBe('13/03 00:00');
    });
  });
});

describe('ceilToMinute', () => {
  it.each([
    // comment, ms, rounded
    ['already on a minute: unchanged', 5 * 60_000, 5 * 60_000],
    ['one millisecond past: the next minute', 5 * 60_000 + 1, 6 * 60_000],
    ['59.999 s past: the next minute', 5 * 60_000 + 59_999, 6 * 60_000],
    ['zero', 0, 0],
  ])('%s', (_comment, ms, rounded) => {
    expect(ceilToMinute(ms)).toBe(rounded);
  });
});
