/**
 * One run of the sealer as a sequence of steps, so that both stores run the same loop: SQLite
 * answers each step synchronously, PostgreSQL awaits it. The run reads a table's gaps, then its
 * tail, in batches of {@link SEAL_BATCH} (each `after` the last id read), seals each batch
 * ({@link sealAuditBatch}), asks the store to write the seals, then does the same for the
 * delivery events and moves both read positions ({@link advanceScan}). The store runs it in one
 * transaction that holds the chain's state row, and saves the state it returns.
 */
import type { AuditRecord, DeliveryRecord, Seal } from '../audit/chain.js';
import {
  advanceScan,
  afterGapRead,
  afterTail,
  passLastSealedAt,
  scanOf,
  SEAL_BATCH,
  sealAuditBatch,
  sealDeliveryBatch,
  withScan,
  type ChainState,
  type ScannedKind,
} from './sealPlan.js';

/**
 * A batch to read: the unsealed rows of one table with an id above `after`, in id order, at most
 * `limit`. From the tail (every id above `after`) or from the gaps only (`gaps`: their JSON text,
 * as the state row keeps it).
 */
export type SealRead =
  | { kind: ScannedKind; from: 'tail'; after: number; limit: number }
  | { kind: ScannedKind; from: 'gaps'; gaps: string; after: number; limit: number };

/** What the run asks of its store next: read a batch (answered with {@link SealRows}), or write seals (answered with nothing). */
export type SealStep = { read: SealRead } | { write: Seal[] };

/** The rows a read found, decoded, with the table they come from. */
export type SealRows = { kind: 'audit'; rows: AuditRecord[] } | { kind: 'delivery'; rows: DeliveryRecord[] };

/** What a run did: how many rows it sealed, and the chain's state to save. */
export interface SealOutcome {
  sealed: number;
  state: ChainState;
}

/** The steps of one run from the state `before` (locked by the caller), at `now`. */
export function* sealRun(before: ChainState, now: number): Generator<SealStep, SealOutcome, SealRows | undefined> {
  let state = before;
  let sealed = 0;

  // Reads one source in batches and seals each; returns the ids read.
  function* drain(read: SealRead): Generator<SealStep, number[], SealRows | undefined> {
    const lastSealedAt = passLastSealedAt(before, read.kind);
    const ids: number[] = [];
    for (let after = read.after; ;) {
      const got = yield { read: { ...read, after } };
      if (got?.kind !== read.kind) throw new Error(`the sealer asked for ${read.kind} rows and got ${got?.kind ?? 'nothing'}`);
      const last = got.rows.at(-1);
      if (!last) return ids;
      const batch =
        got.kind === 'audit' ? sealAuditBatch(state, got.rows, now, lastSealedAt) : sealDeliveryBatch(state, got.rows, now, lastSealedAt);
      if (batch.seals.length > 0) yield { write: batch.seals };
      sealed += batch.seals.length;
      state = batch.state;
      for (const r of got.rows) ids.push(r.id);
      after = last.id;
      if (got.rows.length < read.limit) return ids;
    }
  }

  for (const kind of ['audit', 'delivery'] as const) {
    const scan = scanOf(state, kind);
    if (scan.gaps.length > 0) {
      const found = yield* drain({ kind, from: 'gaps', gaps: JSON.stringify(scan.gaps), after: scan.scanFrom, limit: SEAL_BATCH });
      state = withScan(state, kind, afterGapRead(scanOf(state, kind), found));
    }
    const tailIds = yield* drain({ kind, from: 'tail', after: scan.readTo, limit: SEAL_BATCH });
    state = withScan(state, kind, afterTail(scanOf(state, kind), tailIds));
  }
  state = advanceScan(state, now, 'audit');
  state = advanceScan(state, now, 'delivery');
  return { sealed, state };
}
