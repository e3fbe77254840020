import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEntry, citizen } from '../testing/citizens.js';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { openSqliteStore, type SqliteStore } from './sqlite.js';
import type { AuditEntry } from '../audit/types.js';

const T0 = Date.UTC(2026, 10, 27, 3, 0, 0);
let dir: string;
let file: string;
let store: SqliteStore;

const audit = (over: Partial<AuditEntry> = {}): AuditEntry => auditEntry({ at: T0, ...over });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-'));
  file = join(dir, 'c.db');
  store = openSqliteStore(file);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('schema', () => {
  it('creates the schema at the current version in WAL mode, and reopening is a no-op', async () => {
    expect(await store.migrationsCurrent()).toBe(true);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    await store.close();
    store = openSqliteStore(file);
    expect(await store.migrationsCurrent()).toBe(true);
  });

  it('migration 3 keeps the cached replies of a version-2 database, now found through the audit row', async () => {
    await store.close();
    rmSync(file);
    const db = new Database(file);
    db.transaction(() => {
      for (const sql of MIGRATIONS.slice(0, 2)) db.exec(sql);
      db.prepare(
        `INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments)
        VALUES (?, 'SMold', '+84912345678', 'TT', '001099054321', 'served', 1)`,
      ).run(T0);
      db.prepare(`INSERT INTO message_replies (message_sid, at, twiml) VALUES ('SMold', ?, '<Response>old</Response>')`).run(T0);
      db.pragma('user_version = 2');
    })();
    db.close();
    store = openSqliteStore(file);
    expect(await store.migrationsCurrent()).toBe(true);
    expect(await store.findReply('SMold', T0)).toBe('<Response>old</Response>');
    expect(await store.findReply('SMold', T0 + 1)).toBeUndefined(); // older than the window asked for
    expect(await store.findReply('SMother', T0)).toBeUndefined();
  });

  it('refuses a database written by a newer program', async () => {
    store.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    await store.close();
    expect(() => openSqliteStore(file)).toThrow(/newer than this program/);
  });
});

describe('seeding', () => {
  it('inserts, then updates by ID number, and counts each', async () => {
    const s1 = await store.beginSeed({ atomic: true });
    await s1.write([citizen(), citizen({ idNumber: '001199012346', sex: 'F' })]);
    expect(await s1.commit()).toEqual({ inserted: 2, updated: 0 });
    const s2 = await store.beginSeed({ atomic: false });
    await s2.write([citizen({ fullName: 'Trần Thị Mới' }), citizen({ idNumber: '079300000001', dateOfBirth: '2000-01-01' })]);
    expect(await s2.commit()).toEqual({ inserted: 1, updated: 1 });
    expect((await store.findCitizen('001099054321'))?.fullName).toBe('Trần Thị Mới');
    expect(await store.findCitizen('999999999999')).toBeUndefined();
  });

  it('rolls an atomic run back whole', async () => {
    const s = await store.beginSeed({ atomic: true });
    await s.write([citizen()]);
    await s.rollback();
    expect((await store.counts()).citizens).toBe(0);
  });

  it('keeps committed batches of a non-atomic run when a later batch is abandoned', async () => {
    const s = await store.beginSeed({ atomic: false });
    await s.write([citizen()]);
    await s.rollback();
    expect((await store.counts()).citizens).toBe(1);
  });

  it('round-trips every field, nulls included', async () => {
    const c = citizen({ temporaryAddress: 'Tạm trú <&> "x"', cardIssuedOn: null, religion: null });
    const s = await store.beginSeed({ atomic: true });
    await s.write([c]);
    await s.commit();
    expect(await store.findCitizen(c.idNumber)).toEqual(c);
  });
});

