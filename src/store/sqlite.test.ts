// What only the SQLite store does: its schema and migrations, the triggers that keep the audit log
// append-only, group commit, never waiting for another process's lock on the event loop, and
// backups. What every store does is in contract.test.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordEntry } from '../testing/audit.js';
import { auditEntry, citizen } from '../testing/citizens.js';
import { EMPTY_SENDER } from '../audit/senders.js';
import type { AuditEntry } from '../audit/types.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { openSqliteStore, type SqliteStore } from './sqlite.js';
import { StoreOpenError, StoreUnavailableError, type Decide } from './types.js';

const T0 = Date.UTC(2026, 10, 27, 3, 0, 0);
let dir: string;
let file: string;
let store: SqliteStore;

const audit = (over: Partial<AuditEntry> = {}): AuditEntry => auditEntry({ at: T0, ...over });
const help: Decide = () => ({ command: 'HELP', outcome: 'help', segments: 1, twiml: 'help' });
const admission = (messageSid: string) => ({ at: T0, messageSid, sender: '+84912345678', tracked: true, targetId: null });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'store-'));
  file = join(dir, 'c.db');
  store = openSqliteStore(file);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Builds a database at an older schema version, with `fill` run on it. */
function databaseAt(version: number, fill: (db: Database.Database) => void): void {
  const db = new Database(file);
  db.transaction(() => {
    for (const m of MIGRATIONS.slice(0, version)) {
      if (typeof m === 'string') db.exec(m);
      else if (m !== null) m(db);
    }
    fill(db);
    db.pragma(`user_version = ${version}`);
  })();
  db.close();
}

describe('schema', () => {
  it('creates the schema at the current version in WAL mode, and reopening is a no-op', async () => {
    expect(await store.migrationsCurrent()).toBe(true);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    await store.close();
    store = openSqliteStore(file);
    expect(await store.migrationsCurrent()).toBe(true);
  });

  it('migration 3 keeps the cached replies of a version-2 database, found again by a redelivery', async () => {
    await store.close();
    rmSync(file);
    databaseAt(2, (db) => {
      db.prepare(
        `INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments)
         VALUES (?, 'SMold', '+84912345678', 'TT', '001099054321', 'served', 1)`,
      ).run(T0);
      db.prepare(`INSERT INTO message_replies (message_sid, at, twiml) VALUES ('SMold', ?, '<Response>old</Response>')`).run(T0);
    });
    store = openSqliteStore(file);
    expect(await store.migrationsCurrent()).toBe(true);
    expect(await store.admit(admission('SMold'), help)).toEqual({
      duplicate: true,
      original: { command: 'TT', outcome: 'served', segments: 1 },
      twiml: '<Response>old</Response>',
    });
  });

  it('migration 4 carries opt-outs, current locks and recent lookups and failures into sender states', async () => {
    await store.close();
    rmSync(file);
    const now = Date.now();
    databaseAt(3, (db) => {
      const insert = db.prepare(
        `INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments) VALUES (?, ?, ?, 'TT', NULL, ?, 1)`,
      );
      insert.run(now - 60_000, 'SM1', '+84912345678', 'served');
      insert.run(now - 30_000, 'SM2', '+84912345678', 'refused');
      insert.run(now - 2 * 3_600_000, 'SM3', '+84912345678', 'refused'); // a failure, but outside the hour
      insert.run(now - 10 * 86_400_000, 'SM4', '+84971234111', 'refused'); // older than 7 days: dropped
      db.prepare(`INSERT INTO sender_locks (sender, until, at) VALUES ('+84987654321', ?, ?), ('+84900000001', ?, ?)`).run(
        now + 3_600_000,
        now,
        now - 1,
        now - 2,
      );
      db.prepare(`INSERT INTO opt_outs (sender, at) VALUES ('+84911111111', ?)`).run(now);
    });
    store = openSqliteStore(file);
    expect(await store.senderState('+84912345678')).toEqual({
      ...EMPTY_SENDER,
      lookups: [now - 30_000, now - 60_000],
      failures: [now - 30_000, now - 2 * 3_600_000],
    });
    expect((await store.senderState('+84987654321')).lockedUntil).toBe(now + 3_600_000);
    expect(await store.senderState('+84900000001')).toEqual(EMPTY_SENDER); // an ended lock is not carried
    expect((await store.senderState('+84911111111')).optedOut).toBe(true);
    expect(await store.senderState('+84971234111')).toEqual(EMPTY_SENDER);
    const tables = store.db
      .prepare(`SELECT name FROM sqlite_schema WHERE name IN ('opt_outs', 'sender_locks', 'audit_log_sender_lookups')`)
      .all();
    expect(tables).toEqual([]);
  });

  it('migration 8 makes the window the counts covered one gap, so that a late row in it is still sealed', async () => {
    await store.close();
    rmSync(file);
    const hash = 'a'.repeat(64);
    databaseAt(7, (db) => {
      const insert = db.prepare(`INSERT INTO audit_log (id, at, message_sid, sender, command, target_id, outcome, segments)
        VALUES (?, ?, ?, '+84912345678', 'HELP', NULL, 'help', 1)`);
      const seal = db.prepare(`INSERT INTO audit_seals (seq, kind, row_id, row_hash, sealed_at, head) VALUES (?, 'audit', ?, ?, ?, ?)`);
      for (const [seq, id] of [1, 2, 4].entries()) {
        insert.run(id, T0, `SM${id}`);
        seal.run(seq + 1, id, hash, T0 + 1000, hash);
      }
      db.prepare(`UPDATE audit_chain SET seq = 3, head = ?, last_sealed_at = ?, candidate_id = 4, candidate_at = ?`).run(
        hash,
        T0 + 1000,
        T0 + 1000,
      );
    });
    store = openSqliteStore(file);
    expect(store.db.prepare(`SELECT read_to, gaps FROM audit_chain`).get()).toEqual({ read_to: 4, gaps: '[[1,4]]' });
    // Row 3 commits late (as on PostgreSQL): below the highest id sealed, within the limit.
    store.db
      .prepare(
        `INSERT INTO audit_log (id, at, message_sid, sender, command, target_id, outcome, segments)
        VALUES (3, ?, 'SM3', '+84912345678', 'HELP', NULL, 'help', 1)`,
      )
      .run(T0 + 1500);
    expect((await store.sealAudit(T0 + 2000)).sealed).toBe(1);
    expect(await store.readUnsealedAudit(0, 10)).toEqual([]);
  });

  it('refuses, in one line, a database written by a newer program and a file that is not a database', async () => {
    store.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    await store.close();
    expect(() => openSqliteStore(file)).toThrow(StoreOpenError);
    expect(() => openSqliteStore(file)).toThrow(
      /^cannot open the database .*: database schema version \d+ is newer than this program's \d+$/,
    );
    const text = join(dir, 'notes.db');
    writeFileSync(text, 'these are notes, not a database\n'.repeat(100));
    expect(() => openSqliteStore(text)).toThrow(/^cannot open the database .*notes\.db: file is not a database$/);
    expect(() => openSqliteStore(join(dir, 'missing.db'), { readonly: true })).toThrow(/^no database at /);
    store = openSqliteStore(join(dir, 'fresh.db'));
  });
});

