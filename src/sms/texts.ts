/**
 * Every fixed word the bot sends, in Vietnamese (with diacritics; transliterated for GSM-7 at
 * render time) and in English.
 */
import type { Sex } from '../citizens/types.js';
import type { LookupCommand, Outcome } from '../audit/types.js';
import type { CtField, TtField } from './replyFields.js';
import type { Lang } from './types.js';

/** The example ID used in help and usage texts. */
export const EXAMPLE_ID = '001099012345';

/** Fixed text before and after one dynamic value. */
export type Around = readonly [before: string, after: string];

export interface Texts {
  keywords: Record<LookupCommand, string>;
  describe: Record<LookupCommand, string>;
  help: string;
  usage: (keyword: string, description: string) => string;
  refused: string;
  /** Text before and after the `HH:MM` time. */
  rateLimited: Around;
  /** Text before and after the `HH:MM dd/mm` time. */
  locked: Around;
  optedIn: string;
  missing: string;
  /** Each field's name inside a sentence (the note on fields left out). */
  fieldNames: Record<TtField | CtField, string>;
  /**
   * The last line of a reply that leaves fields out: names them (the list starts with a capital),
   * and where to see them instead. Short: a `TT` reply in UCS-2 must still fit 3 segments.
   */
  omitted: (names: string) => string;
  personal: {
    name: string;
    id: string;
    dateOfBirth: string;
    sex: string;
    birthPlace: string;
    hometown: string;
    ethnicity: string;
    religion: string;
    nationality: string;
  };
  sexes: Record<Sex, string>;
  residence: { permanent: string; temporary: string; current: string };
  card: {
    none: string;
    heading: string;
    issued: string;
    validUntil: string;
    noExpiry: string;
    status: string;
    valid: string;
    expired: string;
  };
  history: {
    heading: string;
    none: string;
    self: string;
    /** Text before and after the 30-day count. */
    total: Around;
    /** Text before and after the number of entries left out. */
    older: Around;
    outcomes: Record<Outcome, string>;
    /** Appended to an entry whose reply Twilio reported undelivered or failed (never reached the handset). */
    undelivered: string;
  };
}

