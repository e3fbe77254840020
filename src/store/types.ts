/**
 * The repository the rest of the service talks to. Every method returns a Promise, although the
 * SQLite implementation is synchronous underneath, so that a PostgreSQL implementation can be
 * added later without touching callers. Only `src/store/` knows SQL.
 */
import type { AccessEntry, AuditEntry } from '../audit/types.js';
import type { Citizen } from '../citizens/types.js';

/** What to write for one answered message, in one transaction. */
export interface MessageRecord {
  audit: AuditEntry;
  /** The exact TwiML sent, kept 24 hours so that a redelivered MessageSid gets the same bytes. */
  twiml: string;
  /** Lock the sender until this time (ms), when this message completed a lockout. */
  lockUntil?: number;
}

/** Counts of one seeding run. */
export interface SeedCounts {
  inserted: number;
  updated: number;
}

/** A seeding run: batches are upserted by `id_number`. */
export interface SeedSession {
  /** Upserts one batch of valid records. */
  write(batch: Citizen[]): Promise<void>;
  /** Makes everything written durable and reports the counts. */
  commit(): Promise<SeedCounts>;
  /** Undoes what is not yet committed (in atomic mode: the whole run). */
  rollback(): Promise<void>;
}

/** How long the TwiML of an answered message is kept for redeliveries of its MessageSid. */
export const REPLY_CACHE_MS = 24 * 3_600_000;

/** Store-wide row counts, for admin output and backups. */
export interface StoreCounts {
  citizens: number;
  auditLog: number;
}

export interface Store {
  /** The record with this ID number, if any. */
  findCitizen(idNumber: string): Promise<Citizen | undefined>;
  /**
   * Starts a seeding run. `atomic`: all batches in one transaction (strict mode); otherwise each
   * batch commits on its own (`--skip-invalid`).
   */
  beginSeed(options: { atomic: boolean }): Promise<SeedSession>;

  /** The TwiML already sent for this MessageSid since `since` (ms), if any. */
  findReply(messageSid: string, since: number): Promise<string | undefined>;
  /**
   * Records an answered message (audit row, reply and optional lock) in one transaction.
   * Returns the earlier TwiML instead when this MessageSid was already recorded.
   */
  recordMessage(record: MessageRecord): Promise<{ duplicateOf?: string }>;

  isOptedOut(sender: string): Promise<boolean>;
  setOptedOut(sender: string, optedOut: boolean, at: number): Promise<void>;
  /** The end (ms) of the sender's lock, when it is locked at `now`. */
  lockedUntil(sender: string, now: number): Promise<number | undefined>;
  /** Times (ms, newest first) of the sender's last `limit` lookups since `since`. */
  recentLookups(sender: string, since: number, limit: number): Promise<number[]>;
  /** How many failed verifications the sender had since `since`. */
  countFailures(sender: string, since: number): Promise<number>;

  /** The latest accesses to one record (newest first) and the count since `since`. */
  accessHistory(
    idNumber: string,
    ownerPhone: string,
    options: { limit: number; since: number },
  ): Promise<{ entries: AccessEntry[]; total: number }>;
  /** The whole audit trail of one record, oldest first, for an officer. */
  auditTrail(idNumber: string): Promise<AuditEntry[]>;
  /** Deletes audit rows older than `before` (the one allowed exception to append-only). */
  pruneAudit(before: number): Promise<{ removed: number; oldest?: number; newest?: number }>;
  /** Unlocks a sender (admin). */
  unlock(sender: string): Promise<boolean>;

  counts(): Promise<StoreCounts>;
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  /** The database's size on disk in bytes. */
  sizeBytes(): Promise<number>;
  /** True when the schema is at the version this code expects. */
  migrationsCurrent(): Promise<boolean>;
  /** A consistent copy of the live database, made with SQLite's online backup. */
  backup(file: string): Promise<void>;
  close(): Promise<void>;
}
