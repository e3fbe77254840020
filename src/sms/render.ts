/**
 * Puts a {@link Reply} into words, in Vietnamese or English, within 3 SMS segments.
 *
 * Texts are written with Vietnamese diacritics and sent either transliterated to GSM-7
 * (`encoding: 'gsm7'`, up to 3 x 153 = 459 septets) or as they are, NFC, in UCS-2
 * (`encoding: 'unicode'`, up to 3 x 67 = 201 UTF-16 units). When a reply does not fit, the
 * LONGEST variable values (places, addresses, ethnicity...) are cut to a common length and end
 * in `...`; the full name is cut only if that is not enough; labels, dates and IDs are never
 * cut. `LS` drops its heading first and then its oldest entries, saying how many were left out.
 *
 * Conventions: a missing optional field reads `-` (the temporary address line is omitted
 * instead when there is none); a field the reply policy leaves out ({@link TT_FIELDS},
 * `SMS_TT_FIELDS`) has no line, and a last line names it and where to see it instead; the ID
 * number is always masked `001******345`; other people's phone numbers are masked `+8497***111`;
 * times are Vietnam time (UTC+7); "try again after" and "locked until" times are rounded UP to
 * the minute.
 *
 * Pure and cheap: regexes and tables are built once at load; one pass per reply unless it must
 * be shortened.
 */
import { neverDelivered } from '../audit/delivery.js';
import type { AccessEntry } from '../audit/types.js';
import { formatDmy } from '../citizens/dates.js';
import { maskIdNumber } from '../citizens/idNumber.js';
import { maskPhone } from '../citizens/phone.js';
import type { CardStatus, Citizen } from '../citizens/types.js';
import { countSegments, GSM7_PART, gsm7Length, gsm7Septets, toGsm7, UCS2_PART, type SegmentCount } from './gsm7.js';
import { CT_FIELDS, TT_FIELDS, type CtField, type TtField } from './replyFields.js';
import type { Lang, RenderedReply, Reply, SmsEncoding } from './types.js';
import { TEXTS, type Around, type Texts } from './texts.js';
import { ceilToMinute, formatDmHm, formatHm, formatHmDm } from './vietnamTime.js';

/** The most segments a reply may take. */
export const MAX_SEGMENTS = 3;
/** The most `LS` entries shown. */
export const MAX_HISTORY_ENTRIES = 5;

/** How `renderReply` should write: the reply language and the wire encoding. */
export interface RenderOptions {
  lang: Lang;
  encoding: SmsEncoding;
}

/** A variable value that may be shortened with `...` to fit the budget. */
interface Field {
  value: string;
  /** Cut only when cutting every other field is not enough (the citizen's name). */
  protect?: boolean | undefined;
}
/** A reply under construction: fixed text (labels, dates, masked IDs) and variable fields. */
type Piece = string | Field;

const ELLIPSIS = '...';
/** Shortest a cut value gets: one character and the ellipsis. */
const MIN_CUT = 1 + ELLIPSIS.length;
const WHITESPACE_RUN = /\s+/g;
const INVISIBLES = /[\p{Cc}\p{Cf}]/gu;
/** Characters dropped from the end of a cut value. */
const CUT_TRIM = ' ,;:.-';
/** A field value on one line, or the "missing" mark for null/blank. */
function field(value: string | null, t: Texts, protect = false): Field {
  const v = value === null ? '' : value.replace(INVISIBLES, ' ').replace(WHITESPACE_RUN, ' ').trim();
  return { value: v === '' ? t.missing : v, protect };
}

/** GSM-7 transliterations of fixed non-ASCII texts (labels, sentences); cleared when full. */
const gsmCache = new Map<string, string>();
const GSM_CACHE_MAX = 512;

/**
 * Converts fixed text to what goes on the wire. Labels and sentences come from a small set, so
 * their transliteration is memoised; dynamic pieces (dates, masked numbers) are plain ASCII,
 * which `toGsm7` returns as is and which is not cached.
 */
function fixedToWire(text: string, encoding: SmsEncoding): string {
  if (encoding === 'unicode') return text.normalize('NFC');
  let wire = gsmCache.get(text);
  if (wire === undefined) {
    wire = toGsm7(text);
    if (wire !== text) {
      if (gsmCache.size >= GSM_CACHE_MAX) gsmCache.clear();
      gsmCache.set(text, wire);
    }
  }
  return wire;
}

/** Converts a variable value (a name, an address) to what goes on the wire; not memoised. */
function valueToWire(text: string, encoding: SmsEncoding): string {
  return encoding === 'gsm7' ? toGsm7(text) : text.normalize('NFC');
}

/** Wire units of a text: septets when the reply is GSM-7, UTF-16 units otherwise. */
function lengthOf(text: string, gsm: boolean): number {
  return gsm ? gsm7Length(text) : text.length;
}

