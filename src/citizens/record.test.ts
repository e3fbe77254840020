import { describe, expect, it } from 'vitest';
import { RECORD_FIELDS, REQUIRED_FIELDS, validateRecord } from './record.js';
import type { Citizen } from './types.js';

const TODAY = '2026-11-27';

/** A valid raw row as a CSV loader gives it (all strings). Fictional person. */
const ROW: Record<string, unknown> = {
  id_number: '001190012345',
  full_name: 'Nguyễn Thị Minh Thử',
  date_of_birth: '15/04/1990',
  sex: 'Nữ',
  phone: '0912 345 678',
  birth_registration_place: 'Hà Nội',
  hometown: 'Nam Định',
  ethnicity: 'Kinh',
  religion: 'Không',
  nationality: 'Việt Nam',
  permanent_address: 'Số 1 phố Tràng Tiền, Hoàn Kiếm, Hà Nội',
  temporary_address: '',
  current_address: 'Số 1 phố Tràng Tiền, Hoàn Kiếm, Hà Nội',
  card_issued_on: '2021-05-10',
  card_expires_on: '',
};

const CITIZEN: Citizen = {
  idNumber: '001190012345',
  fullName: 'Nguyễn Thị Minh Thử',
  dateOfBirth: '1990-04-15',
  sex: 'F',
  phone: '+84912345678',
  birthRegistrationPlace: 'Hà Nội',
  hometown: 'Nam Định',
  ethnicity: 'Kinh',
  religion: 'Không',
  nationality: 'Việt Nam',
  permanentAddress: 'Số 1 phố Tràng Tiền, Hoàn Kiếm, Hà Nội',
  temporaryAddress: null,
  currentAddress: 'Số 1 phố Tràng Tiền, Hoàn Kiếm, Hà Nội',
  cardIssuedOn: '2021-05-10',
  cardExpiresOn: null,
};

describe('validateRecord accepts', () => {
  it('the reference row, normalised', () => {
    expect(validateRecord(ROW, TODAY)).toEqual({ ok: true, value: CITIZEN });
  });

  it.each<[Record<string, unknown>, Partial<Citizen>, string]>([
    // [changes to the row, expected changes to the citizen, rule exercised]
    [{ date_of_birth: '1990-04-15' }, {}, 'ISO date of birth'],
    [{ date_of_birth: '15/4/1990' }, {}, 'single-digit month'],
    [{ sex: 'F' }, {}, 'sex F'],
    [{ sex: 'female' }, {}, 'sex female'],
    [{ sex: 'NỮ' }, {}, 'sex, upper case with diacritics'],
    [{ sex: 'nu' }, {}, 'sex Nu without diacritic'],
    [{ sex: 'Nu\u031b\u0303' }, {}, 'sex in NFD (u + horn + tilde) normalised first'],
    [{ sex: ' Nữ ' }, {}, 'sex with spaces'],
    [{ id_number: '001090012345', sex: 'Nam' }, { idNumber: '001090012345', sex: 'M' }, 'male: Nam'],
    [{ id_number: '001090012345', sex: 'MALE' }, { idNumber: '001090012345', sex: 'M' }, 'male: MALE'],
    [{ id_number: '001090012345', sex: 'm' }, { idNumber: '001090012345', sex: 'M' }, 'male: m'],
    [{ id_number: 1190012345 }, {}, 'ID as a JSON number lost its leading zeros: padded to 12'],
    [{ phone: 84912345678 }, {}, 'phone as a JSON number'],
    [{ phone: '01662345678' }, { phone: '+84362345678' }, 'pre-2018 phone converted'],
    [{ full_name: '  Nguyễn Thị Minh Thử \n' }, {}, 'name trimmed'],
    [{ full_name: 'Nguye\u0302\u0303n Thi\u0323 Minh Thu\u031b\u0309' }, {}, 'name in NFD normalised to NFC'],
    [{ full_name: 'Đ'.repeat(100) }, { fullName: 'Đ'.repeat(100) }, 'name of exactly 100 characters'],
    [{ full_name: '𠀀'.repeat(100) }, { fullName: '𠀀'.repeat(100) }, '100 astral characters (200 UTF-16 units)'],
    [
      { hometown: '   ', religion: null, ethnicity: undefined },
      { hometown: null, religion: null, ethnicity: null },
      'blank, null or missing optional -> null',
    ],
    [{ nationality: 'Vie\u0323\u0302t Nam' }, {}, 'optional text normalised to NFC'],
    [{ card_issued_on: '', card_expires_on: '' }, { cardIssuedOn: null, cardExpiresOn: null }, 'no card'],
    [{ card_expires_on: '10/05/2031' }, { cardExpiresOn: '2031-05-10' }, 'stored expiry after issue'],
    [{ card_issued_on: TODAY }, { cardIssuedOn: TODAY }, 'card issued today'],
    [
      { id_number: '001100012345', date_of_birth: '1900-01-01' },
      { idNumber: '001100012345', dateOfBirth: '1900-01-01', cardIssuedOn: '2021-05-10' },
      'born on 1900-01-01',
    ],
    [
      { id_number: '001326012345', date_of_birth: TODAY, card_issued_on: '' },
      { idNumber: '001326012345', dateOfBirth: TODAY, cardIssuedOn: null },
      'born today',
    ],
    [{ extra_column: 'ignored' }, {}, 'unknown keys ignored'],
  ])('%j (%s)', (changes, expected) => {
    expect(validateRecord({ ...ROW, ...changes }, TODAY)).toEqual({ ok: true, value: { ...CITIZEN, ...expected } });
  });
});

