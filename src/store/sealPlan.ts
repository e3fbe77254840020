/**
 * What one run of the sealer writes, decided without SQL so that both stores seal alike: which
 * unsealed audit rows are sealed (all that may be: {@link maySeal}), their seals, and the chain's
 * new state.
 *
 * A run reads the rows above `readTo` (the tail: none has a seal) and, below it, only the ids that
 * were missing when the tail passed them (`gaps`), because a late commit can appear nowhere else.
 * On PostgreSQL a row can commit after rows with higher ids were read (ids come from a sequence
 * when the row is inserted; commits finish in any order), so the id it holds was a gap. A gap is
 * forgotten once it is at or below `scanFrom`, which moves up only to an id that was the highest
 * visible at a time (`candidate`) more than the late-commit limit before the latest seal: every row
 * at or below it was sealed by then, or may no longer be. So a run costs the rows since the last
 * run and the gaps of the last minute or two, not a count of every row in that time.
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

/** Ids from `lo` to `hi`, both included. */
export type IdRange = readonly [lo: number, hi: number];

/** Where the sealer's pass over one table reads from. */
export interface ScanPosition {
  /** Rows at or below this id are sealed, or can no longer be. */
  scanFrom: number;
  /** The highest id visible at `at`: becomes `scanFrom` once old enough. */
  candidate: { id: number; at: number } | null;
  /** The highest id the tail has read: every row above it is new to the sealer. */
  readTo: number;
  /**
   * The ids above `scanFrom`, at or below `readTo`, where no row was visible when read: where a
   * late commit can appear. In id order; a range may also cover rows seen (after {@link MAX_GAPS}).
   */
  gaps: readonly IdRange[];
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
  readTo: 0,
  gaps: [],
  delivery: { scanFrom: 0, candidate: null, readTo: 0, gaps: [] },
};

/** The read position of one table's pass. */
export function scanOf(state: ChainState, kind: ScannedKind): ScanPosition {
  return kind === 'audit'
    ? { scanFrom: state.scanFrom, candidate: state.candidate, readTo: state.readTo, gaps: state.gaps }
    : state.delivery;
}

/** The state with one table's read position replaced. */
export function withScan(state: ChainState, kind: ScannedKind, scan: ScanPosition): ChainState {
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
 * At the end of a run: moves a table's `scanFrom` up when it safely can (the candidate is the
 * highest id read, `readTo`), and forgets the gaps at or below it.
 */
export function advanceScan(state: ChainState, now: number, kind: ScannedKind = 'audit'): ChainState {
  const scan = scanOf(state, kind);
  let { scanFrom, candidate } = scan;
  if (candidate && state.lastSealedAt !== null && candidate.at + LATE_COMMIT_LIMIT_MS < state.lastSealedAt) {
    scanFrom = Math.max(scanFrom, candidate.id);
    candidate = null;
  }
  candidate ??= { id: scan.readTo, at: now };
  return withScan(state, kind, { ...scan, scanFrom, candidate, gaps: gapsAbove(scan.gaps, scanFrom) });
}

/** Gap ranges kept per table; beyond it the closest ones merge (a wider range is only slower to read). */
export const MAX_GAPS = 1_000;

/** The gaps above `floor`. */
export function gapsAbove(gaps: readonly IdRange[], floor: number): IdRange[] {
  return gaps.filter(([, hi]) => hi > floor).map(([lo, hi]): IdRange => [Math.max(lo, floor + 1), hi]);
}

/**
 * After the tail read `ids` (ascending) above `after`: the position with `readTo` at the last of
 * them and the ids skipped between them added to the gaps (at most {@link MAX_GAPS} ranges).
 */
export function afterTail(scan: ScanPosition, ids: readonly number[]): ScanPosition {
  const gaps = [...scan.gaps];
  let prev = scan.readTo;
  for (const id of ids) {
    if (id > prev + 1) gaps.push([prev + 1, id - 1]);
    prev = Math.max(prev, id);
  }
  return { ...scan, readTo: prev, gaps: capGaps(gaps) };
}

/** After the gaps were read: the ids of the rows found there (sealed now, or never to be) leave them. */
export function afterGapRead(scan: ScanPosition, found: readonly number[]): ScanPosition {
  if (found.length === 0) return scan;
  const seen = [...found].sort((a, b) => a - b);
  const gaps: IdRange[] = [];
  let i = 0;
  for (const [lo, hi] of scan.gaps) {
    let from = lo;
    while (i < seen.length && (seen[i] ?? 0) < lo) i++;
    for (; i < seen.length && (seen[i] ?? 0) <= hi; i++) {
      const id = seen[i] ?? 0;
      if (id > from) gaps.push([from, id - 1]);
      from = id + 1;
    }
    if (from <= hi) gaps.push([from, hi]);
  }
  return { ...scan, gaps };
}

/** Merges the closest neighbours until at most {@link MAX_GAPS} ranges are left. */
function capGaps(gaps: IdRange[]): IdRange[] {
  if (gaps.length <= MAX_GAPS) return gaps;
  const distances = gaps.slice(1).map(([lo], i) => lo - (gaps[i]?.[1] ?? 0));
  const limit = [...distances].sort((a, b) => a - b)[gaps.length - MAX_GAPS - 1] ?? 0;
  let merges = gaps.length - MAX_GAPS;
  const out: IdRange[] = [gaps[0] ?? [0, 0]];
  for (let i = 1; i < gaps.length; i++) {
    const range = gaps[i] ?? [0, 0];
    const last = out[out.length - 1] ?? range;
    if (merges > 0 && (distances[i - 1] ?? 0) <= limit) {
      out[out.length - 1] = [last[0], range[1]];
      merges--;
    } else out.push(range);
  }
  return out;
}
