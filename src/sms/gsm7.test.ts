// Table-driven tests for the GSM 03.38 helpers: transliteration, membership, length, segments.
import { describe, expect, it } from 'vitest';
import { countSegments, GSM7_BASIC, GSM7_EXTENSION, gsm7Length, gsm7Septets, isGsm7, toGsm7, type SegmentCount } from './gsm7.js';

describe('the GSM 03.38 tables', () => {
  it('has 127 distinct basic characters (128 codes minus the escape) and 10 extension ones', () => {
    expect(new Set(GSM7_BASIC).size).toBe(127);
    expect(GSM7_BASIC.length).toBe(127);
    expect(new Set(GSM7_EXTENSION).size).toBe(10);
  });

  it.each([
    // comment, character, septets
    ['@ is code 0x00', '@', 1],
    ['double quote is basic', '"', 1],
    ['apostrophe is basic', "'", 1],
    ['ampersand is basic', '&', 1],
    ['less-than is basic', '<', 1],
    ['greater-than is basic', '>', 1],
    ['underscore is basic', '_', 1],
    ['é is basic (but toGsm7 still strips it)', 'é', 1],
    ['Ç (capital) is basic', 'Ç', 1],
    ['Greek capital delta is basic', 'Δ', 1],
    ['euro sign is extension', '€', 2],
    ['backslash is extension', '\\', 2],
    ['caret is extension', '^', 2],
    ['form feed is extension', '\f', 2],
    ['fails: backtick is in neither table', '`', 0],
    ['fails: ç (small) is not GSM-7', 'ç', 0],
    ['fails: tab is not GSM-7', '\t', 0],
    ['fails: đ is not GSM-7', 'đ', 0],
    ['fails: ệ is not GSM-7', 'ệ', 0],
    ['fails: the escape code itself is not a character', '\u001b', 0],
  ])('%s', (_comment, ch, septets) => {
    expect(gsm7Septets(ch.codePointAt(0) ?? 0)).toBe(septets);
  });
});

describe('toGsm7', () => {
  it.each([
    // comment, input, output
    ['Vietnamese name', 'Nguyễn Văn Đức', 'Nguyen Van Duc'],
    ['Vietnamese place', 'Thừa Thiên Huế', 'Thua Thien Hue'],
    ['đ and Đ', 'Đắk Lắk, đường', 'Dak Lak, duong'],
    ['every tone on a', 'à á ả ã ạ ă ằ ắ ẳ ẵ ặ â ầ ấ ẩ ẫ ậ', 'a a a a a a a a a a a a a a a a a'],
    ['ơ and ư', 'Ơ ơ Ư ư', 'O o U u'],
    ['decomposed input (NFD) too', 'Nguye\u0302\u0303n', 'Nguyen'],
    ['curly single quotes', '‘it’s’', "'it's'"],
    ['curly double quotes', '“Hà Nội”', '"Ha Noi"'],
    ['en and em dashes', 'a – b — c', 'a - b - c'],
    ['ellipsis character', 'chờ…', 'cho...'],
    ['all diacritics go, even GSM-7 ones', 'café Ç Ñ ü à', 'cafe C N u a'],
    ['non-decomposable GSM-7 letters stay', 'Øre Æ æ ß Δ', 'Øre Æ æ ß Δ'],
    ['full-width letters', 'ＴＴ１２', 'TT12'],
    ['no-break space', 'a\u00a0b', 'a b'],
    ['tab becomes a space', 'a\tb', 'a b'],
    ['backtick becomes an apostrophe', 'a`b', "a'b"],
    ['GSM-7 specials stay', '<&>"\'@$_£¥§¿¡', '<&>"\'@$_£¥§¿¡'],
    ['extension characters stay', '€{}[]~^|\\', '€{}[]~^|\\'],
    ['newlines stay', 'a\nb\r\nc', 'a\nb\r\nc'],
    ['zero-width space is dropped', 'a\u200bb', 'ab'],
    ['emoji become ?', 'ok 🙂', 'ok ?'],
    ['emoji with skin tone: two code points', '👍🏽', '??'],
    ['ZWJ family: joiners dropped, one ? per person', '👨‍👩‍👧', '???'],
    ['CJK becomes ?', 'x中y', 'x?y'],
    ['a C0 control becomes ?', 'a\u0001b', 'a?b'],
    ['empty string', '', ''],
    ['plain ASCII is returned as is', 'TT 001099012345', 'TT 001099012345'],
  ])('%s', (_comment, input, output) => {
    expect(toGsm7(input)).toBe(output);
    expect(isGsm7(output)).toBe(true);
  });
});

