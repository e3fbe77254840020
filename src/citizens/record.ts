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

/** A row under validation: the values accepted so far, and what later fields are checked against. */
interface Draft {
  today: string;
  /** The accepted values; a required field keeps its placeholder until accepted. */
  citizen: Citizen;
  /** The accepted date of birth and sex, which the ID number and card dates must agree with. */
  dateOfBirth: string | undefined;
  sex: Sex | undefined;
  /** Whether card_issued_on was given, valid or not. */
  issuedGiven: boolean;
}

/** Checks one field's raw value: accepts it into the draft, or says why not (the field named first). */
type FieldCheck = (raw: Readonly<Record<string, unknown>>, draft: Draft) => string | undefined;

type OptionalText =
  | 'birthRegistrationPlace'
  | 'hometown'
  | 'ethnicity'
  | 'religion'
  | 'nationality'
  | 'permanentAddress'
  | 'temporaryAddress'
  | 'currentAddress';

/** An optional text field: absent or blank is `null`; only a non-text value is refused. */
function optionalText(field: RecordField, key: OptionalText, text: Cleaned, draft: Draft): string | undefined {
  if (text === WRONG_TYPE) return `${field}: must be text`;
  draft.citizen[key] = text;
  return undefined;
}

/** The check of every field, by name. */
const FIELD_CHECKS: Readonly<Record<RecordField, FieldCheck>> = {
  id_number(raw, draft) {
    const id = cleanIdNumber(raw.id_number);
    if (id === null) return 'id_number: is required';
    if (id === WRONG_TYPE) return 'id_number: must be text or a number';
    if (draft.dateOfBirth !== undefined && draft.sex !== undefined) {
      const r = checkIdNumber(id, { dateOfBirth: draft.dateOfBirth, sex: draft.sex });
      if (!r.ok) return `id_number: ${r.reason}`;
    } else if (!isWellFormedIdNumber(id)) return 'id_number: must be exactly 12 digits';
    else if (!isProvinceCode(id.slice(0, 3))) return `id_number: ${id.slice(0, 3)} is not a province code`;
    draft.citizen.idNumber = id;
    return undefined;
  },
  full_name(raw, draft) {
    const name = clean(raw.full_name);
    if (name === null) return 'full_name: is required';
    if (name === WRONG_TYPE) return 'full_name: must be text';
    if (name.length > MAX_FULL_NAME && countCodePoints(name) > MAX_FULL_NAME)
      return `full_name: must be at most ${MAX_FULL_NAME} characters`;
    draft.citizen.fullName = name;
    return undefined;
  },
  date_of_birth(raw, draft) {
    const date = dateField('date_of_birth', raw.date_of_birth);
    if (date === null) return 'date_of_birth: is required';
    if (typeof date !== 'string') return date.reason;
    if (date > draft.today) return 'date_of_birth: is in the future';
    if (date < MIN_DATE_OF_BIRTH) return `date_of_birth: must be ${MIN_DATE_OF_BIRTH} or later`;
    draft.dateOfBirth = draft.citizen.dateOfBirth = date;
    return undefined;
  },
  sex(raw, draft) {
    const sex = parseSex(raw.sex);
    if (sex === null) return clean(raw.sex) === null ? 'sex: is required' : 'sex: must be Nam/Nữ, M/F or male/female';
    draft.sex = draft.citizen.sex = sex;
    return undefined;
  },
  phone(raw, draft) {
    const text = cleanAscii(raw.phone);
    if (text === null) return 'phone: is required';
    if (text === WRONG_TYPE) return 'phone: must be text or a number';
    const r = normalizeVietnameseMobile(text);
    if (!r.ok) return `phone: ${r.reason}`;
    draft.citizen.phone = r.value;
    return undefined;
  },
  birth_registration_place: (raw, draft) =>
    optionalText('birth_registration_place', 'birthRegistrationPlace', cleanShort(raw.birth_registration_place), draft),
  hometown: (raw, draft) => optionalText('hometown', 'hometown', cleanShort(raw.hometown), draft),
  ethnicity: (raw, draft) => optionalText('ethnicity', 'ethnicity', cleanShort(raw.ethnicity), draft),
  religion: (raw, draft) => optionalText('religion', 'religion', cleanShort(raw.religion), draft),
  nationality: (raw, draft) => optionalText('nationality', 'nationality', cleanShort(raw.nationality), draft),
  permanent_address: (raw, draft) => optionalText('permanent_address', 'permanentAddress', clean(raw.permanent_address), draft),
  temporary_address: (raw, draft) => optionalText('temporary_address', 'temporaryAddress', clean(raw.temporary_address), draft),
  current_address: (raw, draft) => optionalText('current_address', 'currentAddress', clean(raw.current_address), draft),
  card_issued_on(raw, draft) {
    const date = dateField('card_issued_on', raw.card_issued_on);
    if (date === null) return undefined;
    draft.issuedGiven = true;
    if (typeof date !== 'string') return date.reason;
    if (draft.dateOfBirth !== undefined && date < draft.dateOfBirth) return 'card_issued_on: must not be before date_of_birth';
    if (date > draft.today) return 'card_issued_on: is in the future';
    draft.citizen.cardIssuedOn = date;
    return undefined;
  },
  card_expires_on(raw, draft) {
    const date = dateField('card_expires_on', raw.card_expires_on);
    if (date === null) return undefined;
    if (typeof date !== 'string') return date.reason;
    if (!draft.issuedGiven) return 'card_expires_on: given without card_issued_on';
    const issued = draft.citizen.cardIssuedOn;
    if (issued !== null && date <= issued) return 'card_expires_on: must be after card_issued_on';
    if (draft.dateOfBirth !== undefined && date < draft.dateOfBirth) return 'card_expires_on: must not be before date_of_birth';
    draft.citizen.cardExpiresOn = date;
    return undefined;
  },
};

/**
 * The order the checks run in: the date of birth and sex first, since the ID number must agree
 * with them; card_issued_on before card_expires_on, which it bounds. Reasons are still reported in
 * {@link RECORD_FIELDS} order.
 */
const CHECK_ORDER: readonly RecordField[] = ['date_of_birth', 'sex', ...RECORD_FIELDS.filter((f) => f !== 'date_of_birth' && f !== 'sex')];

/**
 * Validates and normalises one raw row against `today` (ISO, the caller's Vietnam date).
 * Returns the `Citizen`, or every problem found, joined with `"; "`. Never throws.
 */
export function validateRecord(raw: Record<string, unknown>, today: string): Result<Citizen> {
  const draft: Draft = {
    today,
    citizen: {
      idNumber: '',
      fullName: '',
      dateOfBirth: '',
      sex: 'M',
      phone: '',
      birthRegistrationPlace: null,
      hometown: null,
      ethnicity: null,
      religion: null,
      nationality: null,
      permanentAddress: null,
      temporaryAddress: null,
      currentAddress: null,
      cardIssuedOn: null,
      cardExpiresOn: null,
    },
    dateOfBirth: undefined,
    sex: undefined,
    issuedGiven: false,
  };
  let reasons: Partial<Record<RecordField, string>> | undefined;
  for (const field of CHECK_ORDER) {
    const reason = FIELD_CHECKS[field](raw, draft);
    if (reason !== undefined) (reasons ??= {})[field] = reason;
  }
  if (reasons === undefined) return { ok: true, value: draft.citizen };
  const found = reasons;
  return { ok: false, reason: RECORD_FIELDS.flatMap((f) => found[f] ?? []).join('; ') };
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
