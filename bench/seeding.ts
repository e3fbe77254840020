/**
 * The seeding half of the benchmark: the project's seed command and the bare insert loop, each a
 * process of its own on the same fake CSV, A B alternating; rows/s from wall time, peak RSS from
 * `ru_maxrss`.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv } from '../src/testing/processes.js';
import type { BenchOptions } from './options.js';
import { createDatabase, tableSizes, type BenchPostgres, type TableSize } from './postgres.js';
import { BARE_COPY_JS, BARE_SEED_JS, PEAK_RSS_JS, readPeakRssKiB, runNode, SEED_JS } from './processes.js';
import { fmt, fmtInt } from './report.js';

const MiB = 1024 * 1024;

export interface SeedRun {
  side: 'project' | 'bare' | 'project-pg' | 'bare-copy';
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number;
}

async function seedProject(dir: string, csv: string, db: string, records: number, round: number): Promise<SeedRun> {
  return seedWithProject(dir, csv, { DATABASE_PATH: db }, records, `seed-project-${round}`, 'project');
}

/** The project's seed command on `database` (DATABASE_PATH or DATABASE_URL). */
async function seedWithProject(
  dir: string,
  csv: string,
  database: Record<string, string>,
  records: number,
  name: string,
  side: SeedRun['side'],
): Promise<SeedRun> {
  const rssFile = join(dir, `${name}.rss`);
  const env = childEnv({ ...database, BENCH_PEAK_RSS_FILE: rssFile, NODE_ENV: 'production' });
  const r = await runNode(dir, name, ['--import', PEAK_RSS_JS], [SEED_JS, csv], env, 3_600_000);
  const expected = `inserted ${records}, updated 0, rejected 0`;
  if (r.code !== 0 || !r.stdout.includes(expected)) {
    throw new Error(`project seeding failed (exit ${r.code ?? r.signal}): ${r.stdout.trim()} ${r.stderr.trim()}`.slice(0, 2000));
  }
  return { side, seconds: r.ms / 1000, rowsPerSecond: records / (r.ms / 1000), peakRssMiB: readPeakRssKiB(rssFile) / 1024 };
}

/** The bare COPY (bench/bare-copy.ts) of the same file into a fresh database. */
async function copyBare(dir: string, csv: string, url: string, records: number, round: number): Promise<SeedRun> {
  const rssFile = join(dir, `copy-bare-${round}.rss`);
  const r = await runNode(
    dir,
    `copy-bare-${round}`,
    ['--import', PEAK_RSS_JS],
    [BARE_COPY_JS, csv, url],
    childEnv({ BENCH_PEAK_RSS_FILE: rssFile }),
    3_600_000,
  );
  if (r.code !== 0 || !r.stdout.includes(`{"rows":${records}}`)) {
    throw new Error(`bare COPY failed (exit ${r.code ?? r.signal}): ${r.stdout.trim()} ${r.stderr.trim()}`.slice(0, 2000));
  }
  return { side: 'bare-copy', seconds: r.ms / 1000, rowsPerSecond: records / (r.ms / 1000), peakRssMiB: readPeakRssKiB(rssFile) / 1024 };
}

async function seedBare(dir: string, csv: string, db: string, records: number, round: number): Promise<SeedRun> {
  const rssFile = join(dir, `seed-bare-${round}.rss`);
  const env = childEnv({ BENCH_PEAK_RSS_FILE: rssFile });
  const r = await runNode(dir, `seed-bare-${round}`, ['--import', PEAK_RSS_JS], [BARE_SEED_JS, csv, db], env, 3_600_000);
  if (r.code !== 0 || !r.stdout.includes(`{"rows":${records}}`)) {
    throw new Error(`bare seeding failed (exit ${r.code ?? r.signal}): ${r.stdout.trim()} ${r.stderr.trim()}`.slice(0, 2000));
  }
  return { side: 'bare', seconds: r.ms / 1000, rowsPerSecond: records / (r.ms / 1000), peakRssMiB: readPeakRssKiB(rssFile) / 1024 };
}

function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true });
}

export interface SeedingResult {
  runs: SeedRun[];
  project: SeedRun;
  bare: SeedRun;
  projectPeakRssMiB: number;
  barePeakRssMiB: number;
  ratio: number;
  /** With `--store postgres`: the project's COPY path against a bare COPY of the same file. */
  postgres: PostgresSeeding | undefined;
}

export interface PostgresSeeding {
  project: SeedRun;
  bare: SeedRun;
  projectPeakRssMiB: number;
  ratio: number;
  /** The project's citizens table after the seed, and the bare one. */
  sizes: TableSize[];
  bareSizes: TableSize[];
  /** Bytes of the seed file. */
  csvBytes: number;
}

