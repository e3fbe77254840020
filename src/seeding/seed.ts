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
export async function seedRows(store: Store, rows: AsyncIterable<SourceRow> | Iterable<SourceRow>, options: SeedOptions): Promise<SeedSummary> {
  const { skipInvalid, today, onReject = () => {}, onProgress, progressEvery = 100_000, batchSize = 5_000 } = options;
  const session = await store.beginSeed({ atomic: !skipInvalid });
  // 12-digit IDs fit exactly in a double: a Set of numbers keeps a million keys in a few tens of MiB.
  const seen = new Set<number>();
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
          const key = Number(result.value.idNumber);
          if (seen.has(key)) reason = `id_number: duplicate of an earlier row in this file`;
          else {
            seen.add(key);
            if (skipInvalid || rejected === 0) batch.push(result.value);
          }
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
