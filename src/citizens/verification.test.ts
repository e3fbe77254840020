import { describe, expect, it } from 'vitest';
import type { Citizen } from './types.js';
import { isOwnRecord } from './verification.js';
import { citizen } from '../testing/citizens.js';

/** A fictional citizen. */
const CITIZEN: Citizen = citizen({ idNumber: '001190012345', phone: '+84912345678' });

describe('isOwnRecord', () => {
  it.each<[Citizen | undefined, string, boolean, string]>([
    // [record, sender, decision, rule exercised]
    [CITIZEN, '+84912345678', true, 'registered phone sends: allowed'],
    [CITIZEN, '+84912345679', false, 'another number: refused'],
    [CITIZEN, '0912345678', false, 'not E.164: the caller must normalise first'],
    [CITIZEN, '+84 912 345 678', false, 'separators are not E.164'],
    [undefined, '+84912345678', false, 'no such record: refused'],
    [CITIZEN, '', false, 'empty sender: refused'],
    [{ ...CITIZEN, phone: '' }, '', false, 'empty phone never matches an empty sender'],
    [{ ...CITIZEN, phone: '+' }, '+', false, 'a bare + is no number'],
  ])('%#: %s (%s)', (citizen, sender, decision) => {
    expect(isOwnRecord(citizen, sender)).toBe(decision);
  });
});
