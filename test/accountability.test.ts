// Accountability through the real webhook: one audit row per message, LS, the hourly limit, the
// lockout (both surviving a restart), redelivered MessageSids, and logs free of personal data, on
// SQLite and on PostgreSQL; then what each database does while another connection holds a lock.
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { citizen } from '../src/testing/citizens.js';
import { untilSessionsWaitForLocks } from '../src/testing/postgres.js';
import { STORES, startTestServer, T0, type TestServer } from './helpers/server.js';
import { testSid } from '../src/sms/twilioFixtures.js';
import { twimlMessageText } from '../src/sms/twiml.js';

const OWNER = citizen(); // 001099054321, +84912345678
const OTHER = citizen({
  idNumber: '079190000111',
  fullName: 'Trần Thị Khác',
  sex: 'F',
  dateOfBirth: '1990-02-03',
  phone: '+84971234111',
  permanentAddress: '9 Đường Khác, Huế',
});
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe.each(STORES)('on %s', (store) => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startTestServer([OWNER, OTHER], {}, { store });
  });
  afterEach(async () => s.close());

  /** The audit log as the store reads it, in log order. */
  const auditRows = async () => s.store.readAudit(0, 10_000);

  describe('audit log', () => {
    it('records every signed message once, with its outcome, and nothing for a rejected signature', async () => {
      await s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: testSid('a') } });
      await s.sms('+84912345678', 'HD', { extra: { MessageSid: testSid('b') } });
      await s.sms('+84971234111', 'CT 001099054321', { extra: { MessageSid: testSid('c') } });
      await s.sms('+84912345678', 'TT', { extra: { MessageSid: testSid('d') } });
      await s.sms('+84912345678', 'STOP', { extra: { MessageSid: testSid('e') } });
      await s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: testSid('f') } });
      await s.sms('+14155550100', 'TT 001099054321', { extra: { MessageSid: testSid('g') } });
      await s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: testSid('h') }, token: 'wrong' });
      const rows = await auditRows();
      expect(rows.map((r) => [r.messageSid, r.command, r.targetId, r.outcome])).toEqual([
        [testSid('a'), 'TT', '001099054321', 'served'],
        [testSid('b'), 'HELP', null, 'help'],
        [testSid('c'), 'CT', '001099054321', 'refused'],
        [testSid('d'), 'TT', null, 'help'],
        [testSid('e'), 'STOP', null, 'opted_out'],
        [testSid('f'), 'TT', '001099054321', 'opted_out'],
        [testSid('g'), 'TT', '001099054321', 'no_reply'],
      ]);
      expect(rows[0]).toMatchObject({ at: T0, sender: '+84912345678' });
      expect(rows[0]?.segments).toBeGreaterThanOrEqual(1);
      expect(rows[4]?.segments).toBe(0);
    });

    it('cannot be changed through the database, from a connection of its own', async () => {
      await s.sms('+84912345678', 'TT 001099054321');
      await expect(s.sql(`UPDATE audit_log SET outcome = 'help'`)).rejects.toThrow(/append-only/);
      await expect(s.sql(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
      expect(await auditRows()).toHaveLength(1);
    });
  });

  describe('LS: who looked at my data', () => {
    it('lists the latest accesses newest first, masks other numbers, counts 30 days, and leaves itself out', async () => {
      s.clock.now = T0 - 40 * 24 * HOUR; // outside the 30 days: counted in no total, but listed if among the 5 latest
      await s.sms('+84912345678', 'CC 001099054321');
      s.clock.now = T0;
      await s.sms('+84912345678', 'TT 001099054321'); // 10:00 by the citizen
      s.clock.now = T0 + 5 * MINUTE;
      await s.sms('+84971234111', 'TT 001099054321'); // 10:05 someone else: refused
      s.clock.now = T0 + 7 * MINUTE;
      const res = await s.sms('+84912345678', 'LS 001099054321');
      const text = res.text;
      const lines = text.replace(/^.*<Message[^>]*>|<\/Message>.*$/gs, '').split('\n');
      const entries = lines.filter((l) => /^\d\d\/\d\d \d\d:\d\d /.test(l));
      expect(entries).toHaveLength(3);
      expect(entries[0]).toMatch(/^27\/11 10:05 TT .*\+8497\*\*\*111/);
      expect(entries[1]).toMatch(/^27\/11 10:00 TT .*ban/);
      expect(entries[2]).toMatch(/^18\/10 10:00 CC/);
      expect(text).toMatch(/Tong 30 ngay: 2/);
      expect(text).not.toContain('+84971234111');
      expect(text).not.toContain('LS ');
      // A second LS lists the first one.
      s.clock.now = T0 + 8 * MINUTE;
      const again = await s.sms('+84912345678', 'LOG 001099054321');
      expect(again.text).toMatch(/27\/11 10:07 LOG served you/);
      expect(again.text).toMatch(/Total last 30 days: 3/);
    });

    it('is refused like TT to anyone but the registered phone', async () => {
      const res = await s.sms('+84971234111', 'LS 001099054321');
      const refusal = await s.sms('+84971234111', 'TT 001099054321');
      expect(twimlMessageText(res.text)).toBe(twimlMessageText(refusal.text)); // the same SMS; each asks its own status
    });
  });

  describe('hourly limit', () => {
    it('allows 10 lookups per rolling hour, then says when to try again, and counts no help messages', async () => {
      for (let i = 0; i < 10; i++) {
        s.clock.now = T0 + i * MINUTE;
        await s.sms('+84912345678', 'HD');
        const res = await s.sms('+84912345678', 'TT 001099054321');
        expect(res.text).toContain('Nguyen Van Thu');
      }
      s.clock.now = T0 + 30 * MINUTE;
      const limited = await s.sms('+84912345678', 'TT 001099054321');
      expect(limited.text).toMatch(/thu lai sau 11:00/);
      expect(limited.text).not.toContain('Nguyen Van Thu');
      // Refused by the limit: not counted, so the window still frees at 11:00 and 11:01.
      await s.reopen();
      s.clock.now = T0 + HOUR - 1;
      expect((await s.sms('+84912345678', 'TT 001099054321')).text).toMatch(/thu lai sau 11:00/);
      s.clock.now = T0 + HOUR;
      expect((await s.sms('+84912345678', 'TT 001099054321')).text).toContain('Nguyen Van Thu');
      expect((await s.sms('+84912345678', 'TT 001099054321')).text).toMatch(/thu lai sau 11:01/);
    });
  });

  describe('lockout', () => {
    it('locks a sender for 24 hours after 5 failed verifications in 24 hours, even for a correct lookup', async () => {
      for (let i = 0; i < 4; i++) {
        s.clock.now = T0 + i * HOUR;
        await s.sms('+84912345678', 'TT 079190000111');
      }
      s.clock.now = T0 + 4 * HOUR;
      expect((await s.sms('+84912345678', 'TT 001099054321')).text).toContain('Nguyen Van Thu');
      await s.sms('+84912345678', 'TT 079190000111'); // the 5th failure at 14:00
      await s.reopen();
      s.clock.now = T0 + 5 * HOUR;
      const locked = await s.sms('+84912345678', 'TT 001099054321');
      expect(locked.text).toMatch(/khoa den 14:00 28\/11/);
      expect(locked.text).not.toContain('Nguyen Van Thu');
      expect((await s.sms('+84912345678', 'HD')).text).toContain('TT');
      s.clock.now = T0 + 28 * HOUR;
      expect((await s.sms('+84912345678', 'TT 001099054321')).text).toContain('Nguyen Van Thu');
    });

    it('does not lock for failures spread over more than 24 hours', async () => {
      for (let i = 0; i < 5; i++) {
        s.clock.now = T0 + i * 7 * HOUR;
        await s.sms('+84912345678', 'TT 079190000111');
      }
      s.clock.now = T0 + 35 * HOUR;
      expect((await s.sms('+84912345678', 'TT 001099054321')).text).toContain('Nguyen Van Thu');
    });
  });

  describe('every reply counts against an hourly budget per number', () => {
    it('answers help, usage and START only up to the budget, then records no_reply and sends nothing', async () => {
      const limited = await startTestServer([OWNER], { replyLimitPerHour: 20 }, { store });
      try {
        const texts: string[] = [];
        for (let i = 0; i < 30; i++)
          texts.push((await limited.sms('+84971234111', i % 3 === 0 ? 'HD' : i % 3 === 1 ? 'TT' : 'START')).text);
        expect(texts.slice(0, 20).every((t) => t.includes('<Message '))).toBe(true);
        expect(texts.slice(20)).toEqual(Array(10).fill('<?xml version="1.0" encoding="UTF-8"?><Response/>'));
        const rows = await limited.store.readAudit(0, 100);
        expect(rows.slice(20).map((r) => [r.outcome, r.segments])).toEqual(Array(10).fill(['no_reply', 0]));
        // Another number is not affected, and the budget comes back an hour after the first reply.
        expect((await limited.sms('+84912345678', 'HD')).text).toContain('<Message ');
        limited.clock.now = T0 + HOUR;
        expect((await limited.sms('+84971234111', 'HD')).text).toContain('<Message ');
      } finally {
        await limited.close();
      }
    });
  });

  describe('START', () => {
    it('answers in English when the sender last wrote in English, and in Vietnamese otherwise', async () => {
      await s.sms('+84912345678', 'HELP');
      await s.sms('+84912345678', 'STOP');
      expect((await s.sms('+84912345678', 'START')).text).toContain('You will receive replies again.');
      await s.sms('+84971234111', 'STOP');
      expect((await s.sms('+84971234111', 'START')).text).toContain('Ban se nhan lai tin tra loi.');
    });
  });

  describe('redelivered MessageSid', () => {
    it('gets the byte-identical reply, is not audited again and counts against no limit', async () => {
      const first = await s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: testSid('same') } });
      s.clock.now = T0 + HOUR;
      for (let i = 0; i < 15; i++) {
        const again = await s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: testSid('same') } });
        expect(again.text).toBe(first.text);
      }
      expect(await auditRows()).toHaveLength(1);
      expect((await s.sms('+84912345678', 'TT 001099054321')).text).toContain('Nguyen Van Thu');
      // The log line of a redelivery shows what was sent again, not a reply-less outcome.
      const lines = s.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.messageSid === testSid('same'));
      expect(lines).toHaveLength(16);
      expect(lines[0]).toMatchObject({ command: 'TT', outcome: 'served', duplicate: false });
      expect(lines[0]).not.toHaveProperty('resent');
      expect(lines[15]).toMatchObject({
        command: 'TT',
        outcome: 'served',
        segments: lines[0]?.segments,
        duplicate: true,
        resent: 'earlier reply',
      });
    });

    it('answers an empty reply, not audited again, once the reply body has expired', async () => {
      await s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: testSid('late') } });
      s.clock.now = T0 + 11 * MINUTE;
      await s.store.pruneExpired({ now: s.clock.now, repliesBefore: s.clock.now - 10 * MINUTE }); // what the retention timer does
      const late = await s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: testSid('late') } });
      expect(late.status).toBe(200);
      expect(late.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
      expect(await auditRows()).toHaveLength(1);
      const line = s.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.messageSid === testSid('late'))[1];
      expect(line).toMatchObject({ command: 'TT', outcome: 'served', segments: 0, duplicate: true, resent: 'empty response' });
    });

    it('answers a redelivered refusal identically without counting a second failure', async () => {
      for (let i = 0; i < 6; i++) await s.sms('+84912345678', 'TT 079190000111', { extra: { MessageSid: testSid('bad') } });
      expect((await s.store.senderState('+84912345678')).failures).toEqual([T0]);
    });
  });

  describe('private logs', () => {
    it('writes one JSON line per request with no phone, ID number, body or record field', async () => {
      const messages: [string, string][] = [
        ['+84912345678', 'TT 001099054321'],
        ['+84912345678', 'CT 001099054321'],
        ['+84912345678', 'CC 001099054321'],
        ['+84912345678', 'LS 001099054321'],
        ['+84971234111', 'TT 001099054321'],
        ['+84971234111', 'Xin chào, tôi tên là Trần Thị Khác'],
        ['+14155550100', 'INFO 079190000111'],
        ['not-a-phone', 'hello'],
      ];
      for (const [from, body] of messages) await s.sms(from, body);
      const lines = s.logs.join('').trim().split('\n');
      const requestLines = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'sms');
      expect(requestLines).toHaveLength(messages.length);
      for (const l of requestLines)
        expect(Object.keys(l)).toEqual(expect.arrayContaining(['reqId', 'messageSid', 'command', 'outcome', 'ms']));
      const forbidden = [
        '+84912345678',
        '84912345678',
        '0912345678',
        '912345678',
        '+84971234111',
        '971234111',
        '4155550100',
        'not-a-phone',
        '001099054321',
        '079190000111',
        '054321',
        'Xin chào',
        'Xin chao',
        'hello',
        OWNER.fullName,
        'Nguyen Van Thu',
        OTHER.fullName,
        'Tran Thi Khac',
        '1999-05-14',
        '14/05/1999',
        'Phố Thử',
        'Pho Thu',
        'Đường Khác',
      ];
      const all = s.logs.join('');
      for (const value of forbidden) expect(all, value).not.toContain(value);
    });
  });
});