describe('validateRecord rejects', () => {
  it.each<[Record<string, unknown>, string, string]>([
    // [changes to the row, exact reason, rule exercised]
    [{ id_number: '' }, 'id_number: is required', 'required id'],
    [{ id_number: '00119001234' }, 'id_number: must be exactly 12 digits', 'id length'],
    [{ id_number: '063190012345' }, 'id_number: 063 is not a province code', 'id province'],
    [{ id_number: '001090012345' }, 'id_number: 4th digit must be 1 for a female born in 1990 (got 0)', 'id sex digit'],
    [{ id_number: '001191012345' }, "id_number: digits 5-6 must be 90, the birth year's last two digits (got 91)", 'id year digits'],
    [{ id_number: true }, 'id_number: must be text or a number', 'id of a wrong type'],
    [{ full_name: '   ' }, 'full_name: is required', 'blank name'],
    [{ full_name: 'Đ'.repeat(101) }, 'full_name: must be at most 100 characters', 'name too long'],
    [{ full_name: ['Nguyễn'] }, 'full_name: must be text', 'name of a wrong type'],
    [{ date_of_birth: undefined }, 'date_of_birth: is required', 'missing date of birth'],
    [{ date_of_birth: '30/02/1990' }, 'date_of_birth: 30/02/1990 is not a real calendar date', 'unreal date'],
    [{ date_of_birth: '1990.04.15' }, 'date_of_birth: must be a date YYYY-MM-DD or DD/MM/YYYY', 'unknown date form'],
    [{ date_of_birth: '2026-11-28', card_issued_on: '' }, 'date_of_birth: is in the future', 'born tomorrow'],
    [{ date_of_birth: '1899-12-31' }, 'date_of_birth: must be 1900-01-01 or later', 'born before 1900'],
    [{ sex: 'X' }, 'sex: must be Nam/Nữ, M/F or male/female', 'unknown sex'],
    [{ sex: null }, 'sex: is required', 'missing sex'],
    [{ phone: '024 3123 4567' }, 'phone: is a landline or service number, not a mobile', 'landline'],
    [{ phone: '+14155550100' }, 'phone: must be a Vietnamese number (+84)', 'foreign phone'],
    [{ phone: '' }, 'phone: is required', 'missing phone'],
    [{ hometown: { name: 'Nam Định' } }, 'hometown: must be text', 'optional text of a wrong type'],
    [{ card_issued_on: '1989-12-31' }, 'card_issued_on: must not be before date_of_birth', 'card before birth'],
    [{ card_issued_on: '2026-11-28' }, 'card_issued_on: is in the future', 'card issued tomorrow'],
    [{ card_issued_on: '31/04/2021' }, 'card_issued_on: 31/04/2021 is not a real calendar date', 'unreal issue date'],
    [{ card_expires_on: '2021-05-10' }, 'card_expires_on: must be after card_issued_on', 'expiry on the issue day'],
    [{ card_expires_on: '2020-01-01' }, 'card_expires_on: must be after card_issued_on', 'expiry before issue'],
    [{ card_issued_on: '', card_expires_on: '2031-05-10' }, 'card_expires_on: given without card_issued_on', 'expiry without issue'],
    [{ card_expires_on: '2031-02-30' }, 'card_expires_on: 2031-02-30 is not a real calendar date', 'unreal expiry'],
  ])('%j (%s)', (changes, reason) => {
    expect(validateRecord({ ...ROW, ...changes }, TODAY)).toEqual({ ok: false, reason });
  });

  it('reports every problem, in field order, joined with "; "', () => {
    const r = validateRecord({ ...ROW, phone: 'abc', sex: '?', full_name: '', id_number: '12', card_expires_on: 'soon' }, TODAY);
    expect(r).toEqual({
      ok: false,
      reason: [
        'id_number: must be exactly 12 digits',
        'full_name: is required',
        'sex: must be Nam/Nữ, M/F or male/female',
        'phone: must contain only digits, spaces, dots, dashes, parentheses and a leading +',
        'card_expires_on: must be a date YYYY-MM-DD or DD/MM/YYYY',
      ].join('; '),
    });
  });

  it('still checks the ID format and province when the date of birth is bad', () => {
    const r = validateRecord({ ...ROW, id_number: '063190012345', date_of_birth: 'x' }, TODAY);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.split('; ')[0]).toBe('id_number: 063 is not a province code');
  });

  it('an empty object names every required field', () => {
    const r = validateRecord({}, TODAY);
    expect(r).toEqual({ ok: false, reason: REQUIRED_FIELDS.map((f) => `${f}: is required`).join('; ') });
  });
});

describe('field lists', () => {
  it('cover every Citizen property exactly once', () => {
    const all = RECORD_FIELDS;
    const camel = all.map((f) => f.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()));
    expect(new Set(all).size).toBe(all.length);
    expect(camel.sort()).toEqual(Object.keys(CITIZEN).sort());
  });
});
