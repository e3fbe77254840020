// Table-driven tests for parseMessage: each rule has rows it accepts and rows it does not, one
// comment each saying what the row parses as: `fails:` rows are lookups refused with a usage reply.
import { describe, expect, it } from 'vitest';
import { MAX_BODY_CHARS, parseMessage } from './parser.js';
import type { ParsedMessage } from './types.js';

type Row = [comment: string, body: string, expected: ParsedMessage];

const ID = '001099012345';
const tt = { kind: 'lookup', command: 'TT', lang: 'vi', idNumber: ID } as const;
const unknown = { kind: 'help', lang: 'vi', reason: 'unknown' } as const;
const missing = (command: 'TT' | 'CT' | 'CC' | 'LS', lang: 'vi' | 'en'): ParsedMessage => ({
  kind: 'malformed',
  command,
  lang,
  reason: 'missing id',
});
const badChars = { kind: 'malformed', command: 'TT', lang: 'vi', reason: 'unexpected characters in id' } as const;
const digits = (n: number): ParsedMessage => ({
  kind: 'malformed',
  command: 'TT',
  lang: 'vi',
  reason: `id has ${n} digits, expected 12`,
});

function check(rows: Row[]): void {
  it.each(rows)('%s', (_comment, body, expected) => {
    expect(parseMessage(body)).toEqual(expected);
  });
}

describe('lookup keywords', () => {
  check([
    ['TT: personal info (vi)', `TT ${ID}`, tt],
    ['CT: residence (vi)', `CT ${ID}`, { kind: 'lookup', command: 'CT', lang: 'vi', idNumber: ID }],
    ['CC: card (vi)', `CC ${ID}`, { kind: 'lookup', command: 'CC', lang: 'vi', idNumber: ID }],
    ['LS: history (vi)', `LS ${ID}`, { kind: 'lookup', command: 'LS', lang: 'vi', idNumber: ID }],
    ['INFO is TT in English', `INFO ${ID}`, { kind: 'lookup', command: 'TT', lang: 'en', idNumber: ID }],
    ['ADDR is CT in English', `ADDR ${ID}`, { kind: 'lookup', command: 'CT', lang: 'en', idNumber: ID }],
    ['CARD is CC in English', `CARD ${ID}`, { kind: 'lookup', command: 'CC', lang: 'en', idNumber: ID }],
    ['LOG is LS in English', `LOG ${ID}`, { kind: 'lookup', command: 'LS', lang: 'en', idNumber: ID }],
    ['TX is not a keyword: help for an unknown word', `TX ${ID}`, unknown],
    ['the keyword must be a whole word (TTT): help for an unknown word', `TTT ${ID}`, unknown],
    ['INFORMATION is not INFO: help for an unknown word', `INFORMATION ${ID}`, unknown],
    ['a space inside the keyword (T T): help for an unknown word', `T T ${ID}`, unknown],
  ]);
});

describe('keywords in any case, Vietnamese diacritics ignored', () => {
  check([
    ['lower case', `tt ${ID}`, tt],
    ['mixed case', `Tt ${ID}`, tt],
    ['other mixed case', `tT ${ID}`, tt],
    ['English lower case', `card ${ID}`, { kind: 'lookup', command: 'CC', lang: 'en', idNumber: ID }],
    ['a stray combining accent on a keyword letter', `T\u0301T ${ID}`, tt],
    ['HĐ with đ capital is HD', 'HĐ', { kind: 'help', lang: 'vi', reason: 'asked' }],
    ['hđ with đ small is HD', 'hđ', { kind: 'help', lang: 'vi', reason: 'asked' }],
    ['Hđ mixed is HD', 'Hđ', { kind: 'help', lang: 'vi', reason: 'asked' }],
    ['plain hd', 'hd', { kind: 'help', lang: 'vi', reason: 'asked' }],
    ['HĐX is not HD: help for an unknown word, not asked-for help', 'HĐX', unknown],
    ['a Vietnamese word starting like a keyword (Tết): help for an unknown word', `Tết ${ID}`, unknown],
  ]);
});

describe('NFKC normalisation', () => {
  check([
    ['full-width letters, ideographic space and digits', 'ＴＴ　００１０９９０１２３４５', tt],
    ['full-width help', 'ｈｅｌｐ', { kind: 'help', lang: 'en', reason: 'asked' }],
    ['no-break space between keyword and ID', `TT\u00a0${ID}`, tt],
    ['full-width question mark is help', '？', { kind: 'help', lang: 'vi', reason: 'asked' }],
    ['fails: full-width but only 3 digits', 'ＴＴ　００１', digits(3)],
  ]);
});

