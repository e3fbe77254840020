/**
 * The SQLite implementation of {@link Store}, on better-sqlite3: WAL mode, statements prepared
 * once, migrations applied on open, writes in group commits that never wait for a lock on the
 * event loop ({@link SqliteWriter}).
 *
 * Admission reads the sender's state, the record and its history inside the write transaction
 * (`BEGIN IMMEDIATE` holds SQLite's one write lock), so a decision and its record are one atomic
 * step whatever other process writes the same file.
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { decodeSenderState, EMPTY_SENDER, encodeSenderState, type SenderState } from '../audit/senders.js';
import type { AuditCommand, DeliveryEvent, Outcome } from '../audit/types.js';
import type { Citizen } from '../citizens/types.js';
import { startCheckpointer, type Checkpointer, type CheckpointerOptions } from './checkpointer.js';
import { GENESIS, type AuditRecord, type ChainHead, type DeliveryRecord, type PruneCheckpoint } from '../audit/chain.js';
import type { SealedEntry } from '../audit/verifyChain.js';
import {
  CHAIN_SQL,
  chainStateValues,
  DELIVERY_CHAIN_SQL,
  gapRead,
  toChainState,
  toCheckpoint,
  toDeliveryRecord,
  toSealedEntry,
  type ChainStateRow,
  type CheckpointRow,
  type DeliveryEventRow,
  type SealedRow,
} from './chainRows.js';
import { AUDIT_NO_DELETE_TRIGGER, DELIVERY_NO_DELETE_TRIGGER, SCHEMA_VERSION, migrate } from './migrations.js';
import { toAccessEntry, toDeliveryEvent, withDeliveries, type DeliveryRow } from './auditRows.js';
import { appendSeals, type ChainState } from './sealPlan.js';
import { sealRun, type SealRows, type SealStep } from './sealRun.js';
import { beginSeed, toCitizen, UPSERT_CITIZEN, type CitizenRow } from './sqliteCitizens.js';
import { JobFailure, SqliteWriter } from './sqliteWriter.js';
import {
  StoreOpenError,
  type AccessHistory,
  type Admission,
  type Admitted,
  type Decide,
  type PruneAuditResult,
  type DeliveryRecorded,
  type PruneCounts,
  type SealResult,
  type SeedSession,
  type Store,
  type StoreCounts,
  type StoredAuditEntry,
  type TrailEntry,
} from './types.js';

interface AuditRow {
  id: number;
  at: number;
  message_sid: string;
  sender: string;
  command: string;
  target_id: string | null;
  outcome: string;
  segments: number;
}

function toAuditEntry(r: AuditRow): StoredAuditEntry {
  return {
    id: r.id,
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
  /**
   * Run SQLite's `quick_check` before migrating, and refuse a database that fails it (the server's
   * choice, so that it never serves, nor says ready, on a damaged file). Default false.
   */
  quickCheck?: boolean;
  /** How long a write may wait for the lock held by another process. Default 10 s. */
  writeTimeoutMs?: number;
  /** Called each time a write found the lock held by another process. */
  onBusy?: () => void;
}

/** WAL pages after which a commit checkpoints when a background checkpointer runs (40 MiB). */
const SAFETY_AUTOCHECKPOINT_PAGES = 10_000;

/** Findings of `quick_check` (at most a few) as one line, or undefined when the database passes. */
function quickCheckFindings(db: Database.Database): string | undefined {
  let findings: string[];
  try {
    findings = (db.pragma('quick_check(3)') as { quick_check: string }[]).map((r) => r.quick_check);
  } catch (err) {
    return (err as Error).message; // damage bad enough that the check itself stops: "database disk image is malformed"
  }
  if (findings.length === 1 && findings[0] === 'ok') return undefined;
  return findings.join('; ').replace(/\s+/g, ' ');
}

function openDatabase(path: string, readonly: boolean, quickCheck = false): Database.Database {
  if (readonly && path !== ':memory:' && !existsSync(path)) throw new StoreOpenError(`no database at ${path}`);
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:' && !readonly) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { readonly, fileMustExist: readonly });
    db.pragma('busy_timeout = 0');
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      const damage = quickCheck ? quickCheckFindings(db) : undefined;
      if (damage !== undefined) {
        throw new StoreOpenError(
          `the database ${path} fails its integrity check (${damage}): restore a backup with npm run admin -- restore <file>`,
        );
      }
      migrateWaiting(db);
    } else {
      db.pragma('schema_version'); // reads the header: fails now on a file that is not a database
    }
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof StoreOpenError) throw err;
    throw new StoreOpenError(`cannot open the database ${path}: ${(err as Error).message}`);
  }
}

