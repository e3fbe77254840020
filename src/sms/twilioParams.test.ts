import { describe, expect, it } from 'vitest';
import type { Form } from './form.js';
import { inboundParams, newMessageSid, testSid } from './twilioFixtures.js';
import { checkTwilioParams, isMessageSid, type ParamRules } from './twilioParams.js';

const SID = testSid('one');
const OTHER_SID = testSid('two');
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const params = (extra: Record<string, string> = {}): Form =>
  Object.assign(
    Object.create(null) as Form,
    inboundParams('+84912345678', 'TT 001099054321', { MessageSid: SID, AccountSid: ACCOUNT, ...extra }),
  );
const without = (form: Form, ...names: string[]): Form => {
  for (const name of names) Reflect.deleteProperty(form, name);
  return form;
};

describe('isMessageSid', () => {
  it.each([
    [SID, true],
    [`MM${'0123456789abcdef'.repeat(2)}`, true],
    [`SM${'0'.repeat(32)}`, true],
    ['SMa', false],
    [`SM${'0'.repeat(31)}`, false],
    [`SM${'0'.repeat(33)}`, false],
    [`SM${'A'.repeat(32)}`, false],
    [`sm${'0'.repeat(32)}`, false],
    [`MG${'0'.repeat(32)}`, false],
    [`AC${'0'.repeat(32)}`, false],
    [`SM${'0'.repeat(32)}\n`, false],
    [`SM${'0'.repeat(20_000)}`, false],
    ['', false],
  ])('%s → %s', (value, expected) => {
    expect(isMessageSid(value)).toBe(expected);
  });

  it('holds for the ids the simulator and tests make', () => {
    for (let i = 0; i < 1000; i++) expect(isMessageSid(newMessageSid())).toBe(true);
    expect(isMessageSid(testSid(''))).toBe(true);
    expect(testSid('a')).not.toBe(testSid('b'));
  });
});

describe('checkTwilioParams', () => {
  const cases: [string, Form, ParamRules, ReturnType<typeof checkTwilioParams>][] = [
    ['a request as Twilio sends it', params(), {}, { ok: true, messageSid: SID }],
    ['with the configured account', params(), { accountSid: ACCOUNT }, { ok: true, messageSid: SID }],
    ['a new parameter Twilio added', params({ BrandNewParam2: 'x' }), {}, { ok: true, messageSid: SID }],
    [
      'an MMS id',
      params({ MessageSid: `MM${SID.slice(2)}`, SmsSid: `MM${SID.slice(2)}`, SmsMessageSid: `MM${SID.slice(2)}` }),
      {},
      {
        ok: true,
        messageSid: `MM${SID.slice(2)}`,
      },
    ],
    ['MessageSid alone', without(params(), 'SmsSid', 'SmsMessageSid'), {}, { ok: true, messageSid: SID }],
    ['no AccountSid when none is configured', without(params(), 'AccountSid'), {}, { ok: true, messageSid: SID }],
    // names
    [
      'a lower-case name (the re-split)',
      params({ abcdef: 'NumMedia0' }),
      {},
      { ok: false, status: 400, reason: 'Unexpected parameter name' },
    ],
    ['a name starting with a digit', params({ '0abc': 'x' }), {}, { ok: false, status: 400, reason: 'Unexpected parameter name' }],
    ['a name with a space', params({ 'To City': 'x' }), {}, { ok: false, status: 400, reason: 'Unexpected parameter name' }],
    ['a name with punctuation', params({ 'From[]': 'x' }), {}, { ok: false, status: 400, reason: 'Unexpected parameter name' }],
    ['an empty name', params({ '': 'x' }), {}, { ok: false, status: 400, reason: 'Unexpected parameter name' }],
    ['a name with a non-ASCII letter', params({ Éa: 'x' }), {}, { ok: false, status: 400, reason: 'Unexpected parameter name' }],
    // message ids
    [
      'no message id at all',
      without(params(), 'MessageSid', 'SmsSid', 'SmsMessageSid'),
      {},
      {
        ok: false,
        status: 400,
        reason: 'Missing MessageSid',
      },
    ],
    ['the older names without MessageSid', without(params(), 'MessageSid'), {}, { ok: false, status: 400, reason: 'Missing MessageSid' }],
    ['a MessageSid cut short', params({ MessageSid: SID.slice(0, 20) }), {}, { ok: false, status: 400, reason: 'Malformed MessageSid' }],
    [
      'a MessageSid of 20,002 characters',
      params({ MessageSid: `SM${'0'.repeat(20_000)}` }),
      {},
      {
        ok: false,
        status: 400,
        reason: 'Malformed MessageSid',
      },
    ],
    [
      'a short fake MessageSid',
      params({ MessageSid: 'SMa', SmsSid: 'SMa', SmsMessageSid: 'SMa' }),
      {},
      {
        ok: false,
        status: 400,
        reason: 'Malformed MessageSid',
      },
    ],
    ['upper-case hex', params({ MessageSid: SID.toUpperCase() }), {}, { ok: false, status: 400, reason: 'Malformed MessageSid' }],
    ['a malformed SmsSid', params({ SmsSid: `${SID}0` }), {}, { ok: false, status: 400, reason: 'Malformed SmsSid' }],
    ['a malformed SmsMessageSid', params({ SmsMessageSid: 'x' }), {}, { ok: false, status: 400, reason: 'Malformed SmsMessageSid' }],
    ['SmsSid disagreeing', params({ SmsSid: OTHER_SID }), {}, { ok: false, status: 400, reason: 'Message ids disagree' }],
    ['SmsMessageSid disagreeing', params({ SmsMessageSid: OTHER_SID }), {}, { ok: false, status: 400, reason: 'Message ids disagree' }],
    [
      'MessageSid sent twice',
      Object.assign(params(), { MessageSid: [SID, SID] }),
      {},
      {
        ok: false,
        status: 400,
        reason: 'MessageSid must appear once',
      },
    ],
    // account
    [
      'another account',
      params({ AccountSid: `AC${'1'.repeat(32)}` }),
      { accountSid: ACCOUNT },
      { ok: false, status: 403, reason: 'Wrong account' },
    ],
    [
      'no AccountSid when one is configured',
      without(params(), 'AccountSid'),
      { accountSid: ACCOUNT },
      {
        ok: false,
        status: 400,
        reason: 'Missing AccountSid',
      },
    ],
    [
      'an AccountSid cut short',
      params({ AccountSid: ACCOUNT.slice(0, 10) }),
      { accountSid: ACCOUNT },
      {
        ok: false,
        status: 400,
        reason: 'Malformed AccountSid',
      },
    ],
    [
      'AccountSid sent twice',
      Object.assign(params(), { AccountSid: [ACCOUNT, ACCOUNT] }),
      { accountSid: ACCOUNT },
      {
        ok: false,
        status: 400,
        reason: 'AccountSid must appear once',
      },
    ],
  ];

  it.each(cases)('%s', (_name, form, rules, expected) => {
    expect(checkTwilioParams(form, rules)).toEqual(expected);
  });

  it('checks names before ids, and ids before the account', () => {
    const everythingWrong = params({ MessageSid: 'SMa', AccountSid: 'ACx', zzz: '' });
    expect(checkTwilioParams(everythingWrong, { accountSid: ACCOUNT })).toMatchObject({ reason: 'Unexpected parameter name' });
    without(everythingWrong, 'zzz');
    expect(checkTwilioParams(everythingWrong, { accountSid: ACCOUNT })).toMatchObject({ reason: 'Malformed MessageSid' });
  });
});
