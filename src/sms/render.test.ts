// Table-driven tests for renderReply: texts, masking, Vietnam time, and the 3-segment budget.
import { describe, expect, it } from 'vitest';
import type { AccessEntry, Outcome } from '../audit/types.js';
import type { Citizen } from '../citizens/types.js';
import { countSegments, isGsm7, toGsm7 } from './gsm7.js';
import { MAX_SEGMENTS, renderReply } from './render.js';
import { DEFAULT_TT_FIELDS, type CtField, type TtField } from './replyFields.js';
import type { Lang, RenderedReply, Reply, SmsEncoding } from './types.js';

/** The citizen's ID: deliberately not the example ID that help and usage texts show. */
const ID = '036190012678';
const citizen: Citizen = {
  idNumber: ID,
  fullName: 'Nguyễn Thị Minh Thử',
  dateOfBirth: '1999-03-10',
  sex: 'F',
  phone: '+84971234111',
  birthRegistrationPlace: 'Hà Nội',
  hometown: 'Nam Định',
  ethnicity: 'Kinh',
  religion: null,
  nationality: 'Việt Nam',
  permanentAddress: 'Số 12 ngõ 34 phố Hàng Bạc, Hoàn Kiếm, Hà Nội',
  temporaryAddress: null,
  currentAddress: 'Số 5 Nguyễn Trãi, Quận 5, TP Hồ Chí Minh',
  cardIssuedOn: '2021-09-10',
  cardExpiresOn: null,
};

const VI_GSM = { lang: 'vi', encoding: 'gsm7' } as const;
const VI_UNI = { lang: 'vi', encoding: 'unicode' } as const;
const EN_GSM = { lang: 'en', encoding: 'gsm7' } as const;
const EN_UNI = { lang: 'en', encoding: 'unicode' } as const;
const ALL_OPTS = [VI_GSM, VI_UNI, EN_GSM, EN_UNI] as const;

/** Renders and checks the invariants every reply must hold. */
function render(reply: Reply, opts: { lang: Lang; encoding: SmsEncoding }): RenderedReply {
  const r = renderReply(reply, opts);
  const count = countSegments(r.text);
  expect(r.segments).toBe(count.segments);
  expect(r.encoding).toBe(count.encoding);
  expect(r.segments).toBeLessThanOrEqual(MAX_SEGMENTS);
  expect(r.segments).toBeGreaterThan(0);
  if (opts.encoding === 'gsm7') {
    expect(isGsm7(r.text)).toBe(true);
    expect(r.encoding).toBe('GSM-7');
  }
  expect(r.text).not.toContain(ID); // never the full ID, in any reply
  expect(r.text).toBe(r.text.normalize('NFC'));
  return r;
}

describe('help', () => {
  it.each([
    // comment, options, exact text
    [
      'Vietnamese, GSM-7',
      VI_GSM,
      'Gui TT (thong tin ca nhan), CT (cu tru), CC (the can cuoc) hoac LS (lich su tra cuu) kem so dinh danh 12 so. VD: TT 001099012345',
    ],
    [
      'Vietnamese, Unicode',
      VI_UNI,
      'Gửi TT (thông tin cá nhân), CT (cư trú), CC (thẻ căn cước) hoặc LS (lịch sử tra cứu) kèm số định danh 12 số. VD: TT 001099012345',
    ],
    [
      'English (the same in both encodings)',
      EN_GSM,
      'Send INFO (personal data), ADDR (residence), CARD (ID card) or LOG (lookup history) + your 12-digit ID, e.g. INFO 001099012345. Also TT, CT, CC, LS.',
    ],
  ])('%s', (_comment, opts, text) => {
    expect(render({ kind: 'help' }, opts).text).toBe(text);
  });

  it.each(ALL_OPTS)('names TT, CT, CC, LS with an example, in at most 2 segments (%o)', (opts) => {
    const r = render({ kind: 'help' }, opts);
    for (const kw of ['TT', 'CT', 'CC', 'LS']) expect(r.text).toContain(kw);
    if (opts.lang === 'en') for (const kw of ['INFO', 'ADDR', 'CARD', 'LOG']) expect(r.text).toContain(kw);
    expect(r.text).toMatch(/(TT|INFO) 001099012345/);
    expect(r.segments).toBeLessThanOrEqual(opts.encoding === 'gsm7' ? 1 : 2);
  });
});

