/**
 * The repository the rest of the service talks to. Every method returns a Promise, and every
 * guarantee is stated here, so that each backend (SQLite, PostgreSQL) keeps it by design rather
 * than by the accident of a synchronous driver. Only `src/store/` knows SQL; the contract test
 * suite (`contract.test.ts`) runs the same cases against every backend.
 */
import type { AccessEntry, AuditCommand, AuditEntry, DeliveryEvent, Outcome } from '../audit/types.js';
import type { SenderState } from '../audit/senders.js';
import type { Citizen } from '../citizens/types.js';
import type { AuditRecord, ChainHead, DeliveryRecord, PruneCheckpoint } from '../audit/chain.js';
import type { SealedEntry } from '../audit/verifyChain.js';

/** One inbound message to admit: what the store must read for the decision, and the keys it records under. */
export interface Admission {
  /** Milliseconds since the epoch: the time recorded. */
  at: number;
  /** Twilio's id of the inbound message: recorded once, whatever happens. */
  messageSid: string;
  /** The sender as recorded: E.164 when it is a phone number, else the raw `From` (bounded). */
  sender: string;
  /**
   * Whether the sender's state is read, locked and written. False for senders that get no reply
   * (not a phone number, a country not served): no state row is kept for them.
   */
  tracked: boolean;
  /** The record the message asks about, read for the decision; null when none was parsed. */
  targetId: string | null;
  /** Also read the target record's access history (for `LS`). */
  history?: { limit: number; since: number };
}

/** What the store read for the decision, inside the transaction that records it. */
export interface AdmissionContext {
  /** The sender's state as last committed (or written earlier in the same transaction). */
  sender: SenderState;
  /** The target record, when `targetId` was given and exists. */
  citizen: Citizen | undefined;
  /** The target's access history, when `history` was asked for and the record exists. */
  history: AccessHistory | undefined;
}

/** The decision on one message, as it is recorded and answered. */
export interface Verdict {
  command: AuditCommand;
  outcome: Outcome;
  /** Segments of the reply, 0 when nothing is sent. */
  segments: number;
  /** The exact TwiML to answer; kept for redeliveries of the same MessageSid. */
  twiml: string;
  /** The sender's new state and when it may be deleted ({@link senderExpiresAt}); omit when unchanged. */
  sender?: { state: SenderState; expiresAt: number | null };
}

/**
 * Decides one message from what the store read. Must be pure and synchronous: it runs inside the
 * store's transaction, and may run again if the store retries one.
 */
export type Decide = (context: AdmissionContext) => Verdict;

/** The result of {@link Store.admit}. */
export type Admitted =
  /** Recorded now: the verdict's TwiML may be sent (its audit row is committed). */
  | { duplicate: false; verdict: Verdict }
  /**
   * This MessageSid was recorded before (a redelivery). Nothing new was recorded. `twiml` is the
   * reply sent then, or undefined when it is no longer kept or the sender differs (answer an
   * empty response).
   */
  | { duplicate: true; original: Pick<AuditEntry, 'command' | 'outcome' | 'segments'>; twiml: string | undefined };

/** The latest accesses to a record, and how many there were in a period. */
export interface AccessHistory {
  entries: AccessEntry[];
  total: number;
}

/** An audit row with its position in the log. */
export interface StoredAuditEntry extends AuditEntry {
  id: number;
}

/** One access in a record's whole trail, with every delivery event of its reply in arrival order. */
export interface TrailEntry extends StoredAuditEntry {
  deliveries: DeliveryEvent[];
}

/** What {@link Store.recordDelivery} found: the audit row the receipt is about. */
export interface DeliveryRecorded {
  /** The audit row's sender: the number the reply went to. */
  sender: string;
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

/** Store-wide row counts, for admin output and backups. */
export interface StoreCounts {
  citizens: number;
  auditLog: number;
  /** Reply bodies kept for redeliveries. */
  replies: number;
  /** Delivery events (status callbacks). */
  deliveryEvents: number;
  /** Senders with a state row (limits, lock or opt-out). */
  senders: number;
}

/** What {@link Store.pruneAudit} removed, and the checkpoint it sealed into the chain (none when nothing was removed). */
export interface PruneAuditResult {
  removed: number;
  oldest?: number;
  newest?: number;
  checkpoint?: PruneCheckpoint;
}

/** What one run of {@link Store.sealAudit} did. */
export interface SealResult {
  /** Records sealed by this run. */
  sealed: number;
  /** The chain's head after it. */
  head: ChainHead;
}

/** What {@link Store.pruneExpired} removed. */
export interface PruneCounts {
  replies: number;
  senders: number;
}

/** The store could not answer in time or at all: the request is answered 503 so Twilio retries. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** The database cannot be opened or is not one this program can use; the message is one line for the operator. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

/** An operation this backend does not offer; the message says what to do instead. */
export class StoreUnsupportedError extends Error {
  override name = 'StoreUnsupportedError';
}

export interface Store {
  /** Which backend and database, for logs: never a password. */
  readonly description: string;

  /** The record with this ID number, if any. */
  findCitizen(idNumber: string): Promise<Citizen | undefined>;
  /**
   * Starts a seeding run. `atomic`: all batches in one transaction (strict mode); otherwise each
   * batch commits on its own (`--skip-invalid`). A run must not stall the messages being admitted
   * meanwhile for longer than its final commit.
   */
  beginSeed(options: { atomic: boolean }): Promise<SeedSession>;

