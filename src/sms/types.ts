/**
 * Shapes shared by the SMS parser, the message service and the reply renderer.
 */
import type { AccessEntry, LookupCommand } from '../audit/types.js';
import type { CardStatus, Citizen } from '../citizens/types.js';
import type { CtField, TtField } from './replyFields.js';

/** Reply language: Vietnamese keywords answer in Vietnamese, English keywords in English. */
export type Lang = 'vi' | 'en';

/** How replies are encoded: GSM-7 (transliterated, the default) or UCS-2 with diacritics. */
export type SmsEncoding = 'gsm7' | 'unicode';

/** What an inbound SMS body means. Parsing never throws: "not understood" is a `help` value. */
export type ParsedMessage =
  /** A lookup keyword followed by a 12-digit ID number. */
  | { kind: 'lookup'; command: LookupCommand; lang: Lang; idNumber: string }
  /** A lookup keyword whose ID is missing or not 12 digits. */
  | { kind: 'malformed'; command: LookupCommand; lang: Lang; reason: string }
  /** HD/HELP/?, an empty body, or anything not understood. */
  | { kind: 'help'; lang: Lang; reason: 'asked' | 'empty' | 'unknown' }
  /** STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT (also REVOKE, OPTOUT). */
  | { kind: 'opt_out' }
  /** START, YES, UNSTOP. */
  | { kind: 'opt_in' };

/** What the bot decided to answer, before it is put into words. */
export type Reply =
  | { kind: 'help' }
  | { kind: 'usage'; command: LookupCommand }
  | { kind: 'refused' }
  | { kind: 'rate_limited'; retryAt: number }
  | { kind: 'locked'; until: number }
  | { kind: 'opted_in' }
  /** `fields`: the lines to send (default: all); a reply that leaves some out names them. */
  | { kind: 'personal'; citizen: Citizen; fields?: readonly TtField[] }
  | { kind: 'residence'; citizen: Citizen; fields?: readonly CtField[] }
  | { kind: 'card'; status: CardStatus }
  | { kind: 'history'; entries: AccessEntry[]; total30Days: number };

/** A reply put into words, ready for TwiML. */
export interface RenderedReply {
  text: string;
  /** The encoding the text actually needs on the wire. */
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
}
