/**
 * `npm run bench -- --seal-cost [--rows 20000] [--rate 100] [--gaps 0]`: what sealing the audit log costs per
 * message, on SQLite (a temporary file) and on PostgreSQL (a throwaway embedded server), through
 * the real stores. Prints µs per sealed row for
 *   - a backlog: `rows` committed audit rows sealed by one run (start-up after a crash);
 *   - steady state: runs of `rate` new ids each (default 100), a simulated second apart, as the
 *     server's 1 s timer sees them at `rate` msg/s (past the late-commit limit, so the scan's lower
 *     bound moves as it would). With `--gaps G`, G of each run's ids commit only before the next
 *     run (a transaction still in flight when the sealer passed) and G never do (an id a duplicate
 *     `MessageSid` used up on PostgreSQL), so the sealer keeps gaps and reads them.
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

/** Inserts audit rows with these ids (each id's `MessageSid` made from it). */
type Filler = (ids: readonly number[], at: number) => Promise<void>;

function sqliteFiller(store: SqliteStore): Filler {
  const insert = store.db.prepare(`INSERT INTO audit_log (id, at, message_sid, sender, command, target_id, outcome, segments)
    VALUES (?, ?, ?, '+84912345678', 'TT', '001099054321', 'served', 2)`);
  const many = store.db.transaction((ids: readonly number[], at: number) => {
    for (const id of ids) insert.run(id, at, `SM${String(id).padStart(32, '0')}`);
  });
  return (ids, at) => {
    many(ids, at);
    return Promise.resolve();
  };
}

function postgresFiller(url: string): Filler {
  return async (ids, at) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO audit_log (id, at, message_sid, sender, command, target_id, outcome, segments) OVERRIDING SYSTEM VALUE
         SELECT i, $1::bigint, 'SM' || lpad(i::text, 32, '0'), '+84912345678', 'TT', '001099054321', 'served', 2
         FROM unnest($2::bigint[]) AS i`,
        [at, ids],
      );
    } finally {
      await client.end();
    }
  };
}

/** One steady run's ids: those committed before it, those committed only before the next, those never committed. */
export interface RunIds {
  onTime: number[];
  late: number[];
  lost: number[];
}

/**
 * The ids `first` to `first + rate - 1` of one run, `gaps` of them late and `gaps` lost, spread
 * evenly over the run (the late and the lost alternate).
 */
export function runIds(first: number, rate: number, gaps: number): RunIds {
  const ids: RunIds = { onTime: [], late: [], lost: [] };
  const marked = new Map<number, 'late' | 'lost'>();
  for (let j = 0; j < 2 * gaps; j++) marked.set(Math.floor(((j + 0.5) * rate) / (2 * gaps)), j % 2 === 0 ? 'late' : 'lost');
  for (let i = 0; i < rate; i++) ids[marked.get(i) ?? 'onTime'].push(first + i);
  return ids;
}

async function measure(name: string, store: Store, fill: Filler, rows: number, rate: number, gaps: number): Promise<string> {
  await fill(runIds(1, rows, 0).onTime, T0);
  let t = performance.now();
  const backlog = await store.sealAudit(T0 + 1_000);
  const backlogUs = ((performance.now() - t) * 1000) / backlog.sealed;
  let sealed = 0;
  let ms = 0;
  let late: number[] = [];
  for (let run = 0; run < STEADY_RUNS; run++) {
    const ids = runIds(rows + 1 + run * rate, rate, gaps);
    const at = T0 + 1_000 * (run + 2);
    await fill([...late, ...ids.onTime], at - 500);
    late = ids.late;
    t = performance.now();
    sealed += (await store.sealAudit(at)).sealed;
    ms += performance.now() - t;
  }
  const steadyUs = (ms * 1000) / sealed;
  const shape = gaps > 0 ? `${rate} ids (${gaps} late, ${gaps} lost)` : `${rate}`;
  return `${name.padEnd(10)} load ${os.loadavg()[0]?.toFixed(1) ?? '?'}: backlog of ${backlog.sealed} rows: ${backlogUs.toFixed(1)} µs/row; steady ${STEADY_RUNS} runs of ${shape}: ${steadyUs.toFixed(1)} µs/row (${(ms / STEADY_RUNS).toFixed(2)} ms/run)`;
}

/** Runs the measurement; resolves to the exit code. */
export async function runSealCost(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'seal-cost': { type: 'boolean' }, rows: { type: 'string' }, rate: { type: 'string' }, gaps: { type: 'string' } },
  });
  const rows = numberOption(values.rows, 'rows', { fallback: 20_000, min: 100, max: 1_000_000 });
  const rate = numberOption(values.rate, 'rate', { fallback: 100, min: 1, max: 10_000 });
  const gaps = numberOption(values.gaps, 'gaps', { fallback: 0, min: 0, max: Math.floor(rate / 2) });
  console.log(`seal cost, ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, nproc ${os.availableParallelism()}, node ${process.version}`);
  const dir = mkdtempSync(join(os.tmpdir(), 'seal-cost-'));
  try {
    const sqlite = openSqliteStore(join(dir, 'seal.db'));
    try {
      console.log(await measure('SQLite', sqlite, sqliteFiller(sqlite), rows, rate, gaps));
    } finally {
      await sqlite.close();
    }
    const server = await startEmbeddedPostgres();
    try {
      const store = await openPostgresStore(server.url);
      try {
        console.log(await measure('PostgreSQL', store, postgresFiller(server.url), rows, rate, gaps));
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
