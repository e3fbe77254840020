import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROVINCE_CODES, isProvinceCode, provinceName } from './provinces.js';

describe('province codes (Circular 07/2016/TT-BCA Annex I)', () => {
  it.each([
    // [code, expected name, rule exercised]
    ['001', 'Hà Nội', 'first listed code'],
    ['035', 'Hà Nam', 'the province of the ID 035199000123'],
    ['046', 'Thừa Thiên Huế', 'multi-word name'],
    ['079', 'TP Hồ Chí Minh', 'Ho Chi Minh City'],
    ['096', 'Cà Mau', 'last listed code'],
  ])('%s is %s (%s)', (code, name) => {
    expect(isProvinceCode(code)).toBe(true);
    expect(provinceName(code)).toBe(name);
  });

  it.each([
    ['063', 'not in the annex although some public tables list it'],
    ['003', 'gap in the numbering'],
    ['000', 'zero'],
    ['097', 'above the last code'],
    ['1', 'too short'],
    ['0011', 'too long'],
    ['', 'empty'],
  ])('%s is not a code (%s)', (code) => {
    expect(isProvinceCode(code)).toBe(false);
    expect(provinceName(code)).toBeUndefined();
  });

  it('lists exactly the 63 annex codes, names in NFC', () => {
    expect(PROVINCE_CODES).toHaveLength(63);
    expect([...PROVINCE_CODES].sort()).toEqual(PROVINCE_CODES);
    for (const code of PROVINCE_CODES) {
      const name = provinceName(code) ?? '';
      expect(name.normalize('NFC')).toBe(name);
    }
  });

  it('data file is NFC on disk too', () => {
    const text = readFileSync(new URL('../../data/provinces.json', import.meta.url), 'utf8');
    expect(text.normalize('NFC')).toBe(text);
  });
});
