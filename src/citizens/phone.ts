/**
 * Phone numbers: Vietnamese mobiles in any usual written form -> E.164, the 2018 11-to-10-digit
 * prefix conversion, Twilio sender normalisation, and masking for display and logs.
 * `libphonenumber-js` (full metadata) is the authority; a precomputed regex handles the common
 * 10-digit mobile ranges without it (see phone.test.ts, which checks that regex against it).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Result } from './types.js';

/**
 * National significant numbers (9 digits, no leading 0) that libphonenumber's VN metadata
 * classes as MOBILE for every suffix: 03x, 051, 056, 058, 059, 070, 076-079, 081-088, 090-098.
 * Other mobile ranges (e.g. 052[238], 0559, 089[6-9], 099x) go through libphonenumber.
 * Exported only so the test can verify it prefix by prefix.
 */
export const VN_MOBILE_FAST_PATH = /^(?:3[0-9]|5[1689]|7[06-9]|8[1-8]|9[0-8])[0-9]{7}$/;
const NATIONAL_FAST = /^0(?:3[0-9]|5[1689]|7[06-9]|8[1-8]|9[0-8])[0-9]{7}$/;
const E164_FAST = /^\+84(?:3[0-9]|5[1689]|7[06-9]|8[1-8]|9[0-8])[0-9]{7}$/;
const SEPARATORS = /[\s.\-()]/g;
const DIGITS_WITH_PLUS = /^\+?[0-9]+$/;
const E164_SHAPE = /^\+[1-9][0-9]{1,14}$/;

/**
 * The 2018 conversion (15 Sep 2018 - 30 Jun 2019): old 11-digit national prefix (without the
 * leading 0) -> new prefix; the last 7 digits are unchanged.
 */
export const LEGACY_MOBILE_PREFIXES: Readonly<Record<string, string>> = Object.freeze({
  // Viettel
  '162': '32',
  '163': '33',
  '164': '34',
  '165': '35',
  '166': '36',
  '167': '37',
  '168': '38',
  '169': '39',
  // MobiFone
  '120': '70',
  '121': '79',
  '122': '77',
  '126': '76',
  '128': '78',
  // VinaPhone
  '123': '83',
  '124': '84',
  '125': '85',
  '127': '81',
  '129': '82',
  // Vietnamobile
  '186': '56',
  '188': '58',
  // Gmobile
  '199': '59',
});

/** A 10-digit old national number (`1662345678`) converted to today's 9 digits, else unchanged. */
function convertLegacy(nsn: string): string {
  if (nsn.length !== 10) return nsn;
  const now = LEGACY_MOBILE_PREFIXES[nsn.slice(0, 3)];
  return now === undefined ? nsn : now + nsn.slice(3);
}

/**
 * The Vietnamese national significant number in `compact` (digits with an optional leading
 * `+`), or `undefined` when it carries another country's code.
 */
function vietnameseNsn(compact: string): string | undefined {
  let nsn: string;
  if (compact.startsWith('+')) {
    if (!compact.startsWith('+84')) return undefined;
    nsn = compact.slice(3);
  } else if (compact.startsWith('00')) {
    if (!compact.startsWith('0084')) return undefined;
    nsn = compact.slice(4);
  } else if (compact.startsWith('0')) {
    return compact.slice(1);
  } else if (compact.startsWith('84') && (compact.length === 11 || compact.length === 12)) {
    nsn = compact.slice(2);
  } else {
    return compact; // bare national number, e.g. a spreadsheet dropped the leading 0
  }
  // "+84 (0) 912 ..." : a trunk 0 written after the country code.
  return nsn.startsWith('0') ? nsn.slice(1) : nsn;
}

/**
 * Normalises a Vietnamese mobile number written in any usual form (`0912 345 678`,
 * `0912.345.678`, `0912-345-678`, `+84912345678`, `84912345678`, `(+84) 912345678`,
 * `0084912345678`, `912345678`) to E.164 (`+84912345678`). Old 11-digit numbers
 * (`01662345678`, `+841662345678`) are converted by the 2018 prefix table. Landlines,
 * service numbers, foreign numbers and malformed text are refused with a reason (no field
 * name; callers prefix their own).
 */
export function normalizeVietnameseMobile(text: string): Result<string> {
  const t = text.trim();
  if (NATIONAL_FAST.test(t)) return { ok: true, value: '+84' + t.slice(1) };
  if (E164_FAST.test(t)) return { ok: true, value: t };
  if (t === '') return { ok: false, reason: 'is empty' };
  const compact = t.replace(SEPARATORS, '');
  if (!DIGITS_WITH_PLUS.test(compact)) {
    return { ok: false, reason: 'must contain only digits, spaces, dots, dashes, parentheses and a leading +' };
  }
  const raw = vietnameseNsn(compact);
  if (raw === undefined) return { ok: false, reason: 'must be a Vietnamese number (+84)' };
  const nsn = convertLegacy(raw);
  if (VN_MOBILE_FAST_PATH.test(nsn)) return { ok: true, value: '+84' + nsn };
  if (nsn.length < 9) return { ok: false, reason: 'is too short for a Vietnamese mobile number' };
  const tooLong = { ok: false, reason: 'is too long for a Vietnamese mobile number' } as const;
  if (nsn.length > 10) return tooLong;
  const parsed = parsePhoneNumberFromString('+84' + nsn);
  if (parsed === undefined || !parsed.isValid() || parsed.country !== 'VN') {
    return nsn.length > 9 ? tooLong : { ok: false, reason: 'is not a valid Vietnamese mobile number' };
  }
  if (parsed.getType() !== 'MOBILE') return { ok: false, reason: 'is a landline or service number, not a mobile' };
  return { ok: true, value: parsed.number };
}

/** A sender's number as E.164 with its country calling code (without `+`). */
export interface Sender {
  e164: string;
  countryCallingCode: string;
}

/**
 * Normalises the `From` of an inbound SMS (E.164 from any country, as Twilio sends it, e.g.
 * `+14155550100`). Vietnamese numbers still in the old 11-digit form are converted. Returns
 * `undefined` for anything that is not a valid phone number in strict E.164 (`abc`,
 * `client:alice`, `+1`, empty, numbers without `+`).
 */
export function normalizeSender(from: string): Sender | undefined {
  const t = from.trim();
  if (E164_FAST.test(t)) return { e164: t, countryCallingCode: '84' };
  if (!E164_SHAPE.test(t)) return undefined;
  const candidate = t.startsWith('+84') ? '+84' + convertLegacy(t.slice(3)) : t;
  const parsed = parsePhoneNumberFromString(candidate);
  if (parsed === undefined || !parsed.isValid()) return undefined;
  return { e164: parsed.number, countryCallingCode: parsed.countryCallingCode };
}

/**
 * Masks an E.164 number for display and logs: `+`, the country code, the first 2 digits after
 * it, `***`, the last 3 digits (`+84971234111` -> `+8497***111`). Numbers with fewer than 8
 * national digits keep only the country code (`+1***`); text that is not a number is `***`.
 */
export function maskPhone(e164: string): string {
  const t = e164.trim();
  if (!E164_SHAPE.test(t)) return '***';
  const cc = t.startsWith('+84') ? '84' : parsePhoneNumberFromString(t)?.countryCallingCode;
  if (cc === undefined) return '***';
  const nsn = t.slice(1 + cc.length);
  if (nsn.length < 8) return '+' + cc + '***';
  return '+' + cc + nsn.slice(0, 2) + '***' + nsn.slice(-3);
}