describe('usage (malformed lookup)', () => {
  it.each([
    // comment, command, options, exact text
    ['TT in Vietnamese', 'TT', VI_UNI, 'Lệnh TT (thông tin cá nhân) cần số định danh 12 số. VD: TT 001099012345'],
    ['CT in Vietnamese, GSM-7', 'CT', VI_GSM, 'Lenh CT (noi cu tru) can so dinh danh 12 so. VD: CT 001099012345'],
    ['CC in English uses CARD', 'CC', EN_GSM, 'CARD (identity card) needs your 12-digit ID number, e.g. CARD 001099012345'],
    ['LS in English uses LOG', 'LS', EN_GSM, 'LOG (lookup history) needs your 12-digit ID number, e.g. LOG 001099012345'],
  ] as const)('%s', (_comment, command, opts, text) => {
    expect(render({ kind: 'usage', command }, opts).text).toBe(text);
  });
});

describe('refused', () => {
  it.each([
    // comment, options, exact text
    [
      'Vietnamese, GSM-7',
      VI_GSM,
      'Khong the tra cuu. So dinh danh khong dung hoac so dien thoai nay chua duoc dang ky cho so dinh danh do.',
    ],
    [
      'Vietnamese, Unicode',
      VI_UNI,
      'Không thể tra cứu. Số định danh không đúng hoặc số điện thoại này chưa được đăng ký cho số định danh đó.',
    ],
    [
      'English, GSM-7',
      EN_GSM,
      'Lookup not possible: either the ID number is wrong or this phone number is not registered for that ID number.',
    ],
    [
      'English, Unicode: the same bytes',
      EN_UNI,
      'Lookup not possible: either the ID number is wrong or this phone number is not registered for that ID number.',
    ],
  ])('%s', (_comment, opts, text) => {
    const first = render({ kind: 'refused' }, opts);
    expect(first.text).toBe(text);
    expect(render({ kind: 'refused' }, opts).text).toBe(first.text); // byte-identical every time
    expect(first.text).not.toMatch(/\d/); // names no number
  });
});

describe('rate limited, locked, opted in', () => {
  const retryAt = Date.UTC(2025, 2, 12, 7, 5, 30); // 14:05:30 in Vietnam
  const until = Date.UTC(2025, 2, 12, 16, 59, 10); // 23:59:10 in Vietnam
  it.each<[string, Reply, { lang: Lang; encoding: SmsEncoding }, string]>([
    // comment, reply, options, exact text
    [
      'rate limited (vi): time rounded up to 14:06',
      { kind: 'rate_limited', retryAt },
      VI_UNI,
      'Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau 14:06.',
    ],
    ['rate limited (en)', { kind: 'rate_limited', retryAt }, EN_GSM, 'Too many requests. Please try again after 14:06.'],
    [
      'rate limited on a whole minute is not rounded',
      { kind: 'rate_limited', retryAt: Date.UTC(2025, 2, 12, 7, 5) },
      EN_GSM,
      'Too many requests. Please try again after 14:05.',
    ],
    ['locked (vi): rounds to midnight, next day', { kind: 'locked', until }, VI_GSM, 'Tra cuu tam thoi bi khoa den 00:00 13/03.'],
    ['locked (en)', { kind: 'locked', until }, EN_GSM, 'Lookups are locked until 00:00 13/03.'],
    ['opted in (vi) mentions HD', { kind: 'opted_in' }, VI_GSM, 'Ban se nhan lai tin tra loi. Gui HD de xem huong dan.'],
    ['opted in (en) mentions HELP', { kind: 'opted_in' }, EN_GSM, 'You will receive replies again. Send HELP for the list of commands.'],
  ])('%s', (_comment, reply, opts, text) => {
    expect(render(reply, opts).text).toBe(text);
  });
});

