/**
 * Verification of the audit chain, pure: fed the seals in seq order (each with the row it seals,
 * as the database holds it now), then the rows that have no seal, it recomputes every hash and
 * names the first thing that does not fit.
 *
 * Audit rows and delivery events are checked alike, each named by its kind and id.
 *
 *   - a seal whose row is gone: the row was deleted (unless a sealed prune checkpoint covers it:
 *     retention removes audit rows and their delivery events sealed up to its cut);
 *   - a row whose hash differs: edited, or reordered when its seal's hash is that of another row
 *     moved to its id;
 *   - a seq missing, or a head that does not follow: the seals themselves were changed;
 *   - a row without a seal older than the last seal by more than the late-commit limit: inserted.
 * Rows without a seal that are recent are pending (the unsealed window), not a finding.
 */
import {
  GENESIS,
  maySeal,
  nextHead,
  rowHash,
  type AuditRecord,
  type ChainHead,
  type ChainRecord,
  type DeliveryRecord,
  type PruneCheckpoint,
  type Seal,
} from './chain.js';

/** One seal and the row it seals as stored now; `record` undefined when the row is gone. */
export interface SealedEntry {
  seal: Seal;
  record: ChainRecord | undefined;
}

/** The outcome of a verification. */
export type Verification =
  | {
      ok: true;
      /** Records sealed (audit rows and checkpoints). */
      sealed: number;
      /** Audit rows present and verified. */
      rows: number;
      /** Delivery events present and verified. */
      deliveries: number;
      /** Audit rows and delivery events removed by prunes (sealed, covered by a checkpoint). */
      pruned: number;
      /** Rows not sealed yet, within the unsealed window. */
      pending: number;
      head: ChainHead;
      /** The published head that was checked, when one was given. */
      extends?: ChainHead;
    }
  | { ok: false; finding: string };

const NAMES: Record<Seal['kind'], string> = { audit: 'audit row id', delivery: 'delivery event', prune: 'prune checkpoint' };

function describe(seal: Seal): string {
  return `${NAMES[seal.kind]} ${seal.rowId} (seal ${seal.seq})`;
}

/** Recomputes the chain from its seals; see the module's comment. */
export class ChainVerifier {
  private head: ChainHead = GENESIS;
  private finding: string | undefined;
  private rows = 0;
  private deliveries = 0;
  private pruned = 0;
  private pending = 0;
  private lastSealedAt: number | null = null;
  private readonly maxCut: number;
  private readonly unconfirmed: Map<number, PruneCheckpoint>;
  private extendsChecked = false;

  /**
   * @param checkpoints every prune checkpoint the database holds (each must turn up sealed)
   * @param published a head published earlier, that the log must still extend
   */
  constructor(
    checkpoints: readonly PruneCheckpoint[],
    private readonly published?: ChainHead,
  ) {
    this.maxCut = Math.max(0, ...checkpoints.map((c) => c.cutSeq));
    this.unconfirmed = new Map(checkpoints.map((c) => [c.id, c]));
    if (published?.seq === 0) this.checkPublished();
  }

  /** False once something was found: the rest need not be read. */
  get intact(): boolean {
    return this.finding === undefined;
  }

  /** The next seals, in seq order. */
  addSeals(batch: readonly SealedEntry[]): void {
    for (const entry of batch) {
      if (!this.intact) return;
      this.addSeal(entry, batch);
    }
  }

