/**
 * Rows of the chain's tables (`audit_chain`, `audit_seals`, `audit_checkpoints`) as both stores
 * read them, and their mapping to the chain's types. The SQL is the same text on both backends.
 */
import type { AuditCommand, Outcome } from '../audit/types.js';
import type { AuditRecord, DeliveryRecord, PruneCheckpoint, RecordKind, Seal } from '../audit/chain.js';
import type { SealedEntry } from '../audit/verifyChain.js';
import type { ChainState, IdRange } from './sealPlan.js';

/** The state row. */
export interface ChainStateRow {
  seq: number;
  head: string;
  last_sealed_at: number | null;
  scan_from: number;
  candidate_id: number | null;
  candidate_at: number | null;
  delivery_scan_from: number;
  delivery_candidate_id: number | null;
  delivery_candidate_at: number | null;
  read_to: number;
  gaps: string;
  delivery_read_to: number;
  delivery_gaps: string;
}

function candidateOf(id: number | null, at: number | null): { id: number; at: number } | null {
  return id !== null && at !== null ? { id, at } : null;
}

/** A `gaps` column: a JSON array of `[lo, hi]` pairs. */
function gapsOf(text: string): IdRange[] {
  return (JSON.parse(text) as [number | string, number | string][]).map(([lo, hi]): IdRange => [Number(lo), Number(hi)]);
}

export function toChainState(r: ChainStateRow): ChainState {
  return {
    head: { seq: r.seq, hash: r.head },
    lastSealedAt: r.last_sealed_at,
    scanFrom: r.scan_from,
    candidate: candidateOf(r.candidate_id, r.candidate_at),
    readTo: r.read_to,
    gaps: gapsOf(r.gaps),
    delivery: {
      scanFrom: r.delivery_scan_from,
      candidate: candidateOf(r.delivery_candidate_id, r.delivery_candidate_at),
      readTo: r.delivery_read_to,
      gaps: gapsOf(r.delivery_gaps),
    },
  };
}

/** The values of `UPDATE audit_chain`, in the order of {@link CHAIN_SQL.writeState}. */
export function chainStateValues(s: ChainState): (number | string | null)[] {
  const d = s.delivery;
  return [
    s.head.seq,
    s.head.hash,
    s.lastSealedAt,
    s.scanFrom,
    s.candidate?.id ?? null,
    s.candidate?.at ?? null,
    d.scanFrom,
    d.candidate?.id ?? null,
    d.candidate?.at ?? null,
    s.readTo,
    JSON.stringify(s.gaps),
    d.readTo,
    JSON.stringify(d.gaps),
  ];
}

/** A row of `delivery_events` as the sealer and verification read it. */
export interface DeliveryEventRow {
  id: number;
  at: number;
  ref: string;
  message_sid: string;
  status: string;
  error_code: string | null;
}

export function toDeliveryRecord(r: DeliveryEventRow): DeliveryRecord {
  return { id: r.id, at: r.at, ref: r.ref, messageSid: r.message_sid, status: r.status, errorCode: r.error_code };
}

/** One seal joined with its row (the columns of whichever table its kind names; nulls when gone). */
export interface SealedRow {
  seq: number;
  kind: string;
  row_id: number;
  row_hash: string;
  sealed_at: number;
  head: string;
  a_id: number | null;
  a_at: number | null;
  a_message_sid: string | null;
  a_sender: string | null;
  a_command: string | null;
  a_target_id: string | null;
  a_outcome: string | null;
  a_segments: number | null;
  c_id: number | null;
  c_cut_seq: number | null;
  c_cut_head: string | null;
  c_removed: number | null;
  c_oldest: number | null;
  c_newest: number | null;
  c_at: number | null;
  d_id: number | null;
  d_at: number | null;
  d_ref: string | null;
  d_message_sid: string | null;
  d_status: string | null;
  d_error_code: string | null;
}

export interface CheckpointRow {
  id: number;
  cut_seq: number;
  cut_head: string;
  removed: number;
  oldest: number | null;
  newest: number | null;
  at: number;
}

export function toCheckpoint(r: CheckpointRow): PruneCheckpoint {
  return { id: r.id, cutSeq: r.cut_seq, cutHead: r.cut_head, removed: r.removed, oldest: r.oldest, newest: r.newest, at: r.at };
}

