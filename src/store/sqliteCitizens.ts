/**
 * Citizen rows in SQLite: the column list, row mapping, and seeding runs (batch upserts, or an
 * all-or-nothing run through a staging table).
 */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { RECORD_FIELDS, type RecordField } from '../citizens/record.js';
import type { Citizen } from '../citizens/types.js';
import type { SeedSession } from './types.js';

/** One column per record field, named as the field. */
const CITIZEN_COLUMNS = RECORD_FIELDS;

/** A row of `citizens`: the schema makes the first five columns NOT NULL and `sex` 'M' or 'F'. */
export type CitizenRow = Record<RecordField, string | null> & {
  id_number: string;
  full_name: string;
  date_of_birth: string;
  sex: Citizen['sex'];
  phone: string;
};

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

export function toCitizen(r: CitizenRow): Citizen {
  return {
    idNumber: r.id_number,
    fullName: r.full_name,
    dateOfBirth: r.date_of_birth,
    sex: r.sex,
    phone: r.phone,
    birthRegistrationPlace: r.birth_registration_place,
    hometown: r.hometown,
    ethnicity: r.ethnicity,
    religion: r.religion,
    nationality: r.nationality,
    permanentAddress: r.permanent_address,
    temporaryAddress: r.temporary_address,
    currentAddress: r.current_address,
    cardIssuedOn: r.card_issued_on,
    cardExpiresOn: r.card_expires_on,
  };
}

/** A citizen's values, in the order of CITIZEN_COLUMNS. */
function citizenValues(c: Citizen): (string | null)[] {
  return [
    c.idNumber,
    c.fullName,
    c.dateOfBirth,
    c.sex,
    c.phone,
    c.birthRegistrationPlace,
    c.hometown,
    c.ethnicity,
    c.religion,
    c.nationality,
    c.permanentAddress,
    c.temporaryAddress,
    c.currentAddress,
    c.cardIssuedOn,
    c.cardExpiresOn,
  ];
}

/** The number a `count(*)` statement (plucked) gives. */
function countOf(count: Statement): number {
  const n = count.get();
  if (typeof n !== 'number') throw new Error(`count(*) gave ${String(n)}`);
  return n;
}

/** Starts a seeding run on `db`, as `Store.beginSeed` describes. */
export function beginSeed(db: Database.Database, upsert: Statement, countCitizens: Statement, atomic: boolean): SeedSession {
  const before = countOf(countCitizens);
  let written = 0;
  let open = true;
  if (!atomic) {
    // Each batch commits on its own. Sorting it by key turns random-order upserts into mostly
    // sequential b-tree work.
    const committedBatch = db.transaction((batch: Citizen[]) => {
      for (const c of batch.slice().sort(byIdNumber)) upsert.run(citizenValues(c));
    });
    return {
      write: async (batch) => {
        if (!open) throw new Error('seed session is closed');
        committedBatch(batch);
        written += batch.length;
      },
      commit: async () => {
        open = false;
        const inserted = countOf(countCitizens) - before;
        return { inserted, updated: written - inserted };
      },
      rollback: async () => {
        open = false;
      },
    };
  }
  // Atomic (all-or-nothing) run: one transaction. Batches are appended to a temporary staging
  // table (sequential writes to a temp file), and commit moves them into `citizens` in key
  // order with one INSERT ... SELECT ... ORDER BY: SQLite's external sorter (bounded memory,
  // helper threads) then the b-tree is filled left to right, instead of a million random-order
  // inserts into a table far larger than the page cache. ROLLBACK undoes the staging table too.
  db.pragma('threads = 2');
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(CREATE_STAGING);
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
  const stage = db.prepare(INSERT_STAGING);
  const stageBatch = (batch: Citizen[]) => {
    for (const c of batch) stage.run(citizenValues(c));
  };
  return {
    write: async (batch) => {
      if (!open) throw new Error('seed session is closed');
      stageBatch(batch);
      written += batch.length;
    },
    commit: async () => {
      if (open) {
        open = false;
        try {
          db.exec(MOVE_STAGING);
          db.exec(DROP_STAGING);
          db.exec('COMMIT');
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      }
      const inserted = countOf(countCitizens) - before;
      return { inserted, updated: written - inserted };
    },
    rollback: async () => {
      if (open && db.inTransaction) db.exec('ROLLBACK');
      open = false;
    },
  };
}