describe('invisible and control characters are removed', () => {
  check([
    ['zero-width space after the keyword', `TT\u200b ${ID}`, tt],
    ['byte-order mark at the start', `\ufeffTT ${ID}`, tt],
    ['zero-width joiner inside the keyword', `T\u200dT ${ID}`, tt],
    ['zero-width non-joiner inside the ID', `TT 001099\u200c012345`, tt],
    ['word joiner inside the ID', `TT 001099\u2060012345`, tt],
    ['right-to-left override around the message', `\u202eTT ${ID}\u202c`, tt],
    ['directional isolates around the message', `\u2066TT ${ID}\u2069`, tt],
    ['left-to-right and right-to-left marks', `\u200eTT ${ID}\u200f`, tt],
    ['NUL inside the ID', `TT 001\u0000099012345`, tt],
    ['other C0 controls (BEL, ESC)', `\u0007TT ${ID}\u001b`, tt],
    ['tab and CRLF are whitespace', `TT\t${ID}\r\n`, tt],
    ['only invisible characters is an empty body', '\u200b\ufeff\u200e', { kind: 'help', lang: 'vi', reason: 'empty' }],
    ['fails: a bullet is visible, not removed', 'TT 001•099012345', badChars],
  ]);
});

describe('whitespace is collapsed and trimmed', () => {
  check([
    ['leading, trailing and repeated spaces', `   TT     ${ID}   `, tt],
    ['newlines around and between', `\n\nTT\n${ID}\n`, tt],
    ['whitespace only: help for an empty body', ' \t\r\n ', { kind: 'help', lang: 'vi', reason: 'empty' }],
  ]);
});

describe('the ID may be grouped with spaces, dots or dashes', () => {
  check([
    ['groups of three with spaces', 'TT 001 099 012 345', tt],
    ['groups with dots', 'TT 001.099.012.345', tt],
    ['groups with dashes', 'TT 001-099-012345', tt],
    ['spaced dashes', 'TT 001 - 099 - 012345', tt],
    ['fails: slashes are not separators', 'TT 001/099/012345', badChars],
    ['fails: underscores are not separators', 'TT 001_099_012_345', badChars],
    ['fails: a letter O instead of a zero', 'TT O01099012345', badChars],
  ]);
});

describe('keyword glued to the ID, or separated by punctuation', () => {
  check([
    ['glued', `TT${ID}`, tt],
    ['glued, English lower case', `info${ID}`, { kind: 'lookup', command: 'TT', lang: 'en', idNumber: ID }],
    ['colon and space', `TT: ${ID}`, tt],
    ['colon glued', `TT:${ID}`, tt],
    ['dash', `TT-${ID}`, tt],
    ['fails: glued with 13 digits', `TT${ID}6`, digits(13)],
  ]);
});

describe('only whitespace or punctuation may follow the ID', () => {
  check([
    ['full stop', `TT ${ID}.`, tt],
    ['exclamation mark', `TT ${ID}!`, tt],
    ['spaced question mark', `TT ${ID} ?`, tt],
    ['closing bracket', `TT (${ID})`, tt],
    ['fails: a word after the ID', `TT ${ID} xin cam on`, badChars],
    ['fails: an emoji after the ID (a usage reply, not help)', `TT ${ID} 🙂`, badChars],
    ['fails: a second ID', `TT ${ID} ${ID}`, digits(24)],
  ]);
});

describe('malformed lookups', () => {
  check([
    ['keyword alone: missing ID', 'TT', missing('TT', 'vi')],
    ['keyword and punctuation only: missing ID', 'CC ?', missing('CC', 'vi')],
    ['INFO alone is TT (en) without an ID, not help', 'INFO', missing('TT', 'en')],
    ['LOG alone', 'log', missing('LS', 'en')],
    ['too short', 'TT 12345', digits(5)],
    ['too long', 'TT 0010990123456', digits(13)],
    ['the old 9-digit ID number', 'TT 012345678', digits(9)],
    ['letters instead of an ID', 'TT abc', badChars],
    ['passes: exactly 12 digits is a lookup', `TT ${ID}`, tt],
  ]);

  it('never echoes the digits sent in the reason (reasons may be logged)', () => {
    const parsed = parseMessage('TT 0010990123');
    expect(parsed.kind).toBe('malformed');
    expect(JSON.stringify(parsed)).not.toMatch(/\d{4}/);
  });
});

describe('help', () => {
  check([
    ['empty body', '', { kind: 'help', lang: 'vi', reason: 'empty' }],
    ['HD is help in Vietnamese', 'HD', { kind: 'help', lang: 'vi', reason: 'asked' }],
    ['? is help in Vietnamese', '?', { kind: 'help', lang: 'vi', reason: 'asked' }],
    ['?? is still help', '??', { kind: 'help', lang: 'vi', reason: 'asked' }],
    ['HELP is help in English', 'HELP', { kind: 'help', lang: 'en', reason: 'asked' }],
    ['help with more words is still help', 'help me please', { kind: 'help', lang: 'en', reason: 'asked' }],
    ['HD followed by an ID is help, not a lookup', `HD ${ID}`, { kind: 'help', lang: 'vi', reason: 'asked' }],
    ['HELPFUL is not HELP: help for an unknown word, not asked-for help', 'HELPFUL', unknown],
    ['chat text: help for an unknown word', 'xin chào', unknown],
    ['an emoji before the keyword: help for an unknown word', `🙂 TT ${ID}`, unknown],
    ['quotes before the keyword: help for an unknown word', `"TT ${ID}"`, unknown],
    ['digits alone: help for an unknown word', ID, unknown],
  ]);
});

