/**
 * What one run of the sealer writes, decided without SQL so that both stores seal alike: which
 * unsealed audit rows are sealed (all that may be: {@link maySeal}), their seals, and the chain's
 * new state.
 *
 * The sealer looks only at audit rows with ids above `scanFrom`, so that a run costs the rows
 * since the last ones, not the whole log: the rows above the highest id sealed (which have no seal),
 * and below it only when the counts of rows and of seals in (`scanFrom`, highest sealed] differ
 * (a late commit is there). On PostgreSQL a row can commit after rows with higher
 * ids were sealed (ids come from a sequence when the row is inserted; commits finish in any
 * order), so `scanFrom` moves up only to an id that was the highest visible at a time
 * (`candidate`) more than the late-commit limit before the latest seal: every row at or below it
 * was sealed by then, or may no longer be.
 */
import {
  LATE_COMMIT_LIMIT_MS,
  maySeal,
  sealRecords,
  type AuditRecord,
  type ChainHead,
  type DeliveryRecord,
  type ChainRecord,
  type Seal,
} from '../audit/chain.js';

/** Where the sealer's pass over one table reads from. */
export interface ScanPosition {
  /** Rows at or below this id are sealed, or can no longer be. */
  scanFrom: number;
  /** The highest id visible at `at`: becomes `scanFrom` once old enough. */
  candidate: { id: number; at: number } | null;
}

/** The tables the sealer passes over, each with its own read position. */
export type ScannedKind = 'audit' | 'delivery';

/** The chain's state row (`audit_chain`), locked by each run of the sealer. */
export interface ChainState extends ScanPosition {
  head: ChainHead;
  /** The latest seal's time, null before the first. */
  lastSealedAt: number | null;
  /** The audit log's position is `scanFrom`/`candidate`; the delivery events' is this one. */
  delivery: ScanPosition;
}

/** The state of an empty chain. */
export const EMPTY_CHAIN: ChainState = {
  head: { seq: 0, hash: '0'.repeat(64) },
  lastSealedAt: null,
  scanFrom: 0,
  candidate: null,
  delivery: { scanFrom: 0, candidate: null },
};

/** The read position of one table's pass. */
export function scanOf(state: ChainState, kind: ScannedKind): ScanPosition {
  return kind === 'audit' ? { scanFrom: state.scanFrom, candidate: state.candidate } : state.delivery;
}

function withScan(state: ChainState, kind: ScannedKind, scan: ScanPosition): ChainState {
  return kind === 'audit' ? { ...state, ...scan } : { ...state, delivery: scan };
}

/**
 * The time a pass judges late commits against ({@link maySeal}): the latest seal's time before the
 * run began, or null when this table's pass never ran (its position has no candidate yet). Then
 * every row may be sealed: the rows a table held before it was first sealed (an upgrade) are
 * sealed by the first run, as the audit log's were when the chain began.
 */
export function passLastSealedAt(before: ChainState, kind: ScannedKind): number | null {
  const scan = scanOf(before, kind);
  return scan.candidate === null && scan.scanFrom === 0 ? null : before.lastSealedAt;
}

/** Unsealed audit rows read per statement by a sealer run. */
export const SEAL_BATCH = 2_000;

/** Seals the given records (in this order) after the state's head, at `now`. */
export function appendSeals(state: ChainState, records: readonly ChainRecord[], now: number): { seals: Seal[]; state: ChainState } {
  if (records.length === 0) return { seals: [], state };
  const sealedAt = Math.max(now, state.lastSealedAt ?? 0);
  const { seals, head } = sealRecords(state.head, records, sealedAt);
  return { seals, state: { ...state, head, lastSealedAt: sealedAt } };
}

/**
 * Seals the unsealed audit rows that may be sealed (one batch, in id order). `lastSealedAt` is the
 * latest seal's time before this run began: a run seals everything it may in one transaction,
 * however many batches, so that a backlog (after a crash) is judged against the last run before it.
 */
export function sealAuditBatch(
  state: ChainState,
  rows: readonly AuditRecord[],
  now: number,
  lastSealedAt: number | null,
): { seals: Seal[]; state: ChainState } {
  return sealEligible(state, rows, (row) => ({ kind: 'audit', row }), now, lastSealedAt);
}

/** The same for delivery events: seals those that may be sealed, after the audit rows of the run. */
export function sealDeliveryBatch(
  state: ChainState,
  rows: readonly DeliveryRecord[],
  now: number,
  lastSealedAt: number | null,
): { seals: Seal[]; state: ChainState } {
  return sealEligible(state, rows, (row) => ({ kind: 'delivery', row }), now, lastSealedAt);
}

/** Seals the rows that {@link maySeal}, each as the record `toRecord` makes of it. */
function sealEligible<R extends { at: number }>(
  state: ChainState,
  rows: readonly R[],
  toRecord: (row: R) => ChainRecord,
  now: number,
  lastSealedAt: number | null,
): { seals: Seal[]; state: ChainState } {
  return appendSeals(state, rows.filter((r) => maySeal(r.at, lastSealedAt)).map(toRecord), now);
}

/**
 * At the end of a run: moves a table's `scanFrom` up when it safely can, given the highest id now
 * visible in it (the audit log's unless `kind` says otherwise).
 */
export function advanceScan(state: ChainState, maxId: number, now: number, kind: ScannedKind = 'audit'): ChainState {
  let { scanFrom, candidate } = scanOf(state, kind);
  if (candidate && state.lastSealedAt !== null && candidate.at + LATE_COMMIT_LIMIT_MS < state.lastSealedAt) {
    scanFrom = Math.max(scanFrom, candidate.id);
    candidate = null;
  }
  candidate ??= { id: maxId, at: now };
  return withScan(state, kind, { scanFrom, candidate });
}
