import { describe, expect, it } from 'vitest';
import type { Citizen } from '../citizens/types.js';
import { citizen } from '../testing/citizens.js';
import { citizenValues } from './citizenRows.js';
import { copyText } from './copyText.js';

/** COPY text the plain way: escapes by a regular expression, the line encoded by Buffer.from. */
function reference(batch: readonly Citizen[]): Buffer {
  const escape = (v: string) => v.replace(/[\\\t\n\r]/g, (ch) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[ch] ?? ch);
  return Buffer.from(
    batch
      .map(
        (c) =>
          `${citizenValues(c)
            .map((v) => (v === null ? '\\N' : escape(v)))
            .join('\t')}\n`,
      )
      .join(''),
  );
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Characters at each boundary of UTF-8's lengths, the escaped ones, and both halves of surrogate pairs. */
const UNITS = [
  'a',
  '\\',
  '\t',
  '\n',
  '\r',
  '\x7f',
  '\x80',
  'ễ',
  '\u07ff',
  '\u0800',
  '\ud7ff',
  '\ue000',
  '\uffff',
  '\ud83d',
  '\ude00',
  '\udbff',
  '\udfff',
];

describe('copyText', () => {
  it.each([
    ['ASCII', 'Kinh'],
    ['Vietnamese (two- and three-byte UTF-8)', 'Nguyễn Thị Ánh'],
    ['a character outside the BMP (a surrogate pair)', 'Lê 𠀀 Văn 😀'],
    ['the escaped characters', 'a\\b\tc\nd\re\\N'],
    ['a lone high surrogate at the end', 'Lê \ud83d'],
    ['a lone high surrogate before another character', '\ud83dx'],
    ['a lone low surrogate', 'x\ude00y'],
    ['a reversed pair', '\ude00\ud83d'],
    ['the empty string', ''],
    ['a value longer than the batch buffer starts with', 'ễ\t'.repeat(5_000)],
  ])('writes %s as Buffer.from and the escapes do', (_name, value) => {
    const batch = [citizen({ fullName: value, religion: value }), citizen({ idNumber: '001099054322', temporaryAddress: value })];
    expect(copyText(batch).equals(reference(batch))).toBe(true);
  });

  it('writes NULL as \\N and a backslash-N value escaped', () => {
    const text = copyText([citizen({ temporaryAddress: null, cardExpiresOn: null, religion: '\\N' })]).toString();
    expect(text.split('\t')[8]).toBe('\\\\N');
    expect(text.split('\t')[11]).toBe('\\N');
    expect(text.endsWith('\t\\N\n')).toBe(true);
  });

  it('writes random text, batch after batch, exactly as Buffer.from does', () => {
    const next = random(20261202);
    const text = (length: number) => Array.from({ length }, () => UNITS[Math.floor(next() * UNITS.length)]).join('');
    for (let round = 0; round < 50; round++) {
      const batch = Array.from({ length: 1 + Math.floor(next() * 20) }, (_, i) =>
        citizen({
          idNumber: String(i).padStart(12, '0'),
          fullName: text(Math.floor(next() * 40)),
          permanentAddress: text(Math.floor(next() * 400)),
        }),
      );
      expect(copyText(batch).equals(reference(batch))).toBe(true);
    }
  });

  it('returns an empty buffer for an empty batch', () => {
    expect(copyText([]).length).toBe(0);
  });
});
