/**
 * Citizen rows in PostgreSQL: seeding runs. Batches go into a staging table with COPY (the bulk
 * path: one stream, no statement per row), then one `INSERT … SELECT … ON CONFLICT` moves them into
 * `citizens` in key order; a strict run into an empty table COPYs straight in, not staged (see
 * postgresFirstLoad.ts). A run has a connection of its own, outside the server's pool, and
 * only ever writes `citizens`: a message's transaction reads a record without waiting for a seed
 * (MVCC), and a seed waits for nothing a message holds.
 */
import { once } from 'node:events';
import { finished, pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Citizen } from '../citizens/types.js';
import { CITIZEN_COLUMNS } from './citizenRows.js';
import { copyText } from './copyText.js';
import { beginFirstLoad, endFirstLoad, LOAD_TABLE } from './postgresFirstLoad.js';
import type { SeedCounts, SeedSession } from './types.js';

const COLUMNS = CITIZEN_COLUMNS.join(', ');

/**
 * The staging table: the citizens' columns (all text, the key compared byte by byte as in
 * `citizens`, for the sort of the move), no constraint (the move into `citizens` checks them), no
 * index, no WAL (temporary). Spelled out rather than `LIKE citizens`, which would
 * hold a lock on `citizens` from the start of the transaction: a per-batch run waiting for a first
 * load's commit would then hold up that load's swap (postgresFirstLoad.ts) while waiting for it. In
 * an atomic run it lives as long as the run's one transaction; in a per-batch run its rows are
 * emptied by each commit, and `IF NOT EXISTS` makes it there whatever connection a pooler hands out.
 */
const STAGING_COLUMNS = CITIZEN_COLUMNS.map((c) => `${c} text${c === 'id_number' ? ' COLLATE "C"' : ''}`).join(', ');
const CREATE_STAGING_ATOMIC = `CREATE TEMP TABLE seed_staging (${STAGING_COLUMNS}) ON COMMIT DROP`;
const CREATE_STAGING_BATCH = `CREATE TEMP TABLE IF NOT EXISTS seed_staging (${STAGING_COLUMNS}) ON COMMIT DELETE ROWS`;
const COPY_STAGING = `COPY seed_staging (${COLUMNS}) FROM STDIN`;
const COPY_CITIZENS = `COPY citizens (${COLUMNS}) FROM STDIN`;
const COPY_LOAD_TABLE = `COPY ${LOAD_TABLE} (${COLUMNS}) FROM STDIN`;

/**
 * Moves the staged rows into `citizens` in key order and counts the rows inserted: a row that was
 * inserted, not updated, has no `xmax`. A row identical to the stored one is not rewritten (no dead
 * row version, no WAL); it still counts as updated, as in SQLite.
 */
const MOVE_STAGING = `WITH moved AS (
    INSERT INTO citizens (${COLUMNS})
    SELECT ${COLUMNS} FROM seed_staging ORDER BY id_number
    ON CONFLICT (id_number) DO UPDATE SET ${CITIZEN_COLUMNS.slice(1)
      .map((c) => `${c} = excluded.${c}`)
      .join(', ')}
    WHERE (${CITIZEN_COLUMNS.slice(1)
      .map((c) => `citizens.${c}`)
      .join(', ')}) IS DISTINCT FROM (${CITIZEN_COLUMNS.slice(1)
      .map((c) => `excluded.${c}`)
      .join(', ')})
    RETURNING xmax = 0 AS inserted
  )
  SELECT count(*) FILTER (WHERE inserted) AS inserted FROM moved`;

async function copyBatch(client: Client, batch: readonly Citizen[]): Promise<void> {
  if (batch.length === 0) return;
  await pipeline(Readable.from([copyText(batch)]), client.query(copyFrom(COPY_STAGING)));
}

/**
 * One COPY for a whole run, fed batch after batch: PostgreSQL writes the rows while the seeder
 * validates the next ones, and there is one COPY handshake per run instead of one per batch.
 * `write` waits only when the connection's buffer is full; a failure of the COPY is thrown by the
 * next `write` or by `end`.
 */
class CopyFeed {
  private readonly stream: Writable;
  private readonly done: Promise<void>;
  private failure: Error | undefined;

