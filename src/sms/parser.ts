/**
 * Inbound SMS body -> {@link ParsedMessage}. Pure, never throws, linear in the input length.
 *
 * Grammar, applied to the first {@link MAX_BODY_CHARS} characters after clean-up:
 *
 *     body     = opt-word | "?" anything | help-kw [anything] | lookup-kw sep* id trail*
 *     opt-word = STOP | STOPALL | UNSUBSCRIBE | CANCEL | END | QUIT | REVOKE | OPTOUT   (opt_out)
 *              | START | YES | UNSTOP                                               (opt_in)
 *     help-kw  = HD (vi) | HELP (en)           a whole word: HELPFUL is not help
 *     lookup-kw= TT | CT | CC | LS (vi) | INFO | ADDR | CARD | LOG (en)   a whole word, or glued
 *                to the digits (TT001099012345)
 *     id       = 12 digits, optionally grouped by spaces, dots or dashes (001.099.012.345)
 *     sep      = whitespace or punctuation between keyword and ID (`TT: 001...`)
 *     trail    = whitespace or punctuation at the end (`TT 001099012345.`)
 *
 * Clean-up: NFKC (full-width `ＴＴ００１…` and ideographic spaces become `TT001…`); whitespace
 * control characters become spaces; other control and invisible format characters (NUL,
 * zero-width spaces/joiners, BOM, direction marks and isolates, soft hyphen) are removed;
 * whitespace runs collapse to one space; leading/trailing space is trimmed. Keywords match in
 * any case with Vietnamese diacritics ignored (`Hđ`, `HĐ`, `hd` are all HD). Opt words are
 * compared after clean-up too (so `ＳＴＯＰ` and ` stop ` opt out), but not diacritic-folded.
 *
 * Decisions:
 * - Opt-out/opt-in words must be the whole message (any case); `STOP please` is not an opt-out.
 * - A message whose first word is a lookup keyword is `malformed` (never `help`) when what follows
 *   is not exactly one 12-digit ID: missing ID, wrong digit count, or any other text/emoji
 *   (`TT 001099012345 🙂`, `TT 001099012345 please`). The reply then shows that command's usage.
 * - Anything before the keyword, including emoji or quotes (`🙂 TT 001099012345`), makes the
 *   message unknown -> help (vi).
 * - `INFO` alone (Twilio's default HELP synonym) is the English TT keyword without an ID, so it is
 *   `malformed` TT (en), whose usage reply explains it.
 * - Reasons in `malformed` never contain the digits sent (they may be logged).
 */
import type { LookupCommand } from '../audit/types.js';
import type { Lang, ParsedMessage } from './types.js';

/** Twilio's maximum inbound body; anything after it is ignored. */
export const MAX_BODY_CHARS = 1600;

const OPT_OUT: ReadonlySet<string> = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const OPT_IN: ReadonlySet<string> = new Set(['START', 'YES', 'UNSTOP']);

const LOOKUP_KEYWORDS: ReadonlyMap<string, { command: LookupCommand; lang: Lang }> = new Map([
  ['TT', { command: 'TT', lang: 'vi' }],
  ['CT', { command: 'CT', lang: 'vi' }],
  ['CC', { command: 'CC', lang: 'vi' }],
  ['LS', { command: 'LS', lang: 'vi' }],
  ['INFO', { command: 'TT', lang: 'en' }],
  ['ADDR', { command: 'CT', lang: 'en' }],
  ['CARD', { command: 'CC', lang: 'en' }],
  ['LOG', { command: 'LS', lang: 'en' }],
]);

const HELP_KEYWORDS: ReadonlyMap<string, Lang> = new Map([
  ['HD', 'vi'],
  ['HELP', 'en'],
]);

/** The number of digits in a personal identification number. */
const ID_DIGITS = 12;

