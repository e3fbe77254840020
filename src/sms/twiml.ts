/**
 * TwiML for SMS replies, written directly rather than with `twilio.twiml.MessagingResponse`:
 * the library builds an xmlbuilder tree per reply (about 8 µs each on Node 20) and THROWS on a
 * character that is illegal in XML 1.0 (NUL, other C0 controls), whereas this module is a single
 * string pass and removes such characters instead. The output is the same XML document the
 * library produces for legal text (see twiml.test.ts, which uses it as the oracle).
 *
 * Serve with `Content-Type: text/xml`.
 */

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const MESSAGE_OPEN = `${XML_DECLARATION}<Response><Message>`;
const MESSAGE_CLOSE = '</Message></Response>';
const EMPTY = `${XML_DECLARATION}<Response/>`;

const ENTITIES: Readonly<Record<number, string>> = {
  0x22: '&quot;',
  0x26: '&amp;',
  0x27: '&apos;',
  0x3c: '&lt;',
  0x3e: '&gt;',
  0x0d: '&#xD;', // CR kept as a reference, or parsers would fold CRLF into LF
};

/** The replacement for the UTF-16 unit at `i`, or `undefined` to keep it (pairs are kept whole). */
function replacementAt(text: string, i: number, c: number): string | undefined {
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? undefined : ''; // lone high surrogate: illegal
  }
  if (c >= 0xdc00 && c <= 0xdfff) return ''; // lone low surrogate (a pair's low half is skipped)
  if (c === 0xfffe || c === 0xffff) return ''; // non-characters: illegal
  if (c >= 0x20) return ENTITIES[c];
  if (c === 0x09 || c === 0x0a) return undefined;
  return ENTITIES[c] ?? ''; // CR, or a C0 control: illegal in XML 1.0
}

/**
 * Escapes text for an XML 1.0 element body: `&` `<` `>` `"` `'` become entities (so `]]>` is
 * harmless), CR becomes `&#xD;`, and characters XML 1.0 forbids (C0 controls other than tab, LF
 * and CR; U+FFFE, U+FFFF; unpaired surrogates) are removed. One pass; returns the input itself
 * when nothing needs escaping.
 */
export function escapeXmlText(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c > 0x3e && c < 0xd800) continue; // fast path: letters, digits above '>', most of the BMP
    const rep = replacementAt(text, i, c);
    if (rep === undefined) {
      if (c >= 0xd800 && c <= 0xdbff) i += 1; // keep a valid surrogate pair together
      continue;
    }
    out += text.slice(from, i) + rep;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * A TwiML document that replies with one SMS:
 * `<?xml version="1.0" encoding="UTF-8"?><Response><Message>text</Message></Response>`.
 *
 * With `action`, the message asks Twilio to post its delivery status there (`action` is Twilio's
 * current attribute for status callbacks; `statusCallback` is deprecated):
 * `<Message action="https://…/sms/status?ref=SM…" method="POST">`.
 */
export function twimlMessage(text: string, action?: string): string {
  if (action === undefined) return MESSAGE_OPEN + escapeXmlText(text) + MESSAGE_CLOSE;
  return `${XML_DECLARATION}<Response><Message action="${escapeXmlText(action)}" method="POST">${escapeXmlText(text)}${MESSAGE_CLOSE}`;
}

/** A TwiML document that sends nothing: `<?xml version="1.0" encoding="UTF-8"?><Response/>`. */
export function twimlEmpty(): string {
  return EMPTY;
}

const MESSAGE_BODY = /<Message(?: [^>]*)?>([\s\S]*)<\/Message>/;
const ACTION = /<Message action="([^"]*)"/;
const ENTITY = /&(quot|amp|apos|lt|gt|#x[0-9A-Fa-f]+|#\d+);/g;
const NAMED: Readonly<Record<string, string>> = { quot: '"', amp: '&', apos: "'", lt: '<', gt: '>' };

/**
 * The text of the `<Message>` of a TwiML document such as {@link twimlMessage} writes, entities
 * decoded; `undefined` for a document without a message. For the SMS simulator and tests.
 */
export function twimlMessageText(twiml: string): string | undefined {
  const body = MESSAGE_BODY.exec(twiml)?.[1];
  return body === undefined ? undefined : decodeEntities(body);
}

/** The `action` (status callback URL) of a TwiML document's `<Message>`, decoded; undefined without one. */
export function twimlMessageAction(twiml: string): string | undefined {
  const action = ACTION.exec(twiml)?.[1];
  return action === undefined ? undefined : decodeEntities(action);
}

function decodeEntities(body: string): string {
  return body.replace(ENTITY, (entity, name: string) =>
    name.startsWith('#')
      ? String.fromCodePoint(name[1] === 'x' ? parseInt(name.slice(2), 16) : Number(name.slice(1)))
      : (NAMED[name] ?? entity),
  );
}