describe('SQLite only: another connection holds the write lock', () => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startTestServer([OWNER, OTHER]);
  });
  afterEach(async () => s.close());

  it('a message and its redelivery wait; when the commit that then gets the lock fails, both are answered 503 and nothing was sent unaudited', async () => {
    const sid = testSid('in flight');
    const lookup = () => s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: sid } });
    const writer = new Database(sqliteFile(s)); // another process's connection, as a seed's
    let answers: Awaited<ReturnType<typeof lookup>>[];
    try {
      writer.exec('BEGIN IMMEDIATE'); // holds SQLite's one write lock
      const delivered = [lookup(), lookup()]; // the message, and Twilio's redelivery of it
      await new Promise((resolve) => setTimeout(resolve, 300)); // both are read and waiting for the lock
      // The write that then gets the lock fails (a full disk, an I/O error): the audit insert aborts.
      writer.exec(`CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
      writer.exec('COMMIT');
      answers = await Promise.all(delivered);
      writer.exec('DROP TRIGGER fail_audit');
    } finally {
      writer.close();
    }
    await expectNothingSentUnaudited(s, sid, answers);
  });
});

describe('PostgreSQL only: another session holds the sender’s row', () => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startTestServer([OWNER, OTHER], {}, { store: 'postgres' });
  });
  afterEach(async () => s.close());

  it('a message and its redelivery, on two connections, wait; when each commit then fails, both are answered 503 and nothing was sent unaudited', async () => {
    const sid = testSid('in flight');
    const lookup = () => s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: sid } });
    expect((await s.sms('+84912345678', 'HD')).status).toBe(200); // the sender now has a state row
    const holder = new pg.Client({ connectionString: postgresUrl(s) }); // another node's session, or an officer's
    holder.on('error', () => undefined); // its session ended by the database's removal after a failure
    await holder.connect();
    let answers: Awaited<ReturnType<typeof lookup>>[];
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM senders WHERE sender = $1 FOR UPDATE`, ['+84912345678']);
      const delivered = [lookup(), lookup()]; // the message, and Twilio's redelivery of it
      await untilSessionsWaitForLocks(postgresUrl(s), 2); // both have read and wait for the sender's row
      // The writes that then get the row fail (a full disk): the audit insert raises.
      await holder.query(`CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'disk full' USING ERRCODE = 'disk_full'; END $$`);
      await holder.query(`CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION fail_audit()`);
      await holder.query('COMMIT');
      answers = await Promise.all(delivered);
      await holder.query('DROP TRIGGER fail_audit ON audit_log');
    } finally {
      await holder.end();
    }
    await expectNothingSentUnaudited(s, sid, answers);
  });
});

