// Replays of a captured, signed request re-split into other parameters (issue 11, item 1).
//
// Twilio signs the URL followed by every parameter's name and value, sorted by name, with no
// delimiter. Any other list of parameters whose sorted concatenation is the same string carries
// the same valid signature. The test generates those lists from two real signed requests (a
// served lookup and a refused one, which could lock the citizen's number) and sends every one.
// Each must be refused, or (when it still carries the captured MessageSid, so it is that message
// again) be answered as a redelivery; and none may record anything: no audit row, no reply body,
// no change to the sender's state. On SQLite and on PostgreSQL.
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citizen } from '../src/testing/citizens.js';
import { PUBLIC_BASE, STORES, TOKEN, startTestServer, type TestServer } from './helpers/server.js';
import { parseForm } from '../src/sms/form.js';
import { inboundParams, signForm, testSid } from '../src/sms/twilioFixtures.js';
import { checkTwilioParams, TWILIO_PARAM_NAME } from '../src/sms/twilioParams.js';

const OWNER = citizen(); // 001099054321, +84912345678, Nguyễn Văn Thử
const OTHER = citizen({ idNumber: '079190000111', fullName: 'Trần Thị Khác', sex: 'F', dateOfBirth: '1990-02-03', phone: '+84987654321' });
const URL = `${PUBLIC_BASE}/sms`;

type Pair = readonly [name: string, value: string];

