/**
 * What a signed webhook request must look like before anything in it is believed, as pure rules.
 *
 * Twilio's signature is an HMAC over the URL and each parameter's name and value, sorted by name,
 * concatenated with no delimiter. The same signed bytes can therefore be read as other parameters:
 * cut `MessageSid` short before a lower-case hex digit, make the rest of it a new parameter name
 * (lower case sorts after every Twilio name), and give that parameter everything that followed as
 * its value. The signature still holds, and the message has a new id. These rules close that: every
 * name is shaped like Twilio's, the message ids are in Twilio's format and agree, and the account
 * is ours when one is configured. Checked after the signature, before anything is recorded.
 */
import type { Form } from './form.js';

/** Every parameter name Twilio sends: an upper-case letter, then letters and digits. */
export const TWILIO_PARAM_NAME = /^[A-Z][A-Za-z0-9]*$/;
/** A message's id: `SM` (SMS) or `MM` (MMS) and 32 lower-case hex digits. */
export const MESSAGE_SID = /^(?:SM|MM)[0-9a-f]{32}$/;
/** An account's id: `AC` and 32 lower-case hex digits. */
export const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;
/** The fields that carry the message's id: `MessageSid` and its two older names, all equal. */
export const MESSAGE_ID_FIELDS = ['MessageSid', 'SmsSid', 'SmsMessageSid'] as const;

/** Whether `value` is a message id in Twilio's format. */
export function isMessageSid(value: string): boolean {
  return MESSAGE_SID.test(value);
}

/** Options of {@link checkTwilioParams}. */
export interface ParamRules {
  /** The account's id (`AC…`): when given, `AccountSid` must equal it. */
  accountSid?: string;
}

/** Why a request is refused: its HTTP status and a short public reason that names no data. */
export interface ParamRefusal {
  ok: false;
  /** 400: not a request Twilio would send. 403: Twilio's form, but another account's. */
  status: 400 | 403;
  reason: string;
}

/** The request's parameters pass: the message id to record it under. */
export interface ParamsAccepted {
  ok: true;
  messageSid: string;
}

const refuse = (status: 400 | 403, reason: string): ParamRefusal => ({ ok: false, status, reason });

/**
 * Checks a signed request's parameters, in this order: every name shaped like Twilio's; the message
 * id fields each sent once, `MessageSid` present, each in Twilio's format, all equal; then, with
 * {@link ParamRules.accountSid}, `AccountSid` sent once and equal to it. Pure: reads only `form`.
 */
export function checkTwilioParams(form: Form, rules: ParamRules = {}): ParamsAccepted | ParamRefusal {
  for (const name in form) {
    if (!TWILIO_PARAM_NAME.test(name)) return refuse(400, 'Unexpected parameter name');
  }
  let messageSid: string | undefined;
  for (const name of MESSAGE_ID_FIELDS) {
    const value = form[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') return refuse(400, `${name} must appear once`);
    if (!isMessageSid(value)) return refuse(400, `Malformed ${name}`);
    if (messageSid !== undefined && value !== messageSid) return refuse(400, 'Message ids disagree');
    messageSid = value;
  }
  if (form.MessageSid === undefined || messageSid === undefined) return refuse(400, 'Missing MessageSid');
  if (rules.accountSid !== undefined) {
    const account = form.AccountSid;
    if (account === undefined) return refuse(400, 'Missing AccountSid');
    if (typeof account !== 'string') return refuse(400, 'AccountSid must appear once');
    if (!ACCOUNT_SID.test(account)) return refuse(400, 'Malformed AccountSid');
    if (account !== rules.accountSid) return refuse(403, 'Wrong account');
  }
  return { ok: true, messageSid };
}