describe('personal', () => {
  it('Vietnamese, Unicode: every field, masked ID, missing religion as "-"', () => {
    expect(render({ kind: 'personal', citizen }, VI_UNI).text).toBe(
      [
        'Họ tên: Nguyễn Thị Minh Thử',
        'Số định danh: 036******678',
        'Ngày sinh: 10/03/1999',
        'Giới tính: Nữ',
        'Nơi đăng ký khai sinh: Hà Nội',
        'Quê quán: Nam Định',
        'Dân tộc: Kinh',
        'Tôn giáo: -',
        'Quốc tịch: Việt Nam',
      ].join('\n'),
    );
  });

  it('English, GSM-7: transliterated values, English labels', () => {
    expect(render({ kind: 'personal', citizen: { ...citizen, sex: 'M' } }, EN_GSM).text).toBe(
      [
        'Name: Nguyen Thi Minh Thu',
        'ID number: 036******678',
        'Date of birth: 10/03/1999',
        'Sex: Male',
        'Birth registered in: Ha Noi',
        'Hometown: Nam Dinh',
        'Ethnicity: Kinh',
        'Religion: -',
        'Nationality: Viet Nam',
      ].join('\n'),
    );
  });

  it.each<[string, Partial<Citizen>, string]>([
    // comment, field overrides, expected line
    ['male is Nam', { sex: 'M' }, 'Gioi tinh: Nam'],
    ['female is Nu', { sex: 'F' }, 'Gioi tinh: Nu'],
    ['a blank value reads "-"', { hometown: '   ' }, 'Que quan: -'],
    ['a null value reads "-"', { ethnicity: null }, 'Dan toc: -'],
    ['a newline inside a value is flattened', { hometown: 'Nam\nĐịnh' }, 'Que quan: Nam Dinh'],
    ['fails: a present value is not "-"', { religion: 'Phật giáo' }, 'Ton giao: Phat giao'],
  ])('%s', (_comment, overrides, line) => {
    expect(render({ kind: 'personal', citizen: { ...citizen, ...overrides } }, VI_GSM).text.split('\n')).toContain(line);
  });
});

