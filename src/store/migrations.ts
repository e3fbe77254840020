/**
 * Numbered schema migrations. `PRAGMA user_version` holds the number of the last one applied;
 * each runs in its own transaction. Append new migrations; never edit an applied one.
 */
import { gapsMigration } from './chainRows.js';
import type Database from 'better-sqlite3';
import { EMPTY_SENDER, encodeSenderState, type SenderState } from '../audit/senders.js';

/**
 * One migration: SQL, or a function for what SQL alone cannot say. Runs inside a transaction.
 * `null` is a number reserved for a migration of another branch: nothing runs for it here.
 */
export type Migration = string | ((db: Database.Database) => void) | null;

export const MIGRATIONS: readonly Migration[] = [
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

  // 4: one state row per sender (the limits' windows, the lock, the opt-out), read and written in
  // the transaction that records each message: the decision and its record are one atomic step,
  // and a message needs one read instead of four. The audit log's sender index, which only the
  // limits read, goes. Carried over: opt-outs, current locks, and the lookups and failures of the
  // last 7 days (the rules keep what their windows need); the rows expire after those 7 days.
  migrateToSenderStates,

  // 5: delivery receipts. Each status callback Twilio posts for a reply is one row, append-only
  // like the audit log, linked to the audit row by the inbound message's MessageSid (`ref`, which
  // audit_log indexes as unique). Repeats and out-of-order callbacks are all kept.
  `CREATE TABLE delivery_events (
     id INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     ref TEXT NOT NULL,          -- audit_log.message_sid of the inbound message
     message_sid TEXT NOT NULL,  -- the outbound message (the reply)
     status TEXT NOT NULL,
     error_code TEXT
   );
   CREATE INDEX delivery_events_ref ON delivery_events (ref);
   CREATE TRIGGER delivery_events_no_update BEFORE UPDATE ON delivery_events
     BEGIN SELECT RAISE(ABORT, 'delivery_events is append-only'); END;
   CREATE TRIGGER delivery_events_no_delete BEFORE DELETE ON delivery_events
     BEGIN SELECT RAISE(ABORT, 'delivery_events is append-only'); END;`,

  // 6: the hash chain over the audit log (src/audit/chain.ts): one seal per sealed record, in seal
  // order, appended by the sealer after the rows commit; the chain's state (one row); and the
  // checkpoints retention leaves, themselves sealed. Seals hold hashes and ids only, no personal
  // data: they stay when retention removes the rows.
  `CREATE TABLE audit_chain (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     seq INTEGER NOT NULL,
     head TEXT NOT NULL,
     last_sealed_at INTEGER,
     scan_from INTEGER NOT NULL,
     candidate_id INTEGER,
     candidate_at INTEGER
   );
   INSERT INTO audit_chain (id, seq, head, last_sealed_at, scan_from) VALUES (1, 0, '${'0'.repeat(64)}', NULL, 0);
   CREATE TABLE audit_seals (
     seq INTEGER PRIMARY KEY,
     kind TEXT NOT NULL,          -- 'audit' (audit_log), 'prune' (audit_checkpoints); more kinds may follow
     row_id INTEGER NOT NULL,
     row_hash TEXT NOT NULL,
     sealed_at INTEGER NOT NULL,
     head TEXT NOT NULL,
     UNIQUE (kind, row_id)
   );
   CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals
     BEGIN SELECT RAISE(ABORT, 'audit_seals is append-only'); END;
   CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals
     BEGIN SELECT RAISE(ABORT, 'audit_seals is append-only'); END;
   CREATE TABLE audit_checkpoints (
     id INTEGER PRIMARY KEY,
     cut_seq INTEGER NOT NULL,
     cut_head TEXT NOT NULL,
     removed INTEGER NOT NULL,
     oldest INTEGER,
     newest INTEGER,
     at INTEGER NOT NULL
   );
   CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
     BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
   CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
     BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;`,

  // 7: the chain covers delivery events too: the sealer's pass over delivery_events has its
  // own read position, like the audit log's scan_from/candidate. Its first run seals the events
  // recorded before this migration.
  `ALTER TABLE audit_chain ADD COLUMN delivery_scan_from INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE audit_chain ADD COLUMN delivery_candidate_id INTEGER;
   ALTER TABLE audit_chain ADD COLUMN delivery_candidate_at INTEGER;`,

  // 8: the sealer reads below its read position only where it saw no row (the gaps), instead of
  // counting the rows and seals of the last minute or two on every run (src/store/sealPlan.ts).
  // The window the counts covered becomes one gap, so that a late commit in it is still found.
  gapsMigration('INTEGER'),
];

