/**
 * `npm run bench -- --seal-cost [--rows 20000] [--rate 100]`: what sealing the audit log costs per message, on
 * SQLite (a temporary file) and on PostgreSQL (a throwaway embedded server), through the real
 * stores. Prints µs per sealed row for
 *   - a backlog: `rows` committed audit rows sealed by one run (start-up after a crash);
 *   - steady state: runs of `rate` new rows each (default 100), a simulated second apart, as the
 *     server's 1 s timer sees them at `rate` msg/s (past the late-commit limit, so the scan's lower
 *     bound moves as it would).
 * Only the sealer's runs are timed, not the inserts of the rows (done straight in SQL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { numberOption } from './options.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/types.js';
import { startEmbeddedPostgres } from '../src/testing/embeddedPostgres.js';

/** Steady state: one run a second (the server's timer), for 3 minutes of simulated time. */
const STEADY_RUNS = 180;
const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

/** Inserts `count` audit rows after the `done` already there. */
type Filler = (count: number, done: number, at: number) => Promise<void>;

function sqliteFiller(store: SqliteStore): Filler {
  const insert = store.db.prepare(`INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments)
    VALUES (?, ?, '+84912345678', 'TT', '001099054321', 'served', 2)`);
  const many = store.db.transaction((count: number, done: number, at: number) => {
    for (let i = done; i < done + count; i++) insert.run(at, `SM${String(i).padStart(32, '0')}`);
  });
  return (count, done, at) => {
    many(count, done, at);
    return Promise.resolve();
  };
}

function postgresFiller(url: string): Filler {
  return async (count, done, at) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO audit_log (at, message_sid, sender, command, target_id, outcome, segments)
         SELECT $1::bigint, 'SM' || lpad(i::text, 32, '0'), '+84912345678', 'TT', '001099054321', 'served', 2
         FROM generate_series($2::bigint, $3::bigint) AS i`,
        [at, done, done + count - 1],
      );
    } finally {
      await client.end();
    }
  };
}

async function measure(name: string, store: Store, fill: Filler, rows: number, rate: number): Promise<string> {
  await fill(rows, 0, T0);
  let t = performance.now();
  const backlog = await store.sealAudit(T0 + 1_000);
  const backlogUs = ((performance.now() - t) * 1000) / backlog.sealed;
  let sealed = 0;
  let ms = 0;
  for (let run = 0; run < STEADY_RUNS; run++) {
    const done = rows + run * rate;
    const at = T0 + 1_000 * (run + 2);
    await fill(rate, done, at - 500);
    t = performance.now();
    sealed += (await store.sealAudit(at)).sealed;
    ms += performance.now() - t;
  }
  const steadyUs = (ms * 1000) / sealed;
  return `${name.padEnd(10)} load ${os.loadavg()[0]?.toFixed(1) ?? '?'}: backlog of ${backlog.sealed} rows: ${backlogUs.toFixed(1)} µs/row; steady ${STEADY_RUNS} runs of ${rate}: ${steadyUs.toFixed(1)} µs/row (${(ms / STEADY_RUNS).toFixed(2)} ms/run)`;
}

/** Runs the measurement; resolves to the exit code. */
export async function runSealCost(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'seal-cost': { type: 'boolean' }, rows: { type: 'string' }, rate: { type: 'string' } },
  });
  const rows = numberOption(values.rows, 'rows', { fallback: 20_000, min: 100, max: 1_000_000 });
  const rate = numberOption(values.rate, 'rate', { fallback: 100, min: 1, max: 10_000 });
  console.log(`seal cost, ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, nproc ${os.availableParallelism()}, node ${process.version}`);
  const dir = mkdtempSync(join(os.tmpdir(), 'seal-cost-'));
  try {
    const sqlite = openSqliteStore(join(dir, 'seal.db'));
    try {
      console.log(await measure('SQLite', sqlite, sqliteFiller(sqlite), rows, rate));
    } finally {
      await sqlite.close();
    }
    const server = await startEmbeddedPostgres();
    try {
      const store = await openPostgresStore(server.url);
      try {
        console.log(await measure('PostgreSQL', store, postgresFiller(server.url), rows, rate));
      } finally {
        await store.close();
      }
    } finally {
      await server.destroy();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}