/** Pairs in the order Twilio signs them (JavaScript's default sort of the names, as the twilio package does). */
const sorted = (pairs: readonly Pair[]): Pair[] => [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
/**
 * True when `pairs`, which concatenate to the signed text by construction, are in the order Twilio
 * signs them, names distinct: the captured signature then holds for them.
 */
const inSignedOrder = (pairs: readonly Pair[]): boolean => pairs.every(([name], i) => i === 0 || (pairs[i - 1]?.[0] ?? '') < name);

/**
 * The attack as the review ran it: one parameter's value cut just before a lower-case letter, the
 * rest of the value made a new parameter's name (lower case sorts after every Twilio name), and
 * that new parameter given, as its value, everything that followed. For every parameter and every
 * such cut point. (Cuts before an upper-case letter or a digit are in {@link allResplits}.)
 */
function attackResplits(original: readonly Pair[]): Pair[][] {
  const pairs = sorted(original);
  const out: Pair[][] = [];
  pairs.forEach(([name, value], k) => {
    const following = pairs
      .slice(k + 1)
      .map(([n, v]) => n + v)
      .join('');
    for (let cut = 0; cut < value.length; cut++) {
      if (!/[a-z]/.test(value.charAt(cut))) continue;
      const resplit: Pair[] = [...pairs.slice(0, k), [name, value.slice(0, cut)], [value.slice(cut), following]];
      if (inSignedOrder(resplit)) out.push(resplit);
    }
  });
  return out;
}

/**
 * The general case: a run of consecutive parameters (from the k-th up to, not including, the m-th)
 * read as other parameters, in either of two ways:
 * - one parameter, its name ending anywhere in the run (moves a name/value boundary, merges parameters);
 * - the k-th parameter's name with its value cut anywhere, then one new parameter whose name and
 *   value split the rest of the run anywhere (the attack, without its "sorts last" condition).
 * Kept when the signature still holds; the original itself is left out.
 */
function allResplits(original: readonly Pair[]): Pair[][] {
  const pairs = sorted(original);
  const seen = new Set([JSON.stringify(pairs)]);
  const out: Pair[][] = [];
  const keep = (resplit: Pair[]) => {
    if (!inSignedOrder(resplit)) return;
    const key = JSON.stringify(resplit);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(resplit);
  };
  for (let k = 0; k < pairs.length; k++) {
    const [name = '', value = ''] = pairs[k] ?? [];
    for (let m = k + 1; m <= pairs.length; m++) {
      const before = pairs.slice(0, k);
      const after = pairs.slice(m);
      const rest = pairs
        .slice(k + 1, m)
        .map(([n, v]) => n + v)
        .join('');
      const run = name + value + rest;
      for (let a = 1; a <= run.length; a++) keep([...before, [run.slice(0, a), run.slice(a)], ...after]);
      for (let cut = 0; cut <= value.length; cut++) {
        const tail = value.slice(cut) + rest;
        for (let j = 1; j <= tail.length; j++) keep([...before, [name, value.slice(0, cut)], [tail.slice(0, j), tail.slice(j)], ...after]);
      }
    }
  }
  return out;
}

/** The fields the webhook reads. */
const READ = ['MessageSid', 'SmsSid', 'SmsMessageSid', 'AccountSid', 'From', 'Body'];
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const DATA = [OWNER.idNumber, OTHER.idNumber, 'Nguyen Van Thu', 'Nguyễn Văn Thử', 'Tran Thi Khac'];

const captured = [
  { name: 'a served lookup', body: `TT ${OWNER.idNumber}`, sid: testSid('captured served') },
  { name: 'a refused lookup (failures lock the number)', body: `TT ${OTHER.idNumber}`, sid: testSid('captured refused') },
];

describe.each(captured)('re-splits of $name, by the webhook’s rules', ({ body, sid }) => {
  const params = inboundParams(OWNER.phone, body, { MessageSid: sid });
  const { signature } = signForm(TOKEN, URL, params);
  const resplits = allResplits(Object.entries(params));

  it('the general case, every re-split: the webhook’s rules refuse it, or it is the captured message again', () => {
    expect(resplits.length).toBeGreaterThan(10_000);
    let refused = 0;
    const unsigned: Pair[][] = [];
    const acceptedAsAnother: Pair[][] = [];
    for (const resplit of resplits) {
      const form = parseForm(Buffer.from(new URLSearchParams(resplit.map(([n, v]): [string, string] => [n, v])).toString()));
      if (twilio.getExpectedTwilioSignature(TOKEN, URL, form) !== signature) unsigned.push(resplit);
      const verdict = checkTwilioParams(form);
      if (!verdict.ok) refused++;
      else if (verdict.messageSid !== sid) acceptedAsAnother.push(resplit);
    }
    expect(unsigned).toEqual([]);
    expect(acceptedAsAnother).toEqual([]);
    expect(refused).toBeGreaterThan(resplits.length / 2);
  });
});

describe.each(STORES)('on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer([OWNER, OTHER], { rateLimitPerHour: 1000, replyLimitPerHour: 1000 }, { store });
  });
  afterAll(async () => s.close());

  /** What the store holds that a replay could change. */
  async function recorded() {
    const counts = await s.store.counts();
    return {
      auditLog: counts.auditLog,
      replies: counts.replies,
      senders: counts.senders,
      sender: await s.store.senderState(OWNER.phone),
      trail: await s.store.auditTrail(OWNER.idNumber),
    };
  }

  /** Posts `pairs` as a form with the captured signature. */
  function replay(pairs: readonly Pair[], signature: string) {
    const body = new URLSearchParams(pairs.map(([n, v]): [string, string] => [n, v])).toString();
    return s.post('/sms', { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } });
  }

  /** Sends every request, a few at a time, and gives the answers in order. */
  async function replayAll(resplits: readonly Pair[][], signature: string) {
    const answers: Awaited<ReturnType<typeof replay>>[] = [];
    for (let i = 0; i < resplits.length; i += 16)
      answers.push(...(await Promise.all(resplits.slice(i, i + 16).map((r) => replay(r, signature)))));
    return answers;
  }

  describe.each(captured)('re-splits of $name', ({ body, sid }) => {
    const params = inboundParams(OWNER.phone, body, { MessageSid: sid });
    const pairs: Pair[] = Object.entries(params);
    const { signature } = signForm(TOKEN, URL, params);
    let original: { status: number; text: string };

    beforeAll(async () => {
      s.clock.now += 60_000;
      original = await s.post('/sms', {
        body: new URLSearchParams(params).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      });
      expect(original.status).toBe(200);
    });

    it('the attack: every cut of every value whose rest sorts last as a new name is refused with 400, naming no data', async () => {
      const resplits = attackResplits(pairs);
      // The review's case among them: MessageSid cut before each of its lower-case hex digits.
      const sidCuts = resplits.filter((r) => r.some(([n, v]) => n === 'MessageSid' && v !== sid));
      expect(sidCuts.length).toBe(sid.slice(2).replace(/[^a-f]/g, '').length);
      for (const r of resplits) expect(twilio.validateRequest(TOKEN, signature, URL, Object.fromEntries(r))).toBe(true);
      const before = await recorded();
      const answers = await replayAll(resplits, signature);
      answers.forEach((answer, i) => {
        expect({ resplit: resplits[i], status: answer.status }).toEqual({ resplit: resplits[i], status: 400 });
        expect(answer.text.length).toBeLessThan(80);
        for (const data of DATA) expect(answer.text).not.toContain(data);
      });
      expect(await recorded()).toEqual(before);
    });

    const resplits = allResplits(pairs);

    it('the general case through HTTP, one re-split of each kind the webhook can tell apart: refused or a redelivery, and nothing recorded', async () => {
      // The webhook reads only whether every name is Twilio's, and the fields below: re-splits that
      // agree on those get the same treatment (there are tens of thousands, too many to post).
      const kinds = new Map<string, Pair[]>();
      for (const resplit of resplits) {
        const values = new Map(resplit);
        const kind = JSON.stringify([resplit.every(([n]) => TWILIO_PARAM_NAME.test(n)), ...READ.map((name) => values.get(name) ?? null)]);
        if (!kinds.has(kind)) kinds.set(kind, resplit);
      }
      const representatives = [...kinds.values()];
      expect(representatives.length).toBeGreaterThan(50);
      const before = await recorded();
      const answers = await replayAll(representatives, signature);
      answers.forEach((answer, i) => {
        const resplit = representatives[i] ?? [];
        if (answer.status === 400 || answer.status === 403) {
          for (const data of DATA) expect(answer.text).not.toContain(data);
          return;
        }
        // Accepted only as the same message: its MessageSid untouched, answered as a redelivery (the
        // reply sent then, or nothing when the sender now reads differently).
        const messageSid = resplit.find(([n]) => n === 'MessageSid')?.[1];
        expect({ resplit, status: answer.status, messageSid }).toEqual({ resplit, status: 200, messageSid: sid });
        expect([original.text, EMPTY_TWIML]).toContain(answer.text);
      });
      expect(await recorded()).toEqual(before);
    });
  });
});
