import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { parseForm } from './form.js';

const form = (text: string, maxFields?: number) => parseForm(Buffer.from(text, 'utf8'), maxFields);
const statusOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof HttpError ? err.status : -1;
  }
  return undefined;
};

describe('parseForm', () => {
  it.each<[string, string, Record<string, string | string[]>]>([
    ['Twilio fields with escapes and + as space', 'From=%2B84912345678&Body=TT+001+099', { From: '+84912345678', Body: 'TT 001 099' }],
    ['UTF-8 escapes', 'Body=Tra%20c%E1%BB%A9u', { Body: 'Tra cứu' }],
    ['raw UTF-8 (not escaped)', 'Body=Tra cứu', { Body: 'Tra cứu' }],
    ['an empty body', '', {}],
    ['an empty value and a bare name', 'Body=&ToCity', { Body: '', ToCity: '' }],
    ['a repeated field keeps every value in order', 'a=1&a=2&a=3', { a: ['1', '2', '3'] }],
  ])('reads %s', (_name, text, expected) => {
    const parsed = form(text);
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect({ ...parsed }).toEqual({ ...expected });
    expect(Object.keys(parsed)).toEqual(Object.keys(expected));
  });

  it.each<[string, Buffer | string, number]>([
    ['a broken escape', 'Body=TT%2', 400],
    ['an escape that is not hex', 'Body=%zz', 400],
    ['an escape that decodes to invalid UTF-8', 'Body=%C3%28', 400],
    ['a lone high byte (Latin-1, not UTF-8)', Buffer.from([0x42, 0x3d, 0xe9]), 400],
    ['more fields than allowed', 'a=1&b=2&c=3', 413],
  ])('refuses %s', (_name, input, status) => {
    const raw = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    expect(statusOf(() => parseForm(raw, 2))).toBe(status);
  });

  it('keeps __proto__ and constructor as ordinary fields', () => {
    const parsed = form('__proto__=x&constructor=y');
    expect(Object.keys(parsed)).toEqual(['__proto__', 'constructor']);
    expect(parsed['__proto__']).toBe('x');
    expect(Object.getPrototypeOf(parsed)).toBeNull();
  });

  it('accepts exactly the field limit', () => {
    expect(statusOf(() => form('a=1&b=2', 2))).toBeUndefined();
  });
});