/** What seeding leaves for the webhook half: the SQLite file, and the PostgreSQL database. */
export interface Seeded {
  result: SeedingResult | undefined;
  /** The project database on PostgreSQL (with `--store postgres`). */
  postgresUrl: string | undefined;
}

/** Writes the fake CSV, then seeds it A B A B; leaves the last project database at `projectDb`. */
export async function runSeeding(
  dir: string,
  options: BenchOptions,
  projectDb: string,
  withBare: boolean,
  postgres: BenchPostgres | undefined,
): Promise<Seeded> {
  const { records, rounds } = options;
  const csv = join(dir, 'citizens.csv');
  const gen = await runNode(dir, 'fake-csv', [], [SEED_JS, '--fake', String(records), '--out', csv], childEnv({}), 3_600_000);
  if (gen.code !== 0) throw new Error(`could not write the fake CSV: ${gen.stderr.trim()}`);
  console.log(`\nseeding: ${fmtInt(records)} fake records in random key order, CSV ${fmt(statSync(csv).size / MiB, 1)} MiB`);
  const runs: SeedRun[] = [];
  for (let round = 1; round <= (withBare ? rounds : 1); round++) {
    removeDb(projectDb);
    const a = await seedProject(dir, csv, projectDb, records, round);
    runs.push(a);
    console.log(`  round ${round} A project: ${fmt(a.seconds)} s, ${fmtInt(a.rowsPerSecond)} rows/s, peak RSS ${fmt(a.peakRssMiB, 0)} MiB`);
    if (!withBare) continue;
    const bareDb = join(dir, 'bare.db');
    const b = await seedBare(dir, csv, bareDb, records, round);
    removeDb(bareDb);
    runs.push(b);
    console.log(`  round ${round} B bare:    ${fmt(b.seconds)} s, ${fmtInt(b.rowsPerSecond)} rows/s, peak RSS ${fmt(b.peakRssMiB, 0)} MiB`);
  }
  const pgRuns: SeedRun[] = [];
  let postgresUrl: string | undefined;
  let bareSizes: TableSize[] = [];
  if (postgres) {
    for (let round = 1; round <= (withBare ? rounds : 1); round++) {
      postgresUrl = await createDatabase(postgres, 'project');
      const a = await seedWithProject(dir, csv, { DATABASE_URL: postgresUrl }, records, `seed-project-pg-${round}`, 'project-pg');
      pgRuns.push(a);
      console.log(
        `  round ${round} P project on PostgreSQL: ${fmt(a.seconds)} s, ${fmtInt(a.rowsPerSecond)} rows/s, peak RSS ${fmt(a.peakRssMiB, 0)} MiB`,
      );
      if (!withBare) continue;
      const bareUrl = await createDatabase(postgres, 'bare_copy');
      const b = await copyBare(dir, csv, bareUrl, records, round);
      pgRuns.push(b);
      if (round === rounds) bareSizes = await tableSizes(bareUrl, ['citizens']);
      console.log(
        `  round ${round} C bare COPY:            ${fmt(b.seconds)} s, ${fmtInt(b.rowsPerSecond)} rows/s, peak RSS ${fmt(b.peakRssMiB, 0)} MiB`,
      );
    }
  }
  const csvBytes = statSync(csv).size;
  rmSync(csv, { force: true });
  if (!withBare) return { result: undefined, postgresUrl };
  const side = (name: SeedRun['side']) => runs.filter((r) => r.side === name);
  const bestOf = (list: SeedRun[], name: SeedRun['side']) =>
    list.filter((r) => r.side === name).reduce((x, y) => (y.rowsPerSecond > x.rowsPerSecond ? y : x));
  const project = bestOf(runs, 'project');
  const bare = bestOf(runs, 'bare');
  let pgResult: PostgresSeeding | undefined;
  if (postgres && postgresUrl) {
    const pgProject = bestOf(pgRuns, 'project-pg');
    const pgBare = bestOf(pgRuns, 'bare-copy');
    pgResult = {
      project: pgProject,
      bare: pgBare,
      projectPeakRssMiB: Math.max(...pgRuns.filter((r) => r.side === 'project-pg').map((r) => r.peakRssMiB)),
      ratio: pgProject.rowsPerSecond / pgBare.rowsPerSecond,
      sizes: await tableSizes(postgresUrl, ['citizens']),
      bareSizes,
      csvBytes,
    };
  }
  return {
    result: {
      runs: [...runs, ...pgRuns],
      project,
      bare,
      projectPeakRssMiB: Math.max(...side('project').map((r) => r.peakRssMiB)),
      barePeakRssMiB: Math.max(...side('bare').map((r) => r.peakRssMiB)),
      ratio: project.rowsPerSecond / bare.rowsPerSecond,
      postgres: pgResult,
    },
    postgresUrl,
  };
}