  private addSeal({ seal, record }: SealedEntry, batch: readonly SealedEntry[]): void {
    const expected = this.head.seq + 1;
    if (seal.seq !== expected) {
      this.finding = `seal ${expected} is missing (the next is ${seal.seq}): a sealed record and its seal were deleted`;
      return;
    }
    if (record === undefined) {
      if (seal.kind !== 'prune' && seal.seq <= this.maxCut) this.pruned += 1;
      else {
        this.finding = `${describe(seal)} was deleted`;
        return;
      }
    } else if (rowHash(record) !== seal.rowHash) {
      const moved = batch.find(
        (e) => e.record?.kind === seal.kind && e.record.row.id !== seal.rowId && rowHash(withId(e.record, seal.rowId)) === seal.rowHash,
      );
      this.finding = moved?.record
        ? `${describe(seal)} was reordered: its content is now at id ${moved.record.row.id}`
        : `${describe(seal)} was edited`;
      return;
    } else if (record.kind === 'audit') this.rows += 1;
    else if (record.kind === 'delivery') this.deliveries += 1;
    else this.confirmCheckpoint(record.row, seal);
    if (!this.intact) return;
    const hash = nextHead(this.head.hash, seal.seq, seal.sealedAt, seal.rowHash);
    if (hash !== seal.head) {
      this.finding = `the head stored with seal ${seal.seq} does not follow from the chain: the seals were changed`;
      return;
    }
    this.head = { seq: seal.seq, hash };
    this.lastSealedAt = Math.max(this.lastSealedAt ?? 0, seal.sealedAt);
    if (this.published?.seq === seal.seq) this.checkPublished();
  }

  private confirmCheckpoint(checkpoint: PruneCheckpoint, seal: Seal): void {
    this.unconfirmed.delete(checkpoint.id);
    if (checkpoint.cutSeq >= seal.seq) this.finding = `${describe(seal)} claims a cut at seal ${checkpoint.cutSeq}, not before it`;
  }

  private checkPublished(): void {
    const p = this.published;
    if (!p) return;
    this.extendsChecked = true;
    if (p.hash !== this.head.hash) {
      this.finding = `the log does not extend the published head ${p.seq}:${p.hash}: at seal ${p.seq} the head is ${this.head.hash}`;
    }
  }

  /** The audit rows that have no seal, after all seals were added. */
  addUnsealed(rows: readonly AuditRecord[]): void {
    this.addUnsealedOf('audit', rows);
  }

  /** The delivery events that have no seal, after all seals were added. */
  addUnsealedDeliveries(rows: readonly DeliveryRecord[]): void {
    this.addUnsealedOf('delivery', rows);
  }

  private addUnsealedOf(kind: 'audit' | 'delivery', rows: readonly { id: number; at: number }[]): void {
    for (const row of rows) {
      if (!this.intact) return;
      if (maySeal(row.at, this.lastSealedAt)) this.pending += 1;
      else this.finding = `${NAMES[kind]} ${row.id} has no seal and is older than the last seal: it was inserted`;
    }
  }

  /** The result, given the head the store keeps as its current one. */
  finish(storedHead: ChainHead): Verification {
    if (this.intact) {
      const [forged] = this.unconfirmed.keys();
      if (forged !== undefined) this.finding = `prune checkpoint ${forged} is not sealed: it was inserted`;
      else if (storedHead.seq !== this.head.seq || storedHead.hash !== this.head.hash) {
        this.finding = `the chain's stored head ${storedHead.seq}:${storedHead.hash} is not the last seal's ${this.head.seq}:${this.head.hash}`;
      } else if (this.published && !this.extendsChecked) {
        this.finding = `the published head is at seal ${this.published.seq}, but the log has only ${this.head.seq}: it was cut short`;
      }
    }
    if (this.finding !== undefined) return { ok: false, finding: this.finding };
    return {
      ok: true,
      sealed: this.head.seq,
      rows: this.rows,
      deliveries: this.deliveries,
      pruned: this.pruned,
      pending: this.pending,
      head: this.head,
      ...(this.published ? { extends: this.published } : {}),
    };
  }
}

function withId(record: ChainRecord, id: number): ChainRecord {
  switch (record.kind) {
    case 'audit':
      return { kind: 'audit', row: { ...record.row, id } };
    case 'prune':
      return { kind: 'prune', row: { ...record.row, id } };
    case 'delivery':
      return { kind: 'delivery', row: { ...record.row, id } };
  }
}
