/**
 * GSM 03.38 (3GPP TS 23.038) alphabet: transliteration to it, membership and segment counting.
 *
 * - Basic table (1 septet each, 127 characters; the escape code 0x1B is not a character):
 *   `@£$¥èéùìòÇ` LF `Øø` CR `ÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà`.
 *   Note: `` ` `` (backtick) is NOT in it; `"`, `'`, `&`, `<`, `>`, `@`, `$`, `_` are.
 * - Extension table (escape + character, 2 septets each): form feed `^{}\[~]|€`.
 *
 * Everything outside both tables (every Vietnamese letter with a diacritic, `đ`, emoji, CJK...)
 * forces the whole message into UCS-2.
 */

/** The GSM 03.38 basic character set, in table order. */
export const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' + '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The GSM 03.38 extension table (each costs an escape septet plus itself). */
export const GSM7_EXTENSION = '\f^{}\\[~]|€';

/** Septets per segment: a single SMS, and each part of a concatenated one (UDH takes 7). */
export const GSM7_SINGLE = 160;
export const GSM7_PART = 153;
/** UTF-16 code units per segment for UCS-2: single and concatenated. */
export const UCS2_SINGLE = 70;
export const UCS2_PART = 67;

/** Lookup by code point: 0 = not GSM-7, 1 = basic table, 2 = extension table. Covers up to `€`. */
const TABLE = new Uint8Array(0x20ad);
for (const ch of GSM7_BASIC) TABLE[ch.codePointAt(0) ?? 0] = 1;
for (const ch of GSM7_EXTENSION) TABLE[ch.codePointAt(0) ?? 0] = 2;

/**
 * Septets one character (code point) costs in GSM-7: 1 in the basic table, 2 in the extension
 * table, 0 when it is not in the alphabet.
 */
export function gsm7Septets(codePoint: number): number {
  return codePoint < TABLE.length ? (TABLE[codePoint] ?? 0) : 0;
}

/**
 * Replacements for common characters that have a GSM-7 look-alike. Applied after NFKD, which
 * already turns `…` into `...`, `″` into two `′`, no-break spaces into spaces.
 */
const LOOK_ALIKES: ReadonlyMap<string, string> = new Map([
  ['đ', 'd'],
  ['Đ', 'D'],
  ['ð', 'd'],
  ['Ð', 'D'],
  ['ł', 'l'],
  ['Ł', 'L'],
  ['ı', 'i'],
  ['‘', "'"],
  ['’', "'"],
  ['‚', "'"],
  ['‛', "'"],
  ['′', "'"],
  ['`', "'"],
  ['“', '"'],
  ['”', '"'],
  ['„', '"'],
  ['‟', '"'],
  ['«', '"'],
  ['»', '"'],
  ['‐', '-'],
  ['‒', '-'],
  ['–', '-'],
  ['—', '-'],
  ['―', '-'],
  ['−', '-'],
  ['⁄', '/'],
  ['•', '-'],
  ['·', '.'],
  ['\t', ' '],
  ['\v', ' '],
  ['\u2028', '\n'],
  ['\u2029', '\n'],
]);

/** Combining marks (diacritics after decomposition) and invisible format characters. */
const MARKS_AND_FORMAT = /[\p{M}\p{Cf}]/gu;
/** Text that is already plain GSM-7-safe ASCII (printable ASCII minus backtick, plus CR/LF). */
const PLAIN_ASCII = /^[\n\r\x20-\x5f\x61-\x7e]*$/;

/**
 * Transliterates text to the GSM-7 alphabet so it can be sent as cheap 160-character segments.
 *
 * Steps: NFKD (compatibility decomposition: splits `ế` into `e` + marks, turns `…` into `...`,
 * full-width letters and no-break spaces into ASCII); drop every combining mark and invisible
 * format character (zero-width spaces, joiners, direction marks); map look-alikes (`đ`->`d`,
 * curly quotes -> straight, dashes -> `-`, tab -> space, backtick -> `'`); replace any other
 * character outside the basic and extension tables with `?` (one per code point).
 *
 * ALL diacritics are removed, including those GSM-7 could carry (`é` -> `e`, `Ç` -> `C`), so the
 * output is predictable plain Latin. Letters that do not decompose and are in GSM-7 (`Ø`, `æ`,
 * `ß`, Greek capitals) are kept. The result always satisfies {@link isGsm7}.
 */