export function toSealedEntry(r: SealedRow): SealedEntry {
  const seal: Seal = { seq: r.seq, kind: r.kind as RecordKind, rowId: r.row_id, rowHash: r.row_hash, sealedAt: r.sealed_at, head: r.head };
  if (r.a_id !== null) {
    const row: AuditRecord = {
      id: r.a_id,
      at: r.a_at ?? 0,
      messageSid: r.a_message_sid ?? '',
      sender: r.a_sender ?? '',
      command: r.a_command as AuditCommand,
      targetId: r.a_target_id,
      outcome: r.a_outcome as Outcome,
      segments: r.a_segments ?? 0,
    };
    return { seal, record: { kind: 'audit', row } };
  }
  if (r.c_id !== null) {
    const row = toCheckpoint({
      id: r.c_id,
      cut_seq: r.c_cut_seq ?? 0,
      cut_head: r.c_cut_head ?? '',
      removed: r.c_removed ?? 0,
      oldest: r.c_oldest,
      newest: r.c_newest,
      at: r.c_at ?? 0,
    });
    return { seal, record: { kind: 'prune', row } };
  }
  if (r.d_id !== null) {
    const row = toDeliveryRecord({
      id: r.d_id,
      at: r.d_at ?? 0,
      ref: r.d_ref ?? '',
      message_sid: r.d_message_sid ?? '',
      status: r.d_status ?? '',
      error_code: r.d_error_code,
    });
    return { seal, record: { kind: 'delivery', row } };
  }
  return { seal, record: undefined };
}