describe('reply fields: a field the policy leaves out has no line, and a last line names it', () => {
  it.each<[string, readonly TtField[], { lang: Lang; encoding: SmsEncoding }, string]>([
    // comment, fields sent, options, exact text
    [
      'the default (no ethnicity, no religion), Vietnamese, Unicode: still 3 segments',
      DEFAULT_TT_FIELDS,
      VI_UNI,
      [
        'Họ tên: Nguyễn Thị Minh Thử',
        'Số định danh: 036******678',
        'Ngày sinh: 10/03/1999',
        'Giới tính: Nữ',
        'Nơi đăng ký khai sinh: Hà Nội',
        'Quê quán: Nam Định',
        'Quốc tịch: Việt Nam',
        'Dân tộc, tôn giáo: xem VNeID/công an xã.',
      ].join('\n'),
    ],
    [
      'the default, English, GSM-7',
      DEFAULT_TT_FIELDS,
      EN_GSM,
      [
        'Name: Nguyen Thi Minh Thu',
        'ID number: 036******678',
        'Date of birth: 10/03/1999',
        'Sex: Female',
        'Birth registered in: Ha Noi',
        'Hometown: Nam Dinh',
        'Nationality: Viet Nam',
        'Ethnicity, religion: see VNeID or the commune police.',
      ].join('\n'),
    ],
    [
      'lines keep their order whatever the list; one left out (vi, GSM-7)',
      ['religion', 'full_name', 'id_number', 'date_of_birth', 'sex', 'birth_registration_place', 'hometown', 'ethnicity'],
      VI_GSM,
      [
        'Ho ten: Nguyen Thi Minh Thu',
        'So dinh danh: 036******678',
        'Ngay sinh: 10/03/1999',
        'Gioi tinh: Nu',
        'Noi dang ky khai sinh: Ha Noi',
        'Que quan: Nam Dinh',
        'Dan toc: Kinh',
        'Ton giao: -',
        'Quoc tich: xem VNeID/cong an xa.',
      ].join('\n'),
    ],
  ])('%s', (_comment, fields, opts, text) => {
    expect(render({ kind: 'personal', citizen, fields }, opts).text).toBe(text);
  });

  it('does not say whether a left-out field has a value: the note is the same for a religion and for none', () => {
    const none = render({ kind: 'personal', citizen: { ...citizen, religion: null }, fields: DEFAULT_TT_FIELDS }, VI_GSM);
    const some = render({ kind: 'personal', citizen: { ...citizen, religion: 'Phật giáo' }, fields: DEFAULT_TT_FIELDS }, VI_GSM);
    expect(some.text).toBe(none.text);
    expect(some.text).not.toMatch(/Phat giao|Kinh/);
  });

  it('CT leaves out the temporary address when told to, and names it even when there is none', () => {
    const fields: readonly CtField[] = ['permanent_address', 'current_address'];
    const text = [
      'Thuong tru: So 12 ngo 34 pho Hang Bac, Hoan Kiem, Ha Noi',
      'Noi o hien tai: So 5 Nguyen Trai, Quan 5, TP Ho Chi Minh',
      'Tam tru: xem VNeID/cong an xa.',
    ].join('\n');
    expect(render({ kind: 'residence', citizen: { ...citizen, temporaryAddress: 'KTX' }, fields }, VI_GSM).text).toBe(text);
    expect(render({ kind: 'residence', citizen, fields }, VI_GSM).text).toBe(text);
  });

  it.each(ALL_OPTS)('keeps the note whole when long values must be cut (%o)', (opts) => {
    const long = 'Thôn Đông Hạ, xã Quảng Phú, huyện Quảng Điền, '.repeat(11).slice(0, 500);
    const all = { ...citizen, fullName: long, birthRegistrationPlace: long, hometown: long, nationality: long };
    const r = render({ kind: 'personal', citizen: all, fields: DEFAULT_TT_FIELDS }, opts);
    expect(r.text).toContain('...');
    expect(r.text.split('\n').at(-1)).toMatch(/^(Dân tộc|Dan toc|Ethnicity), (tôn giáo|ton giao|religion): .*\.$/);
  });
});

describe('residence', () => {
  it.each<[string, Partial<Citizen>, { lang: Lang; encoding: SmsEncoding }, string]>([
    // comment, overrides, options, exact text
    [
      'no temporary address: its line is omitted',
      {},
      VI_UNI,
      'Thường trú: Số 12 ngõ 34 phố Hàng Bạc, Hoàn Kiếm, Hà Nội\nNơi ở hiện tại: Số 5 Nguyễn Trãi, Quận 5, TP Hồ Chí Minh',
    ],
    [
      'with a temporary address (GSM-7)',
      { temporaryAddress: 'Phòng 3, KTX Bách Khoa' },
      VI_GSM,
      'Thuong tru: So 12 ngo 34 pho Hang Bac, Hoan Kiem, Ha Noi\nTam tru: Phong 3, KTX Bach Khoa\nNoi o hien tai: So 5 Nguyen Trai, Quan 5, TP Ho Chi Minh',
    ],
    [
      'English labels; a missing permanent address reads "-"',
      { permanentAddress: null },
      EN_GSM,
      'Permanent address: -\nCurrent address: So 5 Nguyen Trai, Quan 5, TP Ho Chi Minh',
    ],
  ])('%s', (_comment, overrides, opts, text) => {
    expect(render({ kind: 'residence', citizen: { ...citizen, ...overrides } }, opts).text).toBe(text);
  });
});