describe('audit log', () => {
  it('is append-only: the database itself refuses UPDATE and DELETE', async () => {
    await store.recordMessage({ audit: audit(), twiml: '<Response/>' });
    expect(() => store.db.exec(`UPDATE audit_log SET outcome = 'refused'`)).toThrow(/append-only/);
    expect(() => store.db.exec(`DELETE FROM audit_log`)).toThrow(/append-only/);
    expect((await store.counts()).auditLog).toBe(1);
  });

  it('records a MessageSid once and hands back the first reply for a duplicate', async () => {
    expect(await store.recordMessage({ audit: audit(), twiml: 'first' })).toEqual({});
    expect(await store.recordMessage({ audit: audit({ outcome: 'refused' }), twiml: 'second' })).toEqual({
      duplicateOf: 'first',
    });
    expect(await store.findReply('SM0001', T0 - 1)).toBe('first');
    expect(await store.findReply('SM0001', T0 + 1)).toBeUndefined();
    expect((await store.counts()).auditLog).toBe(1);
  });

  it('group-commits concurrent messages in one transaction, each resolving once committed', async () => {
    const commits: (number | undefined)[] = [];
    const first = store.recordMessage({ audit: audit({ messageSid: 'SMg1' }), twiml: 'one' });
    const again = store.recordMessage({ audit: audit({ messageSid: 'SMg1', outcome: 'refused' }), twiml: 'two' });
    const other = store.recordMessage({ audit: audit({ messageSid: 'SMg2', outcome: 'refused' }), twiml: 'x', lockUntil: T0 + 5 });
    // Queued, not yet committed: the reads that enforce limits and idempotency already see them.
    expect((await store.counts()).auditLog).toBe(0);
    expect(await store.findReply('SMg1', T0)).toBe('one');
    expect(await store.recentLookups('+84912345678', T0, 10)).toEqual([T0, T0, T0]);
    expect(await store.countFailures('+84912345678', T0)).toBe(2);
    expect(await store.lockedUntil('+84912345678', T0)).toBe(T0 + 5);
    for (const p of [first, again, other])
      void p.then(() => commits.push(store.db.prepare<[], number>('SELECT count(*) FROM audit_log').pluck().get()));
    expect(await Promise.all([first, again, other])).toEqual([{}, { duplicateOf: 'one' }, {}]);
    expect(commits).toEqual([2, 2, 2]);
    expect(await store.countFailures('+84912345678', T0)).toBe(1);
    expect(await store.lockedUntil('+84912345678', T0)).toBe(T0 + 5);
  });

  it('fails every message of a batch whose commit fails', async () => {
    store.db.exec(`CREATE TRIGGER fail_all BEFORE INSERT ON message_replies BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const results = await Promise.allSettled([
      store.recordMessage({ audit: audit({ messageSid: 'SMf1' }), twiml: 'a' }),
      store.recordMessage({ audit: audit({ messageSid: 'SMf2' }), twiml: 'b' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await store.counts()).auditLog).toBe(0);
  });

  it('prunes only rows older than the cut-off, and stays append-only afterwards', async () => {
    await store.recordMessage({ audit: audit({ at: T0 - 400 * 86_400_000, messageSid: 'SMold' }), twiml: 'x' });
    await store.recordMessage({ audit: audit({ messageSid: 'SMnew' }), twiml: 'y' });
    const result = await store.pruneAudit(T0 - 365 * 86_400_000);
    expect(result).toMatchObject({ removed: 1, oldest: T0 - 400 * 86_400_000 });
    expect((await store.counts()).auditLog).toBe(1);
    // The pruned row's cached reply went with it; the kept one's stayed.
    expect(store.db.prepare('SELECT twiml FROM message_replies').pluck().all()).toEqual(['y']);
    expect(() => store.db.exec(`DELETE FROM audit_log`)).toThrow(/append-only/);
    expect(await store.pruneAudit(T0 - 365 * 86_400_000)).toEqual({ removed: 0 });
  });

  it('lists a record history newest first with the 30-day total, marking the owner', async () => {
    await store.recordMessage({ audit: audit({ at: T0 - 40 * 86_400_000, messageSid: 'a' }), twiml: '' });
    await store.recordMessage({ audit: audit({ at: T0 - 1000, messageSid: 'b', sender: '+84971234111', outcome: 'refused' }), twiml: '' });
    await store.recordMessage({ audit: audit({ at: T0, messageSid: 'c', command: 'CC' }), twiml: '' });
    await store.recordMessage({ audit: audit({ at: T0, messageSid: 'd', targetId: '079300000001' }), twiml: '' });
    const h = await store.accessHistory('001099054321', '+84912345678', { limit: 2, since: T0 - 30 * 86_400_000 });
    expect(h.total).toBe(2);
    expect(h.entries).toEqual([
      { at: T0, command: 'CC', outcome: 'served', sender: '+84912345678', bySelf: true },
      { at: T0 - 1000, command: 'TT', outcome: 'refused', sender: '+84971234111', bySelf: false },
    ]);
    expect((await store.auditTrail('001099054321')).map((e) => e.messageSid)).toEqual(['a', 'b', 'c']);
  });

  it('counts lookups and failures per sender within a window, ignoring refusals by a limit', async () => {
    const s = '+84912345678';
    await store.recordMessage({ audit: audit({ at: T0 - 10, messageSid: '1', outcome: 'served' }), twiml: '' });
    await store.recordMessage({ audit: audit({ at: T0 - 5, messageSid: '2', outcome: 'refused' }), twiml: '' });
    await store.recordMessage({ audit: audit({ at: T0 - 3, messageSid: '3', outcome: 'rate_limited' }), twiml: '' });
    await store.recordMessage({ audit: audit({ at: T0 - 1, messageSid: '4', outcome: 'help', targetId: null }), twiml: '' });
    expect(await store.recentLookups(s, T0 - 100, 10)).toEqual([T0 - 5, T0 - 10]);
    expect(await store.recentLookups(s, T0 - 7, 10)).toEqual([T0 - 5]);
    expect(await store.countFailures(s, T0 - 100)).toBe(1);
    expect(await store.countFailures('+84900000000', T0 - 100)).toBe(0);
  });
});

describe('senders', () => {
  it('locks with the message that completes a lockout, and the lock survives a reopen', async () => {
    await store.recordMessage({ audit: audit({ outcome: 'refused' }), twiml: '', lockUntil: T0 + 1000 });
    await store.close();
    store = openSqliteStore(file);
    expect(await store.lockedUntil('+84912345678', T0)).toBe(T0 + 1000);
    expect(await store.lockedUntil('+84912345678', T0 + 1000)).toBeUndefined();
    expect(await store.unlock('+84912345678')).toBe(true);
    expect(await store.lockedUntil('+84912345678', T0)).toBeUndefined();
  });

  it('records opt-out and opt-in', async () => {
    expect(await store.isOptedOut('+84912345678')).toBe(false);
    await store.setOptedOut('+84912345678', true, T0);
    expect(await store.isOptedOut('+84912345678')).toBe(true);
    await store.setOptedOut('+84912345678', false, T0);
    expect(await store.isOptedOut('+84912345678')).toBe(false);
  });
});

describe('operations', () => {
  it('backs up to a consistent copy', async () => {
    const s = await store.beginSeed({ atomic: true });
    await s.write([citizen()]);
    await s.commit();
    const copyPath = join(dir, 'copy.db');
    await store.backup(copyPath);
    const copy = openSqliteStore(copyPath);
    expect(await copy.counts()).toEqual({ citizens: 1, auditLog: 0 });
    expect(copy.db.pragma('integrity_check', { simple: true })).toBe('ok');
    await copy.close();
    expect(await store.sizeBytes()).toBeGreaterThan(0);
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
