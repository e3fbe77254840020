import { describe, expect, it } from 'vitest';
import { runIds } from './seal-cost.js';

describe('runIds', () => {
  it.each([
    { first: 1, rate: 10, gaps: 0, onTime: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], late: [], lost: [] },
    { first: 101, rate: 10, gaps: 1, onTime: [101, 102, 104, 105, 106, 107, 109, 110], late: [103], lost: [108] },
    { first: 1, rate: 4, gaps: 2, onTime: [], late: [1, 3], lost: [2, 4] },
  ])('splits $rate ids from $first with $gaps late and $gaps lost', ({ first, rate, gaps, onTime, late, lost }) => {
    const ids = runIds(first, rate, gaps);
    expect(ids).toEqual({ onTime, late, lost });
    expect([...ids.onTime, ...ids.late, ...ids.lost].sort((a, b) => a - b)).toEqual(Array.from({ length: rate }, (_, i) => first + i));
  });
});