describe('opt-out and opt-in: the whole message, any case', () => {
  check([
    ['STOP', 'STOP', { kind: 'opt_out' }],
    ['stop in lower case', 'stop', { kind: 'opt_out' }],
    ['Stop with spaces around', '  Stop  ', { kind: 'opt_out' }],
    ['STOPALL', 'STOPALL', { kind: 'opt_out' }],
    ['UNSUBSCRIBE', 'unsubscribe', { kind: 'opt_out' }],
    ['CANCEL', 'Cancel', { kind: 'opt_out' }],
    ['END', 'END', { kind: 'opt_out' }],
    ['QUIT', 'quit', { kind: 'opt_out' }],
    ['REVOKE', 'REVOKE', { kind: 'opt_out' }],
    ['OPTOUT', 'OptOut', { kind: 'opt_out' }],
    ['full-width STOP', 'ＳＴＯＰ', { kind: 'opt_out' }],
    ['START', 'START', { kind: 'opt_in' }],
    ['YES', 'yes', { kind: 'opt_in' }],
    ['UNSTOP', 'Unstop', { kind: 'opt_in' }],
    ['STOP with more words is no opt-out: help for an unknown word', 'STOP please', unknown],
    ['STOP with punctuation is no opt-out: help for an unknown word', 'STOP.', unknown],
    ['STOPP is no opt-out: help for an unknown word', 'STOPP', unknown],
    ['STOP spelled out is no opt-out: help for an unknown word', 'S T O P', unknown],
    ['YES with more words is no opt-in: help for an unknown word', 'yes please', unknown],
  ]);
});

describe('long and hostile input', () => {
  it('parses a body longer than 1,600 characters (trailing spaces)', () => {
    expect(parseMessage(`TT ${ID}${' '.repeat(5000)}`)).toEqual(tt);
  });

  it('only looks at the first 1,600 characters', () => {
    // The keyword starts at character 1,600, so only its first letter is seen.
    expect(parseMessage(`${' '.repeat(MAX_BODY_CHARS - 1)}TT ${ID}`)).toEqual(unknown);
    // The last 3 digits fall after the limit: 2 + 1,589 + 9 = 1,600 characters are seen.
    expect(parseMessage(`TT${' '.repeat(MAX_BODY_CHARS - 11)}${ID}`)).toEqual(digits(9));
  });

  it.each([
    // comment, body, kind: huge inputs end in a plain answer (a catastrophic regex would time out)
    ['a million letters', 'x'.repeat(1_000_000), 'help'],
    ['a million dots after a keyword', `TT ${'.'.repeat(1_000_000)}`, 'malformed'],
    ['alternating punctuation and spaces', `TT ${'. '.repeat(500_000)}x`, 'malformed'],
    ['alternating digits and separators', `TT ${'1-'.repeat(500_000)}`, 'malformed'],
    ['a million zero-width spaces', '\u200b'.repeat(1_000_000), 'help'],
    ['a million emoji', '🙂'.repeat(500_000), 'help'],
  ])(
    'answers %s',
    (_comment, body, kind) => {
      expect(parseMessage(body).kind).toBe(kind);
    },
    5_000,
  );

  it.each([
    // comment, body
    ['a lone high surrogate', '\ud800TT 001099012345'],
    ['a lone low surrogate', 'TT 001099012345\udc00'],
    ['a body cut inside a surrogate pair', `${'x'.repeat(MAX_BODY_CHARS - 1)}🙂`],
    ['not a string at all (runtime input)', undefined],
  ])('never throws on %s', (_comment, body) => {
    expect(() => parseMessage(body)).not.toThrow();
  });

  it('never throws on random junk', () => {
    const alphabet = [
      'T',
      't',
      'H',
      'D',
      'đ',
      '0',
      '1',
      '9',
      ' ',
      '.',
      '-',
      '?',
      '\u0000',
      '\u200b',
      '\u202e',
      '🙂',
      '\ud800',
      '\udc00',
      'Ｔ',
      '\u0301',
    ];
    let seed = 42;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let n = 0; n < 2000; n += 1) {
      let body = '';
      const len = next() % 40;
      for (let i = 0; i < len; i += 1) body += alphabet[next() % alphabet.length] ?? '';
      expect(() => parseMessage(body)).not.toThrow();
    }
  });
});