/** `text` cut to at most `cap` units including a trailing `...` (unchanged when it fits). */
function cut(text: string, cap: number, gsm: boolean): string {
  if (lengthOf(text, gsm) <= cap) return text;
  const room = cap - ELLIPSIS.length;
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const u = gsm ? gsm7Septets(ch.codePointAt(0) ?? 0) || 1 : ch.length;
    if (used + u > room) break;
    used += u;
    end += ch.length;
  }
  // Do not leave a dangling space or comma before the ellipsis ("Hà Nội, ..." -> "Hà Nội...").
  while (end > 0 && CUT_TRIM.includes(text.charAt(end - 1))) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

/** Joins the pieces, cutting fields to `cap` units; protected fields stay whole unless `cutProtected`. */
function assemble(pieces: readonly Piece[], cap: number, gsm: boolean, cutProtected: boolean): string {
  let text = '';
  for (const p of pieces) {
    if (typeof p === 'string') text += p;
    else text += p.protect === true && !cutProtected ? p.value : cut(p.value, cap, gsm);
  }
  return text;
}

function rendered(text: string): RenderedReply {
  const c = countSegments(text);
  return { text, encoding: c.encoding, segments: c.segments };
}

/**
 * Cuts the longest cuttable fields down to a common length (water-filling): finds the largest
 * cap whose total fits the budget by binary search, then steps down while the real segment
 * count (escape sequences and surrogate pairs are never split) still exceeds the limit.
 */
function shrink(wire: readonly Piece[], full: SegmentCount, cutProtected: boolean): RenderedReply {
  const gsm = full.encoding === 'GSM-7';
  const budget = MAX_SEGMENTS * (gsm ? GSM7_PART : UCS2_PART);
  const lengths: number[] = [];
  for (const p of wire) {
    if (typeof p !== 'string' && (p.protect !== true || cutProtected)) lengths.push(lengthOf(p.value, gsm));
  }
  // Units of the full text that no cut can touch (lengths are wire units of the same text).
  let room = budget - full.units;
  for (const l of lengths) room += l;
  let lo = MIN_CUT;
  let hi = Math.max(MIN_CUT, ...lengths);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    let total = 0;
    for (const l of lengths) total += Math.min(l, mid);
    if (total <= room) lo = mid;
    else hi = mid - 1;
  }
  for (let cap = lo; ; cap -= 1) {
    const result = rendered(assemble(wire, cap, gsm, cutProtected));
    if (result.segments <= MAX_SEGMENTS || cap <= MIN_CUT) return result;
  }
}

/**
 * Joins the pieces in wire form; when that takes more than {@link MAX_SEGMENTS} segments, cuts
 * the longest ordinary fields with `...`, and only if that is not enough the protected ones too.
 */
function fitToBudget(pieces: readonly Piece[], encoding: SmsEncoding): RenderedReply {
  const wire: Piece[] = pieces.map((p) =>
    typeof p === 'string' ? fixedToWire(p, encoding) : { value: valueToWire(p.value, encoding), protect: p.protect },
  );
  const text = assemble(wire, Infinity, false, false);
  const full = countSegments(text);
  if (full.segments <= MAX_SEGMENTS) return { text, encoding: full.encoding, segments: full.segments };
  const first = shrink(wire, full, false);
  return first.segments <= MAX_SEGMENTS ? first : shrink(wire, full, true);
}

function lines(parts: readonly Piece[][]): Piece[] {
  const out: Piece[] = [];
  parts.forEach((line, i) => {
    if (i > 0) out.push('\n');
    out.push(...line);
  });
  return out;
}

function around(a: Around, value: string): Piece[] {
  return [a[0], value, a[1]];
}

/** The note that ends a reply leaving out `omitted` (none: no note). */
function omittedNote(omitted: readonly (TtField | CtField)[], t: Texts): Piece[][] {
  if (omitted.length === 0) return [];
  const names = omitted.map((f) => t.fieldNames[f]).join(', ');
  return [[t.omitted(names.charAt(0).toUpperCase() + names.slice(1))]];
}

function personal(c: Citizen, t: Texts, fields: readonly TtField[]): Piece[] {
  const l = t.personal;
  const line: Record<TtField, () => Piece[]> = {
    full_name: () => [`${l.name}: `, field(c.fullName, t, true)],
    id_number: () => [`${l.id}: `, maskIdNumber(c.idNumber)],
    date_of_birth: () => [`${l.dateOfBirth}: `, formatDmy(c.dateOfBirth)],
    sex: () => [`${l.sex}: `, t.sexes[c.sex]],
    birth_registration_place: () => [`${l.birthPlace}: `, field(c.birthRegistrationPlace, t)],
    hometown: () => [`${l.hometown}: `, field(c.hometown, t)],
    ethnicity: () => [`${l.ethnicity}: `, field(c.ethnicity, t)],
    religion: () => [`${l.religion}: `, field(c.religion, t)],
    nationality: () => [`${l.nationality}: `, field(c.nationality, t)],
  };
  const sent = TT_FIELDS.filter((f) => fields.includes(f));
  const omitted = TT_FIELDS.filter((f) => !fields.includes(f));
  return lines([...sent.map((f) => line[f]()), ...omittedNote(omitted, t)]);
}

