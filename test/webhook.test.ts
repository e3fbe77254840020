// The webhook through real HTTP with real Twilio signatures: one canonical valid case and the
// failures derived from it. Each case checks what must happen and what must not (no data in the
// body, nothing recorded). Every case runs on SQLite and on PostgreSQL.
import { request } from 'node:http';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { citizen } from '../src/testing/citizens.js';
import { PUBLIC_BASE, STORES, TOKEN, startTestServer, type SmsOptions, type TestServer } from './helpers/server.js';
import { inboundParams, signForm, testSid } from '../src/sms/twilioFixtures.js';
import { twimlMessageAction, twimlMessageText } from '../src/sms/twiml.js';

const OWNER = citizen(); // 001099054321, +84912345678, Nguyễn Văn Thử
const CHILD = citizen({ idNumber: '001212000777', fullName: 'Nguyễn Thị Con', sex: 'F', dateOfBirth: '2012-01-02', cardIssuedOn: null });
const CHILD_SAME_PHONE = { ...CHILD, phone: OWNER.phone };
const OTHER = citizen({ idNumber: '079190000111', fullName: 'Trần Thị Khác', sex: 'F', dateOfBirth: '1990-02-03', phone: '+84987654321' });

const FULL_IDS = [OWNER.idNumber, CHILD.idNumber, OTHER.idNumber];
const NAMES = ['Nguyen Van Thu', 'Nguyễn Văn Thử', 'Nguyen Thi Con', 'Tran Thi Khac'];

function expectNoData(text: string) {
  for (const id of FULL_IDS) expect(text).not.toContain(id);
  for (const name of NAMES) expect(text).not.toContain(name);
}

interface Case {
  name: string;
  from?: string;
  body?: string;
  options?: SmsOptions;
  status: number;
  /** Whether the message is recorded in the audit log. */
  audited: boolean;
  /** Expected TwiML: 'empty' or 'message'. Only for 200s. */
  twiml?: 'empty' | 'message';
}

const cases: Case[] = [
  { name: 'no signature header', options: { unsigned: true }, status: 400, audited: false },
  { name: 'a signature made with another token', options: { token: 'not-the-token' }, status: 403, audited: false },
  { name: 'the Body changed after signing', options: { tamper: { Body: 'TT 079190000111' } }, status: 403, audited: false },
  { name: 'the From changed after signing', options: { tamper: { From: '+84987654321' } }, status: 403, audited: false },
  { name: 'a parameter added after signing', options: { tamper: { Extra: '1' } }, status: 403, audited: false },
  { name: 'a signed request without From', options: { omit: ['From'] }, status: 400, audited: false },
  {
    name: 'a signed request without MessageSid',
    options: { omit: ['MessageSid', 'SmsSid', 'SmsMessageSid'] },
    status: 400,
    audited: false,
  },
  {
    name: 'a signed MessageSid of 20,002 characters',
    options: { extra: { MessageSid: `SM${'0'.repeat(20_000)}` } },
    status: 400,
    audited: false,
  },
  { name: 'a signed MessageSid not in Twilio’s format', options: { extra: { MessageSid: 'SMa' } }, status: 400, audited: false },
  { name: 'a signed SmsSid that disagrees with MessageSid', options: { extra: { SmsSid: testSid('other') } }, status: 400, audited: false },
  { name: 'a signed parameter name Twilio never sends', options: { extra: { abc: 'x' } }, status: 400, audited: false },
  {
    name: 'a new parameter Twilio added, signed',
    options: { extra: { BrandNewTwilioParam: 'x' } },
    status: 200,
    audited: true,
    twiml: 'message',
  },
  { name: 'a From that is not a phone number', from: 'client:alice', status: 200, audited: true, twiml: 'empty' },
  { name: 'a sender outside Vietnam (SMS pumping)', from: '+14155550100', status: 200, audited: true, twiml: 'empty' },
  { name: 'someone else’s ID', from: '+84987654321', status: 200, audited: true, twiml: 'message' },
];