describe('card', () => {
  it.each<[string, Reply, { lang: Lang; encoding: SmsEncoding }, string]>([
    // comment, reply, options, exact text
    ['no card (vi)', { kind: 'card', status: { kind: 'none' } }, VI_UNI, 'Không có thẻ căn cước nào trong hồ sơ của bạn.'],
    ['no card (en)', { kind: 'card', status: { kind: 'none' } }, EN_GSM, 'You have no identity card on record.'],
    [
      'valid card (vi, Unicode)',
      { kind: 'card', status: { kind: 'card', issuedOn: '2021-09-10', expiresOn: '2030-08-20', expired: false } },
      VI_UNI,
      'Thẻ căn cước\nNgày cấp: 10/09/2021\nCó giá trị đến: 20/08/2030\nTình trạng: Còn hạn',
    ],
    [
      'expired card (vi, GSM-7)',
      { kind: 'card', status: { kind: 'card', issuedOn: '2022-06-15', expiresOn: '2025-11-02', expired: true } },
      VI_GSM,
      'The can cuoc\nNgay cap: 15/06/2022\nCo gia tri den: 02/11/2025\nTinh trang: Het han',
    ],
    [
      'card without expiry (vi)',
      { kind: 'card', status: { kind: 'card', issuedOn: '2020-01-01', expiresOn: null, expired: false } },
      VI_UNI,
      'Thẻ căn cước\nNgày cấp: 01/01/2020\nCó giá trị đến: Không thời hạn\nTình trạng: Còn hạn',
    ],
    [
      'card without expiry (en)',
      { kind: 'card', status: { kind: 'card', issuedOn: '2020-01-01', expiresOn: null, expired: false } },
      EN_GSM,
      'Identity card\nIssued: 01/01/2020\nValid until: no expiry\nStatus: valid',
    ],
    [
      'expired card (en)',
      { kind: 'card', status: { kind: 'card', issuedOn: '2022-06-15', expiresOn: '2025-11-02', expired: true } },
      EN_GSM,
      'Identity card\nIssued: 15/06/2022\nValid until: 02/11/2025\nStatus: expired',
    ],
  ])('%s', (_comment, reply, opts, text) => {
    expect(render(reply, opts).text).toBe(text);
  });
});

