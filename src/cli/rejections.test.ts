import { describe, expect, it } from 'vitest';
import { RejectionReport, rejectionKinds } from './rejections.js';

describe('rejected rows', () => {
  it.each([
    ['phone: is not a Vietnamese mobile number', ['phone']],
    ['id_number: must be 12 digits; phone: is missing', ['id_number', 'phone']],
    ['more than 64 fields', ['more than 64 fields']],
    ['Invalid Record Length: expect 6, got 3 on line 4', ['Invalid Record Length']],
  ])('files %j under %j', (reason, kinds) => {
    expect(rejectionKinds(reason)).toEqual(kinds);
  });

  it('prints the first few in full, then a count of the rest and a summary by kind, most first', () => {
    const printed: string[] = [];
    const report = new RejectionReport((line) => printed.push(line), 2);
    report.add('line 2', 'phone: bad');
    report.add('line 3', 'id_number: bad; phone: bad');
    report.add('line 4', 'id_number: bad');
    report.add('line 5', 'phone: bad');
    expect(printed).toEqual(['line 2: phone: bad', 'line 3: id_number: bad; phone: bad']);
    expect(report.summary()).toEqual([
      '... and 2 more rejected rows (the first 2 are shown)',
      'rejected 4 rows, by reason: phone 3, id_number 2',
    ]);
  });

  it('has no summary when nothing was rejected, and no "more" line when all were shown', () => {
    const report = new RejectionReport(() => {}, 2);
    expect(report.summary()).toEqual([]);
    report.add('line 2', 'sex: bad');
    expect(report.summary()).toEqual(['rejected 1 row, by reason: sex 1']);
  });
});
