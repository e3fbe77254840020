/**
 * The hash chain that makes the audit log tamper-evident. Pure: SHA-256 over a canonical encoding
 * of each sealed record, and the link that binds it to the previous head. The store keeps the
 * seals (`audit_seals`); this module defines what their hashes mean, so that anyone can recompute
 * them from the rows alone.
 *
 * Canonical encoding of a record (version 1): its fields in a fixed order, each one as
 *   - a 4-byte big-endian length, then that many bytes of UTF-8 text; or
 *   - the 4 bytes FF FF FF FF for a null (no bytes follow).
 * Integers are written in decimal, without sign (all are ≥ 0) or leading zeros. The first field is
 * the record's kind, which decides the fields that follow:
 *   audit:    "audit", id, at, message_sid, sender, command, target_id, outcome, segments
 *   prune:    "prune", id, cut_seq, cut_head, removed, oldest, newest, at
 *   delivery: "delivery", id, at, ref, message_sid, status, error_code
 * (a delivery event is one row of `delivery_events`: a status callback for a reply; `ref` is the
 * inbound message's MessageSid, `error_code` null when Twilio sent none.)
 *
 * Hashes (as in RFC 6962, a 0x00 prefix for leaves and 0x01 for interior nodes):
 *   row_hash  = SHA-256(0x00 ‖ encoding)
 *   head(seq) = SHA-256(0x01 ‖ head(seq-1) ‖ u64be(seq) ‖ u64be(sealed_at) ‖ row_hash)
 * with head(0) = 32 zero bytes. `sealed_at` is when the sealer sealed the record (milliseconds
 * since the epoch): part of the chain, because verification reasons with it (see
 * {@link LATE_COMMIT_LIMIT_MS}). A head is written `<seq>:<64 hex digits>`; publishing one commits
 * the writers to every record sealed up to that seq.
 */
import { hash as digest } from 'node:crypto';
import type { AuditEntry } from './types.js';

/** An audit row with its id, as sealed. */
export interface AuditRecord extends AuditEntry {
  id: number;
}

/** What a prune removed, recorded in the chain itself so that a forged checkpoint breaks it. */
export interface PruneCheckpoint {
  id: number;
  /** The last seq whose audit row the prune could remove: rows of seals up to here may be gone. */
  cutSeq: number;
  /** The chain's head at `cutSeq` (64 hex digits). */
  cutHead: string;
  /** Audit rows removed. */
  removed: number;
  /** The time range of the removed rows (ms), null when none were. */
  oldest: number | null;
  newest: number | null;
  /** When the prune ran (ms). */
  at: number;
}

/** A delivery event (one status callback for a reply, a row of `delivery_events`), as sealed. */
export interface DeliveryRecord {
  id: number;
  /** When it was recorded (ms). */
  at: number;
  /** The inbound message's MessageSid: the audit row it is about. */
  ref: string;
  /** The outbound message's MessageSid (the reply). */
  messageSid: string;
  status: string;
  errorCode: string | null;
}

/** One record the chain seals, told apart by its kind. */
export type ChainRecord =
  { kind: 'audit'; row: AuditRecord } | { kind: 'prune'; row: PruneCheckpoint } | { kind: 'delivery'; row: DeliveryRecord };

/** The kinds of record the chain seals. */
export type RecordKind = ChainRecord['kind'];

/** One link of the chain, as the store keeps it. */
export interface Seal {
  seq: number;
  kind: RecordKind;
  /** The sealed row's id in its own table. */
  rowId: number;
  /** {@link rowHash} of the record (hex). */
  rowHash: string;
  sealedAt: number;
  /** {@link nextHead} after this record (hex). */
  head: string;
}

/** A head: how many records were sealed, and the hash after the last one. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** head(0): the chain before anything is sealed. */
export const GENESIS: ChainHead = { seq: 0, hash: '0'.repeat(64) };

/**
 * How late a row may commit after the sealer saw rows with higher ids and still be sealed. An
 * admission's transaction lasts at most about 10 s (2 s for a connection, statements bounded by
 * 3.5 s, idle sessions ended after 5 s), and the nodes' clocks are assumed to agree within 30 s.
 * A row that is still unsealed when a seal was made more than this after its time cannot be a
 * late commit: it was inserted behind the sealer's back, and is never sealed.
 */