export function toGsm7(text: string): string {
  if (PLAIN_ASCII.test(text)) return text;
  const stripped = text.normalize('NFKD').replace(MARKS_AND_FORMAT, '');
  if (PLAIN_ASCII.test(stripped)) return stripped; // the usual Vietnamese case without đ
  let out = '';
  let from = 0; // start of the run of characters kept as they are
  for (let i = 0; i < stripped.length; i += 1) {
    const code = stripped.charCodeAt(i);
    if (code >= 0x20 && code < 0x7f && code !== 0x60) continue; // printable ASCII but backtick
    const cp = stripped.codePointAt(i) ?? code;
    const width = cp > 0xffff ? 2 : 1;
    const ch = stripped.slice(i, i + width);
    const alike = LOOK_ALIKES.get(ch);
    const replacement = alike ?? (gsm7Septets(cp) > 0 ? undefined : '?');
    if (replacement !== undefined) {
      out += stripped.slice(from, i) + replacement;
      from = i + width;
    }
    i += width - 1;
  }
  return out + stripped.slice(from);
}

/** Septets of one UTF-16 unit (every GSM-7 character is in the BMP; surrogates are not GSM-7). */
function unitSeptets(code: number): number {
  return code < TABLE.length ? (TABLE[code] ?? 0) : 0;
}

function isHighSurrogatePair(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  const next = text.charCodeAt(i + 1);
  return c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
}

function isGsm7Normalized(nfc: string): boolean {
  for (let i = 0; i < nfc.length; i += 1) if (unitSeptets(nfc.charCodeAt(i)) === 0) return false;
  return true;
}

/** True when every character of the (NFC-normalised) text is in the GSM-7 basic or extension table. */
export function isGsm7(text: string): boolean {
  return isGsm7Normalized(text.normalize('NFC'));
}

/**
 * Septets the (NFC-normalised) text takes in GSM-7: 1 per basic character, 2 per extension
 * character (`{}[]~^|€\` and form feed). A character outside GSM-7 counts 1, as the `?` it would
 * become; check {@link isGsm7} (or use {@link countSegments}) to know whether GSM-7 applies at all.
 */
export function gsm7Length(text: string): number {
  const nfc = text.normalize('NFC');
  let n = 0;
  for (let i = 0; i < nfc.length; i += 1) {
    n += unitSeptets(nfc.charCodeAt(i)) || 1;
    if (isHighSurrogatePair(nfc, i)) i += 1;
  }
  return n;
}

/** How a text is sent: its encoding, number of SMS segments, and length in that encoding's units. */
export interface SegmentCount {
  encoding: 'GSM-7' | 'UCS-2';
  /** SMS segments needed; 0 for an empty text. */
  segments: number;
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
}

/**
 * Counts the segments a text needs, after NFC normalisation.
 *
 * GSM-7 when every character is in the GSM-7 tables: up to 160 septets is one segment, otherwise
 * segments of 153. UCS-2 otherwise: up to 70 UTF-16 units is one segment, otherwise segments of 67.
 * Concatenated parts are packed greedily without splitting an escape sequence (extension
 * character) or a surrogate pair across two segments, as handsets and Twilio do; so the count can
 * be one more than `ceil(units / 153)` (or `/ 67`) near a boundary, never less.
 */
export function countSegments(text: string): SegmentCount {
  const nfc = text.normalize('NFC');
  const gsm = isGsm7Normalized(nfc);
  const single = gsm ? GSM7_SINGLE : UCS2_SINGLE;
  const part = gsm ? GSM7_PART : UCS2_PART;
  let units = 0;
  let segments = 0;
  let fill = part; // units used in the current part; starts "full" so the first character opens one
  for (let i = 0; i < nfc.length; i += 1) {
    let size: number;
    if (gsm) size = unitSeptets(nfc.charCodeAt(i));
    else if (isHighSurrogatePair(nfc, i)) {
      size = 2;
      i += 1;
    } else size = 1;
    units += size;
    if (fill + size > part) {
      segments += 1;
      fill = size;
    } else {
      fill += size;
    }
  }
  if (units <= single) segments = units === 0 ? 0 : 1;
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', segments, units };
}