  constructor(client: Client, statement: string) {
    this.stream = client.query(copyFrom(statement));
    this.done = finished(this.stream);
    this.done.catch((err: unknown) => {
      this.failure = err instanceof Error ? err : new Error(String(err));
    });
  }

  async write(batch: readonly Citizen[]): Promise<void> {
    this.check();
    if (this.stream.write(copyText(batch))) return;
    await Promise.race([once(this.stream, 'drain'), this.done]);
    this.check();
  }

  async end(): Promise<void> {
    this.stream.end();
    await this.done;
  }

  /** Cancels the COPY (CopyFail), so that the connection can roll back. */
  async abort(): Promise<void> {
    if (this.stream.writableFinished || this.failure) return;
    this.stream.destroy(new Error('seed rolled back'));
    await this.done.catch(() => undefined);
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}

async function isEmpty(client: Client): Promise<boolean> {
  const result = await client.query<{ empty: boolean }>('SELECT NOT EXISTS (SELECT 1 FROM citizens) AS empty');
  return result.rows[0]?.empty === true;
}

async function move(client: Client): Promise<number> {
  const result = await client.query<{ inserted: number }>(MOVE_STAGING);
  return result.rows[0]?.inserted ?? 0;
}

/**
 * Starts a seeding run on `client`, a connection of the run's own, as `Store.beginSeed`
 * describes. The run ends the connection when it commits or rolls back.
 */
export async function beginPostgresSeed(client: Client, atomic: boolean): Promise<SeedSession> {
  let open = true;
  let written = 0;
  let inserted = 0;
  const end = async () => {
    open = false;
    await client.end().catch(() => undefined);
  };
  const checkOpen = () => {
    if (!open) throw new Error('seed session is closed');
  };
  const counts = (): SeedCounts => ({ inserted, updated: written - inserted });

  if (!atomic) {
    // Each batch commits on its own: staged, moved, committed.
    return {
      write: async (batch) => {
        checkOpen();
        await client.query('BEGIN');
        try {
          await client.query(CREATE_STAGING_BATCH);
          await copyBatch(client, batch);
          inserted += await move(client);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
        written += batch.length;
      },
      commit: async () => {
        checkOpen();
        await end();
        return counts();
      },
      rollback: end,
    };
  }

  // All or nothing: one transaction from the first batch to the commit. Nothing is visible to
  // other sessions before it commits; the move takes row locks only on the rows it updates.
  //
  // Into an empty table (the first load) the batches are COPYed straight in, not staged: each row
  // is written once instead of twice, and there is nothing to update. SHARE ROW EXCLUSIVE keeps
  // other writers of `citizens` (another seed) out until the commit, so the table stays empty but
  // for this run and every row is an insert; readers (the webhook's SELECTs) are not blocked. The
  // rows go into a table of their own, indexed at the end, when `citizens` can be swapped for it
  // (postgresFirstLoad.ts).
  let direct = false;
  let beside = false;
  let feed: CopyFeed | undefined;
  try {
    // The first look is outside the transaction, so that a run waiting for another's lock holds
    // no lock on `citizens` meanwhile (which the other's swap would then wait for: a deadlock).
    const maybeEmpty = await isEmpty(client);
    await client.query('BEGIN');
    if (maybeEmpty) {
      await client.query('LOCK TABLE citizens IN SHARE ROW EXCLUSIVE MODE');
      direct = await isEmpty(client);
    }
    if (!direct) await client.query(CREATE_STAGING_ATOMIC);
    else beside = await beginFirstLoad(client);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    await end();
    throw err;
  }
  return {
    write: async (batch) => {
      checkOpen();
      if (batch.length === 0) return;
      feed ??= new CopyFeed(client, beside ? COPY_LOAD_TABLE : direct ? COPY_CITIZENS : COPY_STAGING);
      await feed.write(batch);
      written += batch.length;
    },
    commit: async () => {
      checkOpen();
      try {
        await feed?.end();
        inserted = direct ? written : await move(client);
        if (beside) await endFirstLoad(client);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        await end();
      }
      return counts();
    },
    rollback: async () => {
      if (!open) return;
      await feed?.abort();
      await client.query('ROLLBACK').catch(() => undefined);
      await end();
    },
  };
}