/** Migrates, waiting for another process's write lock the way a tool may (this runs before serving). */
function migrateWaiting(db: Database.Database): void {
  db.pragma('busy_timeout = 10000');
  try {
    migrate(db);
  } finally {
    db.pragma('busy_timeout = 0');
  }
}

/** Opens (creating when missing) the database file and brings its schema up to date. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const readonly = options.readonly ?? false;
  const db = openDatabase(path, readonly, options.quickCheck);
  const store = new SqliteStore(db, path, options);
  if (options.backgroundCheckpoint && !readonly && path !== ':memory:') {
    db.pragma(`wal_autocheckpoint = ${SAFETY_AUTOCHECKPOINT_PAGES}`);
    store.checkpointer = startCheckpointer(path, options.backgroundCheckpoint);
  }
  return store;
}

/** {@link Store} over one better-sqlite3 connection. */
export class SqliteStore implements Store {
  private readonly stmt;
  private readonly writer: SqliteWriter;
  /** The background checkpointer, when one runs; stopped by {@link close}. */
  checkpointer: Checkpointer | undefined;
  readonly description: string;

  constructor(
    /** The underlying connection (exposed for tests and the benchmark). */
    readonly db: Database.Database,
    private readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    this.description = `SQLite ${path}`;
    this.writer = new SqliteWriter(db, { deadlineMs: options.writeTimeoutMs, onBusy: options.onBusy });
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      findCitizen: p(`SELECT * FROM citizens WHERE id_number = ?`),
      citizenAtOrAfter: p(`SELECT * FROM citizens WHERE id_number >= ? ORDER BY id_number LIMIT 1`),
      upsertCitizen: p(UPSERT_CITIZEN),
      countCitizens: p(`SELECT count(*) AS n FROM citizens`).pluck(),
      countAudit: p(`SELECT count(*) AS n FROM audit_log`).pluck(),
      countReplies: p(`SELECT count(*) AS n FROM message_replies`).pluck(),
      countDeliveries: p(`SELECT count(*) AS n FROM delivery_events`).pluck(),
      countSenders: p(`SELECT count(*) AS n FROM senders`).pluck(),
      insertAudit: p(`INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments)
        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_sid) DO NOTHING`),
      insertReply: p(`INSERT INTO message_replies (audit_id, at, twiml) VALUES (?, ?, ?)`),
      original: p(`SELECT a.sender, a.command, a.outcome, a.segments, r.twiml FROM audit_log a
        LEFT JOIN message_replies r ON r.audit_id = a.id WHERE a.message_sid = ?`),
      senderState: p(`SELECT state FROM senders WHERE sender = ?`).pluck(),
      upsertSender: p(`INSERT INTO senders (sender, state, expires_at) VALUES (?, ?, ?)
        ON CONFLICT (sender) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at`),
      deleteSender: p(`DELETE FROM senders WHERE sender = ?`),
      history: p(`SELECT at, command, outcome, sender,
          (SELECT group_concat(d.status, ',' ORDER BY d.at, d.id) FROM delivery_events d WHERE d.ref = a.message_sid) AS statuses
        FROM audit_log a INDEXED BY audit_log_target
        WHERE target_id = ? ORDER BY at DESC, id DESC LIMIT ?`),
      historyCount: p(`SELECT count(*) FROM audit_log INDEXED BY audit_log_target WHERE target_id = ? AND at >= ?`).pluck(),
      trail: p(`SELECT id, at, message_sid, sender, command, target_id, outcome, segments FROM audit_log
        WHERE target_id = ? ORDER BY at, id`),
      trailDeliveries: p(`SELECT d.at, d.ref, d.message_sid, d.status, d.error_code FROM delivery_events d
        JOIN audit_log a ON a.message_sid = d.ref WHERE a.target_id = ? ORDER BY d.at, d.id`),
      deliverySender: p(`SELECT sender FROM audit_log WHERE message_sid = ?`).pluck(),
      insertDelivery: p(`INSERT INTO delivery_events (at, ref, message_sid, status, error_code) VALUES (?, ?, ?, ?, ?)`),
      readAudit: p(`SELECT id, at, message_sid, sender, command, target_id, outcome, segments FROM audit_log
        WHERE id > ? ORDER BY id LIMIT ?`),
      pruneReplies: p(`DELETE FROM message_replies WHERE at < ?`),
      pruneSenders: p(`DELETE FROM senders WHERE expires_at IS NOT NULL AND expires_at <= ?`),
    };
    this.chain = Object.fromEntries(Object.entries(CHAIN_SQL).map(([k, sql]) => [k, p(sql)])) as Record<
      keyof typeof CHAIN_SQL,
      Database.Statement
    >;
    this.deliveryChain = Object.fromEntries(Object.entries(DELIVERY_CHAIN_SQL).map(([k, sql]) => [k, p(sql)])) as Record<
      keyof typeof DELIVERY_CHAIN_SQL,
      Database.Statement
    >;
    this.gapReads = {
      audit: p(gapRead('audit_log', 'sqlite')),
      delivery: p(gapRead('delivery_events', 'sqlite')),
    };
  }

  private readonly chain: Record<keyof typeof CHAIN_SQL, Database.Statement>;
  /** The sealer's reads of the rows in its gaps, per table. */
  private readonly gapReads: { audit: Database.Statement; delivery: Database.Statement };
  private readonly deliveryChain: Record<keyof typeof DELIVERY_CHAIN_SQL, Database.Statement>;

  async findCitizen(idNumber: string): Promise<Citizen | undefined> {
    return this.citizen(idNumber);
  }

  private citizen(idNumber: string): Citizen | undefined {
    const row = this.stmt.findCitizen.get(idNumber) as CitizenRow | undefined;
    return row ? toCitizen(row) : undefined;
  }

  /**
   * The record an admission asks about. Reads and maps the row at or after `idNumber` whether or
   * not it is that record, so that an ID that does not exist costs the same work as one that exists
   * but is not the sender's (one b-tree descent, one row read and mapped), rather than about 10 µs
   * less. Only an ID after the last record reads no row.
   */
  private target(idNumber: string): Citizen | undefined {
    const row = this.stmt.citizenAtOrAfter.get(idNumber) as CitizenRow | undefined;
    const citizen = row ? toCitizen(row) : undefined;
    return citizen?.idNumber === idNumber ? citizen : undefined;
  }

  async beginSeed({ atomic }: { atomic: boolean }): Promise<SeedSession> {
    return beginSeed(this.db, this.stmt.upsertCitizen, this.stmt.countCitizens, atomic);
  }

  admit(a: Admission, decide: Decide): Promise<Admitted> {
    return this.writer.run((): Admitted | JobFailure => {
      const sender = a.tracked ? this.readSender(a.sender) : EMPTY_SENDER;
      const citizen = a.targetId === null ? undefined : this.target(a.targetId);
      const history = a.history && a.targetId !== null ? this.history(a.targetId, citizen?.phone ?? '', a.history) : undefined;
      let verdict;
      try {
        verdict = decide({ sender, citizen, history: citizen ? history : undefined });
      } catch (err) {
        return new JobFailure(err);
      }
      const { stmt } = this;
      const inserted = stmt.insertAudit.run(a.at, a.messageSid, a.sender, verdict.command, a.targetId, verdict.outcome, verdict.segments);
      if (inserted.changes !== 1) {
        const o = stmt.original.get(a.messageSid) as {
          sender: string;
          command: AuditCommand;
          outcome: Outcome;
          segments: number;
          twiml: string | null;
        };
        return {
          duplicate: true,
          original: { command: o.command, outcome: o.outcome, segments: o.segments },
          twiml: o.sender === a.sender ? (o.twiml ?? undefined) : undefined,
        };
      }
      stmt.insertReply.run(inserted.lastInsertRowid, a.at, verdict.twiml);
      if (a.tracked && verdict.sender) this.writeSender(a.sender, verdict.sender.state, verdict.sender.expiresAt);
      return { duplicate: false, verdict };
    });
  }

  private readSender(sender: string): SenderState {
    const text = this.stmt.senderState.get(sender) as string | undefined;
    return text === undefined ? EMPTY_SENDER : decodeSenderState(text);
  }

  private writeSender(sender: string, state: SenderState, expiresAt: number | null): void {
    if (expiresAt === 0) this.stmt.deleteSender.run(sender);
    else this.stmt.upsertSender.run(sender, encodeSenderState(state), expiresAt);
  }

  updateSender(
    sender: string,
    update: (state: SenderState) => { state: SenderState; expiresAt: number | null } | undefined,
  ): Promise<boolean> {
    return this.writer.run(() => {
      const next = update(this.readSender(sender));
      if (!next) return false;
      this.writeSender(sender, next.state, next.expiresAt);
      return true;
    });
  }

  async senderState(sender: string): Promise<SenderState> {
    return this.readSender(sender);
  }

  private history(idNumber: string, ownerPhone: string, { limit, since }: { limit: number; since: number }): AccessHistory {
    const rows = this.stmt.history.all(idNumber, limit) as (Pick<AuditRow, 'at' | 'command' | 'outcome' | 'sender'> & {
      statuses: string | null;
    })[];
    return {
      entries: rows.map((r) => toAccessEntry(r, ownerPhone)),
      total: this.stmt.historyCount.get(idNumber, since) as number,
    };
  }

  async accessHistory(idNumber: string, ownerPhone: string, options: { limit: number; since: number }): Promise<AccessHistory> {
    return this.history(idNumber, ownerPhone, options);
  }

  recordDelivery(event: DeliveryEvent): Promise<DeliveryRecorded | undefined> {
    return this.writer.run(() => {
      const sender = this.stmt.deliverySender.get(event.ref) as string | undefined;
      if (sender === undefined) return undefined;
      this.stmt.insertDelivery.run(event.at, event.ref, event.messageSid, event.status, event.errorCode);
      return { sender };
    });
  }

  async auditTrail(idNumber: string): Promise<TrailEntry[]> {
    const rows = this.db.transaction(() => ({
      trail: this.stmt.trail.all(idNumber) as AuditRow[],
      deliveries: this.stmt.trailDeliveries.all(idNumber) as DeliveryRow[],
    }))();
    return withDeliveries(rows.trail.map(toAuditEntry), rows.deliveries.map(toDeliveryEvent));
  }

  async readAudit(afterId: number, limit: number): Promise<StoredAuditEntry[]> {
    return (this.stmt.readAudit.all(afterId, limit) as AuditRow[]).map(toAuditEntry);
  }

  pruneAudit(before: number, now = Date.now()): Promise<PruneAuditResult> {
    return this.writer.run(() => this.savepoint(() => this.pruneNow(before, now)));
  }

  /** Retention inside the writer's transaction: see {@link Store.pruneAudit}. */
  private pruneNow(before: number, now: number): PruneAuditResult {
    const { db, chain } = this;
    this.sealNow(now);
    let state = this.chainState();
    const firstKept = (chain.firstKept.get(before) as { seq: number | null }).seq;
    const lastCut = (chain.lastCut.get() as { seq: number }).seq;
    let cut = Math.max(lastCut, firstKept === null ? state.head.seq : firstKept - 1);
    for (;;) {
      const after = (chain.deliverySealedAfterCut.get(cut, cut) as { seq: number | null }).seq;
      if (after === null) break;
      cut = after - 1;
    }
    const range = chain.cutRange.get(cut) as { removed: number; oldest: number | null; newest: number | null };
    if (range.removed === 0) return { removed: 0 };
    db.exec('DROP TRIGGER audit_log_no_delete; DROP TRIGGER delivery_events_no_delete');
    chain.pruneReplies.run(cut);
    chain.pruneDeliveries.run(cut);
    chain.pruneRows.run(cut);
    db.exec(AUDIT_NO_DELETE_TRIGGER);
    db.exec(DELIVERY_NO_DELETE_TRIGGER);
    const cutHead = cut === 0 ? GENESIS.hash : (chain.headAt.get(cut) as { head: string }).head;
    const id = (chain.nextCheckpointId.get() as { id: number }).id;
    const checkpoint: PruneCheckpoint = {
      id,
      cutSeq: cut,
      cutHead,
      removed: range.removed,
      oldest: range.oldest,
      newest: range.newest,
      at: now,
    };
    chain.insertCheckpoint.run(id, cut, cutHead, checkpoint.removed, checkpoint.oldest, checkpoint.newest, now);
    const sealed = appendSeals(state, [{ kind: 'prune', row: checkpoint }], now);
    for (const seal of sealed.seals) chain.insertSeal.run(seal.seq, seal.kind, seal.rowId, seal.rowHash, seal.sealedAt, seal.head);
    state = sealed.state;
    chain.writeState.run(...chainStateValues(state));
    return { removed: range.removed, oldest: range.oldest ?? undefined, newest: range.newest ?? undefined, checkpoint };
  }

  /** `work` in a savepoint of the writer's transaction: undone alone when it throws, failing its job only. */
  private savepoint<T>(work: () => T): T | JobFailure {
    try {
      return this.db.transaction(work)();
    } catch (err) {
      return new JobFailure(err);
    }
  }

  private chainState(): ChainState {
    return toChainState(this.chain.state.get() as ChainStateRow);
  }

  /**
   * One sealer run inside the writer's transaction (SQLite's write lock makes it the only one): the
   * steps of {@link sealRun}, each answered at once.
   */
  private sealNow(now: number): SealResult {
    const before = this.chainState();
    const run = sealRun(before, now);
    let step = run.next();
    while (!step.done) step = run.next(this.sealStep(step.value));
    const { sealed, state } = step.value;
    const values = chainStateValues(state);
    const old = chainStateValues(before);
    if (values.some((v, i) => v !== old[i])) this.chain.writeState.run(...values);
    return { sealed, head: state.head };
  }

  /** Reads the batch a sealer step asks for, or writes its seals. */
  private sealStep(step: SealStep): SealRows | undefined {
    if ('write' in step) {
      for (const x of step.write) this.chain.insertSeal.run(x.seq, x.kind, x.rowId, x.rowHash, x.sealedAt, x.head);
      return undefined;
    }
    const { read } = step;
    const rows =
      read.from === 'gaps'
        ? this.gapReads[read.kind].all(read.gaps, read.after, read.limit)
        : (read.kind === 'audit' ? this.chain.tail : this.deliveryChain.tail).all(read.after, read.limit);
    return read.kind === 'audit'
      ? { kind: 'audit', rows: (rows as AuditRow[]).map(toAuditEntry) }
      : { kind: 'delivery', rows: (rows as DeliveryEventRow[]).map(toDeliveryRecord) };
  }

  sealAudit(now: number): Promise<SealResult> {
    return this.writer.run(() => this.savepoint(() => this.sealNow(now)));
  }

  async auditHead(): Promise<ChainHead> {
    return this.chainState().head;
  }

  async readSeals(afterSeq: number, limit: number): Promise<SealedEntry[]> {
    return (this.chain.seals.all(afterSeq, limit) as SealedRow[]).map(toSealedEntry);
  }

  async readUnsealedAudit(afterId: number, limit: number): Promise<AuditRecord[]> {
    return (this.chain.unsealed.all(afterId, limit) as AuditRow[]).map(toAuditEntry);
  }

  async readUnsealedDeliveries(afterId: number, limit: number): Promise<DeliveryRecord[]> {
    return (this.deliveryChain.unsealed.all(afterId, limit) as DeliveryEventRow[]).map(toDeliveryRecord);
  }

  async auditCheckpoints(): Promise<PruneCheckpoint[]> {
    return (this.chain.checkpoints.all() as CheckpointRow[]).map(toCheckpoint);
  }

  pruneExpired({ now, repliesBefore }: { now: number; repliesBefore: number }): Promise<PruneCounts> {
    return this.writer.run(() => ({
      replies: this.stmt.pruneReplies.run(repliesBefore).changes,
      senders: this.stmt.pruneSenders.run(now).changes,
    }));
  }

  async counts(): Promise<StoreCounts> {
    const n = (s: Database.Statement) => s.get() as number;
    return {
      citizens: n(this.stmt.countCitizens),
      auditLog: n(this.stmt.countAudit),
      replies: n(this.stmt.countReplies),
      deliveryEvents: n(this.stmt.countDeliveries),
      senders: n(this.stmt.countSenders),
    };
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

  async acceptsWrites(): Promise<boolean> {
    return !this.db.readonly;
  }

  async checkIntegrity(): Promise<string[]> {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    const findings = rows.map((r) => r.integrity_check);
    return findings.length === 1 && findings[0] === 'ok' ? [] : findings;
  }

  async backup(file: string, { now, repliesBefore }: { now: number; repliesBefore: number }): Promise<void> {
    // All pages in one step: one read transaction, so the server's writes cannot restart the copy
    // (in WAL mode they are not blocked meanwhile). better-sqlite3 clamps 0 to "no pages".
    // The file is created first, readable by its owner only, so the copy is never open to others;
    // 'wx' also refuses to overwrite an existing file.
    closeSync(openSync(file, 'wx', 0o600));
    await this.db.backup(file, { progress: () => 0x7fffffff });
    // The copy keeps nothing past its time (reply bodies, expired sender states), not even in free
    // pages (VACUUM rewrites the file), and is one self-contained file: no -wal or -shm beside it.
    const copy = new Database(file, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
      copy.prepare(`DELETE FROM message_replies WHERE at < ?`).run(repliesBefore);
      copy.prepare(`DELETE FROM senders WHERE expires_at IS NOT NULL AND expires_at <= ?`).run(now);
      copy.exec('VACUUM');
    } finally {
      copy.close();
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.writer.drain();
    await this.checkpointer?.stop();
    this.checkpointer = undefined;
    if (this.db.open) this.db.close();
  }
}
