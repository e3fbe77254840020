// Tests for the TwiML writer, with twilio's own MessagingResponse as the oracle.
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { escapeXmlText, twimlEmpty, twimlMessage, twimlMessageAction, twimlMessageText } from './twiml.js';

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';

/** What twilio's library writes for the same text (it throws on characters illegal in XML). */
function oracle(text: string): string {
  const response = new twilio.twiml.MessagingResponse();
  response.message(text);
  return response.toString();
}

/**
 * A strict reader for the one document shape we write: checks the envelope, that the body has
 * no raw `<` and no `&` outside a known entity, and decodes it. Throws on anything else.
 */
function readMessage(xml: string): string {
  if (xml === `${DECL}<Response><Message/></Response>`) return ''; // twilio's form for an empty body
  const m = /^<\?xml version="1\.0" encoding="UTF-8"\?><Response><Message>([^<]*)<\/Message><\/Response>$/.exec(xml);
  if (!m) throw new Error(`not a TwiML message: ${xml}`);
  const body = m[1] ?? '';
  if (/&(?!(?:amp|lt|gt|quot|apos|#xD|#13);)/.test(body)) throw new Error(`bare & in ${body}`);
  // XML 1.0 Char production: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF.
  if (/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u.test(body)) throw new Error(`illegal XML char in ${body}`);
  return body.replace(
    /&(amp|lt|gt|quot|apos|#xD|#13);/g,
    (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#xD': '\r', '#13': '\r' })[e] ?? '',
  );
}

describe('twimlMessage', () => {
  it.each([
    // comment, text
    ['plain GSM-7 text', 'Ho ten: Nguyen Van A'],
    ['an address with an ampersand', 'So 12 A&B, Q.1'],
    ['angle brackets', 'Thon <Dong> 3'],
    ['double and single quotes', 'Ap "Binh" \'Tay\''],
    ['a CDATA terminator', 'Pho ]]> 5'],
    ['something that looks like an entity', 'a &amp; b &lt; c'],
    ['newlines and a tab', 'dong 1\ndong 2\tx'],
    ['CRLF is preserved as a character reference', 'a\r\nb'],
    ['Vietnamese with diacritics', 'Họ tên: Nguyễn Văn Đức'],
    ['emoji (a surrogate pair)', 'ok 🙂'],
    ['XML-looking injection', '</Message><Redirect>http://evil</Redirect><Message>'],
    ['empty text', ''],
  ])('%s: same document as twilio MessagingResponse after parsing', (_comment, text) => {
    const xml = twimlMessage(text);
    expect(readMessage(xml)).toBe(text);
    expect(readMessage(xml)).toBe(readMessage(oracle(text)));
  });

  it('is byte-identical to twilio for text without quotes', () => {
    const text = 'So 12 A&B <x> ]]> Hà Nội\ndong 2';
    expect(twimlMessage(text)).toBe(oracle(text));
  });

  it.each([
    // comment, text, message body in the XML
    ['NUL is removed (twilio would throw)', 'a\u0000b', 'ab'],
    ['BEL and ESC are removed', '\u0007a\u001bb', 'ab'],
    ['vertical tab and form feed are removed', 'a\u000bb\u000cc', 'abc'],
    ['U+FFFE and U+FFFF are removed', 'a\ufffeb\uffffc', 'abc'],
    ['a lone high surrogate is removed', 'a\ud800b', 'ab'],
    ['a lone low surrogate is removed', 'a\udc00b', 'ab'],
    ['passes: tab, LF and a valid pair are kept', 'a\tb\nc🙂', 'a\tb\nc🙂'],
  ])('%s', (_comment, text, body) => {
    const xml = twimlMessage(text);
    expect(xml).toBe(`${DECL}<Response><Message>${body}</Message></Response>`);
  });
});

describe('twimlMessage with a status callback (action)', () => {
  const action = 'https://sms.example.vn/sms/status?ref=SM0123456789abcdef0123456789abcdef';

  it.each([
    ['plain text', 'Ho ten: Nguyen Van A'],
    ['text to escape', 'So 12 A&B <x> ]]>\ndong 2'],
    ['empty text', ''],
  ])('is byte-identical to twilio message({ action, method: POST }) for %s', (_comment, text) => {
    const response = new twilio.twiml.MessagingResponse();
    response.message({ action, method: 'POST' }, text);
    const expected = text === '' ? response.toString().replace('"POST"/>', '"POST"></Message>') : response.toString();
    expect(twimlMessage(text, action)).toBe(expected);
  });

  it('escapes the URL as an attribute and reads back the action and the text', () => {
    const xml = twimlMessage('Họ tên & "x"', 'https://a.vn/sms/status?ref=SMab&x="1"');
    expect(xml).toContain('action="https://a.vn/sms/status?ref=SMab&amp;x=&quot;1&quot;" method="POST"');
    expect(twimlMessageAction(xml)).toBe('https://a.vn/sms/status?ref=SMab&x="1"');
    expect(twimlMessageText(xml)).toBe('Họ tên & "x"');
  });

  it('fails: a message without a callback has no action', () => {
    expect(twimlMessageAction(twimlMessage('x'))).toBeUndefined();
    expect(twimlMessageAction(twimlEmpty())).toBeUndefined();
  });
});

describe('escapeXmlText', () => {
  it.each([
    // comment, text, escaped
    ['ampersand', 'A&B', 'A&amp;B'],
    ['less-than', '<', '&lt;'],
    ['greater-than, so ]]> is harmless', ']]>', ']]&gt;'],
    ['double quote', '"', '&quot;'],
    ['apostrophe', "'", '&apos;'],
    ['carriage return', '\r', '&#xD;'],
    ['all at once', `<a href="x">&'</a>`, '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;'],
    ['passes: nothing to escape returns the text', 'Ha Noi 123', 'Ha Noi 123'],
  ])('%s', (_comment, text, escaped) => {
    expect(escapeXmlText(text)).toBe(escaped);
  });
});

describe('twimlEmpty', () => {
  it('is an empty Response, the same as twilio writes', () => {
    expect(twimlEmpty()).toBe(`${DECL}<Response/>`);
    expect(twimlEmpty()).toBe(new twilio.twiml.MessagingResponse().toString());
  });
});

describe('twimlMessageText', () => {
  it.each([
    // comment, text
    ['plain text', 'Ho ten: Nguyen Van Thu'],
    ['every escaped character', `Số 5 "Ngõ" & Co <Tầng 2> it's`],
    ['a CR kept as a character reference, and a LF', 'line 1\r\nline 2'],
    ['text that looks like an entity', '&amp; stays literal'],
  ])('reads back %s', (_comment, text) => {
    expect(twimlMessageText(twimlMessage(text))).toBe(text);
  });

  it('fails: an empty response has no message', () => {
    expect(twimlMessageText(twimlEmpty())).toBeUndefined();
  });
});