export const TEXTS: Readonly<Record<Lang, Texts>> = {
  vi: {
    keywords: { TT: 'TT', CT: 'CT', CC: 'CC', LS: 'LS' },
    describe: { TT: 'thông tin cá nhân', CT: 'nơi cư trú', CC: 'thẻ căn cước', LS: 'lịch sử tra cứu' },
    help:
      'Gửi TT (thông tin cá nhân), CT (cư trú), CC (thẻ căn cước) hoặc LS (lịch sử tra cứu) ' +
      `kèm số định danh 12 số. VD: TT ${EXAMPLE_ID}`,
    usage: (kw, what) => `Lệnh ${kw} (${what}) cần số định danh 12 số. VD: ${kw} ${EXAMPLE_ID}`,
    refused: 'Không thể tra cứu. Số định danh không đúng hoặc số điện thoại này chưa được đăng ký cho số định danh đó.',
    rateLimited: ['Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau ', '.'],
    locked: ['Tra cứu tạm thời bị khóa đến ', '.'],
    optedIn: 'Bạn sẽ nhận lại tin trả lời. Gửi HD để xem hướng dẫn.',
    missing: '-',
    fieldNames: {
      full_name: 'họ tên',
      id_number: 'số định danh',
      date_of_birth: 'ngày sinh',
      sex: 'giới tính',
      birth_registration_place: 'nơi đăng ký khai sinh',
      hometown: 'quê quán',
      ethnicity: 'dân tộc',
      religion: 'tôn giáo',
      nationality: 'quốc tịch',
      permanent_address: 'thường trú',
      temporary_address: 'tạm trú',
      current_address: 'nơi ở hiện tại',
    },
    omitted: (names) => `${names}: xem VNeID/công an xã.`,
    personal: {
      name: 'Họ tên',
      id: 'Số định danh',
      dateOfBirth: 'Ngày sinh',
      sex: 'Giới tính',
      birthPlace: 'Nơi đăng ký khai sinh',
      hometown: 'Quê quán',
      ethnicity: 'Dân tộc',
      religion: 'Tôn giáo',
      nationality: 'Quốc tịch',
    },
    sexes: { M: 'Nam', F: 'Nữ' },
    residence: { permanent: 'Thường trú', temporary: 'Tạm trú', current: 'Nơi ở hiện tại' },
    card: {
      none: 'Không có thẻ căn cước nào trong hồ sơ của bạn.',
      heading: 'Thẻ căn cước',
      issued: 'Ngày cấp',
      validUntil: 'Có giá trị đến',
      noExpiry: 'Không thời hạn',
      status: 'Tình trạng',
      valid: 'Còn hạn',
      expired: 'Hết hạn',
    },
    history: {
      heading: 'Lượt tra cứu gần đây:',
      none: 'Chưa có lượt tra cứu nào được ghi nhận.',
      self: 'bạn',
      total: ['Tổng 30 ngày: ', ''],
      older: ['(+', ' lượt cũ hơn)'],
      outcomes: {
        served: 'đã trả lời',
        refused: 'từ chối',
        rate_limited: 'quá giới hạn',
        locked: 'bị khóa',
        help: 'hướng dẫn',
        opted_out: 'hủy nhận tin',
        no_reply: 'không trả lời',
      },
      undelivered: '(không đến máy)',
    },
  },
  en: {
    keywords: { TT: 'INFO', CT: 'ADDR', CC: 'CARD', LS: 'LOG' },
    describe: { TT: 'personal data', CT: 'residence', CC: 'identity card', LS: 'lookup history' },
    help:
      'Send INFO (personal data), ADDR (residence), CARD (ID card) or LOG (lookup history) ' +
      `+ your 12-digit ID, e.g. INFO ${EXAMPLE_ID}. Also TT, CT, CC, LS.`,
    usage: (kw, what) => `${kw} (${what}) needs your 12-digit ID number, e.g. ${kw} ${EXAMPLE_ID}`,
    refused: 'Lookup not possible: either the ID number is wrong or this phone number is not registered for that ID number.',
    rateLimited: ['Too many requests. Please try again after ', '.'],
    locked: ['Lookups are locked until ', '.'],
    optedIn: 'You will receive replies again. Send HELP for the list of commands.',
    missing: '-',
    fieldNames: {
      full_name: 'name',
      id_number: 'ID number',
      date_of_birth: 'date of birth',
      sex: 'sex',
      birth_registration_place: 'birth registration',
      hometown: 'hometown',
      ethnicity: 'ethnicity',
      religion: 'religion',
      nationality: 'nationality',
      permanent_address: 'permanent address',
      temporary_address: 'temporary address',
      current_address: 'current address',
    },
    omitted: (names) => `${names}: see VNeID or the commune police.`,
    personal: {
      name: 'Name',
      id: 'ID number',
      dateOfBirth: 'Date of birth',
      sex: 'Sex',
      birthPlace: 'Birth registered in',
      hometown: 'Hometown',
      ethnicity: 'Ethnicity',
      religion: 'Religion',
      nationality: 'Nationality',
    },
    sexes: { M: 'Male', F: 'Female' },
    residence: { permanent: 'Permanent address', temporary: 'Temporary address', current: 'Current address' },
    card: {
      none: 'You have no identity card on record.',
      heading: 'Identity card',
      issued: 'Issued',
      validUntil: 'Valid until',
      noExpiry: 'no expiry',
      status: 'Status',
      valid: 'valid',
      expired: 'expired',
    },
    history: {
      heading: 'Recent lookups:',
      none: 'No lookups of your record have been recorded.',
      self: 'you',
      total: ['Total last 30 days: ', ''],
      older: ['(+', ' older)'],
      outcomes: {
        served: 'served',
        refused: 'refused',
        rate_limited: 'rate-limited',
        locked: 'locked',
        help: 'help',
        opted_out: 'opted-out',
        no_reply: 'no-reply',
      },
      undelivered: '(not delivered)',
    },
  },
};
