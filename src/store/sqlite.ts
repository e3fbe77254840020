/**
 * The SQLite implementation of {@link Store}, on better-sqlite3: WAL mode, statements prepared
 * once, migrations applied on open.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AccessEntry, AuditCommand, AuditEntry, LookupCommand, Outcome } from '../audit/types.js';
import type { Citizen } from '../citizens/types.js';
import { startCheckpointer, type Checkpointer, type CheckpointerOptions } from './checkpointer.js';
import { AUDIT_NO_DELETE_TRIGGER, SCHEMA_VERSION, migrate } from './migrations.js';
import { beginSeed, toCitizen, UPSERT_CITIZEN, type CitizenRow } from './sqliteCitizens.js';
import { REPLY_CACHE_MS, type MessageRecord, type SeedSession, type Store, type StoreCounts } from './types.js';

interface AuditRow {
  at: number;
  message_sid: string;
  sender: string;
  command: string;
  target_id: string | null;
  outcome: string;
  segments: number;
}

function toAuditEntry(r: AuditRow): AuditEntry {
  return {
    at: r.at,
    messageSid: r.message_sid,
    sender: r.sender,
    command: r.command as AuditCommand,
    targetId: r.target_id,
    outcome: r.outcome as Outcome,
    segments: r.segments,
  };
}

/** Options for {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Open without creating or migrating (for read-only admin use). Default false. */
  readonly?: boolean;
  /**
   * Checkpoint the WAL on a worker thread instead of in the commits of this connection (the
   * server's choice). This connection then checkpoints only if the WAL passes 10,000 pages.
   */
  backgroundCheckpoint?: CheckpointerOptions;
}

/** WAL pages after which a commit checkpoints when a background checkpointer runs (40 MiB). */
const SAFETY_AUTOCHECKPOINT_PAGES = 10_000;

/** Opens (creating when missing) the database file and brings its schema up to date. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  if (path !== ':memory:' && !options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db);
  }
  const store = new SqliteStore(db, path);
  if (options.backgroundCheckpoint && !options.readonly && path !== ':memory:') {
    db.pragma(`wal_autocheckpoint = ${SAFETY_AUTOCHECKPOINT_PAGES}`);
    store.checkpointer = startCheckpointer(path, options.backgroundCheckpoint);
  }
  return store;
}

/** {@link Store} over one better-sqlite3 connection. */
export class SqliteStore implements Store {
  private readonly stmt;
  private recordsSincePrune = 0;
  /** The background checkpointer, when one runs; stopped by {@link close}. */
  checkpointer: Checkpointer | undefined;
  /** Messages waiting for the next group commit. */
  private pending: { record: MessageRecord; resolve: (r: { duplicateOf?: string }) => void; reject: (e: unknown) => void }[] = [];

