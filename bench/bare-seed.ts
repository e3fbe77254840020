/**
 * The bare insert loop the seeding benchmark compares the project's seeding with:
 * `node dist/bench/bare-seed.js <file.csv> <out.db>`.
 *
 * Exactly this and nothing more: the same CSV file through the same parser (csv-parse, streamed
 * with `for await`, records as arrays, the header line skipped), and one prepared
 * `INSERT INTO citizens VALUES (?, ... ?)` per record, as parsed, into a plain table of the same
 * 15 columns (`id_number TEXT PRIMARY KEY`, a rowid table), all in one transaction. No
 * validation, no normalisation, no duplicate check. SQLite's default pragmas except
 * `journal_mode = WAL`. Prints `{"rows": N}`.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import Database from 'better-sqlite3';
import { RECORD_FIELDS } from '../src/citizens/record.js';

const [csv, out] = process.argv.slice(2);
if (!csv || !out) {
  console.error('usage: node dist/bench/bare-seed.js <file.csv> <out.db>');
  process.exit(2);
}

const db = new Database(out);
db.pragma('journal_mode = WAL');
db.exec(`CREATE TABLE citizens (${RECORD_FIELDS.map((c, i) => `${c} TEXT${i === 0 ? ' PRIMARY KEY' : ''}`).join(', ')})`);
const insert = db.prepare(`INSERT INTO citizens VALUES (${RECORD_FIELDS.map(() => '?').join(', ')})`);

let rows = 0;
db.exec('BEGIN');
for await (const record of createReadStream(csv).pipe(parse({ bom: true, from_line: 2 })) as AsyncIterable<string[]>) {
  insert.run(record);
  rows++;
}
db.exec('COMMIT');
db.close();
console.log(JSON.stringify({ rows }));