function sqliteFile(s: TestServer): string {
  if (s.file === undefined) throw new Error('not a SQLite test server');
  return s.file;
}

function postgresUrl(s: TestServer): string {
  if (s.databaseUrl === undefined) throw new Error('not a PostgreSQL test server');
  return s.databaseUrl;
}

/**
 * Both deliveries of `sid` were answered 503 and nothing about it was recorded; no reply carried
 * data that the audit log does not hold. Then Twilio retries: served once, recorded once.
 */
async function expectNothingSentUnaudited(s: TestServer, sid: string, answers: { status: number; text: string }[]): Promise<void> {
  const rowsOf = async () => (await s.store.readAudit(0, 10_000)).filter((r) => r.messageSid === sid);
  const audited = (await rowsOf()).filter((r) => r.outcome === 'served').length;
  expect(answers.filter((a) => a.text.includes('Nguyen Van Thu')).length).toBeLessThanOrEqual(audited);
  expect(answers.map((a) => [a.status, a.text])).toEqual([
    [503, 'Service unavailable'],
    [503, 'Service unavailable'],
  ]);
  expect(await rowsOf()).toEqual([]);
  const retry = await s.sms('+84912345678', 'TT 001099054321', { extra: { MessageSid: sid } });
  expect(retry.text).toContain('Nguyen Van Thu');
  expect((await rowsOf()).map((r) => [r.messageSid, r.outcome])).toEqual([[sid, 'served']]);
}