  /**
   * Admits one message and records it, atomically: reads the sender's state (locking it against
   * every other admission for the same sender, on any node), the target record and its history,
   * calls `decide`, then writes the audit row, the reply and the sender's new state in one
   * transaction. Resolves only once that transaction is committed, so no reply leaves before its
   * audit row is durable. A MessageSid already recorded gives `duplicate` (waiting for the
   * original's commit when it is still in flight) and records nothing. Rejects when the
   * transaction fails, for every message that shared it; {@link StoreUnavailableError} when the
   * database is busy or gone past the store's deadline.
   */
  admit(admission: Admission, decide: Decide): Promise<Admitted>;

  /**
   * Changes one sender's state atomically (an officer's unlock, an opt-out reported by the
   * carrier). `update` gets the current state and returns the new one, or undefined to leave it.
   * Resolves to true when the state changed.
   */
  updateSender(
    sender: string,
    update: (state: SenderState) => { state: SenderState; expiresAt: number | null } | undefined,
  ): Promise<boolean>;
  /** The sender's committed state (an empty one when none is kept). */
  senderState(sender: string): Promise<SenderState>;

  /** The latest accesses to one record (newest first) and the count since `since`. */
  accessHistory(idNumber: string, ownerPhone: string, options: { limit: number; since: number }): Promise<AccessHistory>;
  /**
   * Appends one delivery event (a status callback) for the reply to the inbound message `ref`.
   * Resolves to the audit row's sender, or undefined, recording nothing, when no audit row has
   * that MessageSid. Every event is kept: repeats and out-of-order ones too.
   */
  recordDelivery(event: DeliveryEvent): Promise<DeliveryRecorded | undefined>;
  /** The whole audit trail of one record, oldest first, each access with its delivery events, for an officer. */
  auditTrail(idNumber: string): Promise<TrailEntry[]>;
  /** Audit rows in log order after `afterId` (0 for the first), at most `limit`. */
  readAudit(afterId: number, limit: number): Promise<StoredAuditEntry[]>;
  /**
   * Retention, the one allowed exception to append-only: seals what is committed, then deletes the
   * audit rows older than `before` whose seals form a prefix of the chain (a row sealed after a
   * newer one waits for the next prune), with their delivery events, and seals a checkpoint of what
   * it removed (count, time range, the seq and head at the cut). The cut is never after the seal of
   * such a row whose delivery events were sealed after the cut, so that every delivery event removed
   * is sealed under the checkpoint (the row waits for a later prune). The seals stay (hashes only),
   * so every head published before still verifies. `now` is the checkpoint's time.
   */
  pruneAudit(before: number, now?: number): Promise<PruneAuditResult>;

  /**
   * Seals, in id order, every committed audit row without a seal that may still be sealed
   * (`maySeal` in src/audit/chain.ts: not older than the last seal by more than the late-commit limit), at `now`;
   * then, the same way, every committed delivery event (a second pass with its own read position).
   * One node at a time: runs hold the chain's state row locked. Rows that commit late (a lower
   * id after higher ones were sealed) get a later seal.
   */
  sealAudit(now: number): Promise<SealResult>;
  /** The chain's current head (what the last seal ended on). */
  auditHead(): Promise<ChainHead>;
  /** Seals in seq order after `afterSeq`, each with the row it seals as stored now (undefined when gone). */
  readSeals(afterSeq: number, limit: number): Promise<SealedEntry[]>;
  /** Audit rows without a seal, in id order after `afterId`. */
  readUnsealedAudit(afterId: number, limit: number): Promise<AuditRecord[]>;
  /** Delivery events without a seal, in id order after `afterId`. */
  readUnsealedDeliveries(afterId: number, limit: number): Promise<DeliveryRecord[]>;
  /** Every prune checkpoint, oldest first. */
  auditCheckpoints(): Promise<PruneCheckpoint[]>;
  /**
   * Deletes what is kept only for a while: reply bodies recorded before `repliesBefore`, and
   * sender states whose expiry is at or before `now`.
   */
  pruneExpired(options: { now: number; repliesBefore: number }): Promise<PruneCounts>;

  counts(): Promise<StoreCounts>;
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  /** The database's size on disk in bytes. */
  sizeBytes(): Promise<number>;
  /** True when the schema is at the version this code expects. */
  migrationsCurrent(): Promise<boolean>;
  /**
   * True when the database takes writes; false when it is read-only (a SQLite file opened
   * read-only; a PostgreSQL standby, such as the one a failover has not promoted yet), where no
   * message can be recorded.
   */
  acceptsWrites(): Promise<boolean>;
  /** The database's own consistency check: an empty list when it passes, else its findings. */
  checkIntegrity(): Promise<string[]>;
  /**
   * A consistent copy of the live database into a new file (mode 0600), without what has expired
   * by `now` (reply bodies recorded before `repliesBefore`, sender states). Throws
   * {@link StoreUnsupportedError} on a backend that is backed up with its own tools.
   */
  backup(file: string, expiry: { now: number; repliesBefore: number }): Promise<void>;
  close(): Promise<void>;
}
