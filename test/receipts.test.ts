// Delivery receipts through real HTTP with real Twilio signatures, on SQLite and PostgreSQL: every
// reply asks for its status at /sms/status?ref=<inbound MessageSid>; each signed callback is
// appended to delivery_events (repeats and out-of-order ones too) and shown by lifecycle rank in
// the audit trail and LS; error 21610 opts the sender out; /metrics counts statuses and codes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { citizen } from '../src/testing/citizens.js';
import { signForm, statusParams, testSid } from '../src/sms/twilioFixtures.js';
import { twimlMessageAction, twimlMessageText } from '../src/sms/twiml.js';
import { PUBLIC_BASE, TOKEN, startTestServerOn, type TestServer } from './helpers/server.js';

const OWNER = citizen(); // 001099054321, +84912345678
const OTHER_PHONE = '+84971234111';
const ACCOUNT = 'AC00000000000000000000000000000000';
const MINUTE = 60_000;

describe.each(['sqlite', 'postgres'] as const)('delivery receipts on %s', (backend) => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startTestServerOn(backend, [OWNER], {}, { accountSid: ACCOUNT });
  });
  afterEach(async () => s.close());

  const trail = async () => (await s.store.auditTrail(OWNER.idNumber)).map((e) => [e.messageSid, e.deliveries.map((d) => d.status)]);
  const metrics = async () => (await fetch(`${s.url}/metrics`)).text();

  it('every reply carries its status callback, and a redelivery gets the byte-identical reply', async () => {
    const sid = testSid('tt');
    const first = await s.sms(OWNER.phone, 'TT 001099054321', { extra: { MessageSid: sid } });
    expect(twimlMessageAction(first.text)).toBe(`${PUBLIC_BASE}/sms/status?ref=${sid}`);
    expect(first.text).toContain(`<Message action="${PUBLIC_BASE}/sms/status?ref=${sid}" method="POST">`);
    expect(twimlMessageText(first.text)).toContain('Nguyen Van Thu');
    const again = await s.sms(OWNER.phone, 'TT 001099054321', { extra: { MessageSid: sid } });
    expect(again.text).toBe(first.text);
    const refusal = await s.sms(OTHER_PHONE, 'TT 001099054321', { extra: { MessageSid: testSid('other') } });
    expect(twimlMessageAction(refusal.text)).toBe(`${PUBLIC_BASE}/sms/status?ref=${testSid('other')}`);
    // Nothing sent, nothing to report: STOP answers an empty response.
    expect((await s.sms(OWNER.phone, 'STOP')).text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });

  it('keeps every signed callback, repeats and out-of-order ones, answering an empty 204; the latest by lifecycle is shown', async () => {
    const ref = testSid('lookup');
    const out = testSid('reply');
    await s.sms(OWNER.phone, 'TT 001099054321', { extra: { MessageSid: ref } });
    for (const [i, status] of ['sent', 'queued', 'delivered', 'sent', 'delivered'].entries()) {
      s.clock.now += 1000 * (i + 1);
      const res = await s.status(ref, out, status);
      expect([res.status, res.text]).toEqual([204, '']);
    }
    expect(await trail()).toEqual([[ref, ['sent', 'queued', 'delivered', 'sent', 'delivered']]]);
    const [access] = await s.store.auditTrail(OWNER.idNumber);
    expect(access?.deliveries[0]).toMatchObject({ ref, messageSid: out, status: 'sent', errorCode: null });
    const history = await s.store.accessHistory(OWNER.idNumber, OWNER.phone, { limit: 5, since: 0 });
    expect(history.entries.map((e) => e.delivery)).toEqual(['delivered']);
    expect(await metrics()).toMatch(/sms_delivery_status_total\{status="delivered"\} 2/);
    expect(await metrics()).toMatch(/sms_delivery_status_total\{status="sent"\} 2/);
  });

  it('refuses callbacks that are unsigned, signed for another ref, or re-split, and records none', async () => {
    const ref = testSid('lookup');
    const out = testSid('reply');
    await s.sms(OWNER.phone, 'TT 001099054321', { extra: { MessageSid: ref } });
    const signedForOther = await s.status(testSid('someone else'), out, 'delivered', {
      path: `/sms/status?ref=${testSid('someone else')}`,
    });
    expect(signedForOther.status).toBe(204); // a ref we never issued: recorded nowhere
    const cases: [string, Promise<{ status: number }>, number][] = [
      ['a wrong token', s.status(ref, out, 'delivered', { token: 'not-the-token' }), 403],
      ['a bad ref', s.status(ref, out, 'delivered', { path: '/sms/status?ref=SM1' }), 400],
      ['no ref', s.status(ref, out, 'delivered', { path: '/sms/status' }), 400],
      ['a lower-case parameter (re-split bytes)', s.status(ref, out, 'delivered', { extra: { xtra: '1' } }), 400],
      ['another account', s.status(ref, out, 'delivered', { extra: { AccountSid: `AC${'1'.repeat(32)}` } }), 403],
      ['a malformed status', s.status(ref, out, 'Delivered'), 400],
    ];
    for (const [name, res, status] of cases) expect([name, (await res).status]).toEqual([name, status]);
    // Signed for one ref, posted to another: the URL is what Twilio signs.
    const { body, headers } = signedFor(ref, out);
    const moved = await s.post(`/sms/status?ref=${testSid('moved')}`, { body, headers });
    expect(moved.status).toBe(403);
    const unsigned = await s.post(`/sms/status?ref=${ref}`, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(unsigned.status).toBe(400);
    expect(await trail()).toEqual([[ref, []]]);
    expect((await s.store.counts()).deliveryEvents).toBe(0);
    expect(await metrics()).toMatch(/sms_delivery_unmatched_total 1/);
    expect((await fetch(`${s.url}/sms/status?ref=${ref}`)).status).toBe(405);
  });

  it('error 21610 opts the sender out: later lookups get no reply until START', async () => {
    const ref = testSid('lookup');
    await s.sms(OWNER.phone, 'TT 001099054321', { extra: { MessageSid: ref } });
    expect((await s.status(ref, testSid('reply'), 'undelivered', { extra: { ErrorCode: '30003' } })).status).toBe(204);
    expect((await s.store.senderState(OWNER.phone)).optedOut).toBe(false); // another error does not
    expect((await s.status(ref, testSid('reply'), 'failed', { extra: { ErrorCode: '21610' } })).status).toBe(204);
    expect((await s.store.senderState(OWNER.phone)).optedOut).toBe(true);
    s.clock.now += MINUTE;
    const after = await s.sms(OWNER.phone, 'TT 001099054321');
    expect(after.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    const m = await metrics();
    expect(m).toMatch(/sms_delivery_errors_total\{code="21610"\} 1/);
    expect(m).toMatch(/sms_delivery_errors_total\{code="30003"\} 1/);
    expect(m).toMatch(/sms_delivery_status_total\{status="failed"\} 1/);
    expect(m).toMatch(/sms_carrier_opt_outs_total 1/);
    expect(twimlMessageText((await s.sms(OWNER.phone, 'START')).text)).toBeDefined();
    expect((await s.sms(OWNER.phone, 'TT 001099054321')).text).toContain('Nguyen Van Thu');
  });

  it('LS marks the accesses whose reply was never delivered', async () => {
    const delivered = testSid('delivered');
    const failed = testSid('failed');
    await s.sms(OWNER.phone, 'TT 001099054321', { extra: { MessageSid: delivered } });
    s.clock.now += MINUTE;
    await s.sms(OWNER.phone, 'CC 001099054321', { extra: { MessageSid: failed } });
    await s.status(delivered, testSid('r1'), 'delivered');
    await s.status(failed, testSid('r2'), 'sent');
    await s.status(failed, testSid('r2'), 'undelivered', { extra: { ErrorCode: '30005' } });
    s.clock.now += MINUTE;
    const text = twimlMessageText((await s.sms(OWNER.phone, 'LS 001099054321')).text) ?? '';
    const lines = text.split('\n');
    expect(lines.find((l) => l.includes(' CC '))).toMatch(/\(khong den may\)$/);
    expect(lines.find((l) => l.includes(' TT '))).not.toMatch(/khong den may/);
  });
});

/** A callback signed for `ref`, to post elsewhere. */
function signedFor(ref: string, out: string): { body: string; headers: Record<string, string> } {
  const { body, signature } = signForm(TOKEN, `${PUBLIC_BASE}/sms/status?ref=${ref}`, statusParams(out, 'delivered'));
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } };
}