function residence(c: Citizen, t: Texts, fields: readonly CtField[]): Piece[] {
  const l = t.residence;
  const rows: Piece[][] = [];
  if (fields.includes('permanent_address')) rows.push([`${l.permanent}: `, field(c.permanentAddress, t)]);
  const temporary = field(c.temporaryAddress, t);
  if (fields.includes('temporary_address') && temporary.value !== t.missing) rows.push([`${l.temporary}: `, temporary]);
  if (fields.includes('current_address')) rows.push([`${l.current}: `, field(c.currentAddress, t)]);
  return lines([
    ...rows,
    ...omittedNote(
      CT_FIELDS.filter((f) => !fields.includes(f)),
      t,
    ),
  ]);
}

function card(s: CardStatus, t: Texts): Piece[] {
  const l = t.card;
  if (s.kind === 'none') return [l.none];
  return lines([
    [l.heading],
    [`${l.issued}: `, formatDmy(s.issuedOn)],
    [`${l.validUntil}: `, s.expiresOn === null ? l.noExpiry : formatDmy(s.expiresOn)],
    [`${l.status}: `, s.expired ? l.expired : l.valid],
  ]);
}

/**
 * One `LS` line: `dd/mm HH:MM <command> <outcome> <who>`, then the undelivered mark when the
 * reply's shown delivery status says it never reached the handset (`neverDelivered`).
 */
function historyLine(e: AccessEntry, t: Texts): Piece[] {
  const who = e.bySelf ? t.history.self : maskPhone(e.sender);
  const line = [`${formatDmHm(e.at)} ${t.keywords[e.command]} `, t.history.outcomes[e.outcome], ' ', who];
  if (neverDelivered(e.delivery)) line.push(' ', t.history.undelivered);
  return line;
}

/** `LS`: heading, entries and total; drops the heading, then the oldest entries, to fit. */
function history(entries: readonly AccessEntry[], total30Days: number, t: Texts, encoding: SmsEncoding): RenderedReply {
  const h = t.history;
  if (entries.length === 0) return fitToBudget([h.none], encoding);
  const shown = entries.slice(0, MAX_HISTORY_ENTRIES).map((e) => historyLine(e, t));
  const total = around(h.total, String(total30Days));
  let result = fitToBudget(lines([[h.heading], ...shown, total]), encoding);
  if (result.segments <= MAX_SEGMENTS) return result;
  for (let n = shown.length; n >= 1; n -= 1) {
    const rows = shown.slice(0, n);
    if (n < shown.length) rows.push(around(h.older, String(shown.length - n)));
    rows.push(total);
    result = fitToBudget(lines(rows), encoding);
    if (result.segments <= MAX_SEGMENTS) return result;
  }
  return result;
}

/**
 * Renders a reply in the language and encoding asked for, within {@link MAX_SEGMENTS} segments
 * (shortening the longest variable values with `...` when needed). The returned `encoding` and
 * `segments` are what the text really needs: a `unicode` reply without diacritics is GSM-7.
 */
export function renderReply(reply: Reply, opts: RenderOptions): RenderedReply {
  const t = TEXTS[opts.lang];
  const enc = opts.encoding;
  switch (reply.kind) {
    case 'help':
      return fitToBudget([t.help], enc);
    case 'usage':
      return fitToBudget([t.usage(t.keywords[reply.command], t.describe[reply.command])], enc);
    case 'refused':
      return fitToBudget([t.refused], enc);
    case 'rate_limited':
      return fitToBudget(around(t.rateLimited, formatHm(ceilToMinute(reply.retryAt))), enc);
    case 'locked':
      return fitToBudget(around(t.locked, formatHmDm(ceilToMinute(reply.until))), enc);
    case 'opted_in':
      return fitToBudget([t.optedIn], enc);
    case 'personal':
      return fitToBudget(personal(reply.citizen, t, reply.fields ?? TT_FIELDS), enc);
    case 'residence':
      return fitToBudget(residence(reply.citizen, t, reply.fields ?? CT_FIELDS), enc);
    case 'card':
      return fitToBudget(card(reply.status, t), enc);
    case 'history':
      return history(reply.entries, reply.total30Days, t, enc);
  }
}
