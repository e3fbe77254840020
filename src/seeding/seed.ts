/**
 * Validates raw rows and upserts the valid ones in batches. Strict mode is all-or-nothing: one
 * rejected row and nothing is written. With `skipInvalid`, valid rows are committed batch by batch.
 */
import { validateRecord } from '../citizens/record.js';
import type { Citizen } from '../citizens/types.js';
import type { Store } from '../store/types.js';
import type { SourceRow } from './sources.js';

/** Options of one seeding run. */
export interface SeedOptions {
  /** Commit valid rows even when some are rejected. */
  skipInvalid: boolean;
  /** Today's ISO date, for "not in the future" rules (injected for tests). */
  today: string;
  /** Hears each rejected row: `where` is `line N` or `item N`. */
  onReject?: (where: string, reason: string) => void;
  /** Hears the number of rows read so far, every `progressEvery` rows. */
  onProgress?: (rowsRead: number) => void;
  progressEvery?: number;
  batchSize?: number;
}

/** What a seeding run did. `written` is false when strict mode rolled everything back. */
export interface SeedSummary {
  inserted: number;
  updated: number;
  rejected: number;
  written: boolean;
}

/** Validates and loads rows into the store. */
export async function seedRows(
  store: Store,
  rows: AsyncIterable<SourceRow> | Iterable<SourceRow>,
  options: SeedOptions,
): Promise<SeedSummary> {
  const { skipInvalid, today, onReject = () => {}, onProgress, progressEvery = 100_000, batchSize = 5_000 } = options;
  const session = await store.beginSeed({ atomic: !skipInvalid });
  const seen = new IdNumberSet();
  let batch: Citizen[] = [];
  let rejected = 0;
  let read = 0;
  try {
    for await (const row of rows) {
      read++;
      if (onProgress && read % progressEvery === 0) onProgress(read);
      let reason: string | undefined;
      if ('error' in row) reason = row.error;
      else {
        const result = validateRecord(row.fields, today);
        if (!result.ok) reason = result.reason;
        else {
          if (!seen.add(Number(result.value.idNumber))) reason = `id_number: duplicate of an earlier row in this file`;
          else if (skipInvalid || rejected === 0) batch.push(result.value);
        }
      }
      if (reason !== undefined) {
        rejected++;
        onReject(row.where, reason);
        if (!skipInvalid) batch = [];
      }
      if (batch.length >= batchSize) {
        await session.write(batch);
        batch = [];
      }
    }
    if (!skipInvalid && rejected > 0) {
      await session.rollback();
      return { inserted: 0, updated: 0, rejected, written: false };
    }
    if (batch.length > 0) await session.write(batch);
    const counts = await session.commit();
    return { ...counts, rejected, written: true };
  } catch (err) {
    await session.rollback();
    throw err;
  }
}

/**
 * The ID numbers seen so far in a run. A 12-digit ID fits exactly in a double, so the keys live in
 * one open-addressing table of doubles (linear probing, at most half full): 8 to 32 bytes a key,
 * 16 MiB for a million, against ~60 MiB and much GC work for a `Set` of heap numbers.
 */
export class IdNumberSet {
  /** Key + 1 per slot (0 marks an empty slot); the length is a power of two. */
  private table = new Float64Array(1 << 12);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds a key (an integer from 0 to 2^53 - 2); false when it was already there. */
  add(key: number): boolean {
    if (!Number.isSafeInteger(key) || key < 0 || key >= Number.MAX_SAFE_INTEGER) throw new RangeError(`not a key: ${key}`);
    if (this.count * 2 >= this.table.length) this.grow();
    if (!IdNumberSet.insert(this.table, key + 1)) return false;
    this.count++;
    return true;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2);
    for (const stored of old) if (stored !== 0) IdNumberSet.insert(this.table, stored);
  }

  private static insert(table: Float64Array, stored: number): boolean {
    const mask = table.length - 1;
    for (let i = mix(stored) & mask; ; i = (i + 1) & mask) {
      const slot = table[i];
      if (slot === 0) {
        table[i] = stored;
        return true;
      }
      if (slot === stored) return false;
    }
  }
}

/** A 32-bit hash of a non-negative safe integer (both halves, murmur3 finaliser). */
function mix(x: number): number {
  let h = (x >>> 0) ^ Math.imul(Math.floor(x / 4294967296), 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
