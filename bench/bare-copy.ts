/**
 * The bare COPY the PostgreSQL seeding benchmark compares the project's seeding with:
 * `node dist/bench/bare-copy.js <file.csv> <postgres url>`.
 *
 * Exactly this and nothing more: a plain table of the same 15 text columns (`id_number` the
 * primary key) and the CSV file streamed as it is into `COPY citizens FROM STDIN (FORMAT csv,
 * HEADER true)` with pg-copy-streams, in one transaction. No parsing in Node, no validation, no
 * normalisation. Prints `{"rows": N}`.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { RECORD_FIELDS } from '../src/citizens/record.js';

const [csv, url] = process.argv.slice(2);
if (!csv || !url) {
  console.error('usage: node dist/bench/bare-copy.js <file.csv> <postgres url>');
  process.exit(2);
}

const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query(`CREATE TABLE citizens (${RECORD_FIELDS.map((c, i) => `${c} text${i === 0 ? ' PRIMARY KEY' : ''}`).join(', ')})`);
await client.query('BEGIN');
const copy = client.query(copyFrom(`COPY citizens (${RECORD_FIELDS.join(', ')}) FROM STDIN (FORMAT csv, HEADER true)`));
await pipeline(createReadStream(csv), copy);
await client.query('COMMIT');
const rows = copy.rowCount;
await client.end();
console.log(JSON.stringify({ rows }));