describe('the audit log', () => {
  it('is append-only: the database itself refuses UPDATE and DELETE', async () => {
    await recordEntry(store, audit());
    expect(() => store.db.exec(`UPDATE audit_log SET outcome = 'refused'`)).toThrow(/append-only/);
    expect(() => store.db.exec(`DELETE FROM audit_log`)).toThrow(/append-only/);
    await store.pruneAudit(T0 - 1);
    expect(() => store.db.exec(`DELETE FROM audit_log`)).toThrow(/append-only/); // still, after a prune
    expect((await store.counts()).auditLog).toBe(1);
  });

  it('keeps the chain’s seals and checkpoints append-only too', async () => {
    await recordEntry(store, audit({ at: T0 - 400 * 86_400_000, messageSid: 'SMold' }));
    await recordEntry(store, audit({ messageSid: 'SMnew' }));
    expect(await store.pruneAudit(T0 - 365 * 86_400_000, T0)).toMatchObject({ removed: 1, checkpoint: { id: 1 } });
    for (const table of ['audit_seals', 'audit_checkpoints']) {
      const column = table === 'audit_seals' ? 'sealed_at' : 'at';
      expect(() => store.db.exec(`UPDATE ${table} SET ${column} = 0`)).toThrow(/append-only/);
      expect(() => store.db.exec(`DELETE FROM ${table}`)).toThrow(/append-only/);
    }
  });
});

