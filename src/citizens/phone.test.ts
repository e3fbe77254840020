import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { LEGACY_MOBILE_PREFIXES, VN_MOBILE_FAST_PATH, maskPhone, normalizeSender, normalizeVietnameseMobile } from './phone.js';

/** libphonenumber's own verdict: a valid Vietnamese MOBILE number. */
function libSaysVnMobile(nsn: string): boolean {
  const p = parsePhoneNumberFromString('0' + nsn, 'VN');
  return p !== undefined && p.isValid() && p.country === 'VN' && p.getType() === 'MOBILE';
}

// All numbers are fictional.
describe('normalizeVietnameseMobile accepts usual written forms', () => {
  it.each([
    // [input, E.164, rule exercised]
    ['0912345678', '+84912345678', 'plain national form (fast path)'],
    ['0912 345 678', '+84912345678', 'spaces'],
    ['0912.345.678', '+84912345678', 'dots'],
    ['0912-345-678', '+84912345678', 'dashes'],
    ['+84912345678', '+84912345678', 'E.164 (fast path)'],
    ['84912345678', '+84912345678', 'country code without +'],
    ['+84 912 345 678', '+84912345678', 'international with spaces'],
    ['(+84) 912345678', '+84912345678', 'country code in parentheses'],
    ['+84 (0) 912 345 678', '+84912345678', 'trunk 0 after the country code'],
    ['0084912345678', '+84912345678', '00 international prefix'],
    ['912345678', '+84912345678', 'leading 0 lost (number from a spreadsheet)'],
    ['  0971234111\t', '+84971234111', 'surrounding whitespace'],
  ])('%s -> %s (%s)', (input, e164) => {
    expect(normalizeVietnameseMobile(input)).toEqual({ ok: true, value: e164 });
  });

  it.each([
    // [input, E.164, rule exercised]
    ['0522345678', '+84522345678', '052[238] is mobile only through libphonenumber (slow path)'],
    ['0896123456', '+84896123456', '089[6-9] slow path'],
    ['0991234567', '+84991234567', '099x slow path'],
  ])('%s -> %s (%s)', (input, e164) => {
    expect(normalizeVietnameseMobile(input)).toEqual({ ok: true, value: e164 });
  });
});

describe('normalizeVietnameseMobile converts pre-2018 11-digit numbers', () => {
  it.each([
    // [input, E.164, rule exercised]
    ['01662345678', '+84362345678', 'Viettel 0166 -> 036'],
    ['+841662345678', '+84362345678', 'old number in E.164'],
    ['841662345678', '+84362345678', 'old number, country code without +'],
    ['0166 234 5678', '+84362345678', 'old number with spaces'],
    ['01202345678', '+84702345678', 'MobiFone 0120 -> 070'],
    ['01232345678', '+84832345678', 'VinaPhone 0123 -> 083'],
    ['01862345678', '+84562345678', 'Vietnamobile 0186 -> 056'],
    ['01992345678', '+84592345678', 'Gmobile 0199 -> 059'],
  ])('%s -> %s (%s)', (input, e164) => {
    expect(normalizeVietnameseMobile(input)).toEqual({ ok: true, value: e164 });
  });

  it.each(Object.entries(LEGACY_MOBILE_PREFIXES))('every table row converts to a valid mobile: 0%s -> 0%s', (old, now) => {
    expect(libSaysVnMobile(old + '2345678')).toBe(false); // libphonenumber rejects the old form...
    expect(libSaysVnMobile(now + '2345678')).toBe(true); // ...and accepts the converted one
    expect(normalizeVietnameseMobile('0' + old + '2345678')).toEqual({ ok: true, value: '+84' + now + '2345678' });
  });
});