describe('isGsm7', () => {
  it.each([
    // comment, text, expected
    ['ASCII letters and digits', 'Hello 123', true],
    ['GSM-7 accented letters', 'èéùìòÇÄÖÑÜäöñüà', true],
    ['extension characters', '{}[]~^|€\\\f', true],
    ['Greek capitals', 'ΔΦΓΛΩΠΨΣΘΞ', true],
    ['é decomposed is é after NFC', 'e\u0301', true],
    ['the empty string', '', true],
    ['fails: one Vietnamese letter', 'Viet Nam ệ', false],
    ['fails: đ', 'đ', false],
    ['fails: â (not in GSM-7)', 'â', false],
    ['fails: backtick', '`', false],
    ['fails: emoji', '🙂', false],
    ['fails: tab', '\t', false],
  ])('%s', (_comment, text, expected) => {
    expect(isGsm7(text)).toBe(expected);
  });
});

describe('gsm7Length', () => {
  it.each([
    // comment, text, septets
    ['basic characters count 1', 'abc', 3],
    ['braces count 2 each', '{}', 4],
    ['euro counts 2', '€', 2],
    ['form feed counts 2', 'a\fb', 4],
    ['mixed', 'Gia: 10€ [x]', 15],
    ['NFC first: e + combining acute is one é', 'e\u0301', 1],
    ['a non-GSM-7 character counts 1 (as its ?)', '🙂', 1],
    ['empty', '', 0],
  ])('%s', (_comment, text, septets) => {
    expect(gsm7Length(text)).toBe(septets);
  });
});

describe('countSegments', () => {
  const gsm = (segments: number, units: number): SegmentCount => ({ encoding: 'GSM-7', segments, units });
  const ucs = (segments: number, units: number): SegmentCount => ({ encoding: 'UCS-2', segments, units });
  it.each([
    // comment, text, expected
    ['empty text needs no segment', '', gsm(0, 0)],
    ['160 GSM-7 characters fit one segment', 'a'.repeat(160), gsm(1, 160)],
    ['fails: 161 need two (153 each)', 'a'.repeat(161), gsm(2, 161)],
    ['306 fit two', 'a'.repeat(306), gsm(2, 306)],
    ['fails: 307 need three', 'a'.repeat(307), gsm(3, 307)],
    ['459 fit three', 'a'.repeat(459), gsm(3, 459)],
    ['fails: 460 need four', 'a'.repeat(460), gsm(4, 460)],
    ['80 euros are 160 septets: one segment', '€'.repeat(80), gsm(1, 160)],
    ['fails: 81 euros are 162 septets: two', '€'.repeat(81), gsm(2, 162)],
    ['an escape sequence is not split across segments', `${'a'.repeat(152)}€${'a'.repeat(152)}`, gsm(3, 306)],
    ['70 Vietnamese letters fit one UCS-2 segment', 'ệ'.repeat(70), ucs(1, 70)],
    ['fails: 71 need two (67 each)', 'ệ'.repeat(71), ucs(2, 71)],
    ['134 fit two', 'ệ'.repeat(134), ucs(2, 134)],
    ['fails: 135 need three', 'ệ'.repeat(135), ucs(3, 135)],
    ['201 fit three', 'ệ'.repeat(201), ucs(3, 201)],
    ['fails: 202 need four', 'ệ'.repeat(202), ucs(4, 202)],
    ['one Vietnamese letter switches everything to UCS-2', `${'a'.repeat(100)}đ`, ucs(2, 101)],
    ['NFC first: decomposed ệ counts once', 'e\u0302\u0323'.repeat(70), ucs(1, 70)],
    ['NFC first: decomposed é is GSM-7', 'e\u0301'.repeat(160), gsm(1, 160)],
    ['emoji count 2 UTF-16 units: 35 fit one segment', '🙂'.repeat(35), ucs(1, 70)],
    ['fails: one more unit needs two', `a${'🙂'.repeat(35)}`, ucs(2, 71)],
    ['a surrogate pair is not split across segments', `${'a'.repeat(66)}🙂${'a'.repeat(66)}`, ucs(3, 134)],
  ])('%s', (_comment, text, expected) => {
    expect(countSegments(text)).toEqual(expected);
  });
});
