/**
 * Numbered schema migrations. `PRAGMA user_version` holds the number of the last one applied;
 * each runs in its own transaction. Append new migrations; never edit an applied one.
 */
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly string[] = [
  // 1: citizen records, keyed by ID number (WITHOUT ROWID: one b-tree, faster seeding and lookups).
  `CREATE TABLE citizens (
     id_number TEXT PRIMARY KEY,
     full_name TEXT NOT NULL,
     date_of_birth TEXT NOT NULL,
     sex TEXT NOT NULL CHECK (sex IN ('M', 'F')),
     phone TEXT NOT NULL,
     birth_registration_place TEXT,
     hometown TEXT,
     ethnicity TEXT,
     religion TEXT,
     nationality TEXT,
     permanent_address TEXT,
     temporary_address TEXT,
     current_address TEXT,
     card_issued_on TEXT,
     card_expires_on TEXT
   ) WITHOUT ROWID;`,

  // 2: the append-only audit log, the reply cache for redelivered messages, opt-outs and locks.
  `CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     message_sid TEXT NOT NULL UNIQUE,
     sender TEXT NOT NULL,
     command TEXT NOT NULL,
     target_id TEXT,
     outcome TEXT NOT NULL CHECK (outcome IN
       ('served', 'refused', 'rate_limited', 'locked', 'help', 'opted_out', 'no_reply')),
     segments INTEGER NOT NULL
   );
   -- Few indexes: each one is written for every message. LS reads by target; the hourly limit
   -- and the lockout read one sender's lookups. Retention scans (a rare admin command).
   CREATE INDEX audit_log_target ON audit_log (target_id, at) WHERE target_id IS NOT NULL;
   CREATE INDEX audit_log_sender_lookups ON audit_log (sender, at, outcome) WHERE outcome IN ('served', 'refused');
   CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
   CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

   -- Rows are appended in time order, so the oldest are the lowest rowids (pruned by rowid).
   CREATE TABLE message_replies (
     message_sid TEXT PRIMARY KEY,
     at INTEGER NOT NULL,
     twiml TEXT NOT NULL
   );

   CREATE TABLE opt_outs (sender TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE sender_locks (sender TEXT PRIMARY KEY, until INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;`,

  // 3: replies keyed by their audit row rather than by MessageSid. MessageSids are random, so a
  // second index on them cost a random b-tree page per message in every commit (about 15 µs); the
  // audit row's id only grows. Redelivery finds the reply through audit_log's MessageSid index.
  `CREATE TABLE message_replies_by_audit (
     audit_id INTEGER PRIMARY KEY, -- audit_log.id (no foreign key: a check per insert; pruning removes both)
     at INTEGER NOT NULL,
     twiml TEXT NOT NULL
   );
   INSERT INTO message_replies_by_audit (audit_id, at, twiml)
     SELECT a.id, r.at, r.twiml FROM message_replies r JOIN audit_log a ON a.message_sid = r.message_sid ORDER BY a.id;
   DROP TABLE message_replies;
   ALTER TABLE message_replies_by_audit RENAME TO message_replies;`,
];

/** The schema version this code expects. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The trigger that blocks deletes; retention drops and re-creates it inside one transaction. */
export const AUDIT_NO_DELETE_TRIGGER = `CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`;

/** Applies the migrations the database has not had yet. Refuses a database newer than the code. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true });
  if (typeof current !== 'number') throw new Error(`PRAGMA user_version gave ${String(current)}`);
  if (current > SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this program's ${SCHEMA_VERSION}`);
  }
  MIGRATIONS.forEach((sql, i) => {
    const version = i + 1;
    if (version <= current) return;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version}`);
    })();
  });
}
