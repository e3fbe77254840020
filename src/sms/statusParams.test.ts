import { describe, expect, it } from 'vitest';
import type { Form } from './form.js';
import { checkStatusCallback } from './statusParams.js';
import { statusParams, testSid } from './twilioFixtures.js';

const REF = testSid('inbound');
const OUT = testSid('outbound');
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const form = (status = 'delivered', extra: Record<string, string> = {}): Form =>
  Object.assign(Object.create(null) as Form, statusParams(OUT, status, { AccountSid: ACCOUNT, ...extra }));
const without = (f: Form, ...names: string[]): Form => {
  for (const name of names) Reflect.deleteProperty(f, name);
  return f;
};
const q = `ref=${REF}`;
const accepted = (status: string, errorCode: string | null = null) => ({
  ok: true,
  event: { ref: REF, messageSid: OUT, status, errorCode },
});
const refused = (reason: string, status = 400) => ({ ok: false, status, reason });

describe('checkStatusCallback', () => {
  it.each<[string, string, Form, object]>([
    ['a callback as Twilio sends it', q, form(), accepted('delivered')],
    ['a failure with its error code', q, form('undelivered', { ErrorCode: '30003' }), accepted('undelivered', '30003')],
    ['an empty error code is none', q, form('sent', { ErrorCode: '' }), accepted('sent')],
    ['a status Twilio added later', q, form('partially_delivered'), accepted('partially_delivered')],
    ['without the older SmsStatus', q, without(form('sent'), 'SmsStatus'), accepted('sent')],
    ['a parameter Twilio added', q, form('read', { RawDlrDoneDate: '2611270300' }), accepted('read')],
    ['fails: no ref', '', form(), refused('Malformed ref')],
    ['fails: a ref not in Twilio format', 'ref=SM123', form(), refused('Malformed ref')],
    ['fails: a ref re-split into the next parameter', `ref=${REF}AccountSid`, form(), refused('Malformed ref')],
    ['fails: two refs', `${q}&ref=${REF}`, form(), refused('Malformed ref')],
    ['fails: another query parameter', `${q}&x=1`, form(), refused('Malformed ref')],
    ['fails: no MessageStatus', q, without(form(), 'MessageStatus'), refused('Missing MessageStatus')],
    ['fails: a MessageStatus not shaped as one', q, form('Delivered'), refused('Malformed MessageStatus')],
    ['fails: SmsStatus disagrees', q, form('delivered', { SmsStatus: 'failed' }), refused('Statuses disagree')],
    ['fails: a malformed ErrorCode', q, form('failed', { ErrorCode: '30003x' }), refused('Malformed ErrorCode')],
    ['fails: a lower-case parameter name (re-split bytes)', q, form('sent', { xtra: '1' }), refused('Unexpected parameter name')],
    ['fails: no MessageSid', q, without(form(), 'MessageSid', 'SmsSid'), refused('Missing MessageSid')],
    ['fails: another account', q, form('sent', { AccountSid: `AC${'f'.repeat(32)}` }), refused('Wrong account', 403)],
  ])('%s', (_, query, f, expected) => {
    expect(checkStatusCallback(query, f, { accountSid: ACCOUNT })).toEqual(expected);
  });

  it('fails: a repeated MessageStatus or ErrorCode', () => {
    const f = form();
    f.MessageStatus = ['delivered', 'failed'];
    expect(checkStatusCallback(q, f)).toEqual(refused('MessageStatus must appear once'));
    const g = form('failed');
    g.ErrorCode = ['30003', '30005'];
    expect(checkStatusCallback(q, g)).toEqual(refused('ErrorCode must appear once'));
  });
});