/** The schema version this code expects. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The trigger that blocks deletes; retention drops and re-creates it inside one transaction. */
export const AUDIT_NO_DELETE_TRIGGER = `CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`;

/** The same for the delivery receipts of the audit rows retention removes. */
export const DELIVERY_NO_DELETE_TRIGGER = `CREATE TRIGGER delivery_events_no_delete BEFORE DELETE ON delivery_events
  BEGIN SELECT RAISE(ABORT, 'delivery_events is append-only'); END;`;

/** Applies the migrations the database has not had yet. Refuses a database newer than the code. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true });
  if (typeof current !== 'number') throw new Error(`PRAGMA user_version gave ${String(current)}`);
  if (current > SCHEMA_VERSION) {
    throw new Error(`database schema version ${current} is newer than this program's ${SCHEMA_VERSION}`);
  }
  for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
    db.transaction(() => {
      const migration = MIGRATIONS[version - 1];
      if (typeof migration === 'function') migration(db);
      else if (typeof migration === 'string') db.exec(migration);
      db.pragma(`user_version = ${version}`);
    })();
  }
}

function migrateToSenderStates(db: Database.Database): void {
  db.exec(`CREATE TABLE senders (
     sender TEXT PRIMARY KEY,
     state TEXT NOT NULL,       -- encodeSenderState(); the store does not read inside it
     expires_at INTEGER         -- when the row may be deleted; NULL: kept (an opt-out)
   ) WITHOUT ROWID;
   CREATE INDEX senders_expiry ON senders (expires_at) WHERE expires_at IS NOT NULL;`);
  const now = Date.now();
  const since = now - 7 * 86_400_000;
  const states = new Map<string, { lookups: number[]; failures: number[]; lockedUntil: number | null; optedOut: boolean }>();
  const get = (sender: string) => {
    let s = states.get(sender);
    if (!s) states.set(sender, (s = { lookups: [], failures: [], lockedUntil: null, optedOut: false }));
    return s;
  };
  const lookups = db
    .prepare(`SELECT sender, at, outcome FROM audit_log WHERE at >= ? AND outcome IN ('served', 'refused') ORDER BY at DESC`)
    .all(since) as { sender: string; at: number; outcome: string }[];
  for (const row of lookups) {
    const s = get(row.sender);
    if (row.at > now - 3_600_000) s.lookups.push(row.at);
    if (row.outcome === 'refused' && s.failures.length < 100) s.failures.push(row.at);
  }
  for (const row of db.prepare(`SELECT sender, until FROM sender_locks WHERE until > ?`).all(now) as { sender: string; until: number }[]) {
    get(row.sender).lockedUntil = row.until;
  }
  for (const row of db.prepare(`SELECT sender FROM opt_outs`).all() as { sender: string }[]) get(row.sender).optedOut = true;
  const insert = db.prepare(`INSERT INTO senders (sender, state, expires_at) VALUES (?, ?, ?)`);
  for (const [sender, s] of states) {
    const state: SenderState = { ...EMPTY_SENDER, ...s };
    insert.run(sender, encodeSenderState(state), s.optedOut ? null : Math.max(now + 7 * 86_400_000, s.lockedUntil ?? 0));
  }
  db.exec(`DROP TABLE sender_locks; DROP TABLE opt_outs; DROP INDEX audit_log_sender_lookups;`);
}
