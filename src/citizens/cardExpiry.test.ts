import { describe, expect, it } from 'vitest';
import { cardStatus, computeCardExpiry } from './cardExpiry.js';
import type { CardStatus, Citizen } from './types.js';

type CardFields = Pick<Citizen, 'dateOfBirth' | 'cardIssuedOn' | 'cardExpiresOn'>;

describe('computeCardExpiry', () => {
  it.each<[string, string, string | null, string]>([
    // [date of birth, issued on, expires on, rule exercised]
    // worked examples of the renewal ages (Law on Citizen Identification 2014 Art. 21)
    ['2005-08-20', '2021-09-10', '2030-08-20', 'worked example: next milestone 25'],
    ['1996-03-10', '2020-01-15', '2036-03-10', 'worked example: within 2 years of 25, valid to 40'],
    ['1985-11-02', '2022-06-15', '2025-11-02', 'worked example: next milestone 40'],
    // the 2-year window, old law
    ['1990-05-10', '2013-05-10', '2030-05-10', 'issued exactly 2 years before 25: skips to 40'],
    ['1990-05-10', '2013-05-09', '2015-05-10', 'issued 2 years and 1 day before 25: expires at 25'],
    ['1990-05-10', '2015-05-10', '2030-05-10', 'issued on the 25th birthday: next milestone is 40'],
    ['1990-05-10', '2015-05-09', '2030-05-10', 'issued the day before the 25th birthday: skips it'],
    // the 2024 law change and age 14
    ['2012-03-01', '2024-06-30', '2037-03-01', 'child aged 12, old law: milestones 25, 40, 60 only'],
    ['2012-03-01', '2024-07-01', '2037-03-01', 'child aged 12, new law: 14 is within 2 years, skips to 25'],
    ['2012-07-02', '2024-06-30', '2037-07-02', 'child aged 11y11m, old law: no milestone 14'],
    ['2012-07-02', '2024-07-01', '2026-07-02', 'child aged 11y11m, new law from 1 July 2024: expires at 14'],
    ['2014-03-01', '2024-07-01', '2028-03-01', 'child aged 10, new law: expires at 14'],
    ['2014-03-01', '2024-06-30', '2039-03-01', 'child aged 10, old law: expires at 25'],
    // 60 and over
    ['1966-01-01', '2024-07-01', null, 'issued at 58.5: within 2 years of 60, never expires'],
    ['1966-01-01', '2023-12-31', '2026-01-01', 'issued at 57.99: expires at 60'],
    ['1960-01-01', '2021-01-01', null, 'issued at 61: never expires'],
    ['1960-01-01', '2020-01-01', null, 'issued on the 60th birthday: never expires'],
    // 29 February births: milestone falls on 28 February in common years
    ['2000-02-29', '2016-05-01', '2025-02-28', '29 Feb birth, 25th birthday in a common year is 28 Feb'],
    ['2000-02-29', '2023-02-28', '2040-02-29', '29 Feb birth, issued exactly 2 years before 28 Feb 2025: skips'],
    ['2000-02-29', '2023-02-27', '2025-02-28', '29 Feb birth, issued 2 years and 1 day before: no skip'],
    ['2004-02-29', '2020-01-01', '2029-02-28', '29 Feb birth, common milestone year'],
    ['1980-02-29', '2010-01-01', '2020-02-29', '29 Feb birth, milestone year is leap: 29 Feb kept'],
  ])('born %s, issued %s -> %s (%s)', (dob, issued, expiry) => {
    expect(computeCardExpiry(dob, issued)).toBe(expiry);
  });
});

describe('cardStatus', () => {
  const base: CardFields = { dateOfBirth: '1985-11-02', cardIssuedOn: '2022-06-15', cardExpiresOn: null };

  it.each<[CardFields, string, CardStatus, string]>([
    // [citizen, today, status, rule exercised]
    [{ ...base, cardIssuedOn: null }, '2026-01-01', { kind: 'none' }, 'no card'],
    [
      { ...base, cardIssuedOn: null, cardExpiresOn: '2030-01-01' },
      '2026-01-01',
      { kind: 'none' },
      'no issue date means no card even with a stray expiry',
    ],
    [
      base,
      '2026-11-27',
      { kind: 'card', issuedOn: '2022-06-15', expiresOn: '2025-11-02', expired: true },
      'worked example: expired on 2026-11-27',
    ],
    [
      base,
      '2025-11-02',
      { kind: 'card', issuedOn: '2022-06-15', expiresOn: '2025-11-02', expired: false },
      'valid on the expiry day itself',
    ],
    [base, '2025-11-03', { kind: 'card', issuedOn: '2022-06-15', expiresOn: '2025-11-02', expired: true }, 'expired the next day'],
    [
      { ...base, cardExpiresOn: '2030-01-01' },
      '2026-11-27',
      { kind: 'card', issuedOn: '2022-06-15', expiresOn: '2030-01-01', expired: false },
      'stored expiry wins over the computed one',
    ],
    [
      { ...base, cardExpiresOn: '2024-01-01' },
      '2024-06-01',
      { kind: 'card', issuedOn: '2022-06-15', expiresOn: '2024-01-01', expired: true },
      'stored expiry also wins when earlier',
    ],
    [
      { dateOfBirth: '1960-01-01', cardIssuedOn: '2021-01-01', cardExpiresOn: null },
      '2099-12-31',
      { kind: 'card', issuedOn: '2021-01-01', expiresOn: null, expired: false },
      'a card without expiry never expires',
    ],
  ])('%j on %s (%s)', (citizen, today, status) => {
    expect(cardStatus(citizen, today)).toEqual(status);
  });
});
