/**
 * Citizen rows in SQLite: the upsert, and seeding runs (batch upserts, or an
 * all-or-nothing run through a staging table).
 */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { Citizen } from '../citizens/types.js';
import { CITIZEN_COLUMNS, citizenValues } from './citizenRows.js';
import type { SeedSession } from './types.js';

export { CITIZEN_COLUMNS, toCitizen, type CitizenRow } from './citizenRows.js';

export const UPSERT_CITIZEN = `INSERT INTO citizens (${CITIZEN_COLUMNS.join(', ')})
  VALUES (${CITIZEN_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT (id_number) DO UPDATE SET
  ${CITIZEN_COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;

/** Staging table of an atomic seed run (temp schema: a temp file, dropped with the connection). */
const CREATE_STAGING = `CREATE TEMP TABLE seed_staging (${CITIZEN_COLUMNS.join(', ')})`;
const INSERT_STAGING = `INSERT INTO temp.seed_staging VALUES (${CITIZEN_COLUMNS.map(() => '?').join(', ')})`;
/** `WHERE true` keeps SQLite from reading `ON CONFLICT` as a join constraint of the SELECT. */
const MOVE_STAGING = `INSERT INTO main.citizens (${CITIZEN_COLUMNS.join(', ')})
  SELECT ${CITIZEN_COLUMNS.join(', ')} FROM temp.seed_staging WHERE true ORDER BY id_number
  ON CONFLICT (id_number) DO UPDATE SET
  ${CITIZEN_COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')}`;
const DROP_STAGING = 'DROP TABLE temp.seed_staging';

const byIdNumber = (a: Citizen, b: Citizen) => (a.idNumber < b.idNumber ? -1 : a.idNumber > b.idNumber ? 1 : 0);

/** The number a `count(*)` statement (plucked) gives. */
export function countOf(count: Statement): number {
  const n = count.get();
  if (typeof n !== 'number') throw new Error(`count(*) gave ${String(n)}`);
  return n;
}

/** Starts a seeding run on `db`, as `Store.beginSeed` describes. */
export function beginSeed(db: Database.Database, upsert: Statement, countCitizens: Statement, atomic: boolean): SeedSession {
  // A seed may wait for the lock (it is a tool, not the server): the server's write transactions
  // are short, and a seed's own are batches or the final move. Back to 0 (never wait on the event
  // loop) when the run ends.
  db.pragma('busy_timeout = 60000');
  let open = true;
  const done = () => {
    open = false;
    db.pragma('busy_timeout = 0');
  };
  const before = countOf(countCitizens);
  let written = 0;
  if (!atomic) {
    // Each batch commits on its own. Sorting it by key turns random-order upserts into mostly
    // sequential b-tree work.
    const committedBatch = db.transaction((batch: Citizen[]) => {
      for (const c of batch.slice().sort(byIdNumber)) upsert.run(citizenValues(c));
    });
    return {
      write: async (batch) => {
        if (!open) throw new Error('seed session is closed');
        committedBatch.immediate(batch);
        written += batch.length;
      },
      commit: async () => {
        done();
        const inserted = countOf(countCitizens) - before;
        return { inserted, updated: written - inserted };
      },
      rollback: async () => {
        done();
      },
    };
  }
  // Atomic (all-or-nothing) run. Batches are appended to a temporary staging table (the temp
  // schema: a file of this connection's own, so staging takes no lock on the database and the
  // server goes on writing meanwhile). Commit then moves them into `citizens` in one write
  // transaction, in key order, with one INSERT ... SELECT ... ORDER BY: SQLite's external sorter
  // (bounded memory, helper threads) fills the b-tree left to right instead of a million
  // random-order inserts into a table far larger than the page cache. Only that move holds the
  // write lock (about 2 s per million rows); nothing is visible before it commits.
  db.pragma('threads = 2');
  db.exec(CREATE_STAGING);
  // One deferred transaction for the whole staging: it writes the temp schema only, so it takes no
  // write lock on the database (one transaction per batch cost about 40% more time).
  db.exec('BEGIN');
  const stage = db.prepare(INSERT_STAGING);
  const stageBatch = (batch: Citizen[]) => {
    for (const c of batch) stage.run(citizenValues(c));
  };
  const dropStaging = () => {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.exec(DROP_STAGING);
  };
  return {
    write: async (batch) => {
      if (!open) throw new Error('seed session is closed');
      stageBatch(batch);
      written += batch.length;
    },
    commit: async () => {
      if (!open) throw new Error('seed session is closed');
      let inserted: number;
      try {
        db.exec('COMMIT'); // the staging, still in the temp schema
        db.exec('BEGIN IMMEDIATE');
        const start = countOf(countCitizens);
        db.exec(MOVE_STAGING);
        inserted = countOf(countCitizens) - start;
        db.exec('COMMIT');
      } finally {
        dropStaging();
        done();
      }
      return { inserted, updated: written - inserted };
    },
    rollback: async () => {
      if (open) dropStaging();
      done();
    },
  };
}
