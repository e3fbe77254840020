/**
 * What a signed status callback (`POST /sms/status?ref=…`) must look like before it is recorded,
 * as pure rules. The webhook's rules apply first ({@link checkTwilioParams}: names shaped like
 * Twilio's, message ids in Twilio's format and equal, our account when one is configured); then
 * the query holds exactly one `ref`, the inbound MessageSid the reply answered, and the status and
 * error code are shaped as Twilio sends them.
 *
 * The query is part of the signed URL. Twilio's signature is the URL followed by the sorted
 * parameters with no delimiter, so the URL's end and the first parameter's name could be re-split
 * too: a ref in exactly Twilio's format (32 lower-case hex digits) and names that start with an
 * upper-case letter leave no other reading.
 */
import { isDeliveryErrorCode, isDeliveryStatus } from '../audit/delivery.js';
import type { DeliveryEvent } from '../audit/types.js';
import type { Form } from './form.js';
import { checkTwilioParams, isMessageSid, type ParamRefusal, type ParamRules } from './twilioParams.js';

/** The callback's parameters pass: the event to record (without its time). */
export interface StatusAccepted {
  ok: true;
  event: Omit<DeliveryEvent, 'at'>;
}

const refuse = (reason: string): ParamRefusal => ({ ok: false, status: 400, reason });

function once(form: Form, name: string): string | undefined | ParamRefusal {
  const value = form[name];
  if (value === undefined || typeof value === 'string') return value;
  return refuse(`${name} must appear once`);
}

/**
 * Checks a signed status callback: `query` is the request URL's query string (without `?`),
 * `form` its body. Order: the webhook's rules; the query is exactly `ref=<SM…|MM…>`;
 * `MessageStatus` present once and shaped as a status, `SmsStatus` (its older name) equal to it
 * when sent; `ErrorCode` at most once, empty or decimal digits.
 */
export function checkStatusCallback(query: string, form: Form, rules: ParamRules = {}): StatusAccepted | ParamRefusal {
  const params = checkTwilioParams(form, rules);
  if (!params.ok) return params;
  const search = new URLSearchParams(query);
  const refs = search.getAll('ref');
  const ref = refs[0];
  if (refs.length !== 1 || [...search.keys()].length !== 1 || ref === undefined || !isMessageSid(ref)) return refuse('Malformed ref');
  const status = once(form, 'MessageStatus');
  if (typeof status === 'object') return status;
  if (status === undefined) return refuse('Missing MessageStatus');
  if (!isDeliveryStatus(status)) return refuse('Malformed MessageStatus');
  const older = once(form, 'SmsStatus');
  if (typeof older === 'object') return older;
  if (older !== undefined && older !== status) return refuse('Statuses disagree');
  const code = once(form, 'ErrorCode');
  if (typeof code === 'object') return code;
  if (code !== undefined && code !== '' && !isDeliveryErrorCode(code)) return refuse('Malformed ErrorCode');
  return { ok: true, event: { ref, messageSid: params.messageSid, status, errorCode: code === undefined || code === '' ? null : code } };
}
