// Every refused webhook request leaves exactly one log line with its status and reason, and
// never the signature, the sender, the message or any other parameter value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citizen } from '../src/testing/citizens.js';
import { inboundParams, signForm, testSid } from '../src/sms/twilioFixtures.js';
import { PUBLIC_BASE, TOKEN, startTestServer, type TestServer } from './helpers/server.js';

const OWNER = citizen(); // 001099054321, +84912345678
const FORM = 'application/x-www-form-urlencoded';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer([OWNER]);
});
afterAll(async () => s.close());

function signed(params: Record<string, string>, token = TOKEN) {
  return signForm(token, `${PUBLIC_BASE}/sms`, params);
}

/** The `webhook request refused` lines logged while `act` runs. */
async function refusals(
  act: () => Promise<{ status: number }>,
): Promise<{ status: number; lines: Record<string, unknown>[]; raw: string }> {
  const before = s.logs.length;
  const { status } = await act();
  const raw = s.logs.slice(before).join('');
  const lines = s.logs
    .slice(before)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'webhook request refused');
  return { status, lines, raw };
}

const wrongToken = signed(inboundParams(OWNER.phone, `TT ${OWNER.idNumber}`, { MessageSid: testSid('wrong') }), 'another-token');
const cases: [string, () => Promise<{ status: number }>, number, RegExp][] = [
  ['no signature', () => s.sms(OWNER.phone, `TT ${OWNER.idNumber}`, { unsigned: true }), 400, /^Missing X-Twilio-Signature$/],
  [
    'a wrong signature',
    () => s.post('/sms', { body: wrongToken.body, headers: { 'content-type': FORM, 'x-twilio-signature': wrongToken.signature } }),
    403,
    /^Forbidden: X-Twilio-Signature does not match$/,
  ],
  ['a GET', () => fetch(`${s.url}/sms?From=%2B84912345678&Body=TT+${OWNER.idNumber}`), 405, /^GET is not allowed/],
  [
    'a body over 64 KiB',
    () => {
      const big = signed({ From: OWNER.phone, Body: 'x'.repeat(70_000), MessageSid: testSid('big') });
      return s.post('/sms', { body: big.body, headers: { 'content-type': FORM, 'x-twilio-signature': big.signature } });
    },
    413,
    /^Payload too large$/,
  ],
  [
    'a JSON body',
    () =>
      s.post('/sms', {
        body: JSON.stringify({ From: OWNER.phone, Body: `TT ${OWNER.idNumber}` }),
        headers: { 'content-type': 'application/json' },
      }),
    415,
    /./,
  ],
  [
    'a signed request without MessageSid',
    () => s.sms(OWNER.phone, `TT ${OWNER.idNumber}`, { omit: ['MessageSid'] }),
    400,
    /^Missing MessageSid$/,
  ],
];

describe('refused webhook requests', () => {
  it.each(cases)('logs one line for %s, with the reason and no secret or personal data', async (_name, act, status, reason) => {
    const r = await refusals(act);
    expect(r.status).toBe(status);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ level: 40, status });
    expect(String(r.lines[0]?.reason)).toMatch(reason);
    expect(r.raw).not.toContain(OWNER.idNumber);
    expect(r.raw).not.toContain('912345678');
    expect(r.raw).not.toContain(wrongToken.signature);
    expect(r.raw).not.toContain(TOKEN);
  });

  it('names, for a wrong signature, the URL it checked, so that a PUBLIC_BASE_URL mistake shows', async () => {
    const r = await refusals(() =>
      s.post('/sms?x=1', { body: wrongToken.body, headers: { 'content-type': FORM, 'x-twilio-signature': wrongToken.signature } }),
    );
    expect(r.lines[0]?.detail).toBe(
      `not signed for ${PUBLIC_BASE}/sms (and its query) with TWILIO_AUTH_TOKEN: the URL in the Twilio console must be exactly this one`,
    );
  });

  it('logs no refusal for an accepted request', async () => {
    const r = await refusals(() => s.sms(OWNER.phone, `TT ${OWNER.idNumber}`));
    expect(r.status).toBe(200);
    expect(r.lines).toHaveLength(0);
  });
});