describe('history (LS)', () => {
  const at = (hour: number, minute = 5): number => Date.UTC(2025, 2, 12, hour, minute); // +7 in Vietnam
  const entry = (hour: number, outcome: Outcome, bySelf: boolean, command: AccessEntry['command'] = 'TT'): AccessEntry => ({
    at: at(hour),
    command,
    outcome,
    sender: bySelf ? '+84912345678' : '+84971234111',
    bySelf,
  });

  it.each<[string, AccessEntry[], number, { lang: Lang; encoding: SmsEncoding }, string]>([
    // comment, entries, total, options, exact text
    [
      'Vietnamese, GSM-7: heading, lines newest first, total',
      [entry(9, 'served', true), entry(8, 'refused', false, 'CC'), entry(1, 'rate_limited', false, 'LS')],
      7,
      VI_GSM,
      'Luot tra cuu gan day:\n12/03 16:05 TT da tra loi ban\n12/03 15:05 CC tu choi +8497***111\n12/03 08:05 LS qua gioi han +8497***111\nTong 30 ngay: 7',
    ],
    [
      'Vietnamese, Unicode',
      [entry(9, 'served', true), entry(8, 'locked', false)],
      2,
      VI_UNI,
      'Lượt tra cứu gần đây:\n12/03 16:05 TT đã trả lời bạn\n12/03 15:05 TT bị khóa +8497***111\nTổng 30 ngày: 2',
    ],
    [
      'English: English command names, "you", hyphenated outcomes',
      [entry(17, 'served', true, 'CT'), entry(16, 'rate_limited', false, 'LS')],
      12,
      EN_GSM,
      'Recent lookups:\n13/03 00:05 ADDR served you\n12/03 23:05 LOG rate-limited +8497***111\nTotal last 30 days: 12',
    ],
    ['no entries (vi)', [], 0, VI_UNI, 'Chưa có lượt tra cứu nào được ghi nhận.'],
    ['no entries (en)', [], 0, EN_GSM, 'No lookups of your record have been recorded.'],
  ])('%s', (_comment, entries, total30Days, opts, text) => {
    expect(render({ kind: 'history', entries, total30Days }, opts).text).toBe(text);
  });

  it('shows at most 5 entries, the first (newest) ones', () => {
    const entries = [10, 9, 8, 7, 6, 5, 4].map((h) => entry(h, 'served', true));
    const r = render({ kind: 'history', entries, total30Days: 7 }, VI_GSM);
    expect(r.text.split('\n').filter((l) => l.startsWith('12/03'))).toHaveLength(5);
    expect(r.text).toContain('12/03 17:05');
    expect(r.text).not.toContain('12/03 11:05'); // the 6th entry
  });

  it('Unicode: drops the heading before dropping any entry', () => {
    const entries = [5, 4, 3, 2, 1].map((h) => entry(h, 'served', false));
    const r = render({ kind: 'history', entries, total30Days: 5 }, VI_UNI);
    expect(r.text).not.toContain('Lượt tra cứu gần đây');
    expect(r.text.split('\n')).toHaveLength(6); // 5 entries and the total
  });

  it('Unicode: drops the oldest entries and says how many when even that is too long', () => {
    const entries = [5, 4, 3, 2, 1].map((h) => entry(h, 'rate_limited', false));
    const r = render({ kind: 'history', entries, total30Days: 9 }, VI_UNI);
    expect(r.text).toContain('12/03 12:05'); // the newest stays
    expect(r.text).not.toContain('12/03 08:05'); // the oldest went
    expect(r.text).toContain('(+1 lượt cũ hơn)');
    expect(r.text).toMatch(/Tổng 30 ngày: 9$/);
  });

  it.each<[string, string | undefined, boolean]>([
    ['undelivered', 'undelivered', true],
    ['failed', 'failed', true],
    ['passes: delivered', 'delivered', false],
    ['passes: sent (not yet known)', 'sent', false],
    ['passes: no status reported', undefined, false],
  ])('marks an entry whose reply was never delivered: %s', (_comment, delivery, marked) => {
    const e = { ...entry(9, 'served', false), ...(delivery === undefined ? {} : { delivery }) };
    expect(render({ kind: 'history', entries: [e], total30Days: 1 }, EN_GSM).text).toBe(
      `Recent lookups:\n12/03 16:05 INFO served +8497***111${marked ? ' (not delivered)' : ''}\nTotal last 30 days: 1`,
    );
    expect(render({ kind: 'history', entries: [e], total30Days: 1 }, VI_UNI).text.includes('(không đến máy)')).toBe(marked);
  });

  it.each([VI_GSM, VI_UNI, EN_GSM, EN_UNI])('keeps 5 marked entries within 3 segments, the newest marked (%o)', (opts) => {
    const entries = [5, 4, 3, 2, 1].map((h) => ({ ...entry(h, 'rate_limited', false, 'LS'), delivery: 'failed' }));
    const r = render({ kind: 'history', entries, total30Days: 99 }, opts);
    expect(r.segments).toBeLessThanOrEqual(3);
    const newest = r.text.split('\n').find((l) => l.startsWith('12/03 12:05'));
    expect(newest).toMatch(/\((not delivered|khong den may|không đến máy)\)$/);
  });

  it("never shows a full phone number, even the citizen's own", () => {
    const r = render({ kind: 'history', entries: [entry(1, 'served', false), entry(2, 'served', true)], total30Days: 2 }, EN_GSM);
    expect(r.text).not.toContain('+84971234111');
    expect(r.text).not.toContain('+84912345678');
  });
});