  constructor(
    /** The underlying connection (exposed for tests and the benchmark). */
    readonly db: Database.Database,
    private readonly path: string,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      findCitizen: p(`SELECT * FROM citizens WHERE id_number = ?`),
      upsertCitizen: p(UPSERT_CITIZEN),
      countCitizens: p(`SELECT count(*) AS n FROM citizens`).pluck(),
      countAudit: p(`SELECT count(*) AS n FROM audit_log`).pluck(),
      findReply: p(`SELECT r.twiml FROM audit_log a JOIN message_replies r ON r.audit_id = a.id
        WHERE a.message_sid = ? AND r.at >= ?`).pluck(),
      insertAudit: p(`INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments)
        VALUES (@at, @messageSid, @sender, @command, @targetId, @outcome, @segments)
        ON CONFLICT (message_sid) DO NOTHING`),
      insertReply: p(`INSERT INTO message_replies (audit_id, at, twiml) VALUES (?, ?, ?)`),
      anyReply: p(`SELECT r.twiml FROM audit_log a JOIN message_replies r ON r.audit_id = a.id WHERE a.message_sid = ?`).pluck(),
      pruneReplies: p(`DELETE FROM message_replies WHERE audit_id IN
        (SELECT audit_id FROM message_replies ORDER BY audit_id LIMIT 2000) AND at < ?`),
      upsertLock: p(`INSERT INTO sender_locks (sender, until, at) VALUES (?, ?, ?)
        ON CONFLICT (sender) DO UPDATE SET until = max(until, excluded.until), at = excluded.at`),
      lockedUntil: p(`SELECT until FROM sender_locks WHERE sender = ? AND until > ?`).pluck(),
      unlock: p(`DELETE FROM sender_locks WHERE sender = ?`),
      isOptedOut: p(`SELECT 1 FROM opt_outs WHERE sender = ?`).pluck(),
      optOut: p(`INSERT INTO opt_outs (sender, at) VALUES (?, ?) ON CONFLICT (sender) DO UPDATE SET at = excluded.at`),
      optIn: p(`DELETE FROM opt_outs WHERE sender = ?`),
      countFailures: p(`SELECT count(*) FROM audit_log INDEXED BY audit_log_sender_lookups
        WHERE sender = ? AND outcome IN ('served', 'refused') AND outcome = 'refused' AND at >= ?`).pluck(),
      history: p(`SELECT at, command, outcome, sender FROM audit_log INDEXED BY audit_log_target
        WHERE target_id = ? ORDER BY at DESC, id DESC LIMIT ?`),
      historyCount: p(`SELECT count(*) FROM audit_log INDEXED BY audit_log_target WHERE target_id = ? AND at >= ?`).pluck(),
      trail: p(`SELECT at, message_sid, sender, command, target_id, outcome, segments FROM audit_log
        WHERE target_id = ? ORDER BY at, id`),
      pruneRange: p(`SELECT count(*) AS removed, min(at) AS oldest, max(at) AS newest FROM audit_log WHERE at < ?`),
      pruneAudit: p(`DELETE FROM audit_log WHERE at < ?`),
      pruneAuditReplies: p(`DELETE FROM message_replies WHERE audit_id IN (SELECT id FROM audit_log WHERE at < ?)`),
    };
  }

  async findCitizen(idNumber: string): Promise<Citizen | undefined> {
    const row = this.stmt.findCitizen.get(idNumber) as CitizenRow | undefined;
    return row ? toCitizen(row) : undefined;
  }

  async beginSeed({ atomic }: { atomic: boolean }): Promise<SeedSession> {
    return beginSeed(this.db, this.stmt.upsertCitizen, this.stmt.countCitizens, atomic);
  }

  async findReply(messageSid: string, since: number): Promise<string | undefined> {
    for (const { record } of this.pending) {
      if (record.audit.messageSid === messageSid && record.audit.at >= since) return record.twiml;
    }
    return this.stmt.findReply.get(messageSid, since) as string | undefined;
  }

  /**
   * Group commit: the record joins a queue that one transaction writes on the next turn of the
   * event loop, so a burst of messages shares one commit. The promise resolves only once its row
   * is committed, so no reply leaves before its audit row is durable; if the commit fails, every
   * message of the batch fails (and is answered 503, so Twilio retries it).
   */
  recordMessage(record: MessageRecord): Promise<{ duplicateOf?: string }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      if (this.pending.length === 1) setImmediate(this.flush);
    });
  }

  private readonly flush = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let results: { duplicateOf?: string }[];
    try {
      results = this.writeBatch(batch.map((p) => p.record));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      p.resolve(results[i] as { duplicateOf?: string });
    });
    this.recordsSincePrune += batch.length;
    if (this.recordsSincePrune >= 1000) {
      this.recordsSincePrune = 0;
      const newest = batch[batch.length - 1]?.record.audit.at ?? Date.now();
      this.stmt.pruneReplies.run(newest - REPLY_CACHE_MS);
    }
  };

  private writeBatch(records: MessageRecord[]): { duplicateOf?: string }[] {
    const { db, stmt } = this;
    return db.transaction(() =>
      records.map(({ audit, twiml, lockUntil }): { duplicateOf?: string } => {
        const { changes, lastInsertRowid } = stmt.insertAudit.run(audit);
        if (changes !== 1) return { duplicateOf: (stmt.anyReply.get(audit.messageSid) as string | undefined) ?? '' };
        stmt.insertReply.run(lastInsertRowid, audit.at, twiml);
        if (lockUntil !== undefined) stmt.upsertLock.run(audit.sender, lockUntil, audit.at);
        return {};
      }),
    )();
  }

  async isOptedOut(sender: string): Promise<boolean> {
    return this.stmt.isOptedOut.get(sender) !== undefined;
  }

  async setOptedOut(sender: string, optedOut: boolean, at: number): Promise<void> {
    if (optedOut) this.stmt.optOut.run(sender, at);
    else this.stmt.optIn.run(sender);
  }

  async lockedUntil(sender: string, now: number): Promise<number | undefined> {
    let until = this.stmt.lockedUntil.get(sender, now) as number | undefined;
    for (const { record } of this.pending) {
      const pendingUntil = record.lockUntil;
      if (record.audit.sender === sender && pendingUntil !== undefined && pendingUntil > now) until = Math.max(until ?? 0, pendingUntil);
    }
    return until;
  }

  /** One statement per limit: with `LIMIT ?` SQLite took 5 µs instead of 1.4 µs for this query. */
  private readonly recentLookupsStmts = new Map<number, Database.Statement>();

  private recentLookupsStmt(limit: number): Database.Statement {
    let stmt = this.recentLookupsStmts.get(limit);
    if (!stmt) {
      if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`bad limit: ${limit}`);
      stmt = this.db
        .prepare(
          `SELECT at FROM audit_log INDEXED BY audit_log_sender_lookups
          WHERE sender = ? AND outcome IN ('served', 'refused') AND at >= ? ORDER BY at DESC LIMIT ${limit}`,
        )
        .pluck();
      this.recentLookupsStmts.set(limit, stmt);
    }
    return stmt;
  }

  async recentLookups(sender: string, since: number, limit: number): Promise<number[]> {
    const stored = this.recentLookupsStmt(limit).all(sender, since) as number[];
    const queued = this.pendingLookups(sender, since, (o) => o === 'served' || o === 'refused');
    if (queued.length === 0) return stored;
    return [...queued, ...stored].sort((a, b) => b - a).slice(0, limit);
  }

  async countFailures(sender: string, since: number): Promise<number> {
    return (this.stmt.countFailures.get(sender, since) as number) + this.pendingLookups(sender, since, (o) => o === 'refused').length;
  }

  /** Times of the sender's queued, not yet committed, messages whose outcome matches. */
  private pendingLookups(sender: string, since: number, matches: (outcome: Outcome) => boolean): number[] {
    const times: number[] = [];
    for (const { record } of this.pending) {
      const a = record.audit;
      if (a.sender === sender && a.at >= since && matches(a.outcome)) times.push(a.at);
    }
    return times;
  }

  async accessHistory(
    idNumber: string,
    ownerPhone: string,
    { limit, since }: { limit: number; since: number },
  ): Promise<{ entries: AccessEntry[]; total: number }> {
    const rows = this.stmt.history.all(idNumber, limit) as Pick<AuditRow, 'at' | 'command' | 'outcome' | 'sender'>[];
    const entries = rows.map((r) => ({
      at: r.at,
      command: r.command as LookupCommand,
      outcome: r.outcome as Outcome,
      sender: r.sender,
      bySelf: r.sender === ownerPhone,
    }));
    return { entries, total: this.stmt.historyCount.get(idNumber, since) as number };
  }

  async auditTrail(idNumber: string): Promise<AuditEntry[]> {
    return (this.stmt.trail.all(idNumber) as AuditRow[]).map(toAuditEntry);
  }

  async pruneAudit(before: number): Promise<{ removed: number; oldest?: number; newest?: number }> {
    const { db, stmt } = this;
    return db.transaction(() => {
      const range = stmt.pruneRange.get(before) as { removed: number; oldest: number | null; newest: number | null };
      if (range.removed > 0) {
        db.exec('DROP TRIGGER audit_log_no_delete');
        stmt.pruneAuditReplies.run(before);
        stmt.pruneAudit.run(before);
        db.exec(AUDIT_NO_DELETE_TRIGGER);
      }
      return { removed: range.removed, oldest: range.oldest ?? undefined, newest: range.newest ?? undefined };
    })();
  }

  async unlock(sender: string): Promise<boolean> {
    return this.stmt.unlock.run(sender).changes > 0;
  }

  async counts(): Promise<StoreCounts> {
    return { citizens: this.stmt.countCitizens.get() as number, auditLog: this.stmt.countAudit.get() as number };
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async sizeBytes(): Promise<number> {
    if (this.path === ':memory:') return 0;
    const size = (f: string) => {
      try {
        return statSync(f).size;
      } catch {
        return 0;
      }
    };
    return size(this.path) + size(`${this.path}-wal`);
  }

  async migrationsCurrent(): Promise<boolean> {
    return this.db.pragma('user_version', { simple: true }) === SCHEMA_VERSION;
  }

  async backup(file: string): Promise<void> {
    // All pages in one step: one read transaction, so the server's writes cannot restart the copy
    // (in WAL mode they are not blocked meanwhile). better-sqlite3 clamps 0 to "no pages".
    await this.db.backup(file, { progress: () => 0x7fffffff });
  }

  async close(): Promise<void> {
    this.flush();
    await this.checkpointer?.stop();
    this.checkpointer = undefined;
    if (this.db.open) this.db.close();
  }
}