describe('group commit', () => {
  it('commits concurrent messages in one transaction, each resolving only once committed', async () => {
    const committed: number[] = [];
    const admits = ['SMg1', 'SMg1', 'SMg2'].map((sid) => store.admit(admission(sid), help));
    // Queued, not committed: another connection sees nothing yet.
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare('SELECT count(*) FROM audit_log').pluck().get()).toBe(0);
    for (const p of admits) void p.then(() => committed.push(reader.prepare('SELECT count(*) FROM audit_log').pluck().get() as number));
    const results = await Promise.all(admits);
    reader.close();
    expect(results.map((r) => r.duplicate)).toEqual([false, true, false]);
    expect(committed).toEqual([2, 2, 2]);
  });

  it('fails every message of a batch whose commit fails, and records none of them', async () => {
    store.db.exec(`CREATE TRIGGER fail_all BEFORE INSERT ON message_replies BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const results = await Promise.allSettled([store.admit(admission('SMf1'), help), store.admit(admission('SMf2'), help)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await store.counts()).auditLog).toBe(0);
  });
});

describe('another process holding the write lock', () => {
  /** Another connection, as a seed or an admin command would hold it. */
  function holdLock(): { release: () => void } {
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    other.prepare(`INSERT INTO senders (sender, state, expires_at) VALUES ('+84900000000', '{}', 1)`).run();
    return {
      release: () => {
        other.exec('COMMIT');
        other.close();
      },
    };
  }

  it('never blocks the event loop: the message waits, timers and reads go on, and it commits after the release', async () => {
    const lock = holdLock();
    let settled = false;
    const admitted = store.admit(admission('SMwait'), help).finally(() => (settled = true));
    const ticks: number[] = [];
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        ticks.push(performance.now() - started);
        if (ticks.length === 10) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    expect(settled).toBe(false);
    expect(await store.findCitizen('001099054321')).toBeUndefined(); // reads are not blocked
    expect(ticks.every((t, i) => t < (i + 1) * 10 + 200)).toBe(true);
    lock.release();
    await expect(admitted).resolves.toMatchObject({ duplicate: false });
    expect((await store.counts()).auditLog).toBe(1);
  });

  it('fails with StoreUnavailableError past its deadline, recording nothing', async () => {
    await store.close();
    store = openSqliteStore(file, { writeTimeoutMs: 100 });
    const lock = holdLock();
    try {
      await expect(store.admit(admission('SMlate'), help)).rejects.toThrow(StoreUnavailableError);
    } finally {
      lock.release();
    }
    expect((await store.counts()).auditLog).toBe(0);
  });

  it('gives a redelivery no data before the original is committed, and fails both when the commit fails', async () => {
    store.db.exec(`CREATE TRIGGER fail_all BEFORE INSERT ON message_replies BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const lock = holdLock();
    const decide: Decide = () => ({
      command: 'TT',
      outcome: 'served',
      segments: 2,
      twiml: '<Response><Message>Ho ten: Nguyen Van Thu</Message></Response>',
    });
    const original = store.admit(admission('SMdup'), decide);
    const redelivery = store.admit(admission('SMdup'), decide);
    let answered = false;
    void redelivery.then(() => (answered = true)).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    lock.release();
    const results = await Promise.allSettled([original, redelivery]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await store.counts()).auditLog).toBe(0);
  });
});

describe('backups', () => {
  it('writes a consistent copy, readable by its owner only, with no expired reply bodies and nothing beside it', async () => {
    const s = await store.beginSeed({ atomic: true });
    await s.write([citizen()]);
    await s.commit();
    await recordEntry(
      store,
      audit({ at: T0 - 3_600_000, messageSid: 'SMold' }),
      '<Response><Message>OLD-SECRET-REPLY</Message></Response>',
    );
    await recordEntry(store, audit({ at: T0, messageSid: 'SMnew' }), '<Response><Message>new reply</Message></Response>');
    const copyPath = join(dir, 'copy.db');
    await store.backup(copyPath, { now: T0, repliesBefore: T0 - 60_000 });
    expect(statSync(copyPath).mode & 0o777).toBe(0o600);
    expect(existsSync(`${copyPath}-wal`) || existsSync(`${copyPath}-shm`)).toBe(false);
    expect(readFileSync(copyPath).includes('OLD-SECRET-REPLY')).toBe(false); // not even in free pages
    const copy = openSqliteStore(copyPath, { readonly: true });
    expect(await copy.counts()).toEqual({ citizens: 1, auditLog: 2, replies: 1, senders: 0, deliveryEvents: 0 });
    expect(await copy.checkIntegrity()).toEqual([]);
    // Opened read-only, it says so (a server on it would not be ready).
    expect(await copy.acceptsWrites()).toBe(false);
    expect(await store.acceptsWrites()).toBe(true);
    await copy.close();
    await expect(store.backup(copyPath, { now: T0, repliesBefore: T0 })).rejects.toThrow(/EEXIST/);
  });
});