/** SQL of the chain, the same on both backends but for placeholders (`?` here; PostgreSQL numbers them). */
export const CHAIN_SQL = {
  state: `SELECT seq, head, last_sealed_at, scan_from, candidate_id, candidate_at,
      delivery_scan_from, delivery_candidate_id, delivery_candidate_at, read_to, gaps, delivery_read_to, delivery_gaps
      FROM audit_chain WHERE id = 1`,
  writeState: `UPDATE audit_chain SET seq = ?, head = ?, last_sealed_at = ?, scan_from = ?, candidate_id = ?, candidate_at = ?,
      delivery_scan_from = ?, delivery_candidate_id = ?, delivery_candidate_at = ?,
      read_to = ?, gaps = ?, delivery_read_to = ?, delivery_gaps = ? WHERE id = 1`,
  unsealed: `SELECT a.id, a.at, a.message_sid, a.sender, a.command, a.target_id, a.outcome, a.segments FROM audit_log a
    WHERE a.id > ? AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.kind = 'audit' AND s.row_id = a.id)
    ORDER BY a.id LIMIT ?`,
  // The sealer's reads: the rows above its read position (the tail, none sealed), and the rows in
  // the gaps it left below it, which only a late commit can fill (see sealPlan.ts).
  tail: `SELECT id, at, message_sid, sender, command, target_id, outcome, segments FROM audit_log
    WHERE id > ? ORDER BY id LIMIT ?`,
  insertSeal: `INSERT INTO audit_seals (seq, kind, row_id, row_hash, sealed_at, head) VALUES (?, ?, ?, ?, ?, ?)`,
  seals: `SELECT s.seq, s.kind, s.row_id, s.row_hash, s.sealed_at, s.head,
      a.id AS a_id, a.at AS a_at, a.message_sid AS a_message_sid, a.sender AS a_sender, a.command AS a_command,
      a.target_id AS a_target_id, a.outcome AS a_outcome, a.segments AS a_segments,
      c.id AS c_id, c.cut_seq AS c_cut_seq, c.cut_head AS c_cut_head, c.removed AS c_removed, c.oldest AS c_oldest,
      c.newest AS c_newest, c.at AS c_at,
      d.id AS d_id, d.at AS d_at, d.ref AS d_ref, d.message_sid AS d_message_sid, d.status AS d_status,
      d.error_code AS d_error_code
    FROM audit_seals s
    LEFT JOIN audit_log a ON s.kind = 'audit' AND a.id = s.row_id
    LEFT JOIN audit_checkpoints c ON s.kind = 'prune' AND c.id = s.row_id
    LEFT JOIN delivery_events d ON s.kind = 'delivery' AND d.id = s.row_id
    WHERE s.seq > ? ORDER BY s.seq LIMIT ?`,
  checkpoints: `SELECT id, cut_seq, cut_head, removed, oldest, newest, at FROM audit_checkpoints ORDER BY id`,
  // Retention's cut: the seal before the first one whose audit row is still present and recent.
  firstKept: `SELECT min(s.seq) AS seq FROM audit_seals s JOIN audit_log a ON a.id = s.row_id WHERE s.kind = 'audit' AND a.at >= ?`,
  lastCut: `SELECT coalesce(max(cut_seq), 0) AS seq FROM audit_checkpoints`,
  headAt: `SELECT head FROM audit_seals WHERE seq = ?`,
  cutRange: `SELECT count(*) AS removed, min(at) AS oldest, max(at) AS newest FROM audit_log
    WHERE id IN (SELECT row_id FROM audit_seals WHERE kind = 'audit' AND seq <= ?)`,
  pruneReplies: `DELETE FROM message_replies WHERE audit_id IN (SELECT row_id FROM audit_seals WHERE kind = 'audit' AND seq <= ?)`,
  pruneRows: `DELETE FROM audit_log WHERE id IN (SELECT row_id FROM audit_seals WHERE kind = 'audit' AND seq <= ?)`,
  /** The delivery receipts of the rows {@link pruneRows} removes: run before it. */
  pruneDeliveries: `DELETE FROM delivery_events WHERE ref IN (SELECT message_sid FROM audit_log WHERE id IN
    (SELECT row_id FROM audit_seals WHERE kind = 'audit' AND seq <= ?))`,
  /**
   * The first seal of an audit row the cut would remove whose delivery events are sealed after the
   * cut (null when none): the cut moves below it, so that every delivery event retention removes
   * was sealed under the checkpoint.
   */
  deliverySealedAfterCut: `SELECT min(sa.seq) AS seq FROM audit_seals sa
    JOIN audit_log a ON sa.kind = 'audit' AND a.id = sa.row_id
    JOIN delivery_events d ON d.ref = a.message_sid
    JOIN audit_seals sd ON sd.kind = 'delivery' AND sd.row_id = d.id
    WHERE sa.seq <= ? AND sd.seq > ?`,
  nextCheckpointId: `SELECT coalesce(max(id), 0) + 1 AS id FROM audit_checkpoints`,
  insertCheckpoint: `INSERT INTO audit_checkpoints (id, cut_seq, cut_head, removed, oldest, newest, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
};

/** The sealer's tail read of delivery_events: the same pass as over the audit log, with its own read position. */
export const DELIVERY_CHAIN_SQL = {
  unsealed: `SELECT d.id, d.at, d.ref, d.message_sid, d.status, d.error_code FROM delivery_events d
    WHERE d.id > ? AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.kind = 'delivery' AND s.row_id = d.id)
    ORDER BY d.id LIMIT ?`,
  tail: `SELECT id, at, ref, message_sid, status, error_code FROM delivery_events
    WHERE id > ? ORDER BY id LIMIT ?`,
};

/**
 * The unsealed rows of `table` in the gaps (a JSON array of `[lo, hi]`, the first parameter), above
 * the id of the second, in id order, at most the third. Each gap is read by its own range of the
 * primary key: SQLite takes the gaps first because of `CROSS JOIN`; PostgreSQL needs `LATERAL`,
 * or with few seals it plans one pass over the whole table.
 */
export function gapRead(table: 'audit_log' | 'delivery_events', dialect: 'sqlite' | 'postgres'): string {
  const [kind, columns] =
    table === 'audit_log'
      ? ['audit', 'a.id, a.at, a.message_sid, a.sender, a.command, a.target_id, a.outcome, a.segments']
      : ['delivery', 'a.id, a.at, a.ref, a.message_sid, a.status, a.error_code'];
  const unsealed = `NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.kind = '${kind}' AND s.row_id = a.id)`;
  if (dialect === 'sqlite') {
    return `SELECT ${columns} FROM json_each(?) g CROSS JOIN ${table} a
    WHERE a.id >= (g.value ->> 0) AND a.id <= (g.value ->> 1) AND a.id > ? AND ${unsealed}
    ORDER BY a.id LIMIT ?`;
  }
  // OFFSET 0 keeps the seal check a probe of the seals' index per row read: as an anti-join,
  // PostgreSQL may hash every seal of the kind for each gap where it finds a row.
  const unsealedPerRow = unsealed.replace(/\)$/, ' OFFSET 0)');
  return `SELECT a.* FROM jsonb_array_elements($1::jsonb) g CROSS JOIN LATERAL (
      SELECT ${columns} FROM ${table} a
      WHERE a.id >= (g.value ->> 0)::bigint AND a.id <= (g.value ->> 1)::bigint AND a.id > $2 AND ${unsealedPerRow}
      ORDER BY a.id LIMIT $3) a
    ORDER BY a.id LIMIT $3`;
}

/**
 * The migration that gives the sealer its gaps (SQLite's 8, PostgreSQL's 9): the columns, and the
 * window the counts of earlier versions covered as one gap, so that a late commit in it is still found.
 */
export function gapsMigration(idType: 'INTEGER' | 'bigint'): string {
  return `ALTER TABLE audit_chain ADD COLUMN read_to ${idType} NOT NULL DEFAULT 0;
   ALTER TABLE audit_chain ADD COLUMN gaps text NOT NULL DEFAULT '[]';
   ALTER TABLE audit_chain ADD COLUMN delivery_read_to ${idType} NOT NULL DEFAULT 0;
   ALTER TABLE audit_chain ADD COLUMN delivery_gaps text NOT NULL DEFAULT '[]';
   UPDATE audit_chain SET
     read_to = (SELECT coalesce(max(row_id), 0) FROM audit_seals WHERE kind = 'audit'),
     delivery_read_to = (SELECT coalesce(max(row_id), 0) FROM audit_seals WHERE kind = 'delivery');
   UPDATE audit_chain SET
     gaps = CASE WHEN read_to > scan_from THEN '[[' || (scan_from + 1) || ',' || read_to || ']]' ELSE '[]' END,
     delivery_gaps = CASE WHEN delivery_read_to > delivery_scan_from
       THEN '[[' || (delivery_scan_from + 1) || ',' || delivery_read_to || ']]' ELSE '[]' END;
   UPDATE audit_chain SET
     read_to = CASE WHEN read_to < scan_from THEN scan_from ELSE read_to END,
     delivery_read_to = CASE WHEN delivery_read_to < delivery_scan_from THEN delivery_scan_from ELSE delivery_read_to END;`;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
