/**
 * Validation of one raw citizen row (CSV or JSON, snake_case keys) into a `Citizen`.
 *
 * Every field is checked and **all** problems are reported, joined with `"; "`, each naming
 * its field first (`date_of_birth: is in the future; phone: is too short ...`), in the order
 * of `REQUIRED_FIELDS` then `OPTIONAL_FIELDS`. Keys not listed are ignored (the CSV loader
 * checks the header). Built for bulk loads: no per-call regexes, libphonenumber only for
 * unusual phones, cached NFC for short repeated values.
 */
import { parseDate } from './dates.js';
import { checkIdNumber, isWellFormedIdNumber } from './idNumber.js';
import { normalizeVietnameseMobile } from './phone.js';
import { isProvinceCode } from './provinces.js';
import type { Citizen, Result, Sex } from './types.js';

/** Keys every row must have (snake_case, as in the CSV header). */
export const REQUIRED_FIELDS = ['id_number', 'full_name', 'date_of_birth', 'sex', 'phone'] as const;

/** Keys a row may have; missing, `null` or blank values become `null`. */
export const OPTIONAL_FIELDS = [
  'birth_registration_place',
  'hometown',
  'ethnicity',
  'religion',
  'nationality',
  'permanent_address',
  'temporary_address',
  'current_address',
  'card_issued_on',
  'card_expires_on',
] as const;

/**
 * Every field of a citizen record, in the order of the seed file format: the names of the CSV
 * columns and JSON keys (snake_case). The store names its columns after them.
 */
export const RECORD_FIELDS = [...REQUIRED_FIELDS, ...OPTIONAL_FIELDS] as const;
export type RecordField = (typeof RECORD_FIELDS)[number];

/** Earliest accepted date of birth. */
export const MIN_DATE_OF_BIRTH = '1900-01-01';
/** Longest accepted full name, in Unicode code points after NFC. */
export const MAX_FULL_NAME = 100;

/** A field value that is neither text, a number, nor absent. */
const WRONG_TYPE = Symbol('wrong type');
type Cleaned = string | null | typeof WRONG_TYPE;

/** Raw value -> trimmed NFC value, for fields whose values repeat (ethnicity, places...). */
const shortValueCache = new Map<string, string | null>();
const SHORT_CACHE_MAX_KEY = 64;
const SHORT_CACHE_MAX_SIZE = 20_000;

/** Trimmed NFC text; `null` when blank. */
function cleanText(value: string): string | null {
  const t = value.trim();
  return t === '' ? null : t.normalize('NFC');
}

/** Trimmed NFC text; `null` when absent or blank; `WRONG_TYPE` for booleans, objects... */
function clean(value: unknown): Cleaned {
  return typeof value === 'string' ? cleanText(value) : nonString(value);
}

/**
 * `clean` without NFC, for fields whose accepted values are ASCII only (ID, dates, phone):
 * NFC never turns a rejected value into an accepted one there, so it is skipped.
 */
function cleanAscii(value: unknown): Cleaned {
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? null : t;
  }
  return nonString(value);
}

function nonString(value: unknown): Cleaned {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : WRONG_TYPE;
  if (typeof value === 'bigint') return String(value);
  return WRONG_TYPE;
}

/** `clean`, memoised on the raw string for short values that repeat across rows. */
function cleanShort(value: unknown): Cleaned {
  if (typeof value !== 'string' || value.length > SHORT_CACHE_MAX_KEY) return clean(value);
  const hit = shortValueCache.get(value);
  if (hit !== undefined) return hit;
  const cleaned = cleanText(value);
  if (shortValueCache.size >= SHORT_CACHE_MAX_SIZE) shortValueCache.clear();
  shortValueCache.set(value, cleaned);
  return cleaned;
}

/** Accepted spellings of sex, lower-case NFC. */
const SEX_WORDS: ReadonlyMap<string, Sex> = new Map<string, Sex>([
  ['nam', 'M'],
  ['m', 'M'],
  ['male', 'M'],
  ['nữ', 'F'],
  ['nu', 'F'],
  ['f', 'F'],
  ['female', 'F'],
]);
/** Raw spelling -> sex (or `null` when not a sex), memoised. */
const sexCache = new Map<string, Sex | null>();

function parseSex(value: unknown): Sex | null {
  if (typeof value !== 'string' || value.length > 16) return null;
  const hit = sexCache.get(value);
  if (hit !== undefined) return hit;
  const sex = SEX_WORDS.get(value.trim().normalize('NFC').toLowerCase()) ?? null;
  if (sexCache.size < 1_000) sexCache.set(value, sex);
  return sex;
}

/** ID numbers that arrived as JSON numbers lost their leading zeros (codes start with 0). */
function cleanIdNumber(value: unknown): Cleaned {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 && value < 1e12 ? String(value).padStart(12, '0') : String(value);
  }
  return cleanAscii(value);
}

/** A field's refusal, allocated only when a value is bad. */
interface Refusal {
  reason: string;
}

/** ISO date, `null` when absent or blank, or a refusal naming `field`. */
function dateField(field: string, value: unknown): string | null | Refusal {
  const text = cleanAscii(value);
  if (text === null) return null;
  if (text === WRONG_TYPE) return { reason: field + ': must be a date YYYY-MM-DD or DD/MM/YYYY' };
  const r = parseDate(text);
  return r.ok ? r.value : { reason: field + ': ' + r.reason };
}

/**
 * Validates and normalises one raw row against `today` (ISO, the caller's Vietnam date).
 * Returns the `Citizen`, or every problem found, joined with `"; "`. Never throws.
 */
