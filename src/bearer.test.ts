import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof crypto>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});
const { bearerCheck } = await import('./bearer.js');

const TOKEN = 'metrics-token-0123456789';
const check = bearerCheck(TOKEN);

describe('bearerCheck', () => {
  it.each<[string, string | undefined, boolean]>([
    ['the token', `Bearer ${TOKEN}`, true],
    ['no header', undefined, false],
    ['an empty header', '', false],
    ['another token', 'Bearer nope', false],
    ['the token cut short', `Bearer ${TOKEN.slice(0, -1)}`, false],
    ['the token with more after it', `Bearer ${TOKEN}x`, false],
    ['the token without the scheme', TOKEN, false],
    ['another scheme', `Basic ${TOKEN}`, false],
  ])('%s → %s', (_name, header, expected) => {
    expect(check(header)).toBe(expected);
  });

  it('compares with timingSafeEqual over inputs of one length, whatever the header’s length', () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    compare.mockClear();
    for (const header of [undefined, 'B', `Bearer ${TOKEN}`, `Bearer ${'x'.repeat(10_000)}`]) check(header);
    expect(compare).toHaveBeenCalledTimes(4);
    for (const [a, b] of compare.mock.calls) {
      expect(a.byteLength).toBe(32);
      expect(b.byteLength).toBe(32);
    }
  });
});