export const LATE_COMMIT_LIMIT_MS = 60_000;

const NULL_LENGTH = 0xffffffff;

function text(value: string | number | null): string | null {
  if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(`a sealed integer must be a safe integer ≥ 0, got ${value}`);
  }
  return value === null ? null : String(value);
}

/** The encoding after `prefix` leading bytes (left zero), in one buffer. */
function encode(record: ChainRecord, prefix: number): Buffer {
  const values = fields(record).map(text);
  let size = prefix;
  for (const v of values) size += 4 + (v === null ? 0 : Buffer.byteLength(v, 'utf8'));
  const out = Buffer.alloc(size);
  let at = prefix;
  for (const v of values) {
    if (v === null) {
      out.writeUInt32BE(NULL_LENGTH, at);
      at += 4;
    } else {
      const n = out.write(v, at + 4, 'utf8');
      out.writeUInt32BE(n, at);
      at += 4 + n;
    }
  }
  return out;
}

function fields(record: ChainRecord): (string | number | null)[] {
  switch (record.kind) {
    case 'audit': {
      const r = record.row;
      return ['audit', r.id, r.at, r.messageSid, r.sender, r.command, r.targetId, r.outcome, r.segments];
    }
    case 'prune': {
      const r = record.row;
      return ['prune', r.id, r.cutSeq, r.cutHead, r.removed, r.oldest, r.newest, r.at];
    }
    case 'delivery': {
      const r = record.row;
      return ['delivery', r.id, r.at, r.ref, r.messageSid, r.status, r.errorCode];
    }
  }
}

/** The canonical encoding of a record (see the module's comment). */
export function encodeRecord(record: ChainRecord): Buffer {
  return encode(record, 0);
}

/** SHA-256(0x00 ‖ encoding), in hex. */
export function rowHash(record: ChainRecord): string {
  return digest('sha256', encode(record, 1), 'hex'); // the first byte is the 0x00 prefix
}

function checkU64(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`expected a safe integer ≥ 0, got ${value}`);
}

/** The head after sealing one more record: SHA-256(0x01 ‖ previous ‖ u64(seq) ‖ u64(sealedAt) ‖ rowHash), in hex. */
export function nextHead(previous: string, seq: number, sealedAt: number, hash: string): string {
  checkU64(seq);
  checkU64(sealedAt);
  const b = Buffer.alloc(81);
  b[0] = 0x01;
  b.write(previous, 1, 32, 'hex');
  b.writeBigUInt64BE(BigInt(seq), 33);
  b.writeBigUInt64BE(BigInt(sealedAt), 41);
  b.write(hash, 49, 32, 'hex');
  return digest('sha256', b, 'hex');
}

/** Seals records after `head`, in order: the seals to store and the new head. */
export function sealRecords(head: ChainHead, records: readonly ChainRecord[], sealedAt: number): { seals: Seal[]; head: ChainHead } {
  let { seq, hash } = head;
  const seals: Seal[] = [];
  for (const record of records) {
    seq += 1;
    const h = rowHash(record);
    hash = nextHead(hash, seq, sealedAt, h);
    seals.push({ seq, kind: record.kind, rowId: record.row.id, rowHash: h, sealedAt, head: hash });
  }
  return { seals, head: { seq, hash } };
}

/** A head as published: `<seq>:<hex>`. */
export function formatHead(head: ChainHead): string {
  return `${head.seq}:${head.hash}`;
}

/** Reads a published head; undefined when it is not `<seq>:<64 hex digits>`. */
export function parseHead(text: string): ChainHead | undefined {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/i.exec(text.trim());
  if (!match) return undefined;
  return { seq: Number(match[1]), hash: (match[2] ?? '').toLowerCase() };
}

/**
 * Whether an unsealed row may still be sealed: it may be a late commit as long as no seal was made
 * more than {@link LATE_COMMIT_LIMIT_MS} after its time (`lastSealedAt`: the latest seal's time).
 */
export function maySeal(rowAt: number, lastSealedAt: number | null): boolean {
  return lastSealedAt === null || rowAt + LATE_COMMIT_LIMIT_MS >= lastSealedAt;
}