describe('normalizeVietnameseMobile rejects', () => {
  it.each([
    // [input, reason fragment, rule exercised]
    ['024 3123 4567', 'landline', 'Hanoi landline'],
    ['028 3823 4567', 'landline', 'Ho Chi Minh City landline'],
    ['1900 1234', 'too short', 'service number'],
    ['+14155550100', 'Vietnamese number', 'US number'],
    ['0014155550100', 'Vietnamese number', 'US number with 00 prefix'],
    ['0912abc678', 'only digits', 'letters'],
    ['09123+45678', 'only digits', '+ in the middle'],
    ['091234567', 'too short', '9 digits with trunk 0'],
    ['09123456789', 'too long', '11 digits that are not an old prefix'],
    ['0521234567', 'not a valid', '052 outside 052[238]'],
    ['01302345678', 'too long', '013x was never a mobile prefix'],
    ['', 'empty', 'empty'],
    ['   ', 'empty', 'whitespace only'],
  ])('%s (%s)', (input, fragment) => {
    const r = normalizeVietnameseMobile(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(fragment);
  });
});

describe('the fast-path regex agrees with libphonenumber', () => {
  const suffixes = ['000000', '123456', '999999'];
  it('for every 3-digit national prefix 000-999', () => {
    let fast = 0;
    for (let p = 0; p < 1000; p++) {
      const prefix = String(p).padStart(3, '0');
      for (const suffix of suffixes) {
        const nsn = prefix + suffix;
        const lib = libSaysVnMobile(nsn);
        if (VN_MOBILE_FAST_PATH.test(nsn)) {
          fast++;
          expect(lib, `fast path accepts 0${nsn} but libphonenumber does not`).toBe(true);
        }
        // Whatever the path, the final verdict is libphonenumber's.
        expect(normalizeVietnameseMobile('0' + nsn).ok, `verdict for 0${nsn}`).toBe(lib);
      }
    }
    expect(fast).toBeGreaterThan(0);
  });

  it('covers every mobile prefix family of the numbering plan since 2018: 03x/05x/07x/08x/09x', () => {
    for (const sample of ['321234567', '561234567', '701234567', '861234567', '971234567']) {
      expect(VN_MOBILE_FAST_PATH.test(sample)).toBe(true);
    }
  });
});

describe('normalizeSender', () => {
  it.each([
    // [From, e164, country code, rule exercised]
    ['+84912345678', '+84912345678', '84', 'Vietnamese mobile'],
    ['+841662345678', '+84362345678', '84', 'old Vietnamese number converted'],
    ['+842431234567', '+842431234567', '84', 'Vietnamese landline is still a valid sender'],
    ['+14155550100', '+14155550100', '1', 'US number (fictional 555-01xx)'],
    ['+33612345678', '+33612345678', '33', 'French mobile'],
    [' +84912345678 ', '+84912345678', '84', 'surrounding spaces'],
  ])('%s -> %s (%s)', (from, e164, cc) => {
    expect(normalizeSender(from)).toEqual({ e164, countryCallingCode: cc });
  });

  it.each([
    // [From, rule exercised]
    ['abc', 'letters'],
    ['client:alice', 'Twilio client identity'],
    ['+1', 'country code only'],
    ['', 'empty'],
    ['84912345678', 'no + (not E.164)'],
    ['0912345678', 'national form'],
    ['+84 912 345 678', 'separators are not E.164'],
    ['+84123', 'too short'],
    ['+0123456789', 'country code cannot start with 0'],
  ])('%s -> undefined (%s)', (from) => {
    expect(normalizeSender(from)).toBeUndefined();
  });
});

describe('maskPhone', () => {
  it.each([
    // [e164, mask, rule exercised]
    ['+84971234111', '+8497***111', 'VN: first 2 national digits, ***, last 3'],
    ['+14155550100', '+141***100', 'other countries: same shape with their code'],
    ['+447700900123', '+4477***123', 'two-digit country code'],
    ['+3581234', '+358***', 'short national number keeps only the country code'],
    ['abc', '***', 'not a number'],
    ['', '***', 'empty'],
  ])('%s -> %s (%s)', (e164, mask) => {
    expect(maskPhone(e164)).toBe(mask);
  });
});
