/**
 * Twilio's side of the webhook, for the SMS simulator, the tests and the benchmark (never the
 * server): a form signed exactly as Twilio signs it (X-Twilio-Signature over the public URL and
 * every parameter), Twilio-shaped MessageSids, and the parameters of an inbound SMS. The server's
 * own check of the signature is signature.ts.
 */
import { createHash } from 'node:crypto';
// Twilio's webhook helpers alone: the package's index loads the whole REST client (~0.4 s at start).
import twilio from 'twilio/lib/webhooks/webhooks.js';

/** A signed webhook request body. */
export interface SignedForm {
  body: string;
  signature: string;
}

/** Encodes `params` as a form and signs it for `url` with `authToken`. */
export function signForm(authToken: string, url: string, params: Record<string, string>): SignedForm {
  return {
    body: new URLSearchParams(params).toString(),
    signature: twilio.getExpectedTwilioSignature(authToken, url, params),
  };
}

let counter = 0;

/** A fresh, Twilio-shaped MessageSid (`SM` + 32 hex digits). */
export function newMessageSid(): string {
  counter = (counter + 1) % 0x1000000;
  const random = Math.floor(Math.random() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  return `SM${Date.now().toString(16).padStart(16, '0')}${random}${counter.toString(16).padStart(8, '0')}`;
}

/**
 * A fixed, Twilio-shaped MessageSid named by `label` (`SM` + 32 hex digits of its SHA-256): the
 * same label always gives the same id, and different labels different ids. For tests that need
 * to name a message (a redelivery, a row to find).
 */
export function testSid(label: string): string {
  return `SM${createHash('sha256').update(label).digest('hex').slice(0, 32)}`;
}

/** The parameters Twilio sends for an inbound SMS, with test defaults. */
export function inboundParams(from: string, body: string, extra: Record<string, string> = {}): Record<string, string> {
  const sid = extra.MessageSid ?? newMessageSid();
  return {
    ToCountry: 'VN',
    ToState: '',
    SmsMessageSid: sid,
    NumMedia: '0',
    ToCity: '',
    FromZip: '',
    SmsSid: sid,
    FromState: '',
    SmsStatus: 'received',
    FromCity: '',
    Body: body,
    FromCountry: from.startsWith('+84') ? 'VN' : '',
    To: '+84901000000',
    ToZip: '',
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: 'AC00000000000000000000000000000000',
    From: from,
    ApiVersion: '2010-04-01',
    ...extra,
  };
}

/**
 * The parameters Twilio posts to a message's `action` (its status callback) for the outbound
 * message `messageSid`, with test defaults; `ErrorCode` only when given.
 */
export function statusParams(messageSid: string, status: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SmsSid: messageSid,
    SmsStatus: status,
    MessageStatus: status,
    To: '+84912345678',
    MessageSid: messageSid,
    AccountSid: 'AC00000000000000000000000000000000',
    From: '+84901000000',
    ApiVersion: '2010-04-01',
    ...extra,
  };
}