/** Where a parsed log line holds a stack trace: a `stack` key, or a value with stack frames, at any depth. */
function stackTraces(value: unknown, path = '$'): string[] {
  if (typeof value === 'string') return /\n\s*at |^\s*at \S+ \(?\S+:\d+:\d+\)?$/m.test(value) ? [path] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => [...(key === 'stack' ? [`${path}.${key}`] : []), ...stackTraces(v, `${path}.${key}`)]);
}

describe.each(STORES)('on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer([OWNER, CHILD_SAME_PHONE, OTHER], {}, { store });
  });
  afterAll(async () => s.close());

  const auditCount = async () => (await s.store.counts()).auditLog;
  describe('the canonical valid case', () => {
    it('answers TT from the registered phone with the sender’s own record, as TwiML', async () => {
      const before = await auditCount();
      const res = await s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: testSid('canonical') } });
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^text\/xml/);
      const head = `<?xml version="1.0" encoding="UTF-8"?><Response><Message action="${PUBLIC_BASE}/sms/status?ref=${testSid('canonical')}" method="POST">`;
      expect(res.text.startsWith(head)).toBe(true);
      expect(res.text).toMatch(/[^<]+<\/Message><\/Response>$/);
      expect(res.text).toContain('Nguyen Van Thu');
      expect(res.text).toContain('001******321');
      expect(res.text).not.toContain('001099054321');
      expect(res.text).not.toContain('Tran Thi Khac');
      expect(await auditCount()).toBe(before + 1);
    });
  });

  describe('failures derived from the canonical case', () => {
    it.each(cases)('$name', async (c) => {
      const before = await auditCount();
      const res = await s.sms(c.from ?? '+84912345678', c.body ?? 'TT 001099054321', c.options);
      expect(res.status).toBe(c.status);
      expect(await auditCount()).toBe(before + (c.audited ? 1 : 0));
      if (c.status !== 200 || c.twiml === 'empty' || c.from === '+84987654321') expectNoData(res.text);
      if (c.status !== 200) expect(res.text.length).toBeLessThan(80);
      if (c.twiml === 'empty') expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
      if (c.twiml === 'message') expect(res.text).toContain('<Message ');
    });
  });

  describe('only the sender’s own data', () => {
    const refusals = [
      ['an unknown ID', '+84912345678', 'TT 001099099999'],
      ['someone else’s ID', '+84912345678', 'TT 079190000111'],
      ['an unregistered sender', '+84933333333', 'TT 001099054321'],
      ['a structurally invalid ID', '+84912345678', 'TT 999999999999'],
    ] as const;

    it('gives every refusal the same byte-identical reply but for its own status callback, with no data', async () => {
      const replies = new Set<string>();
      for (const [i, [, from, body]] of refusals.entries()) {
        const sid = testSid(`refusal ${i}`);
        const res = await s.sms(from, body, { extra: { MessageSid: sid } });
        expect(res.status).toBe(200);
        expectNoData(res.text);
        expect(twimlMessageAction(res.text)).toBe(`${PUBLIC_BASE}/sms/status?ref=${sid}`);
        replies.add(res.text.replace(sid, 'REF'));
      }
      expect(replies.size).toBe(1);
    });

    it('refuses an unknown ID next to the sender’s own, or after every record, like any other', async () => {
      const t = await startTestServer([OWNER], {}, { store });
      try {
        const refusal = twimlMessageText((await t.sms('+84912345678', 'TT 001099099999')).text);
        for (const id of ['001099054320', '001099054322', '099999999999']) {
          const res = await t.sms('+84912345678', `TT ${id}`);
          expect(twimlMessageText(res.text)).toBe(refusal);
          expectNoData(res.text);
        }
        expect((await t.store.auditTrail('001099054320')).map((e) => e.outcome)).toEqual(['refused']);
      } finally {
        await t.close();
      }
    });

    it('serves each of two citizens sharing one phone their own record only', async () => {
      const parent = await s.sms('+84912345678', 'TT 001099054321');
      const child = await s.sms('+84912345678', 'TT 001212000777');
      expect(parent.text).toContain('Nguyen Van Thu');
      expect(parent.text).not.toContain('Nguyen Thi Con');
      expect(child.text).toContain('Nguyen Thi Con');
      expect(child.text).not.toContain('Nguyen Van Thu');
    });

    it('accepts an ID written with spaces and a lower-case keyword', async () => {
      const res = await s.sms('+84912345678', 'tt 001 099 054 321');
      expect(res.text).toContain('Nguyen Van Thu');
    });
  });

  describe('HTTP edges', () => {
    it('answers GET /sms with 405 and no data, and records nothing, even for a lookup in the query', async () => {
      const before = await auditCount();
      const query = new URLSearchParams(inboundParams('+84912345678', 'TT 001099054321')).toString();
      const res = await fetch(`${s.url}/sms?${query}`);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(await res.text()).toBe('Method not allowed');
      expect(await auditCount()).toBe(before);
    });

    it('refuses a JSON body with 415', async () => {
      const res = await s.post('/sms', { body: '{"From":"+84912345678"}', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(415);
    });

    it('refuses a body over 64 KiB with 413', async () => {
      const params = { From: '+84912345678', Body: 'x'.repeat(70_000), MessageSid: testSid('big') };
      const { body, signature } = signForm('t', `${PUBLIC_BASE}/sms`, params);
      const res = await s.post('/sms', {
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      });
      expect(res.status).toBe(413);
    });

    it.each([
      ['a Latin-1 charset', 'application/x-www-form-urlencoded; charset=iso-8859-1'],
      ['no content type', ''],
    ])('refuses a form with %s with 415', async (_name, type) => {
      const { body, signature } = signForm(TOKEN, `${PUBLIC_BASE}/sms`, {
        From: '+84912345678',
        Body: 'TT 001099054321',
        MessageSid: testSid('cs'),
      });
      const headers: Record<string, string> = { 'x-twilio-signature': signature };
      if (type) headers['content-type'] = type;
      const before = await auditCount();
      const res = await s.post('/sms', { body, headers });
      expect(res.status).toBe(415);
      expect(await auditCount()).toBe(before);
    });

    it('accepts an explicit UTF-8 charset', async () => {
      const { body, signature } = signForm(
        TOKEN,
        `${PUBLIC_BASE}/sms`,
        inboundParams('+84912345678', 'TT 001099054321', { MessageSid: testSid('utf') }),
      );
      const res = await s.post('/sms', {
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset="UTF-8"', 'x-twilio-signature': signature },
      });
      expect(res.status).toBe(200);
      expect(res.text).toContain('Nguyen Van Thu');
    });

    it('refuses a chunked body (no Content-Length) that grows over 64 KiB with 413', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${s.url}/sms`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        for (let i = 0; i < 10; i++) req.write(`Body=${'x'.repeat(10_000)}&`);
        req.end();
      });
      expect(status).toBe(413);
    });

    it('refuses a compressed body with 415', async () => {
      const res = await s.post('/sms', {
        body: 'x',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip', 'x-twilio-signature': 'x' },
      });
      expect(res.status).toBe(415);
    });

    it('refuses a field sent twice, signed or not, with 400 and records nothing', async () => {
      const url = `${PUBLIC_BASE}/sms`;
      const sid = testSid('dup');
      const body = `From=%2B84912345678&From=%2B84987654321&Body=TT+001099054321&MessageSid=${sid}`;
      const signature = twilio.getExpectedTwilioSignature(TOKEN, url, {
        From: ['+84912345678', '+84987654321'],
        Body: 'TT 001099054321',
        MessageSid: sid,
      });
      const before = await auditCount();
      const res = await s.post('/sms', {
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      });
      expect(res.status).toBe(400);
      expect(res.text).not.toContain('Nguyen');
      expect(await auditCount()).toBe(before);
    });

    it.each([
      ['a broken percent escape', `From=%2B84912345678&Body=TT%2&MessageSid=${testSid('1')}`],
      ['invalid UTF-8 in an escape', `From=%2B84912345678&Body=%C3%28&MessageSid=${testSid('1')}`],
    ])('refuses %s with 400', async (_name, body) => {
      const res = await s.post('/sms', {
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'x' },
      });
      expect(res.status).toBe(400);
      expect(res.text).not.toMatch(/Error|at \w+ \(/);
    });

    it('answers unknown paths with 404', async () => {
      expect((await fetch(`${s.url}/nope`)).status).toBe(404);
    });

    it('reports health and readiness', async () => {
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    });
  });

  describe('strange bodies get a normal answer, never a crash or data', () => {
    const bodies: [string, string][] = [
      ['over 1,600 characters', `TT 001099054321 ${'x'.repeat(2000)}`],
      ['NUL bytes', 'TT\u0000 001099054321\u0000'],
      ['emoji only', '😀😀😀'],
      ['zero-width and direction marks', '\u200bH\u200eD\u202e'],
      ['only spaces', '   '],
    ];
    beforeEach(() => {
      s.clock.now += 1;
    });
    it.each(bodies)('%s', async (_name, body) => {
      const res = await s.sms('+84987654321', body);
      expect(res.status).toBe(200);
      expect(res.text).toContain('<Message ');
      expectNoData(res.text);
    });
  });

  describe('a store that fails', () => {
    it('answers 503 with no detail, logs one line, and health says 503', async () => {
      const broken = await startTestServer([OWNER], {}, { store });
      try {
        await broken.breakStore();
        const res = await broken.sms('+84912345678', 'TT 001099054321');
        expect(res.status).toBe(503);
        expect(res.text).toBe('Service unavailable');
        expect((await fetch(`${broken.url}/healthz`)).status).toBe(503);
        expect((await fetch(`${broken.url}/readyz`)).status).toBe(503);
        // Each write is one JSON line; JSON.parse turns escaped newlines back into real ones.
        const lines = broken.logs.map((l) => l.replace(/\n$/, ''));
        expect(lines.filter((l) => l.includes('\n'))).toEqual([]);
        const errors = lines
          .map((l): unknown => JSON.parse(l))
          .filter((e) => e !== null && typeof e === 'object' && 'level' in e && e.level === 50);
        expect(errors.length).toBeGreaterThanOrEqual(1);
        for (const e of errors) {
          expect(stackTraces(e)).toEqual([]);
          expect(JSON.stringify(e)).not.toContain('001099054321');
        }
      } finally {
        await broken.close().catch(() => {});
      }
    });
  });

  describe('with TWILIO_ACCOUNT_SID configured', () => {
    const ACCOUNT = `AC${'0123456789abcdef'.repeat(2)}`;
    let a: TestServer;
    beforeAll(async () => {
      a = await startTestServer([OWNER], {}, { accountSid: ACCOUNT, store });
    });
    afterAll(async () => a.close());

    it.each<[string, SmsOptions, number]>([
      ['the configured account', { extra: { AccountSid: ACCOUNT } }, 200],
      ['another account', { extra: { AccountSid: `AC${'1'.repeat(32)}` } }, 403],
      ['no AccountSid', { omit: ['AccountSid'] }, 400],
      ['an AccountSid cut short', { extra: { AccountSid: ACCOUNT.slice(0, 20) } }, 400],
    ])('a signed request from %s', async (_name, options, status) => {
      const before = (await a.store.counts()).auditLog;
      const res = await a.sms('+84912345678', 'TT 001099054321', options);
      expect(res.status).toBe(status);
      expect((await a.store.counts()).auditLog).toBe(before + (status === 200 ? 1 : 0));
      if (status !== 200) {
        expectNoData(res.text);
        expect(res.text.length).toBeLessThan(80);
      }
    });
  });
});