export function validateRecord(raw: Record<string, unknown>, today: string): Result<Citizen> {
  // Reasons are kept per field and emitted in field order; the ID is checked after the date
  // of birth and sex it must agree with.

  // date_of_birth
  let dobReason: string | undefined;
  let dob: string | undefined;
  const dobField = dateField('date_of_birth', raw.date_of_birth);
  if (dobField === null) dobReason = 'date_of_birth: is required';
  else if (typeof dobField !== 'string') dobReason = dobField.reason;
  else if (dobField > today) dobReason = 'date_of_birth: is in the future';
  else if (dobField < MIN_DATE_OF_BIRTH) dobReason = 'date_of_birth: must be ' + MIN_DATE_OF_BIRTH + ' or later';
  else dob = dobField;

  // sex
  let sexReason: string | undefined;
  const sex = parseSex(raw.sex);
  if (sex === null) {
    sexReason = clean(raw.sex) === null ? 'sex: is required' : 'sex: must be Nam/Nữ, M/F or male/female';
  }

  // id_number
  let idReason: string | undefined;
  const id = cleanIdNumber(raw.id_number);
  if (id === null) idReason = 'id_number: is required';
  else if (id === WRONG_TYPE) idReason = 'id_number: must be text or a number';
  else if (dob !== undefined && sex !== null) {
    const r = checkIdNumber(id, { dateOfBirth: dob, sex });
    if (!r.ok) idReason = 'id_number: ' + r.reason;
  } else if (!isWellFormedIdNumber(id)) idReason = 'id_number: must be exactly 12 digits';
  else if (!isProvinceCode(id.slice(0, 3))) idReason = 'id_number: ' + id.slice(0, 3) + ' is not a province code';

  // full_name
  let nameReason: string | undefined;
  const fullName = clean(raw.full_name);
  if (fullName === null) nameReason = 'full_name: is required';
  else if (fullName === WRONG_TYPE) nameReason = 'full_name: must be text';
  else if (fullName.length > MAX_FULL_NAME && countCodePoints(fullName) > MAX_FULL_NAME) {
    nameReason = `full_name: must be at most ${MAX_FULL_NAME} characters`;
  }

  // phone
  let phoneReason: string | undefined;
  let phone: string | undefined;
  const phoneText = cleanAscii(raw.phone);
  if (phoneText === null) phoneReason = 'phone: is required';
  else if (phoneText === WRONG_TYPE) phoneReason = 'phone: must be text or a number';
  else {
    const r: Result<string> = normalizeVietnameseMobile(phoneText);
    if (r.ok) phone = r.value;
    else phoneReason = 'phone: ' + r.reason;
  }

  // optional text fields
  const optional: string[] = [];
  const birthRegistrationPlace = optionalText('birth_registration_place', cleanShort(raw.birth_registration_place), optional);
  const hometown = optionalText('hometown', cleanShort(raw.hometown), optional);
  const ethnicity = optionalText('ethnicity', cleanShort(raw.ethnicity), optional);
  const religion = optionalText('religion', cleanShort(raw.religion), optional);
  const nationality = optionalText('nationality', cleanShort(raw.nationality), optional);
  const permanentAddress = optionalText('permanent_address', clean(raw.permanent_address), optional);
  const temporaryAddress = optionalText('temporary_address', clean(raw.temporary_address), optional);
  const currentAddress = optionalText('current_address', clean(raw.current_address), optional);

  // card dates
  let issued: string | null = null;
  const issuedField = dateField('card_issued_on', raw.card_issued_on);
  if (issuedField !== null && typeof issuedField !== 'string') optional.push(issuedField.reason);
  else if (issuedField !== null) {
    if (dob !== undefined && issuedField < dob) optional.push('card_issued_on: must not be before date_of_birth');
    else if (issuedField > today) optional.push('card_issued_on: is in the future');
    else issued = issuedField;
  }
  let expires: string | null = null;
  const expiresField = dateField('card_expires_on', raw.card_expires_on);
  if (expiresField !== null && typeof expiresField !== 'string') optional.push(expiresField.reason);
  else if (expiresField !== null) {
    if (issuedField === null) optional.push('card_expires_on: given without card_issued_on');
    else if (issued !== null && expiresField <= issued) optional.push('card_expires_on: must be after card_issued_on');
    else if (dob !== undefined && expiresField < dob) optional.push('card_expires_on: must not be before date_of_birth');
    else expires = expiresField;
  }

  if (
    idReason === undefined &&
    nameReason === undefined &&
    optional.length === 0 &&
    typeof id === 'string' &&
    typeof fullName === 'string' &&
    dob !== undefined &&
    sex !== null &&
    phone !== undefined
  ) {
    return {
      ok: true,
      value: {
        idNumber: id,
        fullName,
        dateOfBirth: dob,
        sex,
        phone,
        birthRegistrationPlace,
        hometown,
        ethnicity,
        religion,
        nationality,
        permanentAddress,
        temporaryAddress,
        currentAddress,
        cardIssuedOn: issued,
        cardExpiresOn: expires,
      },
    };
  }
  const reasons: string[] = [];
  for (const r of [idReason, nameReason, dobReason, sexReason, phoneReason]) if (r !== undefined) reasons.push(r);
  return { ok: false, reason: reasons.concat(optional).join('; ') };
}

function optionalText(field: string, value: Cleaned, reasons: string[]): string | null {
  if (value === WRONG_TYPE) {
    reasons.push(field + ': must be text');
    return null;
  }
  return value;
}

/** Unicode code points in `text` (a surrogate pair counts once). */
function countCodePoints(text: string): number {
  let pairs = 0;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return text.length - pairs;
}