// All patterns are single character classes or anchored runs of one class: linear time.
/** Whitespace-like control characters (tab, LF, VT, FF, CR, NEL) and line/paragraph separators. */
const SPACE_CONTROLS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
/** Remaining control (Cc) and invisible format (Cf) characters: NUL, ZWSP/ZWNJ/ZWJ, BOM, bidi. */
const INVISIBLES = /[\p{Cc}\p{Cf}]/gu;
const WHITESPACE_RUN = /\s+/g;
const COMBINING_MARKS = /\p{M}/gu;
const D_STROKE = /[đĐ]/g;
/** The leading word (letters only) and everything after it. */
const LEADING_WORD = /^(\p{L}*)(.*)$/su;
/** One whitespace or punctuation character. */
const SEPARATOR = /[\s\p{P}]/u;

/** NFKC, invisible characters removed, whitespace collapsed and trimmed. */
function clean(body: string): string {
  return body.normalize('NFKC').replace(SPACE_CONTROLS, ' ').replace(INVISIBLES, '').replace(WHITESPACE_RUN, ' ').trim();
}

/** Upper case without Vietnamese (or any) diacritics: `Hđ` -> `HD`, `tt` -> `TT`. */
function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .replace(D_STROKE, (c) => (c === 'đ' ? 'd' : 'D'))
    .toUpperCase();
}

function isSeparator(ch: string): boolean {
  return SEPARATOR.test(ch);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Reads the ID after a lookup keyword: 12 digits, or the reason it is not one. */
function readId(rest: string): { ok: true; idNumber: string } | { ok: false; reason: string } {
  let start = 0;
  let end = rest.length;
  while (start < end && isSeparator(rest.charAt(start))) start += 1;
  while (end > start && isSeparator(rest.charAt(end - 1))) end -= 1;
  if (start === end) return { ok: false, reason: 'missing id' };
  let digits = '';
  for (let i = start; i < end; i += 1) {
    const code = rest.charCodeAt(i);
    if (isDigit(code)) digits += rest.charAt(i);
    else if (code !== 0x20 && code !== 0x2e && code !== 0x2d) {
      return { ok: false, reason: 'unexpected characters in id' };
    }
  }
  if (digits.length !== ID_DIGITS) return { ok: false, reason: `id has ${digits.length} digits, expected ${ID_DIGITS}` };
  return { ok: true, idNumber: digits };
}

/**
 * Parses an inbound SMS body. Never throws (a non-string is treated as an empty body); only the
 * first {@link MAX_BODY_CHARS} characters are looked at; the work is linear in that length.
 *
 * @example parseMessage('TT 001 099 012 345') // { kind: 'lookup', command: 'TT', lang: 'vi', idNumber: '001099012345' }
 * @example parseMessage('card 001099012345')  // { kind: 'lookup', command: 'CC', lang: 'en', ... }
 * @example parseMessage('stop')               // { kind: 'opt_out' }
 */
export function parseMessage(body: unknown): ParsedMessage {
  const raw = typeof body === 'string' ? body : '';
  const text = clean(raw.length > MAX_BODY_CHARS ? raw.slice(0, MAX_BODY_CHARS) : raw);
  if (text === '') return { kind: 'help', lang: 'vi', reason: 'empty' };

  const upper = text.toUpperCase();
  if (OPT_OUT.has(upper)) return { kind: 'opt_out' };
  if (OPT_IN.has(upper)) return { kind: 'opt_in' };

  const folded = fold(text);
  if (folded.startsWith('?')) return { kind: 'help', lang: 'vi', reason: 'asked' };

  const match = LEADING_WORD.exec(folded);
  const word = match?.[1] ?? '';
  const rest = match?.[2] ?? '';
  // The word is every leading letter, so `TTX 001...` is the unknown word TTX, not TT.
  if (word === '') return { kind: 'help', lang: 'vi', reason: 'unknown' };

  const helpLang = HELP_KEYWORDS.get(word);
  if (helpLang !== undefined) return { kind: 'help', lang: helpLang, reason: 'asked' };

  const keyword = LOOKUP_KEYWORDS.get(word);
  if (keyword === undefined) return { kind: 'help', lang: 'vi', reason: 'unknown' };

  const id = readId(rest);
  if (!id.ok) return { kind: 'malformed', command: keyword.command, lang: keyword.lang, reason: id.reason };
  return { kind: 'lookup', command: keyword.command, lang: keyword.lang, idNumber: id.idNumber };
}