describe('budget: long values are cut with "..." to fit 3 segments', () => {
  const long = 'Thôn Đông Hạ, xã Quảng Phú, huyện Quảng Điền, '.repeat(11).slice(0, 500); // 500 chars
  it.each<[string, Reply, { lang: Lang; encoding: SmsEncoding }]>([
    // comment, reply, options
    ['500-char permanent address, vi GSM-7', { kind: 'residence', citizen: { ...citizen, permanentAddress: long } }, VI_GSM],
    ['500-char permanent address, vi Unicode', { kind: 'residence', citizen: { ...citizen, permanentAddress: long } }, VI_UNI],
    [
      'three 500-char addresses, en GSM-7',
      { kind: 'residence', citizen: { ...citizen, permanentAddress: long, temporaryAddress: long, currentAddress: long } },
      EN_GSM,
    ],
    [
      'three 500-char addresses, en Unicode',
      { kind: 'residence', citizen: { ...citizen, permanentAddress: long, temporaryAddress: long, currentAddress: long } },
      EN_UNI,
    ],
    ['500-char name, vi GSM-7', { kind: 'personal', citizen: { ...citizen, fullName: long } }, VI_GSM],
    ['500-char name, vi Unicode', { kind: 'personal', citizen: { ...citizen, fullName: long } }, VI_UNI],
    [
      'every personal field 500 chars, vi Unicode',
      {
        kind: 'personal',
        citizen: {
          ...citizen,
          fullName: long,
          birthRegistrationPlace: long,
          hometown: long,
          ethnicity: long,
          religion: long,
          nationality: long,
        },
      },
      VI_UNI,
    ],
    [
      'extension characters (2 septets each), GSM-7',
      { kind: 'residence', citizen: { ...citizen, permanentAddress: '{[~]}'.repeat(100) } },
      VI_GSM,
    ],
    ['emoji (surrogate pairs), Unicode', { kind: 'residence', citizen: { ...citizen, permanentAddress: '🏠'.repeat(300) } }, VI_UNI],
  ])('%s', (_comment, reply, opts) => {
    const r = render(reply, opts);
    expect(r.segments).toBeLessThanOrEqual(3);
    expect(r.text).toContain('...');
    expect(r.text).not.toMatch(/[\ud800-\udfff]/u); // no surrogate pair cut in half
  });

  it('keeps every label and the short values whole', () => {
    const r = render({ kind: 'residence', citizen: { ...citizen, permanentAddress: long, temporaryAddress: long } }, VI_UNI);
    const lines = r.text.split('\n');
    expect(lines[0]).toMatch(/^Thường trú: Thôn Đông Hạ.*\.\.\.$/);
    expect(lines[1]).toMatch(/^Tạm trú: Thôn Đông Hạ.*\.\.\.$/);
    expect(lines[2]).toBe('Nơi ở hiện tại: Số 5 Nguyễn Trãi, Quận 5, TP Hồ Chí Minh'); // short: not cut
  });

  it('cuts the longest values to a common length (water-filling)', () => {
    const r = render({ kind: 'residence', citizen: { ...citizen, permanentAddress: long, temporaryAddress: long } }, VI_GSM);
    const [perm, temp] = r.text.split('\n');
    expect(perm?.slice('Thuong tru: '.length).length).toBe(temp?.slice('Tam tru: '.length).length);
  });

  it('keeps the name whole while cutting places is enough (Unicode)', () => {
    const places = 'Xã Hải Xuân, Huyện Hải Hậu, Tỉnh Nam Định';
    const r = render({ kind: 'personal', citizen: { ...citizen, birthRegistrationPlace: places, hometown: places } }, VI_UNI);
    expect(r.text).toContain('Họ tên: Nguyễn Thị Minh Thử\n');
    expect(r.text).toContain('...');
    expect(r.segments).toBe(3);
  });

  it('passes: a reply that fits is not cut', () => {
    const r = render({ kind: 'residence', citizen }, VI_GSM);
    expect(r.text).not.toContain('...');
  });

  it('the GSM-7 reply of a long value is the transliteration of the cut (no diacritics left)', () => {
    const r = render({ kind: 'residence', citizen: { ...citizen, permanentAddress: long } }, VI_GSM);
    expect(r.text).toBe(toGsm7(r.text));
  });
});
